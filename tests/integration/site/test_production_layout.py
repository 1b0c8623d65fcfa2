"""The production layout, through its proxy: nginx (deploy/nginx/echoes.conf) in front of
gunicorn (WSGI: pages and REST, persistent database connections) and daphne (ASGI: /ws/),
a Celery worker, on PostgreSQL and Redis, in production settings (DEBUG off, collected
static files served by nginx).

A listener's path through it: the login page and its stylesheet, an API call with a
token, a live-session frame over a WebSocket, a composition's progress events, a byte
range of its audio. And under load the database connections stay bounded: one per WSGI
worker, however many requests."""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests

from accounts.services import token_obtain
from deploy.stack import ProductionLayout, nginx_binary
from tests.conftest import IN_CI, REPO, CeleryWorker
from tests.conftest import test_database_url as database_url  # (not collected as a test)
from tests.integration.compositions.conftest import ProgressListener, make_user, stack_env
from tests.integration.moods.helpers import face_jpeg, recv_until, ws_connect

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("postgres")]

WSGI_WORKERS = 2


@pytest.fixture
def layout(transactional_db, tmp_path, redis_url, broker_url, settings):
    """The production layout on the test database, with its own queue and prefixes."""
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install -y nginx)"
        pytest.fail(message, pytrace=False) if IN_CI else pytest.skip(message)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    static_root = tmp_path / "static"
    env = stack_env(
        tmp_path,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        TRUSTED_PROXIES="1",
        STATIC_ROOT=str(static_root),
        THROTTLE_USER="1000000/min",
        LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    stack = ProductionLayout(folder=tmp_path, env=env, static_root=static_root, wsgi_workers=WSGI_WORKERS)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_a_listener_goes_through_the_proxy_to_pages_api_sockets_and_audio(layout, tmp_path):
    worker = CeleryWorker(tmp_path, layout.env, queues=layout.env["COMPOSITIONS_QUEUE"])
    worker.start()
    try:
        _walk_through(layout, worker)
    finally:
        worker.stop()


def _walk_through(layout: ProductionLayout, worker: CeleryWorker) -> None:
    # The login page comes from gunicorn; its stylesheet from nginx's disk, not the app.
    page = requests.get(layout.url + "/accounts/login/", timeout=30)
    assert page.status_code == 200 and 'name="password"' in page.text, page.text[:500]
    assert "Content-Security-Policy" in page.headers  # the app's middleware answered
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page.text)
    assert stylesheet, page.text[:2000]
    css = requests.get(layout.url + stylesheet.group(1), timeout=30)
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css"
    assert "Content-Security-Policy" not in css.headers and "public" in css.headers["Cache-Control"]
    assert css.headers["Server"] == "nginx"

    # An API call with a token (REST is WSGI).
    user = make_user("proxied")
    token = token_obtain(user=user).key
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    me = api.get(layout.url + "/api/v1/me/", timeout=30)
    assert me.status_code == 200 and me.json()["user"]["username"] == "proxied", me.text

    # A live-session frame over the WebSocket (routed by nginx to daphne).
    async def live_frame() -> dict:
        async with ws_connect(layout, token=token, origin=None) as socket:
            await recv_until(socket, "ready", timeout=120)
            await socket.send(face_jpeg())
            return await recv_until(socket, "result", timeout=180)

    result = asyncio.run(live_frame())
    assert result["face"] is not None and result["emotion"] == "happy", result

    # A composition's progress events, on the notifications socket through the proxy.
    listener = ProgressListener(layout.ws_url, token)
    try:
        listener.wait_for(lambda e: e["type"] == "composition.snapshot", timeout=60)
        queued = api.post(
            layout.url + "/api/v1/compositions/", json={"mood": "calm", "style": "folk", "bars": 4, "seed": 5}
        )
        assert queued.status_code == 202, queued.text
        composition_id = queued.json()["id"]
        try:
            listener.wait_for(
                lambda e: e.get("id") == composition_id and e.get("status") in {"ready", "failed"},
                timeout=300,
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{worker.log.read_text()[-3000:]}") from None
        stages = [
            e["stage"]
            for e in listener.events
            if e.get("type") == "composition.progress" and e["id"] == composition_id
        ]
        assert stages[-1] == "ready" and "generating" in stages, stages
    finally:
        listener.close()

    # Its audio, whole and as a byte range, through the proxy.
    audio_url = api.get(layout.url + f"/api/v1/compositions/{composition_id}/", timeout=30).json()["files"][
        "audio"
    ]
    whole = api.get(layout.url + audio_url, timeout=60)
    assert whole.status_code == 200 and whole.content[:4] == b"OggS" and len(whole.content) > 1000
    ranged = api.get(layout.url + audio_url, headers={"Range": "bytes=100-199"}, timeout=60)
    assert ranged.status_code == 206, ranged.text[:200]
    assert ranged.headers["Accept-Ranges"] == "bytes"
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{len(whole.content)}"
    assert ranged.content == whole.content[100:200]


def _connections(database: str) -> dict[str, int]:
    """Open connections to `database`, by application_name (our settings name them)."""
    conn = psycopg2.connect(database_url().replace(f"/{database}", "/postgres"))
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = %s GROUP BY 1",
                [database],
            )
            counts = dict(cursor.fetchall())
    finally:
        conn.close()
    return counts


def test_database_connections_stay_bounded_under_load_through_the_proxy(layout):
    database = database_url().rsplit("/", 1)[-1]
    user = make_user("loaded")
    headers = {"Authorization": f"Token {token_obtain(user=user).key}"}
    paths = ["/api/v1/compositions/", "/api/v1/recommendations/?mood=calm", "/api/v1/me/"]
    peaks: dict[str, int] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, count in _connections(database).items():
                peaks[name] = max(peaks.get(name, 0), count)
            time.sleep(0.05)

    def client(index: int) -> list[int]:
        # Each client its own keep-alive connection to nginx, as wrk's 16 connections.
        with requests.Session() as session:
            return [
                session.get(
                    layout.url + paths[(index + i) % len(paths)], headers=headers, timeout=60
                ).status_code
                for i in range(25)
            ]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            statuses = [code for codes in pool.map(client, range(16)) for code in codes]
    finally:
        stop.set()
        sampler.join(timeout=10)
    assert statuses.count(200) == len(statuses) == 400, sorted(set(statuses))
    # 400 requests, 16 at a time: still one persistent connection per gunicorn worker.
    assert 1 <= peaks.get("echoes-wsgi", 0) <= WSGI_WORKERS, peaks
    after = _connections(database)
    assert after.get("echoes-wsgi", 0) <= WSGI_WORKERS, after
    # Nothing else grows with the load either (daphne and this test hold a few at most).
    assert sum(peaks.values()) <= WSGI_WORKERS + 4, peaks
