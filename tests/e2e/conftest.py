"""Browser tests: Playwright driving Debian's Chromium against a real daphne, the test
PostgreSQL database, the Redis channel layer and (where a test composes) a real Celery
worker. Chromium's fake camera plays a Y4M video of a real face (tests/e2e/video.py).

Every page's console errors and uncaught exceptions fail the test. Screenshots go to
test-results/e2e/<test name>/ (git-ignored) so people can look at them after a run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, CeleryWorker, LiveServer, missing, subprocess_env
from tests.e2e.video import astronaut_frame, write_y4m

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
RESULTS = REPO / "test-results" / "e2e"
BASE_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--use-fake-device-for-media-stream",
    # A page in a background or occluded window must keep its timers running.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--autoplay-policy=no-user-gesture-required",
]
# Chromium logs failed WebSocket handshakes itself; expected while a server restarts.
WEBSOCKET_NOISE = re.compile(r"WebSocket connection to '.*' failed")


# Package scope: the event loop must be gone before the rest of the suite (async tests).
@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    run "inside" it unless told the test knows what it is doing (it does: one thread)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def face_video(tmp_path_factory) -> Path:
    return write_y4m(tmp_path_factory.mktemp("camera") / "astronaut.y4m", astronaut_frame())


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator:
    if not CHROMIUM.exists():
        missing("Chromium (/usr/bin/chromium: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch_chromium(driver, video: Path, *, camera_allowed: bool = True):
    args = [*BASE_ARGS, f"--use-file-for-fake-video-capture={video}"]
    # With the fake UI the camera prompt is accepted; without it, denied (as a person
    # pressing "Block" would).
    args.append("--use-fake-ui-for-media-stream" if camera_allowed else "--deny-permission-prompts")
    return driver.chromium.launch(executable_path=str(CHROMIUM), args=args, timeout=120_000)


@dataclass
class Stack:
    """The servers one test talks to, with names isolated from other test runs."""

    server: LiveServer
    env: dict[str, str]
    tmp_path: Path
    workers: list[CeleryWorker] = field(default_factory=list)

    def start_worker(self) -> CeleryWorker:
        worker = CeleryWorker(self.tmp_path, self.env, queues=self.env["COMPOSITIONS_QUEUE"])
        self.workers.append(worker)
        worker.start()
        return worker


@pytest.fixture
def stack(transactional_db, tmp_path, redis_url, broker_url) -> Iterator[Stack]:
    tag = uuid.uuid4().hex[:10]
    env = subprocess_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        COMPOSITIONS_QUEUE=f"compositions-e2e-{tag}",
        CHANNEL_LAYER_PREFIX=f"echoes-e2e-{tag}",
        CACHE_PREFIX=f"echoes-e2e-{tag}",
        MOOD_READING_SECONDS="2",
    )
    server = LiveServer(tmp_path, env)
    server.start()
    stack = Stack(server=server, env=env, tmp_path=tmp_path)
    try:
        yield stack
    finally:
        for worker in stack.workers:
            worker.stop()
        server.stop()
        for log in tmp_path.glob("*.log"):  # keep the servers' logs next to the screenshots
            target = RESULTS / "logs"
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{tag}-{log.name}").write_bytes(log.read_bytes())


@pytest.fixture
def shots(request) -> Path:
    """Where this test's screenshots go (git-ignored test-results/)."""
    folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


class ConsoleWatch:
    """Collects console errors and uncaught page errors of every page of a context."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []

    def attach(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self._add(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self._add(f"uncaught: {exc}"))
        # A request the page makes that fails (a CDN it should not use, a missing file);
        # requests aborted by navigating away are not failures.
        page.on(
            "requestfailed",
            lambda request: (
                "ERR_ABORTED" not in (request.failure or "")
                and self._add(f"request failed: {request.url} ({request.failure})")
            ),
        )

    def _add(self, text: str) -> None:
        if not any(pattern.search(text) for pattern in self.allowed):
            self.errors.append(text)

    def allow(self, pattern: re.Pattern) -> None:
        self.allowed.append(pattern)

    def assert_clean(self) -> None:
        assert not self.errors, "the pages logged errors:\n" + "\n".join(self.errors)


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


def new_page(browser, stack: Stack, console: ConsoleWatch, **context_options):
    context = browser.new_context(
        base_url=stack.server.url, viewport={"width": 1280, "height": 900}, **context_options
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    console.attach(page)
    return page
