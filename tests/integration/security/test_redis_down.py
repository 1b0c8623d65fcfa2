"""With Redis unreachable: the API keeps answering what needs no Redis, answers 503 in the
error format what does, sockets say why they close, and pages say live features are
unavailable (issue 19)."""

from __future__ import annotations

import asyncio

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import free_port
from tests.integration.moods.helpers import make_user, recv_json, session_cookie, token_for, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server_without_redis(start_server):
    return start_server(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there


def test_signed_in_api_calls_keep_working_and_health_says_degraded(server_without_redis):
    server = server_without_redis
    user = make_user("ann")
    auth = {"Authorization": f"Token {token_for(user)}"}
    for path in ("/api/v1/me/", "/api/v1/songs/", "/api/v1/compositions/", "/api/v1/moods/sessions/"):
        response = requests.get(server.url + path, headers=auth, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
    assert (
        requests.post(f"{server.url}/api/v1/auth/token/revoke/", headers=auth, timeout=60).status_code == 204
    )
    assert requests.get(server.url + "/healthz", timeout=60).status_code == 503


def test_sockets_send_an_error_frame_and_close_with_4503(server_without_redis):
    server = server_without_redis
    token = token_for(make_user("ann"))

    async def first_message_and_close(opener):
        async with opener as ws:
            message = await recv_json(ws, 30)
            try:
                while True:
                    await recv_json(ws, 30)
            except ConnectionClosed:
                pass
            return message, ws.close_code

    async def scenario():
        session = await first_message_and_close(ws_connect(server, token=token))
        notes = await first_message_and_close(
            connect(
                server.ws_url + "/ws/notifications/",
                additional_headers={"Authorization": f"Token {token}"},
                origin=server.url,
            )
        )
        return session, notes

    for message, code in asyncio.run(scenario()):
        assert message["type"] == "error" and message["code"] == "unavailable", message
        assert code == 4503, (message, code)


BANNER = 'data-live-features="unavailable"'
PAGES = ("/session/", "/compositions/", "/accounts/login/")


def test_pages_show_a_banner_that_live_features_are_unavailable(server_without_redis):
    cookie = session_cookie(make_user("ann"))
    for path in PAGES:
        page = requests.get(server_without_redis.url + path, headers={"Cookie": cookie}, timeout=60)
        assert page.status_code == 200, (path, page.status_code)
        assert BANNER in page.text and "Live features are unavailable" in page.text, path


def test_pages_show_no_banner_while_redis_answers(start_server, redis_url):
    server = start_server()
    cookie = session_cookie(make_user("ann"))
    for path in PAGES:
        page = requests.get(server.url + path, headers={"Cookie": cookie}, timeout=60)
        assert page.status_code == 200, (path, page.status_code)
        assert BANNER not in page.text, path
