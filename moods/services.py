"""Writes of the moods app: starting, recording and closing live sessions.

The consumer keeps a session's frames in memory (moods.live) and calls these services
every few seconds with one aggregated reading, and once at the end to close. A session
whose server died never gets that last call: `session_close_stale` closes it later from
the readings it did save (see docs/websocket.md, "Restarts").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from ml.emotion.personal import Correction, CorrectionError, PersonalCalibration, emotion_for_mood
from ml.mood import EMOTIONS, mood_named
from moods.aggregation import ReadingSummary, dominant_mood_of
from moods.models import MoodCorrection, MoodReading, MoodSession
from moods.selectors import personal_calibration_get

logger = logging.getLogger(__name__)


def reading_seconds() -> float:
    """How many seconds of frames one MoodReading aggregates (also the heartbeat period)."""
    return float(getattr(settings, "MOOD_READING_SECONDS", 5.0))


def stale_seconds() -> float:
    """An open session whose server has been silent this long is closed by the sweep."""
    return float(getattr(settings, "MOOD_SESSION_STALE_SECONDS", 60.0))


@transaction.atomic
def session_start(*, user: User, client: str = MoodSession.Client.COOKIE) -> MoodSession:
    """Open a new live session for `user` (`client` says how it authenticated).

    The session keeps the user's personal calibration as of now (fitted on their
    corrections so far): the consumer reads every frame of the session through it.
    """
    now = timezone.now()
    calibration = personal_calibration_get(user=user)
    session = MoodSession.objects.create(
        user=user,
        started_at=now,
        last_activity_at=now,
        client=client,
        calibration=calibration.to_dict() if any(calibration.bias) else None,
    )
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


@transaction.atomic
def session_mood_choose(
    *, user: User, mood: str, session_id: int | None = None, client: str = MoodSession.Client.COOKIE
) -> MoodSession:
    """Choose a mood by hand: it becomes the session's mood (moods.selectors.session_mood).

    With `session_id`, for that session of the user (Http404 for anyone else's), e.g. a
    live one; without, a new session that is only the choice (no camera: refused, absent
    or not wanted), closed at once. InvalidMood for a label outside the vocabulary.
    """
    label = mood_named(mood).label
    now = timezone.now()
    if session_id is None:
        session = MoodSession.objects.create(
            user=user,
            started_at=now,
            ended_at=now,
            last_activity_at=now,
            client=client,
            close_reason=MoodSession.CloseReason.CHOSEN,
            chosen_mood=label,
            chosen_at=now,
        )
    else:
        session = get_object_or_404(MoodSession.objects.select_for_update(), pk=session_id, user=user)
        session.chosen_mood, session.chosen_at = label, now
        session.save(update_fields=["chosen_mood", "chosen_at"])
    logger.info("mood session %s: user %s chose %s", session.pk, user.pk, label)
    return session


def _probabilities_clean(probabilities: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(probabilities, Mapping) or set(probabilities) != set(EMOTIONS):
        raise CorrectionError(f"Give the 7 emotion probabilities shown: {', '.join(EMOTIONS)}.")
    values = {}
    for name in EMOTIONS:
        value = probabilities[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise CorrectionError(f"The probability of {name} must be a number from 0 to 1.")
        values[name] = float(value)
    total = math.fsum(values.values())
    if not 0.97 <= total <= 1.03:  # the page shows them rounded
        raise CorrectionError(f"The 7 probabilities must add up to 1 (these add up to {total:.3f}).")
    return {name: value / total for name, value in values.items()}


@transaction.atomic
def mood_correction_create(
    *, user: User, session_id: int, probabilities: Mapping[str, float], felt_mood: str
) -> MoodCorrection:
    """ "That's not how I feel": store what was shown and the mood the user felt.

    `probabilities` are the 7 emotion probabilities the session showed at that moment.
    The felt mood also becomes the session's mood (the user told us). The user's next
    sessions are read through a calibration refitted with this correction (fitted on the
    model's own probabilities, i.e. with the session's calibration undone). Http404 for
    another user's session; InvalidMood / CorrectionError for bad input.
    """
    session = get_object_or_404(MoodSession.objects.select_for_update(), pk=session_id, user=user)
    label = mood_named(felt_mood).label
    shown = _probabilities_clean(probabilities)
    used = PersonalCalibration.from_dict(session.calibration or {})
    # apply() is softmax(log p + bias): the same with -bias gives the model's p back.
    model = PersonalCalibration(tuple(-b for b in used.bias)).apply(shown) if any(used.bias) else shown
    Correction(model, emotion_for_mood(label))  # validates the pair ml.emotion will fit on
    correction = MoodCorrection.objects.create(
        user=user,
        session=session,
        probabilities={k: round(v, 4) for k, v in shown.items()},
        model_probabilities={k: round(v, 4) for k, v in model.items()},
        felt_mood=label,
    )
    session.chosen_mood, session.chosen_at = label, correction.created_at
    session.save(update_fields=["chosen_mood", "chosen_at"])
    # Refit now (and cache), not in the next session's first second.
    transaction.on_commit(lambda: personal_calibration_get(user=user))
    logger.info(
        "mood correction %s (user %s, session %s): felt %s", correction.pk, user.pk, session.pk, label
    )
    return correction
