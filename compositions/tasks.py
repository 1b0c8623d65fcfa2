"""Celery tasks of compositions, on their own queue ("compositions").

`composition_generate_task(id)`: acks late (a worker that dies mid-job leaves the message
to be redelivered), retries transient errors (database, storage, network) with
exponential back-off, and has soft/hard time limits. It always ends the row `ready` or
`failed`; what a dead worker cannot do, the sweep does (see `composition_sweep`).

A job whose pool process dies (segfault, OOM kill) is retried by Celery itself
(`retry_on_worker_lost`, Celery 5.7: the worker's main process sees the WorkerLostError,
sends the retry with retries + 1 and acks the old message) at most MAX_RETRIES times;
then Celery acks it and sends `task_failure` from the main process, where the row is
failed with CRASH_MESSAGE. A piece that always crashes its process ends `failed` after
1 + MAX_RETRIES runs, never loops. `reject_on_worker_lost` stays as Celery's fallback
when the retry cannot be sent. Deliveries Celery cannot count (a whole worker killed,
redelivered after the visibility timeout or resent by the sweep; the embedded runner) are
counted by the claim: each start is an attempt, and it fails the job after
COMPOSITION_MAX_ATTEMPTS with the same message.

The sweep runs in four places, because no one of them covers every deployment:
- in every worker: once when it is ready, then every COMPOSITION_SWEEP_SECONDS on a
  daemon thread of the main worker process (no beat needed; sweeps by several workers at
  once are safe: rows are taken with SKIP LOCKED and the job is idempotent);
- as the periodic task `compositions.sweep` for deployments that run celery beat;
- in the embedded server, which runs that beat entry itself at start and periodically;
- as `manage.py compositions_sweep` (cron).
"""

from __future__ import annotations

import logging
import threading

from botocore.exceptions import BotoCoreError, ClientError
from celery import Task, shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from compositions import services

logger = logging.getLogger(__name__)

QUEUE = settings.COMPOSITIONS_QUEUE  # "compositions" unless tests isolate their own
MAX_RETRIES = 3
TIMEOUT_RETRIES = 1
# Errors that may pass by themselves: a database restart, a storage hiccup or a full disk
# being cleared, S3 throttling or a network blip. ml errors (bad input, missing weights)
# are not among them: the job fails with their message straight away.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, BotoCoreError, ClientError)

TIMEOUT_MESSAGE = "Composing took too long and was stopped. Please try again, perhaps with fewer bars."
GAVE_UP_MESSAGE = "Could not save the composition: storage or database was unavailable. Please try again."


LOST_MESSAGE = "The composer stopped unexpectedly; trying again."


class CompositionTask(Task):
    """Keeps the row's status in step with Celery's retries and final failure."""

    def on_retry(self, exc, task_id, args, kwargs, einfo) -> None:
        services.composition_job_requeue(
            composition_id=args[0],
            job_token=task_id,
            message=LOST_MESSAGE
            if isinstance(exc, WorkerLostError)
            else f"A temporary problem occurred ({type(exc).__name__}); retrying.",
        )

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        if isinstance(exc, WorkerLostError):
            message = services.CRASH_MESSAGE
        elif isinstance(exc, TimeLimitExceeded):
            message = TIMEOUT_MESSAGE
        elif isinstance(exc, TRANSIENT_ERRORS):
            message = GAVE_UP_MESSAGE
        else:
            message = "Composing failed unexpectedly."
        try:
            services.composition_job_fail(composition_id=args[0], message=message)
        except Exception:
            logger.exception("could not mark composition %s failed", args[0])


@shared_task(
    bind=True,
    base=CompositionTask,
    name="compositions.generate",
    queue=QUEUE,
    acks_late=True,
    retry_on_worker_lost=True,  # a dead pool process: retried, up to max_retries
    reject_on_worker_lost=True,  # Celery's fallback when that retry cannot be sent
    default_retry_delay=2,  # the worker-lost retry's countdown (our own retries set theirs)
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.COMPOSITION_SOFT_TIME_LIMIT,
    time_limit=settings.COMPOSITION_TIME_LIMIT,
)
def composition_generate_task(self, composition_id: int) -> str:
    """Generate, render and store one composition; idempotent for a given id."""
    try:
        result = services.composition_job_run(
            composition_id=composition_id, job_token=self.request.id or f"local-{composition_id}"
        )
    except SoftTimeLimitExceeded as error:
        # Once more: a cold worker process loads TensorFlow and the generator inside its
        # first job, and a busy machine is slow; the second attempt has neither excuse.
        if self.request.retries < TIMEOUT_RETRIES:
            raise self.retry(exc=error, countdown=1, max_retries=MAX_RETRIES) from error
        services.composition_job_fail(composition_id=composition_id, message=TIMEOUT_MESSAGE)
        return "failed"
    return result.status if result is not None else "skipped"


@shared_task(name="compositions.sweep", queue=QUEUE, ignore_result=True)
def composition_sweep_task() -> dict:
    """Recover jobs whose worker died (for deployments that schedule it with beat)."""
    result = services.composition_sweep()
    return {"requeued": result.requeued, "failed": result.failed}


@signals.task_failure.connect(sender=composition_generate_task)
def _fail_job_of_a_lost_process(
    sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_
):
    """A pool process that died on its last try: Celery sends task_failure from the
    worker's main process (the task's own on_failure ran nowhere, its process is gone)."""
    if isinstance(exception, WorkerLostError) and args:
        sender.on_failure(exception, task_id, args, kwargs or {}, einfo)


# --- In every worker: sweep at start, then periodically ------------------------------------

_sweeper_started = threading.Event()


def _sweep_once() -> None:
    try:
        services.composition_sweep()
    except Exception:
        logger.warning("composition sweep failed", exc_info=True)
    finally:
        close_old_connections()


def _sweep_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.COMPOSITION_SWEEP_SECONDS):
        _sweep_once()


_stop_sweeper = threading.Event()


@signals.worker_ready.connect
def _start_sweeper(sender=None, **kwargs) -> None:
    """At worker start, recover what a dead worker left, then keep sweeping."""
    if _sweeper_started.is_set() or not _consumes_compositions(sender):
        return
    _sweeper_started.set()
    _sweep_once()
    threading.Thread(
        target=_sweep_forever, args=(_stop_sweeper,), name="composition-sweep", daemon=True
    ).start()


@signals.worker_shutdown.connect
def _stop_sweeping(**kwargs) -> None:
    _stop_sweeper.set()


def _consumes_compositions(consumer) -> bool:
    try:
        queues = consumer.app.amqp.queues.consume_from or {}
        return not queues or QUEUE in queues
    except Exception:
        return True


@signals.worker_process_init.connect
def _warm_up_generator(**kwargs) -> None:
    """Load the generator in each pool process in the background, so the first job is fast.

    A thread, because worker_process_init must return within a few seconds and importing
    TensorFlow takes about three.
    """

    def warm() -> None:
        try:
            from ml import music

            music.load_generator()
        except Exception:
            logger.warning("could not warm up the music generator", exc_info=True)

    threading.Thread(target=warm, name="composition-warmup", daemon=True).start()


def _schedule_sweep() -> None:
    """Offer the sweep to celery beat too (used only where beat runs)."""
    from echoes_site.celery import app

    app.conf.beat_schedule = {
        **(app.conf.beat_schedule or {}),
        "compositions-sweep": {
            "task": "compositions.sweep",
            "schedule": float(settings.COMPOSITION_SWEEP_SECONDS),
        },
    }


_schedule_sweep()
