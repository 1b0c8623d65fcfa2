"""The broker restarted while a job waits, losing its message (a Redis without
persistence, the worst case): the row stays queued, and the sweep of the next worker
re-sends it, so the job still ends ready. The broker is a private redis-server (Debian's
`redis-server`) so restarting it disturbs nobody else's tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from compositions.models import Composition
from tests.conftest import free_port, stop_process, wait_for_port
from tests.integration.compositions.conftest import make_user

pytestmark = pytest.mark.timeout(400)


class PrivateRedis:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.log = tmp_path / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


@pytest.fixture
def private_broker(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server (Debian package redis-server) is not installed")
    broker = PrivateRedis(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def test_a_job_whose_message_the_broker_lost_is_resent_by_the_sweep(make_stack, private_broker):
    # Queued jobs count as lost after 10 x COMPOSITION_STALE_SECONDS untouched: 20 s here.
    stack = make_stack(
        CELERY_BROKER_URL=private_broker.url, COMPOSITION_STALE_SECONDS="2", COMPOSITION_SWEEP_SECONDS="1"
    )
    api = stack.api(make_user("patient"))
    response = api.post(stack.url("/api/v1/compositions/"), json={"mood": "calm", "style": "folk", "bars": 4})
    assert response.status_code == 202
    composition_id = response.json()["id"]

    private_broker.stop()  # the waiting message is gone with it
    private_broker.start()
    stack.start_worker()

    final = stack.wait_for_status(api, composition_id, {"ready", "failed"}, timeout=240)
    assert final["status"] == "ready", final
    assert Composition.objects.get(pk=composition_id).attempts == 1
