"""Shared fixtures: service checks, and real servers (ASGI, Celery worker) in subprocesses.

A test that needs a service asks for its fixture (`postgres`, `redis_url`, `broker_url`).
Outside CI a missing service skips the test with a message naming it; in CI (CI=true) a
missing service fails the test, never skips it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from deploy.stack import free_port

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str) -> None:
    """Skip (locally) or fail (in CI) a test whose service is not there."""
    message = f"{what} is not available; start it (see shared/services.md) or set its URL."
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _url_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    return port_open(parsed.hostname or "127.0.0.1", parsed.port or default_port)


@pytest.fixture
def postgres(settings) -> None:
    """The test runs on PostgreSQL (DATABASE_URL), not the embedded SQLite."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing("PostgreSQL (DATABASE_URL)")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url or not _url_reachable(url, 6379):
        missing("Redis (REDIS_URL)")
    return url


@pytest.fixture
def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url or not _url_reachable(url, 6379 if url.startswith("redis") else 5672):
        missing("a Celery broker (CELERY_BROKER_URL)")
    return url


def test_database_url() -> str:
    """A DATABASE_URL for subprocesses that points at the test database pytest-django made."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        missing("PostgreSQL (DATABASE_URL) for tests with a server in another process")
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{connection.settings_dict['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1", "DJANGO_DEBUG": "true"})
    env.pop("ECHOES_TESTING", None)
    env.update(extra)
    return env


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        if port_open("127.0.0.1", port, timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} in {timeout}s:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LiveServer:
    """A real ASGI server (daphne, as echoes_site.asgi_server runs it in production) in a
    subprocess, serving HTTP and WebSockets."""

    # WebSocket messages above 2 MiB are cut off by daphne (the connection is dropped:
    # 1006) before they are buffered; frames up to 2 MiB reach the app, which answers frames over its own
    # 1 MB limit with an error frame (docs/websocket.md). Run production the same way.
    WEBSOCKET_ARGS = ("--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152")

    def __init__(self, tmp_path: Path, env: dict[str, str], extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.log = tmp_path / f"daphne-{self.port}.log"
        self.env = env
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "echoes_site.asgi_server",  # daphne with our close codes (1009, 1001)
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "--websocket_timeout",
                    "-1",
                    *self.WEBSOCKET_ARGS,
                    *self.extra_args,
                    "echoes_site.asgi:application",
                ],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def live_server_asgi(transactional_db, tmp_path) -> Iterator[LiveServer]:
    """A real daphne serving the test database (with the Redis layer when REDIS_URL is set)."""
    server = LiveServer(tmp_path, subprocess_env())
    server.start()
    try:
        yield server
    finally:
        server.stop()


class CeleryWorker:
    """A real Celery worker process consuming the given queues."""

    def __init__(self, tmp_path: Path, env: dict[str, str], queues: str, concurrency: int = 1):
        self.log = tmp_path / f"celery-{time.monotonic_ns()}.log"
        self.env, self.queues, self.concurrency = env, queues, concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "echoes_site",
                    "worker",
                    "-Q",
                    self.queues,
                    "-c",
                    str(self.concurrency),
                    "--pool",
                    "prefork",
                    "-l",
                    "info",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"test{time.monotonic_ns()}@%h",
                ],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log.read_text()[-3000:]}")
            if "ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool children)."""
        import psutil

        if self.process is None:
            return
        parent = psutil.Process(self.process.pid)
        for proc in [*parent.children(recursive=True), parent]:
            proc.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests run last (after pytest-django's own ordering): they are the slowest,
    and Playwright's sync API keeps an event loop in the main thread while it runs."""
    e2e = [item for item in items if "/tests/e2e/" in str(item.path)]
    if e2e:
        others = [item for item in items if "/tests/e2e/" not in str(item.path)]
        items[:] = others + e2e
