"""The live session through a real daphne and a real WebSocket client.

Frames are JPEGs of a real face photo (scikit-image's astronaut, a smiling face).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from moods.models import MoodReading, MoodSession
from tests.integration.moods.helpers import (
    face_jpeg,
    huge_png,
    make_user,
    recv_json,
    recv_until,
    session_cookie,
    token_for,
    wait_until,
    ws_connect,
)

pytestmark = pytest.mark.usefixtures("postgres")


def closed_session(pk: int) -> MoodSession | None:
    session = MoodSession.objects.get(pk=pk)
    return session if session.ended_at is not None else None


def test_streamed_frames_get_results_in_order_and_the_session_closes_with_its_dominant_mood(live_server_asgi):
    user = make_user("ann")
    cookie = session_cookie(user)
    frame = face_jpeg()

    async def scenario():
        async with ws_connect(live_server_asgi, cookie=cookie) as ws:
            ready = await recv_json(ws)
            results = []
            for _ in range(6):  # one at a time: nothing is dropped
                await ws.send(frame)
                results.append(await recv_until(ws, "result"))
            return ready, results

    ready, results = asyncio.run(scenario())
    assert ready["type"] == "ready" and ready["protocol"] == "echoes.v1"
    assert [r["seq"] for r in results] == [1, 2, 3, 4, 5, 6]
    first = results[0]
    assert first["face"]["box"][2] > 0 and first["emotion"] == "happy"
    assert set(first["emotions"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert abs(sum(first["emotions"].values()) - 1) < 0.01
    assert first["mood"]["label"] in {"happy", "excited"} and first["mood"]["valence"] > 0.3
    assert first["latency_ms"] > 0 and results[-1]["dropped"] == 0

    session = wait_until(lambda: closed_session(ready["session_id"]), what="the session to close")
    assert session.user == user and session.client == "cookie" and session.close_reason == "disconnect"
    assert session.dominant_mood == results[-1]["mood"]["label"]
    assert session.dominant_valence > 0.3
    assert session.frames_received == session.frames_analysed == session.frames_with_face == 6
    readings = list(MoodReading.objects.filter(session=session))
    assert readings and sum(r.frames for r in readings) == 6
    assert readings[0].emotions["happy"] > 0.5


def test_a_token_authenticates_by_header_or_by_subprotocol(live_server_asgi):
    user = make_user("bob")
    token = token_for(user)

    async def scenario():
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:  # a native app: no Origin
            by_header = await recv_json(ws)
        async with ws_connect(live_server_asgi, subprotocol_token=token) as ws:
            by_subprotocol = await recv_json(ws)
            chosen = ws.subprotocol
        return by_header, by_subprotocol, chosen

    by_header, by_subprotocol, chosen = asyncio.run(scenario())
    assert by_header["type"] == by_subprotocol["type"] == "ready"
    assert chosen == "echoes.v1"  # never the token itself
    sessions = MoodSession.objects.filter(pk__in=[by_header["session_id"], by_subprotocol["session_id"]])
    assert {(s.user_id, s.client) for s in sessions} == {(user.pk, "token")}


def test_connections_without_valid_credentials_are_closed_with_4401(live_server_asgi):
    ann = make_user("ann")
    cookie = session_cookie(ann)

    async def closed_with(**credentials):
        async with ws_connect(live_server_asgi, **credentials) as ws:
            error = await recv_json(ws)
            with pytest.raises(ConnectionClosed) as closed:
                await recv_json(ws)
            return error, closed.value.rcvd.code

    async def scenario():
        return [
            await closed_with(),
            await closed_with(token="not-a-real-token"),
            # A token, when given, decides the user: a bad one is refused even with a cookie.
            await closed_with(cookie=cookie, token="not-a-real-token"),
        ]

    for error, code in asyncio.run(scenario()):
        assert error["type"] == "error" and error["code"] == "unauthenticated"
        assert code == 4401
    assert not MoodSession.objects.exists()


def test_a_page_on_another_site_cannot_use_the_cookie(live_server_asgi):
    cookie = session_cookie(make_user("ann"))

    async def scenario():
        async with ws_connect(live_server_asgi, cookie=cookie, origin="https://evil.example"):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


def test_a_token_of_another_user_opens_that_users_session_not_the_cookie_owners(live_server_asgi):
    ann, bob = make_user("ann"), make_user("bob")
    cookie, token = session_cookie(ann), token_for(bob)

    async def scenario():
        async with ws_connect(live_server_asgi, cookie=cookie, token=token) as ws:
            return await recv_json(ws)

    ready = asyncio.run(scenario())
    assert MoodSession.objects.get(pk=ready["session_id"]).user == bob
    assert not MoodSession.objects.filter(user=ann).exists()


def test_bad_frames_and_messages_get_error_frames_and_the_connection_stays_open(live_server_asgi):
    user = make_user("ann")
    token = token_for(user)
    too_big = b"\xff\xd8" + bytes(1024 * 1024)  # 1 MB + 2 bytes: over our limit, under daphne's

    async def scenario():
        async with ws_connect(live_server_asgi, token=token) as ws:
            ready = await recv_json(ws)
            errors = {}
            for name, message in [
                ("text instead of a frame", "not a frame"),
                ("empty text", ""),
                ("json array", "[1, 2]"),
                ("unknown type", json.dumps({"type": "dance"})),
                ("bad fps", json.dumps({"type": "options", "fps": 1000})),
                ("empty frame", b""),
                ("garbage bytes", b"\x00\x01garbage" * 100),
                ("truncated jpeg", face_jpeg()[:500]),
                ("20 kB of text", "x" * 20_000),
                ("over 1 MB", too_big),
                ("10000x10000", huge_png()),
            ]:
                await ws.send(message)
                errors[name] = await recv_until(ws, "error")
            await ws.send(face_jpeg())
            result = await recv_until(ws, "result")
            return ready, errors, result

    ready, errors, result = asyncio.run(scenario())
    codes = {name: error["code"] for name, error in errors.items()}
    assert codes == {
        "text instead of a frame": "bad_message",
        "empty text": "bad_message",
        "json array": "bad_message",
        "unknown type": "unknown_type",
        "bad fps": "bad_options",
        "empty frame": "bad_frame",
        "garbage bytes": "bad_frame",
        "truncated jpeg": "bad_frame",
        "20 kB of text": "message_too_large",
        "over 1 MB": "frame_too_large",
        "10000x10000": "frame_too_large",
    }
    assert all(error["message"] for error in errors.values())
    assert errors["10000x10000"]["seq"] == 5 and "10000x10000" in errors["10000x10000"]["message"]
    assert result["seq"] == 6 and result["emotion"] == "happy"  # still open and working
    session = wait_until(lambda: closed_session(ready["session_id"]), what="the session to close")
    assert session.frames_rejected == 5 and session.frames_analysed == 1 and session.dominant_mood


def test_a_20_mb_message_is_cut_off_and_other_sessions_carry_on(live_server_asgi):
    ann, bob = make_user("ann"), make_user("bob")
    ann_token, bob_token = token_for(ann), token_for(bob)
    frame = face_jpeg()

    async def scenario():
        async with (
            ws_connect(live_server_asgi, token=ann_token) as big,
            ws_connect(live_server_asgi, token=bob_token) as other,
        ):
            big_ready = await recv_json(big)
            await recv_json(other)
            await big.send(frame)
            await recv_until(big, "result")
            # daphne fails the connection mid-message, so the send itself may see the close.
            with pytest.raises(ConnectionClosed) as closed:
                await big.send(b"\xff\xd8" + bytes(20 * 1024 * 1024))
                await recv_json(big)
            await other.send(frame)
            other_result = await recv_until(other, "result")
            return big_ready, closed.value.rcvd, other_result

    big_ready, close, other_result = asyncio.run(scenario())
    # The client saw a close frame with 1009 "message too big" (not 1006, a dropped socket).
    assert close is not None and close.code == 1009, close
    assert other_result["emotion"] == "happy"
    session = wait_until(lambda: closed_session(big_ready["session_id"]), what="the big sender's session")
    assert session.frames_analysed == 1 and session.dominant_mood


def test_a_flood_of_frames_is_thinned_to_the_latest_and_reports_the_dropped(live_server_asgi):
    ann, bob = make_user("ann"), make_user("bob")
    ann_token, bob_token = token_for(ann), token_for(bob)
    frame = face_jpeg()

    async def scenario():
        async with (
            ws_connect(live_server_asgi, token=ann_token) as flood,
            ws_connect(live_server_asgi, token=bob_token) as calm,
        ):
            ready = await recv_json(flood)
            await recv_json(calm)
            await flood.send(json.dumps({"type": "options", "fps": 60}))
            await recv_until(flood, "options")
            for _ in range(500):  # as fast as the socket takes them
                await flood.send(frame)
            await calm.send(frame)
            calm_result = await recv_until(calm, "result")
            results = []
            while not results or results[-1]["seq"] < 500:
                results.append(await recv_until(flood, "result"))
            return ready, results, calm_result

    ready, results, calm_result = asyncio.run(scenario())
    seqs = [r["seq"] for r in results]
    assert seqs == sorted(seqs) and seqs[-1] == 500  # the latest frame always wins
    assert len(results) < 500
    assert results[-1]["dropped"] == 500 - len(results)
    assert calm_result["seq"] == 1 and calm_result["emotion"] == "happy"
    session = wait_until(lambda: closed_session(ready["session_id"]), what="the flooder's session")
    assert session.frames_received == 500
    assert session.frames_analysed + session.frames_dropped == 500


def test_stop_closes_the_session_and_start_opens_a_new_one(live_server_asgi):
    user = make_user("ann")
    token = token_for(user)
    frame = face_jpeg()

    async def scenario():
        async with ws_connect(live_server_asgi, token=token) as ws:
            ready = await recv_json(ws)
            await ws.send(frame)
            await recv_until(ws, "result")
            await ws.send(json.dumps({"type": "stop"}))
            stopped = await recv_until(ws, "stopped")
            await ws.send(frame)
            no_session = await recv_until(ws, "error")
            await ws.send(json.dumps({"type": "ping", "t": 42}))
            pong = await recv_until(ws, "pong")
            await ws.send(json.dumps({"type": "start"}))
            started = await recv_until(ws, "started")
            await ws.send(frame)
            result = await recv_until(ws, "result")
            return ready, stopped, no_session, pong, started, result

    ready, stopped, no_session, pong, started, result = asyncio.run(scenario())
    assert stopped["session"]["id"] == ready["session_id"]
    assert stopped["session"]["dominant_mood"]["label"] in {"happy", "excited"}
    assert stopped["session"]["frames"]["analysed"] == 1
    assert no_session["code"] == "no_session" and no_session["seq"] == 2
    assert pong["t"] == 42
    assert started["session_id"] != ready["session_id"] and result["seq"] == 3
    first = MoodSession.objects.get(pk=ready["session_id"])
    assert (
        first.close_reason == "stop" and first.dominant_mood == stopped["session"]["dominant_mood"]["label"]
    )
    wait_until(lambda: closed_session(started["session_id"]), what="the second session to close")


def test_an_idle_session_on_the_redis_channel_layer_stays_open(live_server_asgi, redis_url):
    # channels_redis blocks 5 s per read; redis-py 8's default 5 s socket timeout used to
    # kill every consumer that received nothing for 5 s (settings: socket_timeout 15).
    token = token_for(make_user("ann"))

    async def scenario():
        async with ws_connect(live_server_asgi, token=token) as ws:
            await recv_json(ws)
            await asyncio.sleep(7)
            await ws.send(face_jpeg())
            return await recv_until(ws, "result")

    assert asyncio.run(scenario())["emotion"] == "happy"
