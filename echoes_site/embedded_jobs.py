"""The embedded job runner: Celery tasks in a supervised job process, without a broker.

With no CELERY_BROKER_URL the web server runs background jobs itself, but never in its
own process: a native library that segfaults (the Vorbis encoder once did on long
pieces), the kernel's OOM killer or a job that hangs must cost one job, not every open
page. So the server starts one job process (multiprocessing, *spawn*: a fresh
interpreter, no forked threads or event loops) and a supervisor thread that hands it one
job at a time over a pipe. The job process runs the very task function a Celery worker
runs (`task.apply`, with the task's soft time limit), so retries, `on_failure` and the
job's own bookkeeping are the same in both modes. Celery's rules for a lost worker apply:

- the process died mid-job (`acks_late` + `reject_on_worker_lost`): a new process is
  started and the job is delivered again, with the same task id, at most
  `task.max_retries` more times; then `task.on_failure(WorkerLostError)` (the task turns
  that into a message the user reads); a task without those flags fails at once;
- the job outlived the task's hard `time_limit`: the process is killed and
  `task.on_failure(TimeLimitExceeded)`, never retried (as Celery's `acks_on_timeout`).

The server also runs the Celery beat schedule's entries (the stuck-job sweep) at start
and then periodically, since no beat runs embedded. The queue lives in memory: a job
queued when the server stops is found by that sweep after the next start.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError

logger = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 1.0  # between a dead job process and its successor
POLL_SECONDS = 0.2


@dataclass
class Delivery:
    """One job for the job process: the task (sent by name), its arguments, its id."""

    task: Any
    args: tuple
    kwargs: dict
    task_id: str = field(default_factory=lambda: f"embedded-{uuid.uuid4()}")
    number: int = 1  # 1 = first delivery, 2 = first redelivery after a lost process...


@dataclass
class Outcome:
    """How a delivery ended: done (the task ran; its state), lost (process died), timeout."""

    kind: str
    detail: str = ""


class JobProcess:
    """One job process and the parent's end of its pipe."""

    def __init__(self, overrides: dict[str, Any], on_event: Callable[[tuple], None]):
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        # daemon: multiprocessing terminates it when the server exits normally
        self.process = context.Process(
            target=job_process_main, args=(child_conn, overrides), name="echoes-job", daemon=True
        )
        self.process.start()
        child_conn.close()
        self._on_event = on_event

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, delivery: Delivery, time_limit: float | None) -> Outcome:
        """Hand one delivery over and wait for it to end (or the process to)."""
        try:
            self._conn.send((delivery.task.name, delivery.args, delivery.kwargs, delivery.task_id))
        except (OSError, EOFError):
            return Outcome("lost", self._exit_description())
        started = time.monotonic()
        while True:
            try:
                ready = self._conn.poll(POLL_SECONDS)
                message = self._conn.recv() if ready else None
            except (OSError, EOFError):
                return Outcome("lost", self._exit_description())
            if message is not None:
                if message[0] == "done" and message[1] == delivery.task_id:
                    return Outcome("done", message[2])
                self._on_event(message)
                continue
            if not self.alive():
                return Outcome("lost", self._exit_description())
            if time_limit and time.monotonic() - started > time_limit:
                self.kill()
                return Outcome("timeout", f"still running after {time_limit:.0f} s; killed")

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.join(timeout=10)

    def _exit_description(self) -> str:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"


class EmbeddedRunner:
    """The supervisor: a FIFO of deliveries, one job process, one thread feeding it."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._lock = threading.Lock()
        self._process: JobProcess | None = None
        self._thread: threading.Thread | None = None
        self._busy = threading.Event()
        self.started_processes = 0
        self.lost_deliveries = 0

    # -- the parent's API ------------------------------------------------------------------

    def submit(self, task: Any, args: tuple, kwargs: dict) -> Delivery:
        delivery = Delivery(task=task, args=tuple(args), kwargs=dict(kwargs))
        self._queue.put(delivery)
        self.start()
        return delivery

    def start(self) -> None:
        """Start the supervisor thread (and with it the job process) once."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._supervise, name="embedded-jobs", daemon=True)
                self._thread.start()

    @property
    def job_process_pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.alive() else None

    def idle(self) -> bool:
        return self._queue.empty() and not self._busy.is_set()

    # -- the supervisor thread -------------------------------------------------------------

    def _supervise(self) -> None:
        self._ensure_process()
        while True:
            delivery = self._queue.get()
            self._busy.set()
            try:
                self._deliver(delivery)
            except Exception:
                logger.exception("embedded job %s %s could not be run", delivery.task.name, delivery.task_id)
            finally:
                self._busy.clear()

    def _ensure_process(self) -> JobProcess:
        if self._process is None or not self._process.alive():
            if self._process is not None:
                time.sleep(RESTART_PAUSE_SECONDS)  # a process that cannot start never spins
            self._process = JobProcess(_process_overrides(), _relay_event)
            self.started_processes += 1
            logger.info("embedded job process %s started", self._process.pid)
        return self._process

    def _deliver(self, delivery: Delivery) -> None:
        task = delivery.task
        process = self._ensure_process()
        outcome = process.run(delivery, time_limit=task.time_limit)
        if outcome.kind == "done":
            return
        self.lost_deliveries += 1
        description = (
            f"embedded job {task.name}{list(delivery.args)} ({delivery.task_id}, "
            f"delivery {delivery.number}): job process {process.pid} {outcome.detail}"
        )
        if outcome.kind == "timeout":
            logger.error("%s; failing it", description)
            _fail(task, delivery, TimeLimitExceeded(task.time_limit))
            return
        redeliverable = task.acks_late and task.reject_on_worker_lost
        if redeliverable and delivery.number <= (task.max_retries or 0):
            logger.warning("%s; delivering it again", description)
            delivery.number += 1
            self._queue.put(delivery)
            return
        logger.error("%s; giving up", description)
        _fail(task, delivery, WorkerLostError(f"Job process {outcome.detail} while running the job."))


def _fail(task: Any, delivery: Delivery, error: Exception) -> None:
    """What Celery's worker does for a job its pool child could not finish."""
    from django.db import close_old_connections

    try:
        task.on_failure(error, delivery.task_id, delivery.args, delivery.kwargs, None)
    except Exception:
        logger.exception("on_failure of %s %s raised", task.name, delivery.task_id)
    finally:
        close_old_connections()


def _process_overrides() -> dict[str, Any]:
    """Settings the job process must share with this one even when they were changed at
    run time (a test database's name, a test's media folder): the rest comes from the
    same environment and settings module."""
    from django.conf import settings
    from django.db import connections

    return {
        "database_name": connections["default"].settings_dict["NAME"],
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def _relay_event(message: tuple) -> None:
    """An event the job process could not send itself (in-memory channel layer)."""
    if message[0] == "group_send":
        from compositions import progress

        progress.group_send_sync(message[1], message[2])


# --- The job process ---------------------------------------------------------------------


def job_process_main(conn: Any, overrides: dict[str, Any]) -> None:
    """Entry point of the job process: set Django up, then run jobs until the pipe closes."""
    # Ctrl-C in a terminal reaches the whole process group; the server decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
    import django

    django.setup()
    from celery import signals
    from django.conf import settings
    from django.db import close_old_connections, connections

    connections["default"].settings_dict["NAME"] = overrides["database_name"]
    settings.MEDIA_ROOT = overrides["MEDIA_ROOT"]
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        with send_lock:
            conn.send(message)

    from compositions import progress

    if progress.needs_server_relay():
        progress.relay_to(lambda group, event: send(("group_send", group, event)))
    from echoes_site.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them
    signals.worker_process_init.send(sender=None)  # e.g. warm up the music generator
    while True:
        try:
            task_name, args, kwargs, task_id = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        task = app.tasks[task_name]
        close_old_connections()
        try:
            with soft_time_limit(task.soft_time_limit):
                result = task.apply(args=args, kwargs=kwargs, task_id=task_id, throw=False)
            state = result.state
        except Exception:
            logger.exception("embedded job %s %s raised", task_name, task_id)
            state = "FAILURE"
        finally:
            close_old_connections()
        send(("done", task_id, state))


def _exit_with_parent() -> None:
    """A server killed outright (SIGKILL, OOM) runs no exit handler: without this its job
    process would go on working, heart-beating its row, beside the next server's."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="embedded-job-parent-watch", daemon=True).start()


@contextmanager
def soft_time_limit(seconds: float | None) -> Iterator[None]:
    """Raise SoftTimeLimitExceeded in this (main) thread after `seconds`, as Celery's
    prefork pool does, so the task's own timeout handling runs embedded too."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- The beat schedule, embedded ---------------------------------------------------------


def run_beat_forever(stop: threading.Event) -> None:
    """Run each Celery beat entry at start, then every `schedule` seconds, in this process
    (the entries are cheap database sweeps; their jobs still go to the job process)."""
    from django.db import close_old_connections

    from echoes_site.celery import app

    app.loader.import_default_modules()  # the tasks modules add their entries on import
    next_run: dict[str, float] = {}
    for tick in itertools.count():
        now = time.monotonic()
        for name, entry in (app.conf.beat_schedule or {}).items():
            if next_run.get(name, 0.0) > now:
                continue
            schedule = entry["schedule"]  # seconds or a timedelta (crontab needs real beat)
            seconds = schedule.total_seconds() if hasattr(schedule, "total_seconds") else schedule
            next_run[name] = now + float(seconds)
            try:
                app.tasks[entry["task"]].apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            except Exception:
                logger.warning("embedded beat entry %s failed", name, exc_info=True)
            finally:
                close_old_connections()
        if stop.wait(1.0 if tick else 0.5):
            return


_runner: EmbeddedRunner | None = None
_runner_lock = threading.Lock()
_beat_stop = threading.Event()
_beat_thread: threading.Thread | None = None


def runner() -> EmbeddedRunner:
    """This process's runner (created on first use)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = EmbeddedRunner()
        return _runner


def embedded_start() -> None:
    """Called where a server starts (ASGI/WSGI): the job process starts warming up now,
    and the beat entries (the stuck-job sweep) run at once and then periodically."""
    global _beat_thread
    runner().start()
    with _runner_lock:
        if _beat_thread is None:
            _beat_thread = threading.Thread(
                target=run_beat_forever, args=(_beat_stop,), name="embedded-beat", daemon=True
            )
            _beat_thread.start()


def server_started() -> None:
    """Called once by asgi.py/wsgi.py: in embedded mode (and not under pytest, whose
    in-process tests start no server), start the job process and the beat."""
    from django.conf import settings

    if settings.CELERY_EMBEDDED and not settings.TESTING:
        embedded_start()
