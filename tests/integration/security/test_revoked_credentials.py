"""Sessions die with credentials: a token revoke or a password change ends the API token
and closes the open WebSockets, on a real daphne with the Redis channel layer (the
message that closes them crosses processes, as it would cross servers)."""

from __future__ import annotations

import asyncio

import pytest
import requests
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.moods.helpers import (
    PASSWORD,
    make_user,
    recv_json,
    recv_until,
    session_cookie,
    token_for,
    ws_connect,
)
from tests.integration.security.conftest import form_session

pytestmark = pytest.mark.django_db(transaction=True)


def notifications_connect(server, **headers):
    return connect(server.ws_url + "/ws/notifications/", additional_headers=headers, origin=server.url)


async def closed_with(ws, timeout: float = 20) -> tuple[int, dict | None]:
    """Read until the server closes: (close code, the last error frame before it)."""
    error = None
    try:
        while True:
            message = await recv_json(ws, timeout)
            if message.get("type") == "error":
                error = message
    except ConnectionClosed:
        pass
    return ws.close_code, error


async def still_open(ws) -> bool:
    await ws.send('{"type": "ping"}')
    return (await recv_until(ws, "pong", timeout=20))["type"] == "pong"


def test_revoking_a_token_closes_the_sockets_it_opened_and_no_others(start_server, redis_url):
    server = start_server()
    user = make_user("ann")
    token, cookie = token_for(user), session_cookie(user)

    async def scenario():
        async with (
            ws_connect(server, token=token) as by_token,
            notifications_connect(server, Authorization=f"Token {token}") as notes_by_token,
            ws_connect(server, cookie=cookie) as by_cookie,
        ):
            await recv_until(by_token, "ready")
            await recv_until(by_cookie, "ready")
            await recv_until(notes_by_token, "composition.snapshot")
            revoke = await asyncio.to_thread(
                requests.post,
                f"{server.url}/api/v1/auth/token/revoke/",
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            )
            assert revoke.status_code == 204
            return (
                await closed_with(by_token),
                await closed_with(notes_by_token),
                await still_open(by_cookie),
            )

    session_closed, notes_closed, cookie_open = asyncio.run(scenario())
    assert session_closed[0] == 4401 and session_closed[1]["code"] == "credentials_revoked"
    assert notes_closed[0] == 4401 and notes_closed[1]["code"] == "credentials_revoked"
    assert cookie_open


def test_a_password_change_ends_the_token_other_browsers_and_every_socket(start_server, redis_url):
    server = start_server()
    user = make_user("ann")
    token, other_browser = token_for(user), session_cookie(user)

    browser, csrf = form_session(server, "/accounts/login/")
    login = browser.post(
        f"{server.url}/accounts/login/",
        data={"username": "ann", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        timeout=30,
    )
    assert login.status_code == 200 and "sessionid" in browser.cookies

    async def scenario():
        async with (
            ws_connect(server, token=token) as by_token,
            ws_connect(server, cookie=other_browser) as by_cookie,
        ):
            await recv_until(by_token, "ready")
            await recv_until(by_cookie, "ready")
            page = await asyncio.to_thread(browser.get, f"{server.url}/accounts/password/", timeout=30)
            assert page.status_code == 200
            changed = await asyncio.to_thread(
                browser.post,
                f"{server.url}/accounts/password/",
                data={
                    "old_password": PASSWORD,
                    "new_password1": "a-brand-new-melody-7",
                    "new_password2": "a-brand-new-melody-7",
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                allow_redirects=False,
                timeout=30,
            )
            assert changed.status_code == 302, changed.text[:500]
            return await closed_with(by_token), await closed_with(by_cookie)

    by_token, by_cookie = asyncio.run(scenario())
    assert by_token[0] == 4401 and by_token[1]["code"] == "credentials_revoked"
    assert by_cookie[0] == 4401 and by_cookie[1]["code"] == "credentials_revoked"
    me = requests.get(f"{server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"}, timeout=30)
    assert me.status_code == 401
    # The other browser is signed out; the one that changed the password is not.
    other = requests.get(f"{server.url}/accounts/profile/", headers={"Cookie": other_browser}, timeout=30)
    assert other.history and "/accounts/login/" in other.url
    assert browser.get(f"{server.url}/accounts/profile/", timeout=30).status_code == 200


def test_a_password_set_anywhere_else_closes_the_sockets_too(start_server, redis_url, settings):
    """The admin, `changepassword` or a shell: any saved set_password() revokes, here from
    this test's process (another "server") through the shared channel layer."""
    server = start_server(CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"])
    user = make_user("ann")
    token = token_for(user)

    async def scenario():
        async with notifications_connect(server, Authorization=f"Token {token}") as notes:
            await recv_until(notes, "composition.snapshot")
            await asyncio.to_thread(_set_password, user)
            return await closed_with(notes)

    code, error = asyncio.run(scenario())
    assert code == 4401 and error["code"] == "credentials_revoked"


def _set_password(user) -> None:
    try:
        user.set_password("a-brand-new-melody-7")
        user.save()
    finally:
        connection.close()  # this runs in a worker thread with a connection of its own


def test_an_origin_on_another_port_of_the_same_host_is_refused(start_server):
    """Another service on this host (another port) is another site: no cookie socket."""
    server = start_server()
    cookie = session_cookie(make_user("ann"))

    async def opens(origin: str) -> int:
        try:
            async with ws_connect(server, cookie=cookie, origin=origin) as ws:
                await recv_until(ws, "ready")
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    async def scenario():
        return (
            await opens(server.url),
            await opens(f"http://127.0.0.1:{server.port + 1}"),
            await opens(f"http://localhost:{server.port}"),  # another host name
            await opens("null"),
        )

    assert asyncio.run(scenario()) == (101, 403, 403, 403)


def _two_browsers_a_token_and_their_sockets(server, user):
    """A browser signed in through the login form, another session cookie, a token."""
    browser, csrf = form_session(server, "/accounts/login/")
    login = browser.post(
        f"{server.url}/accounts/login/",
        data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        timeout=30,
    )
    assert login.status_code == 200 and "sessionid" in browser.cookies
    return browser, session_cookie(user), token_for(user)


def _signed_out_everywhere(server, browser, other_browser: str, token: str) -> None:
    me = requests.get(f"{server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"}, timeout=30)
    assert me.status_code == 401
    for page in (
        browser.get(f"{server.url}/accounts/profile/", timeout=30),
        requests.get(f"{server.url}/accounts/profile/", headers={"Cookie": other_browser}, timeout=30),
    ):
        assert page.history and "/accounts/login/" in page.url, page.url


@pytest.mark.parametrize("control", ["api", "page"])
def test_log_out_everywhere_ends_every_session_the_token_and_every_socket(start_server, redis_url, control):
    server = start_server()
    user = make_user("ann")
    browser, other_browser, token = _two_browsers_a_token_and_their_sockets(server, user)

    def log_out_everywhere():
        if control == "api":
            return requests.post(
                f"{server.url}/api/v1/auth/logout-everywhere/",
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            )
        profile = browser.get(f"{server.url}/accounts/profile/", timeout=30)
        assert "Log out everywhere" in profile.text
        return browser.post(
            f"{server.url}/accounts/logout-everywhere/",
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=30,
        )

    async def scenario():
        async with (
            ws_connect(server, token=token) as by_token,
            ws_connect(server, cookie=other_browser) as by_cookie,
            notifications_connect(server, Cookie=other_browser) as notes_by_cookie,
        ):
            await recv_until(by_token, "ready")
            await recv_until(by_cookie, "ready")
            await recv_until(notes_by_cookie, "composition.snapshot")
            answer = await asyncio.to_thread(log_out_everywhere)
            return answer, [await closed_with(ws) for ws in (by_token, by_cookie, notes_by_cookie)]

    answer, closed = asyncio.run(scenario())
    if control == "api":
        assert answer.status_code == 204, answer.text[:300]
    else:
        assert answer.status_code == 302 and "/accounts/login/" in answer.headers["Location"]
    for code, error in closed:
        assert code == 4401 and error["code"] == "credentials_revoked", (code, error)
    _signed_out_everywhere(server, browser, other_browser, token)
    # A new sign-in works as before.
    again = requests.post(
        f"{server.url}/api/v1/auth/token/", json={"username": "ann", "password": PASSWORD}, timeout=30
    )
    assert again.status_code == 200 and again.json()["token"] != token
