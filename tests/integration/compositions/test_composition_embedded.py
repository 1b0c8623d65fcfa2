"""The embedded default (no DATABASE_URL, REDIS_URL or broker): a real daphne on SQLite
with the in-memory layer runs the job on its own background thread after the response
(202, queued); the job still ends ready, its progress readable by polling."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO, LiveServer
from tests.integration.compositions.conftest import ProgressListener

pytestmark = pytest.mark.timeout(400)

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME")


def test_embedded_jobs_never_block_the_request_and_end_ready(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(
        SQLITE_PATH=str(tmp_path / "embedded.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_DEBUG="true",
        PYTHONUNBUFFERED="1",
    )
    env.pop("ECHOES_TESTING", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    server = LiveServer(tmp_path, env)
    server.start()
    try:
        registered = requests.post(
            server.url + "/api/v1/auth/register/",
            json={
                "username": "embedded",
                "email": "embedded@example.com",
                "password": "a-long-pass-phrase-42",
            },
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        api = requests.Session()
        api.headers["Authorization"] = f"Token {registered.json()['token']}"
        # Progress over the in-memory layer reaches a socket of the same server process.
        listener = ProgressListener(server.ws_url, registered.json()["token"])
        listener.wait_for(lambda e: e["type"] == "composition.snapshot", timeout=30)

        created = api.post(
            server.url + "/api/v1/compositions/",
            json={"mood": "calm", "style": "chorale", "bars": 4},
            timeout=30,
        )
        assert created.status_code == 202 and created.json()["status"] == "queued"

        status_url = server.url + f"/api/v1/compositions/{created.json()['id']}/status/"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = api.get(status_url, timeout=30).json()
            if status["status"] in {"ready", "failed"}:
                break
            time.sleep(0.5)
        assert status["status"] == "ready", (status, server.log.read_text()[-3000:])
        listener.wait_for(
            lambda e: e.get("type") == "composition.progress" and e["status"] == "ready", timeout=30
        )
        stages = [e["stage"] for e in listener.events if e.get("type") == "composition.progress"]
        assert stages == ["queued", "generating", "rendering", "saving", "ready"]
        listener.close()
        audio = api.get(server.url + status["files"]["audio"], timeout=30)
        assert audio.status_code == 200 and audio.content.startswith(b"OggS")
    finally:
        server.stop()
