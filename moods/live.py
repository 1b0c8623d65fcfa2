"""In-memory state of one live session on one connection (no I/O, no database).

`FrameSlot` is the "latest frame wins" rule: one frame may wait while another is being
analysed; a newer frame replaces the waiting one, which is counted as dropped. So a
connection never holds more than two frames (one in analysis, one waiting), however
fast its client sends.

`LiveSession` folds analysed frames into the smoothed mood (ml.emotion.MoodTracker) and
the current reading window, and keeps the frame counters the session row stores.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ml.emotion.analyzer import FrameAnalysis
from ml.emotion.personal import PersonalCalibration
from ml.emotion.tracker import MoodTracker
from ml.mood import Mood
from moods.aggregation import ReadingSummary, ReadingWindow
from moods.protocol import HANDS_MAX_GAP


@dataclass(frozen=True)
class Frame:
    """A received binary frame waiting for analysis."""

    seq: int
    data: bytes
    received_at: float  # time.monotonic()


class FrameSlot:
    """Holds at most one waiting frame; a newer one replaces it (latest frame wins)."""

    def __init__(self) -> None:
        self._frame: Frame | None = None
        self._ready = asyncio.Event()

    def offer(self, frame: Frame) -> Frame | None:
        """Put a frame in the slot; returns the frame it replaced (now dropped), if any."""
        replaced, self._frame = self._frame, frame
        self._ready.set()
        return replaced

    async def take(self) -> Frame:
        """Wait for a frame and take it out of the slot."""
        while self._frame is None:
            self._ready.clear()
            await self._ready.wait()
        frame, self._frame = self._frame, None
        self._ready.clear()
        return frame

    def discard(self) -> Frame | None:
        """Empty the slot (at stop); returns the frame thrown away, if any."""
        frame, self._frame = self._frame, None
        return frame

    @property
    def waiting(self) -> bool:
        return self._frame is not None


@dataclass
class Counters:
    """Frame counters of a session (what the MoodSession row stores)."""

    received: int = 0
    analysed: int = 0
    dropped: int = 0
    rejected: int = 0
    with_face: int = 0

    def as_fields(self) -> dict[str, int]:
        return {
            "frames_received": self.received,
            "frames_analysed": self.analysed,
            "frames_dropped": self.dropped,
            "frames_rejected": self.rejected,
            "frames_with_face": self.with_face,
        }

    def as_message(self) -> dict[str, int]:
        return {
            "received": self.received,
            "analysed": self.analysed,
            "dropped": self.dropped,
            "rejected": self.rejected,
        }


@dataclass
class LiveSession:
    """One open session on one connection: tracker, reading window and counters.

    `calibration` is the user's personal calibration (from their corrections); the
    consumer reads each frame through `calibration.adjust` before recording and sending
    it. `shown` are the emotions of the last result sent with a face (what a
    "that's not how I feel" over the socket corrects).
    """

    session_id: int
    tracker: MoodTracker = field(default_factory=MoodTracker)
    window: ReadingWindow = field(default_factory=ReadingWindow)
    counters: Counters = field(default_factory=Counters)
    calibration: PersonalCalibration = field(default_factory=PersonalCalibration)
    shown: dict[str, float] | None = None
    closed: bool = False

    def record(self, analysis: FrameAnalysis, *, at: datetime) -> Mood:
        """Fold one analysed frame in; returns the smoothed mood to send back."""
        if analysis.emotions is not None:
            self.shown = analysis.emotions
        mood = self.tracker.update(analysis, at=at.timestamp())
        # Only a gesture held long enough counts, and only that one is reported back.
        gesture = analysis.gesture = self.tracker.gesture
        voted = analysis.emotions is not None or gesture is not None
        self.window.add(at=at, emotions=analysis.emotions, gesture=gesture, mood=mood if voted else None)
        self.counters.analysed += 1
        if analysis.emotions is not None:
            self.counters.with_face += 1
        return mood

    def take_reading(self, *, now: datetime) -> ReadingSummary | None:
        """The current window as a reading (None if empty); a new window starts."""
        summary = self.window.summary(ended_at=now)
        self.window = ReadingWindow()
        self.tracker.reset_window()
        return summary


def wants_hands(*, since_last: float, hands_fps: float, workers_busy: bool) -> bool:
    """Should this frame also go through the hand model?

    `since_last`: seconds since this connection last looked for hands. Look when
    `hands_fps` says it is time (with a 25% jitter tolerance, so 4 looks a second at 8
    frames a second is every 2nd frame), unless every analysis worker is busy; then only
    after HANDS_MAX_GAP seconds. `hands_fps` 0 never looks.
    """
    if hands_fps <= 0:
        return False
    if since_last >= HANDS_MAX_GAP:
        return True
    return not workers_busy and since_last >= 0.8 / hands_fps


def result_message(
    *, seq: int, analysis: FrameAnalysis, mood: Mood, latency_ms: float, counters: Counters
) -> dict[str, Any]:
    """The JSON answer to one analysed frame (see docs/websocket.md)."""
    emotions = analysis.emotions
    return {
        "type": "result",
        "seq": seq,
        "face": (
            {"box": list(analysis.face_box), "score": round(analysis.face_score or 0.0, 4)}
            if analysis.face_box is not None
            else None
        ),
        "faces": analysis.faces,
        "emotions": {k: round(v, 4) for k, v in emotions.items()} if emotions is not None else None,
        "emotion": analysis.emotion,
        "gesture": analysis.gesture,
        "mood": {"label": mood.label, "valence": round(mood.valence, 4), "arousal": round(mood.arousal, 4)},
        "latency_ms": round(latency_ms, 2),
        "timings_ms": {k: round(v, 2) for k, v in analysis.timings_ms.items()},
        "dropped": counters.dropped,
        "frames": counters.as_message(),
    }
