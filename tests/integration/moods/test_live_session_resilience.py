"""Sessions survive what servers and clients do to them: restarts, dead clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.uri import parse_uri

from moods.models import MoodReading, MoodSession
from tests.conftest import LiveServer, subprocess_env
from tests.integration.moods.helpers import (
    face_jpeg,
    make_user,
    recv_json,
    recv_until,
    token_for,
    wait_until,
    ws_connect,
)

pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture
def quick_server(transactional_db, tmp_path) -> Iterator[LiveServer]:
    """A daphne that saves a reading every 0.5 s, sweeps after 3 s of silence and
    pings an idle client after 1 s (dropping it 2 s later if it does not answer)."""
    env = subprocess_env(MOOD_READING_SECONDS="0.5", MOOD_SESSION_STALE_SECONDS="3")
    server = LiveServer(tmp_path, env, extra_args=("--ping-interval", "1", "--ping-timeout", "2"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_session(pk: int) -> MoodSession | None:
    session = MoodSession.objects.get(pk=pk)
    return session if session.ended_at is not None else None


def stream_until_a_reading_is_saved(server: LiveServer, token: str, then) -> dict:
    """Connect, stream frames until a reading is in the database, then call `then()`."""

    async def scenario():
        async with ws_connect(server, token=token) as ws:
            ready = await recv_json(ws)
            while True:
                await ws.send(face_jpeg())
                await recv_until(ws, "result")
                saved = await asyncio.to_thread(
                    lambda: MoodReading.objects.filter(session_id=ready["session_id"], frames__gt=0).exists()
                )
                if saved:
                    break
            then()
            with contextlib.suppress(ConnectionClosed):
                await recv_json(ws, timeout=30)
            return ready

    return asyncio.run(scenario())


def test_a_session_left_open_by_a_killed_server_is_closed_by_the_sweep_after_restart(quick_server):
    token = token_for(make_user("ann"))
    ready = stream_until_a_reading_is_saved(quick_server, token, then=quick_server.process.kill)
    session = MoodSession.objects.get(pk=ready["session_id"])
    assert session.ended_at is None  # SIGKILL: nobody could close it

    quick_server.start()  # no socket connects: the new process sweeps on its own timer
    session = wait_until(lambda: closed_session(ready["session_id"]), what="the sweep to close the session")
    assert session.close_reason == "stale"
    assert session.dominant_mood in {"happy", "excited"} and session.dominant_valence > 0.3
    assert session.ended_at == session.last_activity_at  # closed as of its last report


def test_a_graceful_server_stop_closes_open_sessions_at_once(quick_server):
    token = token_for(make_user("ann"))
    ready = stream_until_a_reading_is_saved(quick_server, token, then=quick_server.stop)
    session = wait_until(lambda: closed_session(ready["session_id"]), timeout=5, what="the session to close")
    assert session.close_reason == "disconnect" and session.dominant_mood in {"happy", "excited"}


def test_a_dead_client_that_never_reads_is_dropped_and_others_carry_on(quick_server):
    ann, bob = make_user("ann"), make_user("bob")
    ann_token, bob_token = token_for(ann), token_for(bob)

    async def live_client():
        async with ws_connect(quick_server, token=bob_token) as ws:
            await recv_json(ws)
            results = []
            for _ in range(3):
                await ws.send(face_jpeg())
                results.append(await recv_until(ws, "result"))
            return results

    asyncio.run(live_client())  # the models are loaded before the dead client comes

    # A raw client: handshake, five frames, then it never reads (nor answers pings) again.
    protocol = ClientProtocol(parse_uri(quick_server.ws_url + "/ws/session/"))
    request = protocol.connect()
    request.headers["Authorization"] = f"Token {ann_token}"
    protocol.send_request(request)
    dead = socket.socket()
    dead.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    dead.connect(("127.0.0.1", quick_server.port))
    dead.sendall(b"".join(protocol.data_to_send()))
    while protocol.handshake_exc is None and protocol.state.name == "CONNECTING":
        protocol.receive_data(dead.recv(65536))
    assert protocol.handshake_exc is None
    for _ in range(5):
        protocol.send_binary(face_jpeg())
    dead.sendall(b"".join(protocol.data_to_send()))

    try:
        results = asyncio.run(live_client())
        assert [r["emotion"] for r in results] == ["happy"] * 3
        session = wait_until(
            lambda: MoodSession.objects.filter(user=ann, ended_at__isnull=False).first(),
            timeout=30,
            what="the server to drop the dead client",
        )
    finally:
        dead.close()
    assert session.close_reason == "disconnect"
    assert session.frames_received == 5 and session.dominant_mood in {"happy", "excited"}
