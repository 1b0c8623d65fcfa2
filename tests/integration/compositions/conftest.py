"""A real stack for composition jobs: daphne (HTTP + WebSockets) and Celery workers in
subprocesses, on the test PostgreSQL database, Redis (channel layer, cache) and the
Redis broker. Each test gets its own queue, channel-layer and cache prefixes, so workers
and sockets of other tests on the same Redis never see its jobs or events."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from websockets.sync.client import connect

from accounts.services import token_obtain, user_register
from tests.conftest import CeleryWorker, LiveServer, subprocess_env


@dataclass
class Stack:
    server: LiveServer
    env: dict[str, str]
    tmp_path: Path
    media: Path
    workers: list[CeleryWorker] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return self.env["COMPOSITIONS_QUEUE"]

    def start_worker(self, concurrency: int = 1) -> CeleryWorker:
        worker = CeleryWorker(self.tmp_path, self.env, queues=self.queue, concurrency=concurrency)
        self.workers.append(worker)
        worker.start()
        return worker

    def api(self, user) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token_obtain(user=user).key}"
        session.base_url = self.server.url  # type: ignore[attr-defined]
        return session

    def url(self, path: str) -> str:
        return self.server.url + path

    def wait_for_status(
        self, api: requests.Session, composition_id: int, statuses: set[str], timeout: float = 150
    ):
        """Poll the REST status endpoint until the job is in one of `statuses`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = api.get(self.url(f"/api/v1/compositions/{composition_id}/status/"), timeout=10).json()
            if last.get("status") in statuses:
                return last
            time.sleep(0.3)
        logs = "\n".join(w.log.read_text(errors="replace")[-3000:] for w in self.workers)
        raise AssertionError(f"composition {composition_id} still {last} after {timeout}s\n{logs}")


def make_user(name: str):
    return user_register(username=name, email=f"{name}@example.com", password="a-long-pass-phrase-42")


def stack_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    values = {
        "MEDIA_ROOT": str(tmp_path / "media"),
        "COMPOSITIONS_QUEUE": f"compositions-test-{tag}",
        "CHANNEL_LAYER_PREFIX": f"echoes-test-{tag}",
        "CACHE_PREFIX": f"echoes-test-{tag}",
        # A dead worker is noticed within seconds, not the production half minute.
        "COMPOSITION_STALE_SECONDS": "6",
        "COMPOSITION_SWEEP_SECONDS": "2",
        "THROTTLE_COMPOSE": "1000/min",
    }
    values.update(extra)
    return subprocess_env(**values)


@pytest.fixture
def make_stack(transactional_db, tmp_path, redis_url, broker_url, settings) -> Iterator:
    """Start a stack (server now, workers when the test asks) with extra environment."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    stacks: list[Stack] = []

    def make(**extra: str) -> Stack:
        env = stack_env(tmp_path, **extra)
        settings.MEDIA_ROOT = tmp_path / "media"
        server = LiveServer(tmp_path, env)
        stack = Stack(server=server, env=env, tmp_path=tmp_path, media=tmp_path / "media")
        stacks.append(stack)
        server.start()
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            for worker in stack.workers:
                worker.stop()
            stack.server.stop()


class ProgressListener:
    """A WebSocket client on /ws/notifications/ collecting events on a thread."""

    def __init__(self, ws_url: str, token: str):
        self.socket = connect(
            ws_url + "/ws/notifications/",
            additional_headers={"Authorization": f"Token {token}"},
            open_timeout=20,
        )
        self.events: list[dict] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self.socket:
                self.events.append(json.loads(message))
        except Exception:
            return

    def wait_for(self, predicate, timeout: float = 150) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if predicate(event):
                    return event
            time.sleep(0.1)
        raise AssertionError(f"no such event in {self.events}")

    def close(self) -> None:
        self.socket.close()
