"""Fixtures of the attack tests (issue 19): real daphne servers with settings of the test's
choosing, a fast password hasher, and one throttle/lockout budget per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.conftest import LiveServer, subprocess_env


@pytest.fixture
def start_server(transactional_db, tmp_path) -> Iterator[Callable[..., LiveServer]]:
    """`start_server(VAR=value, ...)`: a daphne on the test database with those settings."""
    servers: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        tag = uuid.uuid4().hex[:10]
        defaults = {"CACHE_PREFIX": f"sec-{tag}", "CHANNEL_LAYER_PREFIX": f"sec-{tag}"}
        server = LiveServer(tmp_path, subprocess_env(**{**defaults, **env}))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def form_session(server: LiveServer, path: str) -> tuple[requests.Session, str]:
    """A browser-like session that has fetched the form at `path`: (session, CSRF token)."""
    session = requests.Session()
    page = session.get(server.url + path, timeout=30)
    assert page.status_code == 200, page.status_code
    return session, session.cookies["csrftoken"]
