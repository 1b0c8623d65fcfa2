"""The embedded default (no DATABASE_URL, REDIS_URL or broker): a real daphne on SQLite
with the in-memory layer. Jobs run in the job process the server supervises, after the
response (202, queued); a job that crashes or hangs costs that job only: the server keeps
answering, the piece ends `failed` with a message, and a server killed mid-job finds the
piece again at its next start."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.conftest import REPO, LiveServer
from tests.integration.compositions.conftest import ProgressListener

pytestmark = pytest.mark.timeout(500)

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME")
POISON_SEED = 666


class EmbeddedServer:
    """`python3 dev.py run`'s configuration in a temporary folder, with extra environment."""

    def __init__(self, tmp_path: Path, **extra: str):
        self.database = tmp_path / "embedded.sqlite3"
        self.env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
        self.env.update(
            SQLITE_PATH=str(self.database),
            MEDIA_ROOT=str(tmp_path / "media"),
            PYTHONUNBUFFERED="1",
            THROTTLE_COMPOSE="1000/min",
            **extra,
        )
        self.env.pop("ECHOES_TESTING", None)
        if not self.database.exists():
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=REPO,
                env=self.env,
                check=True,
                timeout=300,
            )
        self.server = LiveServer(tmp_path, self.env)
        self.server.start()

    def register(self, name: str) -> tuple[requests.Session, str]:
        registered = requests.post(
            self.server.url + "/api/v1/auth/register/",
            json={"username": name, "email": f"{name}@example.com", "password": "a-long-pass-phrase-42"},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["token"]
        api = requests.Session()
        api.headers["Authorization"] = f"Token {token}"
        return api, token

    def compose(self, api: requests.Session, **params) -> int:
        created = api.post(self.server.url + "/api/v1/compositions/", json=params, timeout=30)
        assert created.status_code == 202 and created.json()["status"] == "queued", created.text
        return created.json()["id"]

    def status(self, api: requests.Session, composition_id: int) -> dict:
        url = self.server.url + f"/api/v1/compositions/{composition_id}/status/"
        return api.get(url, timeout=30).json()

    def wait_for(self, api, composition_id: int, statuses: set[str], timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(api, composition_id)
            if status["status"] in statuses:
                return status
            time.sleep(0.5)
        raise AssertionError((status, self.server.log.read_text()[-4000:]))

    def row(self, composition_id: int) -> dict:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            found = db.execute(
                "SELECT status, stage, attempts, error_message FROM compositions_composition WHERE id = ?",
                (composition_id,),
            ).fetchone()
        return dict(found)

    def job_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.server.process.pid).children(recursive=True)

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def embedded(tmp_path):
    servers: list[EmbeddedServer] = []

    def start(**extra: str) -> EmbeddedServer:
        server = EmbeddedServer(tmp_path, **extra)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def test_embedded_jobs_never_block_the_request_and_end_ready(embedded):
    site = embedded(DJANGO_DEBUG="true")
    api, token = site.register("embedded")
    # Progress over the in-memory layer reaches a socket of the same server process,
    # although the job runs in the job process (it relays its events to the server).
    listener = ProgressListener(site.server.ws_url, token)
    listener.wait_for(lambda e: e["type"] == "composition.snapshot", timeout=30)

    composition_id = site.compose(api, mood="calm", style="chorale", bars=4)
    status = site.wait_for(api, composition_id, {"ready", "failed"})
    assert status["status"] == "ready", (status, site.server.log.read_text()[-3000:])
    listener.wait_for(
        lambda e: e.get("type") == "composition.progress" and e["status"] == "ready", timeout=30
    )
    stages = [e["stage"] for e in listener.events if e.get("type") == "composition.progress"]
    assert stages == ["queued", "generating", "rendering", "saving", "ready"]
    listener.close()
    audio = api.get(site.server.url + status["files"]["audio"], timeout=30)
    assert audio.status_code == 200 and audio.content.startswith(b"OggS")
    # The job ran in a process of its own, not in the web server's.
    assert [p.name() for p in site.job_processes()], "no job process"


def test_a_deleted_pieces_url_gives_the_friendly_404_in_the_default_run(embedded):
    """The README's run (no DJANGO_DEBUG) never serves Django's debug pages."""
    site = embedded()
    api, _ = site.register("forgetful")
    composition_id = site.compose(api, mood="calm", style="folk", bars=1)
    assert (
        api.delete(site.server.url + f"/api/v1/compositions/{composition_id}/", timeout=30).status_code == 204
    )

    browser = requests.Session()
    browser.get(site.server.url + "/accounts/login/", timeout=30)
    logged_in = browser.post(
        site.server.url + "/accounts/login/",
        data={
            "username": "forgetful",
            "password": "a-long-pass-phrase-42",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": site.server.url + "/accounts/login/"},
        timeout=30,
    )
    assert logged_in.status_code == 200 and "Log out" in logged_in.text, logged_in.text[-500:]

    for path in (f"/compositions/{composition_id}/", "/no/such/page/"):
        page = browser.get(site.server.url + path, timeout=30)
        assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
        assert "We can't find that page" in page.text and "open your library" in page.text
        assert "site.css" in page.text  # the site's own style
        # Nothing of Django's debug page (URL patterns, settings, "DEBUG = True").
        assert "DEBUG = True" not in page.text and "URLconf" not in page.text
    css = browser.get(site.server.url + "/static/frontend/site.css", timeout=30)
    assert css.status_code == 200  # static files still served without DEBUG or collectstatic


@pytest.mark.parametrize("fault", ["abort", "segv"])
def test_a_job_that_kills_its_process_ends_failed_and_the_server_keeps_answering(embedded, fault):
    site = embedded(COMPOSITION_FAULT_INJECTION=f"{fault}:{POISON_SEED}")
    server_pid = site.server.process.pid
    # /healthz says 503 "warming" while the emotion models load; start once it is ready.
    ready_by = time.monotonic() + 120
    while requests.get(site.server.url + "/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < ready_by, site.server.log.read_text()[-3000:]
        time.sleep(0.5)
    api, _ = site.register("unlucky")
    poison = site.compose(api, mood="sad", style="folk", bars=2, seed=POISON_SEED)
    healthy = site.compose(api, mood="calm", style="folk", bars=2, seed=7)

    answers = []
    deadline = time.monotonic() + 400
    while site.status(api, poison)["status"] not in {"ready", "failed"}:
        assert time.monotonic() < deadline, site.server.log.read_text()[-4000:]
        answers.append(requests.get(site.server.url + "/healthz", timeout=10).status_code)
        time.sleep(0.5)

    final = site.status(api, poison)
    assert final["status"] == "failed"
    assert "stopped unexpectedly" in final["error"]
    assert site.row(poison)["attempts"] == 4  # bounded: the first try and 3 more, then failed
    # The web server lived through every crash, answering all along.
    assert site.server.process.poll() is None and psutil.Process(server_pid).is_running()
    assert answers and set(answers) == {200}
    expected_signal = "SIGABRT" if fault == "abort" else "SIGSEGV"
    assert site.server.log.read_text().count(f"killed by {expected_signal}") == 4
    # and the next job, in a fresh job process, is made as usual
    assert site.wait_for(api, healthy, {"ready", "failed"})["status"] == "ready"


def test_a_server_killed_mid_job_finds_the_job_at_its_next_start(embedded, tmp_path):
    # The piece hangs in rendering (stage "rendering", heart-beating) when the server is
    # killed outright; the next server, with a periodic sweep too rare to matter here,
    # recovers it at start and makes it.
    stale_seconds = "3"
    first = embedded(
        COMPOSITION_FAULT_INJECTION=f"hang:{POISON_SEED}",
        COMPOSITION_STALE_SECONDS=stale_seconds,
        COMPOSITION_SWEEP_SECONDS="3600",
    )
    api, _ = first.register("restarted")
    composition_id = first.compose(api, mood="sad", style="chorale", bars=2, seed=POISON_SEED)
    deadline = time.monotonic() + 200
    while first.row(composition_id)["stage"] != "rendering":
        assert time.monotonic() < deadline, first.server.log.read_text()[-4000:]
        time.sleep(0.3)
    job_processes = first.job_processes()
    first.server.process.send_signal(signal.SIGKILL)
    first.server.process.wait()
    # The orphaned job process notices and exits rather than keep the row alive.
    gone, alive = psutil.wait_procs(job_processes, timeout=15)
    assert not alive
    assert first.row(composition_id)["status"] == "running"
    time.sleep(float(stale_seconds) + 1)

    second = embedded(COMPOSITION_STALE_SECONDS=stale_seconds, COMPOSITION_SWEEP_SECONDS="3600")
    final = second.wait_for(api, composition_id, {"ready", "failed"}, timeout=200)
    assert final["status"] == "ready", final
    assert second.row(composition_id)["attempts"] == 2
    assert f"composition sweep: requeued [{composition_id}]" in second.server.log.read_text()
