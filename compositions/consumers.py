"""`/ws/notifications/`: one socket per open page or app, delivering the user's events.

Protocol (docs/compositions.md): after connecting, the client receives
`{"type": "composition.snapshot", "compositions": [...]}` with the jobs in flight (so a
late page misses nothing that matters), then one `{"type": "composition.progress", ...}`
per stage change. Clients may send `{"type": "ping"}` (answered with `pong`). Anything
else gets an error frame; the connection stays open. Unauthenticated: closed with 4401.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.ws_auth import CredentialsWatchMixin
from compositions.progress import composition_event, user_group
from compositions.selectors import composition_in_flight_list

CLOSE_UNAUTHENTICATED = 4401
MAX_CLIENT_MESSAGE = 4096


class NotificationsConsumer(CredentialsWatchMixin, AsyncWebsocketConsumer):
    """Joins the group `user.<id>` and forwards its events to the client as JSON."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        subprotocol = "echoes.v1" if "echoes.v1" in self.scope.get("subprotocols", []) else None
        await self.accept(subprotocol=subprotocol)
        if not await self.join_groups(user_group(user.pk)):  # also closes on revoked credentials
            return
        snapshot = await database_sync_to_async(
            lambda: [composition_event(c) for c in composition_in_flight_list(user=user)]
        )()
        await self._send_json({"type": "composition.snapshot", "compositions": snapshot})

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None or text_data is None or len(text_data) > MAX_CLIENT_MESSAGE:
            await self._error("bad_message", "Send small JSON text messages only.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("bad_json", "That message is not JSON.")
            return
        if isinstance(message, dict) and message.get("type") == "ping":
            await self._send_json({"type": "pong"})
            return
        await self._error("unknown_type", 'Unknown message; the only one accepted is {"type": "ping"}.')

    async def composition_progress(self, message: dict) -> None:
        """Channel-layer handler for `composition.progress` group messages."""
        await self._send_json({"type": "composition.progress", **message["event"]})

    async def notify(self, message: dict) -> None:
        """Generic handler other apps may use: `{"type": "notify", "event": {...}}`."""
        await self._send_json(message.get("event", {}))

    async def _error(self, code: str, text: str) -> None:
        await self._send_json({"type": "error", "code": code, "message": text})

    async def _send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
