"""Reads of the moods app: a user's sessions, their timelines, and mood history.

Every selector takes the user and only ever sees that user's rows: another user's
session is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from ml.emotion.personal import Correction, PersonalCalibration, emotion_for_mood
from ml.mood import Mood, mood_named
from moods.aggregation import VERDICT_WORDS, dominant_mood_of, frame_counts, mood_distribution, mood_verdict
from moods.models import MoodCorrection, MoodReading, MoodSession

Bucket = Literal["session", "hour", "day"]
BUCKETS: tuple[str, ...] = ("session", "hour", "day")
MAX_HISTORY_DAYS = 366
# Days a date filter may name: far enough from datetime's limits (years 1 and 9999) that
# a range's "next day" or "30 days before" still exists (9999-12-31 + 1 day was a 500).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9000, 12, 31)
DAY_VALIDATORS = (MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY))


def session_list(
    *, user: User, started_after: datetime | None = None, started_before: datetime | None = None
) -> QuerySet[MoodSession]:
    """The user's sessions, newest first, optionally limited to a start-time range."""
    sessions = MoodSession.objects.filter(user=user)
    if started_after is not None:
        sessions = sessions.filter(started_at__gte=started_after)
    if started_before is not None:
        sessions = sessions.filter(started_at__lt=started_before)
    return sessions.order_by("-started_at", "-id")


def session_get(*, user: User, session_id: int) -> MoodSession:
    """One of the user's sessions; Http404 for a missing one or another user's."""
    return get_object_or_404(MoodSession, pk=session_id, user=user)


def session_readings(*, session: MoodSession) -> QuerySet[MoodReading]:
    """A session's readings in time order (its timeline)."""
    return session.readings.order_by("started_at", "id")


def session_mood(*, session: MoodSession) -> Mood | None:
    """A session's mood: the one chosen by hand if any, else its dominant measured mood
    (stored once closed, computed from readings while open)."""
    if session.chosen_mood:
        return mood_named(session.chosen_mood)
    if session.ended_at is not None:
        if not session.dominant_mood:
            return None
        return Mood(session.dominant_mood, session.dominant_valence, session.dominant_arousal)
    return dominant_mood_of(session.readings.values_list("moods", flat=True))


def session_latest_with_mood(*, user: User) -> tuple[MoodSession, Mood] | None:
    """The user's latest session that has a mood (open or closed), with that mood.

    None when none of the last 20 sessions ever saw a face or a gesture.
    """
    for session in session_list(user=user)[:20]:
        mood = session_mood(session=session)
        if mood is not None:
            return session, mood
    return None


def session_latest_mood(*, user: User) -> Mood | None:
    """The dominant mood of the user's latest session that has one, for "compose /
    recommend from my latest session"."""
    latest = session_latest_with_mood(user=user)
    return latest[1] if latest else None


def session_verdict(*, session: MoodSession) -> str | None:
    """A few kind words for the session ("mostly neutral", "calm, as you chose"); None
    when it has no mood (moods.aggregation.mood_verdict)."""
    if session.chosen_mood:
        return f"{VERDICT_WORDS[session.chosen_mood]}, as you chose"
    return mood_verdict(mood_distribution(session.readings.values_list("moods", flat=True)))


# A user's calibration is fitted on their latest corrections (older ones age out).
CALIBRATION_CORRECTIONS = 500
CALIBRATION_CACHE_SECONDS = 7 * 24 * 3600


def mood_correction_list(*, user: User) -> QuerySet[MoodCorrection]:
    """The user's "that's not how I feel" corrections, newest first."""
    return MoodCorrection.objects.filter(user=user).order_by("-id")


def personal_calibration_get(*, user: User) -> PersonalCalibration:
    """The user's personal calibration, fitted on their corrections (none: no change).

    Cached per user under the id of their latest correction, so a new correction is a
    new key: no process (web, socket server) ever serves a calibration older than the
    corrections in the database, whatever cache backend it has.
    """
    latest = mood_correction_list(user=user).values_list("id", flat=True).first()
    if latest is None:
        return PersonalCalibration()
    key = f"moods:calibration:{user.pk}:{latest}"
    cached = cache.get(key)
    if cached is not None:
        return PersonalCalibration.from_dict(cached)
    rows = mood_correction_list(user=user).values_list("model_probabilities", "felt_mood")
    corrections = [
        Correction(probabilities, emotion_for_mood(felt))
        for probabilities, felt in rows[:CALIBRATION_CORRECTIONS]
    ]
    calibration = PersonalCalibration.fit(corrections)
    cache.set(key, calibration.to_dict(), CALIBRATION_CACHE_SECONDS)
    return calibration


@dataclass(frozen=True)
class MoodHistory:
    """Mood over a time range: chart points, and the share of frames per mood."""

    start: datetime
    end: datetime
    bucket: str
    points: list[dict[str, Any]]
    distribution: dict[str, float]
    frames: dict[str, int]
    sessions: int
    dominant: Mood | None


def _bucket_start(at: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def mood_history(*, user: User, start: datetime, end: datetime, bucket: Bucket = "session") -> MoodHistory:
    """The user's mood between `start` and `end` (readings that started in the range).

    `bucket` groups the timeline: one point per session (at its start), per hour or per
    day (UTC). Each point is the dominant mood of its readings with its frame count;
    buckets without a face or gesture are left out. ValueError for a bad range/bucket.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of: {', '.join(BUCKETS)}.")
    if end <= start:
        raise ValueError("The end of the range must be after its start.")
    if end - start > timedelta(days=MAX_HISTORY_DAYS):
        raise ValueError(f"The range can span at most {MAX_HISTORY_DAYS} days.")
    rows = (
        MoodReading.objects.filter(session__user=user, started_at__gte=start, started_at__lt=end)
        .order_by("started_at", "id")
        .values_list("session_id", "session__started_at", "started_at", "moods")
    )
    groups: dict[Any, list[dict]] = defaultdict(list)
    keys: dict[Any, datetime] = {}
    sessions: set[int] = set()
    tables: list[dict] = []
    for session_id, session_started, started_at, moods in rows.iterator(chunk_size=2000):
        sessions.add(session_id)
        tables.append(moods)
        key = session_id if bucket == "session" else _bucket_start(started_at, bucket)
        keys.setdefault(key, session_started if bucket == "session" else key)
        groups[key].append(moods)
    points = []
    for key, group in groups.items():
        mood = dominant_mood_of(group)
        if mood is None:
            continue
        point = {
            "at": keys[key],
            "mood": mood.label,
            "valence": round(mood.valence, 4),
            "arousal": round(mood.arousal, 4),
            "frames": sum(frame_counts(group).values()),
        }
        if bucket == "session":
            point["session_id"] = key
        points.append(point)
    points.sort(key=lambda p: p["at"])
    return MoodHistory(
        start=start,
        end=end,
        bucket=bucket,
        points=points,
        distribution=mood_distribution(tables),
        frames=frame_counts(tables),
        sessions=len(sessions),
        dominant=dominant_mood_of(tables),
    )
