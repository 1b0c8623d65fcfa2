"""WebSocket authentication: the session cookie for the web, the API token for mobile.

Mobile clients send the token as `Authorization: Token <key>`, or, where a client cannot
set headers (browsers), as the subprotocol `token.<key>` (the server then accepts the
connection with that subprotocol's sibling `echoes.v1` if offered). See docs/websocket.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token

from accounts.revocation import credentials_group, token_digest
from echoes_site.channel_send import remember_server_loop

logger = logging.getLogger(__name__)

TOKEN_SUBPROTOCOL_PREFIX = "token."
CLOSE_UNAUTHENTICATED = 4401  # no, invalid or revoked credentials
# A service the socket needs (Redis) is down. Not 1013 ("try again later"): daphne only
# sends 1000 or 3000-4999; 4503 mirrors HTTP 503.
CLOSE_SERVICE_UNAVAILABLE = 4503
UNAVAILABLE_MESSAGE = "Live updates are unavailable right now (a service is down); try again in a minute."


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
            scope["token_digest"] = token_digest(key)
        return await super().__call__(scope, receive, send)


def WebSocketAuthMiddleware(inner):
    """Session cookie first, then a token (a token, when given, decides the user)."""
    return AuthMiddlewareStack(_TokenAuthMiddleware(inner))


class CredentialsWatchMixin:
    """For consumers: close the socket when the credentials that opened it are revoked.

    `await self.join_groups(*groups)` right after `accept()` joins the user's
    credentials group (and any of the consumer's own); when the channel layer is down it
    sends an `unavailable` error frame, closes with 4503 and returns False.
    """

    async def __call__(self, scope, receive, send):
        # With Redis down, channels' own listening on the layer fails too and would end the
        # consumer with a bare 1011: clean up and say why instead.
        try:
            await super().__call__(scope, receive, send)
        except RedisError as error:
            logger.warning("channel layer failed (%s); closing socket with 4503", error)
            with contextlib.suppress(Exception):
                await self.disconnect(CLOSE_SERVICE_UNAVAILABLE)
            if not getattr(self, "closing", False):
                if getattr(self, "accepted", False):
                    await self._close_with_error(
                        "unavailable", UNAVAILABLE_MESSAGE, CLOSE_SERVICE_UNAVAILABLE
                    )
                else:
                    await send({"type": "websocket.close", "code": CLOSE_SERVICE_UNAVAILABLE})

    async def accept(self, *args, **kwargs) -> None:
        await super().accept(*args, **kwargs)
        self.accepted = True

    async def join_groups(self, *groups: str) -> bool:
        remember_server_loop(asyncio.get_running_loop())
        self.joined_groups = [credentials_group(self.scope["user"].pk), *groups]
        try:
            for group in self.joined_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("channel layer unreachable; closing socket of user %s", self.scope["user"].pk)
            self.joined_groups = []
            await self._close_with_error("unavailable", UNAVAILABLE_MESSAGE, CLOSE_SERVICE_UNAVAILABLE)
            return False
        return True

    async def leave_groups(self) -> None:
        for group in getattr(self, "joined_groups", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("could not leave %s (channel layer unreachable)", group)

    async def credentials_revoked(self, message: dict) -> None:
        """Channel-layer handler of `credentials.revoked` (accounts.revocation)."""
        tokens = message.get("tokens")
        if tokens is not None and self.scope.get("token_digest") not in tokens:
            return  # another token of this user was revoked, not the one of this socket
        await self._close_with_error(
            "credentials_revoked",
            "Your sign-in was revoked (password changed or logged out everywhere); sign in again.",
            CLOSE_UNAUTHENTICATED,
        )

    async def _close_with_error(self, code: str, message: str, close_code: int) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code, "message": message}))
        await self.close(code=close_code)
        self.closing = True  # only once both went out (a failing layer may cancel us midway)
