"""Sessions and readings built through the moods services (no live socket needed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from accounts.models import User
from ml.mood import Mood
from moods.aggregation import ReadingSummary
from moods.models import MoodSession
from moods.services import session_close, session_record_reading, session_start


def reading(label: str, frames: int, valence: float, arousal: float, *, at: datetime) -> ReadingSummary:
    return ReadingSummary(
        started_at=at,
        ended_at=at + timedelta(seconds=5),
        frames=frames,
        frames_with_face=frames,
        mood=Mood(label, valence, arousal),
        emotions=None,
        moods={label: {"frames": frames, "valence": valence, "arousal": arousal}},
        gestures={},
    )


def make_session(
    user: User,
    readings: list[tuple[str, int, float, float]],
    *,
    started_at: datetime | None = None,
    close=True,
) -> MoodSession:
    """A session with one reading per (label, frames, valence, arousal), 5 s apart.

    `started_at` moves the session into the past (services always start "now").
    """
    session = session_start(user=user, client="token")
    if started_at is not None:
        MoodSession.objects.filter(pk=session.pk).update(started_at=started_at, last_activity_at=started_at)
        session.refresh_from_db()
    at = session.started_at
    for index, (label, frames, valence, arousal) in enumerate(readings):
        session_record_reading(
            session_id=session.pk,
            reading=reading(label, frames, valence, arousal, at=at + timedelta(seconds=5 * index)),
            counters={"frames_received": 0},
        )
    if close:
        end = at + timedelta(seconds=5 * len(readings))
        session = session_close(session_id=session.pk, reason="stop", ended_at=end)
    session.refresh_from_db()
    return session
