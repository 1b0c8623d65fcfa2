"""WebSocket authentication: the session cookie for the web, the API token for mobile.

Mobile clients send the token as `Authorization: Token <key>`, or, where a client cannot
set headers (browsers), as the subprotocol `token.<key>` (the server then accepts the
connection with that subprotocol's sibling `echoes.v1` if offered). See docs/websocket.md.
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

TOKEN_SUBPROTOCOL_PREFIX = "token."


@database_sync_to_async
def _user_for_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def token_from_scope(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, key = value.decode("latin-1").partition(" ")
            if kind.lower() in {"token", "bearer"} and key.strip():
                return key.strip()
    for protocol in scope.get("subprotocols", []):
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    return None


class _TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope)
        if key is not None:
            user = await _user_for_token(key)
            scope["user"] = user or AnonymousUser()
            scope["auth_method"] = "token"
        return await super().__call__(scope, receive, send)


def WebSocketAuthMiddleware(inner):
    """Session cookie first, then a token (a token, when given, decides the user)."""
    return AuthMiddlewareStack(_TokenAuthMiddleware(inner))
