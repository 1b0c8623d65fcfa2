"""Through a real daphne: corrections over the socket change a user's next sessions (and
nobody else's), and a freshly started server answers its first frame within a second."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests

from moods.models import MoodCorrection
from tests.integration.moods.helpers import (
    face_jpeg,
    make_user,
    recv_json,
    recv_until,
    session_cookie,
    wait_until,
    ws_connect,
)

pytestmark = pytest.mark.usefixtures("postgres")


def wait_until_warm(server, timeout: float = 180) -> list[tuple[int, str]]:
    """Poll /healthz until the emotion models are loaded; returns (status, emotion_model) seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(f"{server.url}/healthz", timeout=30)
        seen.append((response.status_code, response.json()["emotion_model"]))
        if seen[-1][1] != "warming":
            return seen
        time.sleep(0.2)
    raise AssertionError(f"still warming after {timeout} s: {seen[-3:]}")


async def one_reading(server, cookie: str, *, correct_as: str | None = None, corrections: int = 0) -> dict:
    """Open a session, read one frame; optionally send `corrections` corrections."""
    async with ws_connect(server, cookie=cookie) as ws:
        await recv_json(ws)  # ready
        await ws.send(face_jpeg())
        result = await recv_until(ws, "result")
        for _ in range(corrections):
            await ws.send(f'{{"type": "correction", "mood": "{correct_as}"}}')
            answer = await recv_until(ws, "corrected")
            assert answer["felt_mood"] == correct_as
        return result


def test_socket_corrections_change_my_next_sessions_readings_and_nobody_elses(live_server_asgi):
    ann, bob = make_user("ann"), make_user("bob")
    ann_cookie, bob_cookie = session_cookie(ann), session_cookie(bob)

    async def scenario():
        before = await one_reading(live_server_asgi, ann_cookie, correct_as="sad", corrections=6)
        after = await one_reading(live_server_asgi, ann_cookie)
        other = await one_reading(live_server_asgi, bob_cookie)
        return before, after, other

    before, after, other = asyncio.run(scenario())
    assert MoodCorrection.objects.filter(user=ann, felt_mood="sad").count() == 6
    # The same frame reads differently for ann now: more sad, less happy (the astronaut
    # smiles broadly, so a few corrections move it a little, never past a clear smile)...
    assert after["emotions"]["sad"] >= before["emotions"]["sad"] + 0.003
    assert after["emotions"]["happy"] <= before["emotions"]["happy"] - 0.003
    # ...and exactly as before for bob, who corrected nothing.
    for emotion, value in before["emotions"].items():
        assert other["emotions"][emotion] == pytest.approx(value, abs=2e-3)


def test_a_correction_before_any_face_is_an_error_frame(live_server_asgi):
    cookie = session_cookie(make_user("ann"))

    async def scenario():
        async with ws_connect(live_server_asgi, cookie=cookie) as ws:
            await recv_json(ws)
            await ws.send('{"type": "correction", "mood": "calm"}')
            early = await recv_json(ws)
            await ws.send('{"type": "correction", "mood": "elated"}')
            return early, await recv_json(ws)

    early, bad = asyncio.run(scenario())
    assert early["type"] == "error" and early["code"] == "no_reading"
    assert bad["type"] == "error" and bad["code"] == "bad_correction" and "calm" in bad["message"]
    assert not MoodCorrection.objects.exists()


def test_a_new_server_warms_up_by_itself_and_answers_its_first_frame_within_a_second(live_server_asgi):
    seen = wait_until_warm(live_server_asgi)
    # 503 while warming (a load balancer must not send sessions yet), then 200 and ready.
    assert all(status == 503 for status, state in seen if state == "warming")
    assert seen[-1] == (200, "ready"), seen
    cookie = session_cookie(make_user("ann"))

    async def first_result() -> tuple[float, dict]:
        async with ws_connect(live_server_asgi, cookie=cookie) as ws:
            await recv_json(ws)
            sent = time.perf_counter()
            await ws.send(face_jpeg())
            result = await recv_until(ws, "result", timeout=30)
            return time.perf_counter() - sent, result

    seconds, result = asyncio.run(first_result())
    assert result["seq"] == 1 and result["face"] is not None
    assert seconds <= 1.0, f"the first result took {seconds:.2f} s"
    wait_until(lambda: requests.get(f"{live_server_asgi.url}/healthz", timeout=30).ok, what="healthz 200")
