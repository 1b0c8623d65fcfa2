"""A graceful stop (SIGTERM) of a real server: every open WebSocket sees close 1001
("going away", so clients reconnect rather than report an error), the live session is
closed and saved, and the server exits promptly."""

from __future__ import annotations

import asyncio
import signal

import pytest
from websockets.exceptions import ConnectionClosed

from moods.models import MoodSession
from tests.integration.moods.helpers import face_jpeg, make_user, recv_json, recv_until, token_for, ws_connect

pytestmark = pytest.mark.usefixtures("postgres")


def test_sigterm_closes_every_socket_with_1001_and_saves_the_sessions(live_server_asgi):
    ann = make_user("ann")
    token = token_for(ann)
    frame = face_jpeg()

    async def scenario():
        async with (
            ws_connect(live_server_asgi, token=token) as session_socket,
            ws_connect(live_server_asgi, token=token, path="/ws/notifications/") as notifications,
        ):
            ready = await recv_json(session_socket)
            await session_socket.send(frame)
            await recv_until(session_socket, "result")
            await recv_json(notifications)  # the library snapshot: the socket is open
            live_server_asgi.process.send_signal(signal.SIGTERM)
            closes = []
            for socket in (session_socket, notifications):
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(socket.recv(), 20)
                closes.append(closed.value.rcvd)
            return ready, closes

    ready, closes = asyncio.run(scenario())
    assert [close.code if close else None for close in closes] == [1001, 1001], closes
    assert live_server_asgi.process.wait(timeout=20) == 0
    session = MoodSession.objects.get(pk=ready["session_id"])
    assert session.ended_at is not None and session.frames_analysed == 1
