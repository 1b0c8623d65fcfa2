"""Latest frame wins, and what one connection keeps in memory."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ml.emotion.analyzer import FrameAnalysis
from moods.live import Frame, FrameSlot, LiveSession, result_message, wants_hands

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HAPPY = {
    "angry": 0.0,
    "disgust": 0.0,
    "fear": 0.0,
    "happy": 0.95,
    "sad": 0.0,
    "surprise": 0.0,
    "neutral": 0.05,
}


def frame(seq: int) -> Frame:
    return Frame(seq=seq, data=b"frame %d" % seq, received_at=float(seq))


def analysis(emotions=HAPPY, gesture=None) -> FrameAnalysis:
    has_face = emotions is not None
    return FrameAnalysis(
        face_box=(10, 10, 50, 50) if has_face else None,
        emotions=emotions,
        emotion="happy" if has_face else None,
        gesture=gesture,
        faces=int(has_face),
        image_size=(320, 240),
        timings_ms={"total": 12.0},
    )


def test_a_newer_frame_replaces_the_waiting_one():
    slot = FrameSlot()
    assert slot.offer(frame(1)) is None
    assert slot.offer(frame(2)).seq == 1  # frame 1 is dropped
    assert slot.offer(frame(3)).seq == 2
    assert asyncio.run(slot.take()).seq == 3
    assert not slot.waiting


def test_taking_waits_for_the_next_frame():
    async def scenario():
        slot = FrameSlot()
        taker = asyncio.create_task(slot.take())
        await asyncio.sleep(0.01)
        assert not taker.done()
        slot.offer(frame(5))
        return await asyncio.wait_for(taker, 1)

    assert asyncio.run(scenario()).seq == 5


def test_a_flood_keeps_one_frame_at_most():
    slot = FrameSlot()
    dropped = sum(slot.offer(frame(i)) is not None for i in range(1, 501))
    assert dropped == 499 and asyncio.run(slot.take()).seq == 500
    assert slot.discard() is None


def test_a_live_session_counts_frames_and_turns_its_window_into_a_reading():
    live = LiveSession(session_id=1)
    for _ in range(4):
        mood = live.record(analysis(), at=NOW)
    live.record(analysis(emotions=None), at=NOW)
    assert mood.label in {"happy", "excited"}
    assert live.counters.analysed == 5 and live.counters.with_face == 4
    reading = live.take_reading(now=NOW)
    assert reading.frames == 5 and reading.frames_with_face == 4
    assert sum(entry["frames"] for entry in reading.moods.values()) == 4  # the faceless frame did not vote
    assert live.take_reading(now=NOW) is None  # a new, empty window


def test_the_result_message_carries_seq_face_emotions_gesture_mood_and_drops():
    live = LiveSession(session_id=1)
    live.counters.dropped = 3
    live.record(analysis(gesture="thumbs_up"), at=NOW)
    found = analysis(gesture="thumbs_up")
    mood = live.record(found, at=NOW + timedelta(seconds=0.6))  # held long enough
    message = result_message(seq=9, analysis=found, mood=mood, latency_ms=14.234, counters=live.counters)
    assert message["type"] == "result" and message["seq"] == 9
    assert message["face"]["box"] == [10, 10, 50, 50]
    assert message["emotions"]["happy"] == 0.95 and message["gesture"] == "thumbs_up"
    assert message["mood"]["label"] == mood.label and message["latency_ms"] == 14.23
    assert message["dropped"] == 3 and message["frames"]["analysed"] == 2


def test_a_gesture_seen_for_a_moment_is_not_reported():
    live = LiveSession(session_id=1)
    glimpse = analysis(gesture="fist")
    live.record(glimpse, at=NOW)
    assert glimpse.gesture is None


def test_hands_are_looked_for_at_the_connections_own_rate_while_a_worker_is_free():
    assert wants_hands(since_last=0.25, hands_fps=4.0, workers_busy=False)
    assert not wants_hands(since_last=0.1, hands_fps=4.0, workers_busy=False)
    assert not wants_hands(since_last=10.0, hands_fps=0.0, workers_busy=False)  # gestures off


def test_when_every_worker_is_busy_hands_wait_up_to_the_maximum_gap():
    assert not wants_hands(since_last=0.5, hands_fps=4.0, workers_busy=True)
    assert wants_hands(since_last=2.0, hands_fps=4.0, workers_busy=True)
