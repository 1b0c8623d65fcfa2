"""Writes and business rules of compositions: create, rename, favourite, delete, the job.

The job (`composition_job_run`, called by the Celery task) is idempotent:
- a delivery *claims* the row (status running, its token, a heartbeat) under a row lock;
  a finished row, or one another live delivery is working on, is left alone;
- files go to deterministic storage names, so a re-run overwrites them and never adds any;
- the final write checks the claim is still ours; a row deleted meanwhile has the files
  just written removed again, so no file outlives its row.
A job whose worker died stops heart-beating; `composition_sweep` re-queues it (or fails it
after COMPOSITION_MAX_ATTEMPTS starts), so no job stays queued or running for ever.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from compositions import progress
from compositions.models import Composition
from ml.mood import Mood, mood_at, mood_named
from ml.music.config import MAX_BARS, MAX_TEMPO, MIN_BARS, MIN_TEMPO, STYLES
from ml.music.errors import InvalidArrangement, InvalidBars, InvalidStyle, InvalidTempo
from ml.music.generate import LENGTHS, bars_for_length, tempo_for
from ml.music.instrumentation import ARRANGEMENT_NAMES

logger = logging.getLogger(__name__)

MAX_SEED = 2**31 - 1
DEFAULT_BARS = 8
# What the owner reads when the job's process died (segfault, out of memory, killed) on
# every one of its COMPOSITION_MAX_ATTEMPTS tries: a "poison" piece never loops.
CRASH_MESSAGE = (
    "The composer stopped unexpectedly several times while making this piece. "
    "Please try again, perhaps with fewer bars or another seed."
)
Stage = Composition.Stage
Status = Composition.Status


class CompositionLimitReached(Exception):
    """The user already has the maximum number of compositions in progress."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"You already have {limit} compositions in progress. Wait for one to finish, then try again."
        )


# --- Creating and changing ---------------------------------------------------------------


def mood_resolve(
    *,
    user: Any,
    mood: str | None = None,
    valence: float | None = None,
    arousal: float | None = None,
    from_latest_session: bool = False,
    session_id: int | None = None,
) -> tuple[Mood, Any]:
    """The mood a composition is for, and the mood session it came from (or None).

    Exactly one source: a label and/or valence+arousal, the user's latest session, or one
    of the user's sessions by id (another user's session is a 404, never a leak).
    """
    explicit = mood is not None or valence is not None or arousal is not None
    sources = sum([explicit, bool(from_latest_session), session_id is not None])
    if sources != 1:
        raise ValidationError(
            {"mood": ["Give a mood (or valence and arousal), or from_latest_session, or session_id."]}
        )
    if from_latest_session or session_id is not None:
        from moods import selectors as mood_selectors

        if session_id is not None:
            session = mood_selectors.session_get(user=user, session_id=session_id)
            found = mood_selectors.session_mood(session=session)
            if found is None:
                raise ValidationError(
                    {"session_id": ["That session has no mood yet (no face or gesture was seen)."]}
                )
            return found, session
        latest = mood_selectors.session_latest_with_mood(user=user)
        if latest is not None:
            session, found = latest
            return found, session
        raise ValidationError(
            {"from_latest_session": ["You have no mood session yet: start a live session or pick a mood."]}
        )
    if (valence is None) != (arousal is None):
        raise ValidationError({"mood": ["Give both valence and arousal, or neither."]})
    if valence is None:
        return mood_named(mood), None
    if mood is None:
        return mood_at(valence, arousal), None
    return Mood(label=str(mood).strip().lower(), valence=float(valence), arousal=float(arousal)), None


def composition_params_clean(
    *,
    style: str,
    bars: int | None,
    tempo: int | None,
    seed: int | None,
    length: str | None = None,
    arrangement: str | None = None,
) -> dict:
    """Validated style/bars/length/tempo/seed/arrangement; raises the ml library's own
    errors for bad values. `bars` stays None when a `length` is asked for (its bars
    depend on the tempo, see `composition_bars_resolve`)."""
    style = str(style).strip().lower()
    if style not in STYLES:
        raise InvalidStyle(f"Unknown style {style!r}; choose one of: {', '.join(STYLES)}.")
    if bars is not None and length:
        raise ValidationError({"length": ["Give a length or a number of bars, not both."]})
    if length and length not in LENGTHS:
        raise InvalidBars(f"Unknown length {length!r}; choose one of: {', '.join(LENGTHS)}, or give bars.")
    if not length and bars is None:
        bars = DEFAULT_BARS
    if bars is not None and (
        isinstance(bars, bool) or not isinstance(bars, int) or not MIN_BARS <= bars <= MAX_BARS
    ):
        raise InvalidBars(f"A piece has {MIN_BARS} to {MAX_BARS} bars.")
    if tempo is not None and (
        isinstance(tempo, bool) or not isinstance(tempo, int) or not MIN_TEMPO <= tempo <= MAX_TEMPO
    ):
        raise InvalidTempo(f"Tempo must be between {MIN_TEMPO} and {MAX_TEMPO} beats per minute.")
    arrangement = str(arrangement or "").strip().lower()
    if arrangement and arrangement not in ARRANGEMENT_NAMES:
        raise InvalidArrangement(
            f"Unknown arrangement {arrangement!r}; choose one of: {', '.join(ARRANGEMENT_NAMES)}."
        )
    if seed is None:
        seed = random.randint(0, MAX_SEED)
    elif isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValidationError({"seed": [f"Seed must be a whole number from 0 to {MAX_SEED}."]})
    return {
        "style": style,
        "bars": bars,
        "length": length or "",
        "tempo": tempo,
        "seed": seed,
        "arrangement": arrangement,
    }


def composition_bars_resolve(*, bars: int | None, length: str, tempo: int | None, mood: Mood) -> int:
    """The bars of the piece: as asked, or the asked length at the piece's tempo (the
    given one, else the mood's), so the piece lasts what the listener asked for."""
    if not length:
        return bars
    try:
        return bars_for_length(length, tempo or tempo_for(mood))
    except InvalidBars as error:  # too long at that tempo: the length field's fault
        raise ValidationError({"length": [str(error)]}) from error


@transaction.atomic
def composition_create(
    *,
    user: Any,
    style: str,
    mood: str | None = None,
    valence: float | None = None,
    arousal: float | None = None,
    from_latest_session: bool = False,
    session_id: int | None = None,
    bars: int | None = None,
    length: str | None = None,
    arrangement: str | None = None,
    tempo: int | None = None,
    seed: int | None = None,
    title: str = "",
) -> Composition:
    """Queue a new composition for a mood; the job starts once this transaction commits.

    Its length is `bars` or a named `length` ("30s", "1min", "2min", "3min"; at most one
    of them, 8 bars when neither); `arrangement` names its instruments (blank: the mood's).
    Raises InvalidMood/InvalidStyle/InvalidBars/InvalidTempo/InvalidArrangement or
    ValidationError for bad input, CompositionLimitReached when the user has too many
    jobs in flight.
    """
    params = composition_params_clean(
        style=style, bars=bars, tempo=tempo, seed=seed, length=length, arrangement=arrangement
    )
    found_mood, session = mood_resolve(
        user=user,
        mood=mood,
        valence=valence,
        arousal=arousal,
        from_latest_session=from_latest_session,
        session_id=session_id,
    )
    params["bars"] = composition_bars_resolve(
        bars=params["bars"], length=params["length"], tempo=params["tempo"], mood=found_mood
    )
    title = " ".join(str(title or "").split())[:120] or f"{found_mood.label.capitalize()} {params['style']}"

    # Lock the user's row so two simultaneous requests cannot both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.COMPOSITIONS_MAX_IN_FLIGHT
    if Composition.objects.filter(owner=user, status__in=Composition.IN_FLIGHT).count() >= limit:
        raise CompositionLimitReached(limit)

    composition = Composition.objects.create(
        owner=user,
        title=title,
        mood_label=found_mood.label,
        valence=found_mood.valence,
        arousal=found_mood.arousal,
        heartbeat_at=timezone.now(),
        mood_session=session,
        **params,
    )
    # Callbacks run in order: the page hears "queued" before any worker can say more.
    transaction.on_commit(lambda: progress.publish(composition))
    _enqueue_on_commit(composition.pk)
    logger.info("composition %s queued for user %s", composition.pk, user.pk)
    return composition


def _enqueue_on_commit(composition_id: int) -> None:
    def start() -> None:
        from compositions.tasks import composition_generate_task
        from echoes_site.celery import enqueue

        try:
            enqueue(composition_generate_task, composition_id)
        except Exception:
            logger.exception("could not enqueue composition %s; the sweep will retry", composition_id)

    transaction.on_commit(start)


@transaction.atomic
def composition_rename(*, composition: Composition, title: str) -> Composition:
    """Give a composition a new title (1-120 characters, whitespace collapsed)."""
    title = " ".join(str(title or "").split())
    if not title:
        raise ValidationError({"title": ["A title cannot be empty."]})
    if len(title) > 120:
        raise ValidationError({"title": ["A title can have at most 120 characters."]})
    Composition.objects.filter(pk=composition.pk).update(title=title)
    composition.title = title
    return composition


@transaction.atomic
def composition_favourite_set(*, composition: Composition, favourite: bool) -> Composition:
    """Mark or unmark a composition as a favourite."""
    Composition.objects.filter(pk=composition.pk).update(favourite=bool(favourite))
    composition.favourite = bool(favourite)
    return composition


@transaction.atomic
def composition_delete(*, composition: Composition) -> None:
    """Delete a composition and, once that is committed, its files.

    Files are removed by their deterministic names, so even a file a running job wrote
    but had not yet recorded goes too; the job itself removes anything it writes after
    this (it finds its row gone).
    """
    names = list(composition.storage_names().values())
    Composition.objects.filter(pk=composition.pk).delete()
    transaction.on_commit(lambda: storage_delete_names(names))


def storage_delete_names(names: list[str]) -> None:
    """Delete these storage names, logging (not raising) failures: the row is gone already."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete stored file %s", name)


# --- The job ------------------------------------------------------------------------------


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.COMPOSITION_STALE_SECONDS)


def composition_job_claim(*, composition_id: int, job_token: str) -> Composition | None:
    """Take the job for this delivery, or None when there is nothing for it to do.

    Nothing to do: the row is gone, finished, or running under another delivery that is
    still alive (fresh heartbeat). The same token (a redelivered message) takes over.
    """
    now = timezone.now()
    with transaction.atomic():
        composition = Composition.objects.select_for_update().filter(pk=composition_id).first()
        if composition is None or composition.status in (Status.READY, Status.FAILED):
            return None
        if (
            composition.status == Status.RUNNING
            and composition.job_token != job_token
            and composition.heartbeat_at is not None
            and composition.heartbeat_at >= _stale_before(now)
        ):
            return None
        if composition.attempts >= settings.COMPOSITION_MAX_ATTEMPTS:
            _fail_locked(composition, CRASH_MESSAGE)
            fail = True
        else:
            composition.status = Status.RUNNING
            composition.stage = Stage.GENERATING
            composition.job_token = job_token
            composition.attempts += 1
            composition.started_at = now
            composition.heartbeat_at = now
            composition.error_message = ""
            composition.save(
                update_fields=[
                    "status",
                    "stage",
                    "job_token",
                    "attempts",
                    "started_at",
                    "heartbeat_at",
                    "error_message",
                ]
            )
            fail = False
    progress.publish(composition)
    return None if fail else composition


def composition_job_stage(*, composition: Composition, stage: str) -> None:
    """Record and publish the stage a running job reached (also a heartbeat)."""
    composition.stage = stage
    composition.heartbeat_at = timezone.now()
    Composition.objects.filter(pk=composition.pk, job_token=composition.job_token).update(
        stage=stage, heartbeat_at=composition.heartbeat_at
    )
    progress.publish(composition)


def _fail_locked(composition: Composition, message: str) -> None:
    composition.status = Status.FAILED
    composition.stage = Stage.FAILED
    composition.error_message = message[:500]
    composition.finished_at = timezone.now()
    composition.save(update_fields=["status", "stage", "error_message", "finished_at"])
    # A failed piece has no files: remove whatever an attempt saved before it broke off.
    names = list(composition.storage_names().values())
    transaction.on_commit(lambda: storage_delete_names(names))


def composition_job_fail(*, composition_id: int, message: str, job_token: str | None = None) -> bool:
    """End a job as failed with a user-readable message (unless it finished or was taken over)."""
    with transaction.atomic():
        composition = Composition.objects.select_for_update().filter(pk=composition_id).first()
        if composition is None or composition.status in (Status.READY, Status.FAILED):
            return False
        if job_token is not None and composition.job_token not in ("", job_token):
            return False
        _fail_locked(composition, message)
    logger.info("composition %s failed: %s", composition_id, message)
    progress.publish(composition)
    return True


def composition_job_requeue(*, composition_id: int, job_token: str, message: str) -> None:
    """Put a job back to queued while Celery retries it after a transient error."""
    updated = Composition.objects.filter(
        pk=composition_id, status=Status.RUNNING, job_token=job_token
    ).update(
        status=Status.QUEUED, stage=Stage.QUEUED, heartbeat_at=timezone.now(), error_message=message[:500]
    )
    if updated:
        composition = Composition.objects.filter(pk=composition_id).first()
        if composition is not None:
            progress.publish(composition)


class _Heartbeat:
    """Bumps heartbeat_at every few seconds while a job runs, so the sweep can tell a
    slow job (alive) from one whose worker died (silent), whatever the job's length."""

    def __init__(self, composition: Composition):
        self.composition = composition
        self.interval = max(1.0, settings.COMPOSITION_STALE_SECONDS / 3)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="composition-heartbeat", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                Composition.objects.filter(
                    pk=self.composition.pk, job_token=self.composition.job_token, status=Status.RUNNING
                ).update(heartbeat_at=timezone.now())
        except Exception:
            logger.warning("heartbeat of composition %s failed", self.composition.pk, exc_info=True)
        finally:
            close_old_connections()
            from django.db import connection

            connection.close()

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class RenderedPiece:
    midi: bytes
    audio: bytes
    piano_roll: bytes
    duration_seconds: float
    metrics: dict
    form: dict = field(default_factory=dict)
    arrangement: str = ""


def _json_safe(value: Any) -> Any:
    """Metrics may hold numpy scalars/arrays; store plain JSON."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


def composition_render(*, composition: Composition) -> RenderedPiece:
    """Generate the piece and its MIDI, audio and piano roll (stages generating, rendering)."""
    from ml import music  # heavy (TensorFlow): imported only where jobs run

    piece = music.generate(
        mood=Mood(composition.mood_label, composition.valence, composition.arousal),
        style=composition.style,
        bars=composition.bars,
        tempo=composition.tempo,
        seed=composition.seed,
        arrangement=composition.arrangement or None,
    )
    composition_job_stage(composition=composition, stage=Stage.RENDERING)
    _fault_injection(composition)
    midi = music.to_midi(piece)
    # Audio (FluidSynth + encoder, mostly outside the GIL) and the picture (matplotlib)
    # are independent: render them side by side to use both cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="composition-audio") as pool:
        audio = pool.submit(
            music.render_audio,
            midi,
            fmt="ogg",
            soundfont=settings.SOUNDFONT_PATH,
            loudness_db=music.loudness_db(piece.mood),
        )
        piano_roll = music.piano_roll_png(piece)
        audio_bytes = audio.result()
        rendered = RenderedPiece(
            midi=music.midi_bytes(piece),
            audio=audio_bytes,
            piano_roll=piano_roll,
            # What the player will show: the file's length, release tail included.
            duration_seconds=music.audio_duration(audio_bytes),
            metrics=_json_safe(music.piece_metrics(piece)),
            form=piece.form.to_json() if piece.form else {},
            arrangement=piece.arrangement or "",
        )
    return rendered


def _fault_injection(composition: Composition) -> None:
    """Tests' and benchmarks' hook (COMPOSITION_FAULT_INJECTION="<kind>:<seed>"): the job
    process of a piece with that seed dies or hangs mid-render, as a native library's bug
    (the Vorbis encoder's stack overflow) once made it do."""
    kind, _, seed = settings.COMPOSITION_FAULT_INJECTION.partition(":")
    if not kind or seed != str(composition.seed):
        return
    logger.warning("composition %s: injected fault %r in process %s", composition.pk, kind, os.getpid())
    if kind == "abort":
        os.abort()
    elif kind == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "hang":
        while True:
            time.sleep(3600)


def _store(name: str, data: bytes) -> str:
    """Write `data` at exactly `name`, replacing what is there (never a second file)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        # A concurrent run of the same job wrote `name` between our delete and save; its
        # content is the same (same seed), so drop our copy rather than keep a duplicate.
        default_storage.delete(saved)
    return name


def composition_job_save(*, composition: Composition, rendered: RenderedPiece) -> Composition | None:
    """Store the files and mark the composition ready (stage saving). None if it was deleted
    or taken over meanwhile (then files written for a deleted row are removed again)."""
    composition_job_stage(composition=composition, stage=Stage.SAVING)
    names = composition.storage_names()
    _store(names["midi"], rendered.midi)
    _store(names["audio"], rendered.audio)
    _store(names["piano_roll"], rendered.piano_roll)
    with transaction.atomic():
        current = Composition.objects.select_for_update().filter(pk=composition.pk).first()
        if current is None:
            transaction.on_commit(lambda: storage_delete_names(list(names.values())))
            logger.info("composition %s was deleted while it was being made", composition.pk)
            return None
        if current.job_token != composition.job_token or current.status != Status.RUNNING:
            # Another delivery owns it now; the files are the same names, nothing to undo.
            return None
        current.midi_file.name = names["midi"]
        current.audio_file.name = names["audio"]
        current.piano_roll.name = names["piano_roll"]
        current.duration_seconds = rendered.duration_seconds
        current.metrics = rendered.metrics
        current.form = rendered.form
        current.arrangement = rendered.arrangement  # the mood's, when none was asked for
        current.status = Status.READY
        current.stage = Stage.READY
        current.error_message = ""
        current.finished_at = timezone.now()
        current.heartbeat_at = current.finished_at
        current.save()
    progress.publish(current)
    return current


def composition_job_run(*, composition_id: int, job_token: str) -> Composition | None:
    """Make one composition from start to finish; safe to call again for the same id.

    ml errors (bad parameters, missing weights or SoundFont) fail the job with their
    message; transient errors (database, storage) propagate for the task to retry.
    """
    from ml.errors import MLError

    composition = composition_job_claim(composition_id=composition_id, job_token=job_token)
    if composition is None:
        return None
    started = time.perf_counter()
    with _Heartbeat(composition):
        try:
            rendered = composition_render(composition=composition)
        except MLError as error:
            composition_job_fail(composition_id=composition_id, message=str(error), job_token=job_token)
            return None
        rendered_at = time.perf_counter()
        result = composition_job_save(composition=composition, rendered=rendered)
    logger.info(
        "composition %s (user %s, attempt %s) %s: generate+render %.2f s, save %.2f s",
        composition_id,
        composition.owner_id,
        composition.attempts,
        result.status if result is not None else "dropped",
        rendered_at - started,
        time.perf_counter() - rendered_at,
    )
    return result


# --- Keeping a live soundtrack ------------------------------------------------------------


def soundtrack_render(*, bars: list, style: str) -> tuple[RenderedPiece, dict]:
    """MIDI, audio, piano roll and metrics of the bars a live soundtrack played.

    Returns the files and the composition's fields that describe it (mood, tempo, bars).
    The arrangement kept is the one most bars played in ("mood" may have changed it; the
    bars of each are in `metrics.soundtrack.arrangements`). Heavy (FluidSynth, the
    encoder, matplotlib): call it from a worker thread.
    """
    from collections import Counter
    from statistics import median

    from ml import music
    from ml.music.stream import bars_pitches, bars_to_midi

    midi = bars_to_midi(bars)
    labels = Counter(bar.mood.label for bar in bars)
    arrangements = Counter(bar.arrangement for bar in bars)
    label = labels.most_common(1)[0][0]
    chosen = [bar.mood for bar in bars if bar.mood.label == label]
    mood = Mood(
        label, sum(m.valence for m in chosen) / len(chosen), sum(m.arousal for m in chosen) / len(chosen)
    )
    tempo = int(round(median(bar.tempo for bar in bars)))
    piece = music.Piece(
        pianoroll=None,
        pitches=bars_pitches(bars),
        tracks=music.TRACKS,
        tempo=tempo,
        key=bars[-1].key,
        mood=mood,
        style=style,
        bars=len(bars),
    )
    audio = music.render_audio(midi, fmt="ogg", soundfont=settings.SOUNDFONT_PATH)
    buffer = io.BytesIO()
    midi.write(buffer)
    metrics = _json_safe(music.piece_metrics(piece))
    metrics["soundtrack"] = {
        "moods": dict(labels),
        "arrangements": dict(arrangements),
        "keys": sorted({bar.key for bar in bars}),
        "tempo_range": [min(bar.tempo for bar in bars), max(bar.tempo for bar in bars)],
        "phrases": len({bar.phrase for bar in bars}),
    }
    rendered = RenderedPiece(
        midi=buffer.getvalue(),
        audio=audio,
        piano_roll=music.piano_roll_png(piece),
        duration_seconds=music.audio_duration(audio),
        metrics=metrics,
        arrangement=arrangements.most_common(1)[0][0],
    )
    return rendered, {"mood": mood, "tempo": tempo, "bars": len(bars)}


def composition_soundtrack_save(
    *,
    user: Any,
    session_id: int | None,
    rendered: RenderedPiece,
    mood: Mood,
    style: str,
    tempo: int,
    bars: int,
    seed: int,
    title: str = "",
) -> Composition:
    """Keep what a live soundtrack played as a ready composition in the user's library.

    Linked to the mood session it followed (one of the user's own; another user's id is
    a 404), in the arrangement it played (`rendered.arrangement`). Files go to the
    composition's deterministic names, as a job's would.
    """
    from moods import selectors as mood_selectors

    session = mood_selectors.session_get(user=user, session_id=session_id) if session_id else None
    title = " ".join(str(title or "").split())[:120] or f"Soundtrack: {mood.label}"
    now = timezone.now()
    with transaction.atomic():
        composition = Composition.objects.create(
            owner=user,
            title=title,
            mood_label=mood.label,
            valence=max(-1.0, min(1.0, mood.valence)),
            arousal=max(-1.0, min(1.0, mood.arousal)),
            style=style,
            arrangement=rendered.arrangement,
            tempo=max(MIN_TEMPO, min(MAX_TEMPO, tempo)),
            bars=bars,
            seed=seed,
            source=Composition.Source.SOUNDTRACK,
            mood_session=session,
            status=Status.RUNNING,
            stage=Stage.SAVING,
            started_at=now,
            heartbeat_at=now,
        )
    names = composition.storage_names()
    try:
        _store(names["midi"], rendered.midi)
        _store(names["audio"], rendered.audio)
        _store(names["piano_roll"], rendered.piano_roll)
    except Exception:
        composition.delete()
        storage_delete_names(list(names.values()))
        raise
    composition.midi_file.name = names["midi"]
    composition.audio_file.name = names["audio"]
    composition.piano_roll.name = names["piano_roll"]
    composition.duration_seconds = rendered.duration_seconds
    composition.metrics = rendered.metrics
    composition.status = Status.READY
    composition.stage = Stage.READY
    composition.finished_at = timezone.now()
    composition.save()
    progress.publish(composition)
    logger.info(
        "soundtrack of session %s kept as composition %s (user %s)", session_id, composition.pk, user.pk
    )
    return composition


# --- Recovering jobs whose worker died ------------------------------------------------------


@dataclass
class SweepResult:
    requeued: list[int]
    failed: list[int]


def composition_sweep(*, now: datetime | None = None, enqueue: bool = True) -> SweepResult:
    """Re-queue (or fail, after too many starts) in-flight jobs that show no sign of life.

    Running with a heartbeat older than COMPOSITION_STALE_SECONDS: its worker died
    (SIGKILL, OOM, host lost). Queued and untouched for 10x that: its message was lost
    (broker restarted without persistence, or the enqueue failed). Safe to run anywhere,
    any number of times at once: rows are locked with SKIP LOCKED and the job is idempotent.
    """
    now = now or timezone.now()
    stale_running = _stale_before(now)
    stale_queued = now - timedelta(seconds=10 * settings.COMPOSITION_STALE_SECONDS)
    result = SweepResult(requeued=[], failed=[])
    with transaction.atomic():
        rows = (
            Composition.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=Status.RUNNING, heartbeat_at__lt=stale_running)
                | Q(status=Status.QUEUED, heartbeat_at__lt=stale_queued)
                | Q(status__in=Composition.IN_FLIGHT, heartbeat_at__isnull=True)
            )
            .order_by("pk")[:200]
        )
        for composition in rows:
            if composition.attempts >= settings.COMPOSITION_MAX_ATTEMPTS:
                _fail_locked(composition, CRASH_MESSAGE)
                result.failed.append(composition.pk)
                transaction.on_commit(lambda c=composition: progress.publish(c))
                continue
            composition.status = Status.QUEUED
            composition.stage = Stage.QUEUED
            composition.job_token = ""
            composition.heartbeat_at = now
            composition.save(update_fields=["status", "stage", "job_token", "heartbeat_at"])
            result.requeued.append(composition.pk)
            transaction.on_commit(lambda c=composition: progress.publish(c))
            if enqueue:
                _enqueue_on_commit(composition.pk)
    if result.requeued or result.failed:
        logger.warning("composition sweep: requeued %s, failed %s", result.requeued, result.failed)
    return result
