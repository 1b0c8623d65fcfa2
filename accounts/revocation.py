"""Credentials that stop working take their open WebSockets with them.

A password change or a token revoke sends `credentials.revoked` to the user's group
`credentials.<id>` through the channel layer (so it reaches sockets on every server);
consumers that joined it (accounts.ws_auth.CredentialsWatchMixin) close with 4401. A
message naming a token (by digest: the key itself never goes to Redis) closes only the
sockets that token opened; one without closes every socket of the user.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from echoes_site.channel_send import group_send_sync

REVOKED_EVENT = "credentials.revoked"


def credentials_group(user_id: int) -> str:
    return f"credentials.{user_id}"


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def sockets_close(*, user_id: int, token_keys: list[str] | None = None) -> None:
    """After the current transaction commits, close the user's sockets (those opened with
    one of `token_keys`, or all of them when None)."""
    message: dict = {"type": REVOKED_EVENT}
    if token_keys is not None:
        if not token_keys:
            return
        message["tokens"] = [token_digest(key) for key in token_keys]
    transaction.on_commit(lambda: group_send_sync(credentials_group(user_id), message))


class CloseSocketsOnPasswordChange:
    """A password "validator" that validates nothing: Django calls `password_changed` of
    every AUTH_PASSWORD_VALIDATORS entry after any password change is saved (the web
    form, the admin, `changepassword`, a reset), which is the one place they all pass.
    """

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            from accounts.services import user_credentials_revoke

            user_credentials_revoke(user=user)

    def get_help_text(self) -> str:
        return "Changing your password signs out your apps and your other browsers."
