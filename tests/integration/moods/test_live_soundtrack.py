"""The live soundtrack through a real daphne: bars as note events, errors, saving.

Music follows either the face (the astronaut photo reads happy) or a mood chosen for it
(`"mood": "sad"`), which is how these tests move the mood without a second face.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from compositions.models import Composition
from ml.music.instrumentation import ARRANGEMENT_NAMES
from moods.models import MoodSession
from tests.integration.moods.helpers import (
    face_jpeg,
    make_user,
    recv_json,
    recv_until,
    session_cookie,
    token_for,
    wait_until,
    ws_connect,
)

pytestmark = pytest.mark.usefixtures("postgres")


async def send(ws, **body) -> None:
    await ws.send(json.dumps(body))


async def bars(ws, count: int, *, ack: bool = True) -> list[dict]:
    """The next `count` music_bar messages (acknowledged, as a player does).

    The first may wait for the server to load its models (a minute on the busy machine).
    """
    got = []
    while len(got) < count:
        message = await recv_until(ws, "music_bar", 180 if not got else 30)
        got.append(message)
        if ack:
            await send(
                ws,
                type="music_ack",
                bar=message["bar"],
                lead_ms=1000 * (message["start"] - message["sent_at"]),
            )
    return got


def test_music_before_any_face_and_bad_names_get_clear_errors_and_the_socket_stays_open(live_server_asgi):
    token = token_for(make_user("early"))

    async def scenario():
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:
            await recv_json(ws)  # ready
            await send(ws, type="music_start")
            no_mood = await recv_until(ws, "error")
            await send(ws, type="music_start", arrangement="dubstep")
            arrangement = await recv_until(ws, "error")
            await send(ws, type="music_start", mode="sideways")
            mode = await recv_until(ws, "error")
            await send(ws, type="music_options", mode="lift")
            off = await recv_until(ws, "error")
            await send(ws, type="music_save")
            nothing = await recv_until(ws, "error")
            await send(ws, type="ping", t=1)
            pong = await recv_until(ws, "pong")
            return no_mood, arrangement, mode, off, nothing, pong

    no_mood, arrangement, mode, off, nothing, pong = asyncio.run(scenario())
    assert no_mood["code"] == "no_mood" and "face the camera" in no_mood["message"]
    assert arrangement["code"] == "unknown_arrangement" and "dubstep" in arrangement["message"]
    assert all(name in arrangement["message"] for name in ("mood", *ARRANGEMENT_NAMES))
    assert mode["code"] == "unknown_mode" and "follow, lift" in mode["message"]
    assert off["code"] == "music_off"
    assert nothing["code"] == "nothing_played"
    assert pong["t"] == 1


def test_music_follows_the_face_then_a_chosen_mood_bar_by_bar_and_is_kept_as_a_composition(live_server_asgi):
    user = make_user("listener")
    cookie = session_cookie(user)

    async def scenario():
        async with ws_connect(live_server_asgi, cookie=cookie) as ws:
            ready = await recv_json(ws)
            await ws.send(face_jpeg())
            await recv_until(ws, "result")
            await send(ws, type="music_start", style="chorale", arrangement="mood")
            started = await recv_until(ws, "music_started")
            happy = await bars(ws, 3)
            await send(ws, type="music_options", mood="sad")
            options = await recv_until(ws, "music_options")
            after = await bars(ws, 6)
            await send(ws, type="music_save", title="Rainy afternoon")
            saved = await recv_until(ws, "music_saved", timeout=120)
            await send(ws, type="music_stop")
            stopped = await recv_until(ws, "music_stopped")
            return ready, started, happy, options, after, saved, stopped

    ready, started, happy, options, after, saved, stopped = asyncio.run(scenario())
    assert started["follows"] == "face" and started["arrangement"] == "mood" and started["mode"] == "follow"
    assert options["follows"] == "sad"
    stream = happy + after
    assert [b["bar"] for b in stream] == list(range(len(stream)))
    for before, bar in zip(stream, stream[1:], strict=False):
        assert bar["start"] == pytest.approx(before["start"] + before["duration"], abs=1e-3)
    # every bar is sent before it starts (the player can queue it in time)
    assert all(b["sent_at"] < b["start"] for b in stream)
    assert happy[0]["mood"]["valence"] > 0.3 and happy[0]["mode"] == "major"
    for bar in stream:
        # "mood": each bar in the arrangement a composition for its mood gets
        assert bar["arrangement"] in ARRANGEMENT_NAMES
        channels = {part["channel"]: part for part in bar["parts"]}
        assert all(0 <= c < 16 and 0 <= p["program"] < 128 for c, p in channels.items())
        for note in bar["notes"]:
            assert len(note) == 6 and note[2] in channels and 0 < note[3] < 128 and 0 < note[4] <= 127
    assert happy[0]["arrangement"] == "acoustic" and after[-1]["arrangement"] == "strings"
    # the chosen mood is heard in the bars that follow: valence falls, the key turns minor
    assert after[-1]["target"]["label"] == "sad"
    assert after[-1]["mood"]["valence"] < happy[-1]["mood"]["valence"] - 0.5
    assert after[-1]["mode"] == "minor" and after[-1]["tempo"] < happy[-1]["tempo"]

    composition = Composition.objects.get(pk=saved["composition"]["id"])
    assert composition.owner == user and composition.source == "soundtrack"
    assert composition.mood_session_id == ready["session_id"]
    assert composition.status == "ready" and composition.title == "Rainy afternoon"
    assert composition.midi_file.name.endswith(".mid") and composition.audio_file.size > 1000
    assert 1 <= composition.bars <= len(stream)  # what had started playing, not what was queued
    assert composition.metrics["soundtrack"]["moods"]
    # the arrangement kept is the one most of the bars that played were in
    played = Counter(b["arrangement"] for b in stream[: composition.bars])
    assert composition.arrangement == played.most_common(1)[0][0]
    assert composition.metrics["soundtrack"]["arrangements"] == dict(played)
    assert stopped["bars"] >= len(stream) and stopped["late_bars"] == 0


def test_a_named_arrangement_streams_its_parts_with_drums_on_channel_10_and_is_kept(live_server_asgi):
    user = make_user("drummer")
    token = token_for(user)

    async def scenario():
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:
            await recv_json(ws)
            await send(ws, type="music_start", mood="excited", arrangement="beat")
            started = await recv_until(ws, "music_started")
            beat = await bars(ws, 3)
            await send(ws, type="music_options", arrangement="strings")
            await recv_until(ws, "music_options")
            later = await bars(ws, 3)
            await send(ws, type="music_options", arrangement="woodwinds")
            unknown = await recv_until(ws, "error")
            await send(ws, type="music_save")
            saved = await recv_until(ws, "music_saved", timeout=120)
            return started, beat, later, unknown, saved

    started, beat, later, unknown, saved = asyncio.run(scenario())
    assert started["arrangement"] == "beat"
    for bar in beat:
        assert bar["arrangement"] == "beat"
        assert [(p["channel"], p["drums"]) for p in bar["parts"]] == [
            (0, False),
            (1, False),
            (2, False),
            (9, True),
        ]
        assert any(note[2] == 9 for note in bar["notes"])  # the kit plays on GM channel 10
    # the change is heard from a following bar: the strings, no drums
    assert later[-1]["arrangement"] == "strings"
    assert [p["program"] for p in later[-1]["parts"]] == [40, 48, 42, 43]
    assert all(note[2] != 9 for note in later[-1]["notes"])
    assert unknown["code"] == "unknown_arrangement" and "beat" in unknown["message"]
    composition = Composition.objects.get(pk=saved["composition"]["id"])
    assert composition.arrangement in ("beat", "strings") and composition.owner == user


def test_a_player_that_never_confirms_bars_stops_the_music_with_an_error(live_server_asgi):
    token = token_for(make_user("deaf"))

    async def scenario():
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:
            await recv_json(ws)
            await send(ws, type="music_start", mood="excited")  # the fastest tempo: shortest test
            await recv_until(ws, "music_started")
            sent = await bars(ws, 8, ack=False)
            stalled = await recv_until(ws, "error", timeout=60)
            await asyncio.sleep(3)  # no more bars come
            await send(ws, type="ping", t="after")
            later = []
            while (message := await recv_json(ws))["type"] != "pong":
                later.append(message)
            await send(ws, type="music_start", mood="calm")  # music can start again
            restarted = await recv_until(ws, "music_started")
            return sent, stalled, later, restarted

    sent, stalled, later, restarted = asyncio.run(scenario())
    assert len(sent) == 8 and stalled["code"] == "music_stalled" and "music_ack" in stalled["message"]
    assert not [m for m in later if m["type"] == "music_bar"]
    assert restarted["follows"] == "calm"


def test_closing_the_socket_mid_phrase_closes_the_session_and_the_server_stays_up(live_server_asgi):
    user = make_user("leaver")
    token = token_for(user)

    async def scenario():
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:
            ready = await recv_json(ws)
            await send(ws, type="music_start", mood="happy")
            await bars(ws, 2)
        # gone mid-phrase; a new connection is served and makes music as before
        async with ws_connect(live_server_asgi, token=token, origin=None) as ws:
            await recv_json(ws)
            await send(ws, type="music_start", mood="calm")
            again = await bars(ws, 2)
        return ready, again

    ready, again = asyncio.run(scenario())
    assert len(again) == 2
    session = wait_until(
        lambda: MoodSession.objects.filter(pk=ready["session_id"], ended_at__isnull=False).first(),
        what="the session to close",
    )
    assert session.close_reason == "disconnect"
    log = live_server_asgi.log.read_text()
    assert "soundtrack failed" not in log and "Task was destroyed" not in log and "Traceback" not in log
