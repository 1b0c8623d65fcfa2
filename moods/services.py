"""Writes of the moods app: starting, recording and closing live sessions.

The consumer keeps a session's frames in memory (moods.live) and calls these services
every few seconds with one aggregated reading, and once at the end to close. A session
whose server died never gets that last call: `session_close_stale` closes it later from
the readings it did save (see docs/websocket.md, "Restarts").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from moods.aggregation import ReadingSummary, dominant_mood_of
from moods.models import MoodReading, MoodSession

logger = logging.getLogger(__name__)


def reading_seconds() -> float:
    """How many seconds of frames one MoodReading aggregates (also the heartbeat period)."""
    return float(getattr(settings, "MOOD_READING_SECONDS", 5.0))


def stale_seconds() -> float:
    """An open session whose server has been silent this long is closed by the sweep."""
    return float(getattr(settings, "MOOD_SESSION_STALE_SECONDS", 60.0))


@transaction.atomic
def session_start(*, user: User, client: str = MoodSession.Client.COOKIE) -> MoodSession:
    """Open a new live session for `user` (`client` says how it authenticated)."""
    now = timezone.now()
    session = MoodSession.objects.create(user=user, started_at=now, last_activity_at=now, client=client)
    logger.info("mood session %s started (user %s, %s)", session.pk, user.pk, client)
    return session


def _reading_create(*, session: MoodSession, reading: ReadingSummary) -> MoodReading:
    mood = reading.mood
    return MoodReading.objects.create(
        session=session,
        started_at=reading.started_at,
        ended_at=reading.ended_at,
        frames=reading.frames,
        frames_with_face=reading.frames_with_face,
        mood=mood.label if mood else "",
        valence=mood.valence if mood else None,
        arousal=mood.arousal if mood else None,
        emotions=reading.emotions,
        moods=reading.moods,
        gestures=reading.gestures,
    )


@transaction.atomic
def session_record_reading(
    *, session_id: int, reading: ReadingSummary | None, counters: dict[str, int]
) -> MoodReading | None:
    """Save one reading (if any) and the frame counters; also the session's heartbeat.

    Does nothing to a session that is already closed (the sweep may have closed it
    while its server was unreachable); returns the reading saved, or None.
    """
    session = MoodSession.objects.select_for_update().filter(pk=session_id, ended_at__isnull=True).first()
    if session is None:
        return None
    saved = _reading_create(session=session, reading=reading) if reading is not None else None
    for name, value in counters.items():
        setattr(session, name, value)
    session.last_activity_at = timezone.now()
    session.save(update_fields=[*counters, "last_activity_at"])
    return saved


@transaction.atomic
def session_close(
    *,
    session_id: int,
    reason: str,
    reading: ReadingSummary | None = None,
    counters: dict[str, int] | None = None,
    ended_at: datetime | None = None,
    stale_before: datetime | None = None,
) -> MoodSession:
    """Close a session: save its last reading and counters, set its dominant mood.

    The dominant mood is computed from all its saved readings
    (moods.aggregation.dominant_mood_of); blank when no frame showed a face or a
    gesture. Closing an already closed session changes nothing (idempotent); with
    `stale_before`, a session that reported at or after that time is left open (the
    sweep re-checks under the row lock, so it never closes a session that just spoke).
    """
    session = MoodSession.objects.select_for_update().get(pk=session_id)
    if session.ended_at is not None:
        return session
    if stale_before is not None and session.last_activity_at >= stale_before:
        return session
    if reading is not None:
        _reading_create(session=session, reading=reading)
    for name, value in (counters or {}).items():
        setattr(session, name, value)
    dominant = dominant_mood_of(session.readings.values_list("moods", flat=True))
    session.dominant_mood = dominant.label if dominant else ""
    session.dominant_valence = dominant.valence if dominant else None
    session.dominant_arousal = dominant.arousal if dominant else None
    session.ended_at = max(ended_at or timezone.now(), session.started_at)
    session.close_reason = reason
    session.save()
    logger.info(
        "mood session %s closed (%s): %s, %s frames analysed",
        session.pk,
        reason,
        session.dominant_mood or "no mood",
        session.frames_analysed,
    )
    return session


def session_close_stale(*, older_than: timedelta | None = None) -> int:
    """Close open sessions whose server stopped reporting (restart, crash, lost network).

    A connected session reports every `reading_seconds()`; one silent for
    `stale_seconds()` has lost its server. It is closed as of its last report, with the
    dominant mood of the readings it saved. Returns how many sessions were closed.
    """
    cutoff = timezone.now() - (older_than if older_than is not None else timedelta(seconds=stale_seconds()))
    stale = list(
        MoodSession.objects.filter(ended_at__isnull=True, last_activity_at__lt=cutoff).values_list(
            "pk", "last_activity_at"
        )
    )
    count = 0
    for pk, last_activity_at in stale:
        closed = session_close(
            session_id=pk,
            reason=MoodSession.CloseReason.STALE,
            ended_at=last_activity_at,
            stale_before=cutoff,
        )
        count += closed.ended_at is not None
    return count
