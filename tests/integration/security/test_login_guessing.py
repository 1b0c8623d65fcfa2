"""Password guessing against the three ways in (API token, web login, admin login),
through a real daphne, as an attacker would: a made-up X-Forwarded-For on every try."""

from __future__ import annotations

import itertools

import pytest
import requests

from accounts.models import User
from tests.integration.accounts.factories import PASSWORD, make_user
from tests.integration.security.conftest import form_session

pytestmark = pytest.mark.django_db(transaction=True)
# Small budgets are per day: a per-minute window could roll over mid-test and refill.
LIMIT = 4
_spoofed = (f"203.0.113.{i}" for i in itertools.count(1))


def token_try(server, username: str, password: str, **headers) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/auth/token/",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": next(_spoofed), **headers},
        timeout=30,
    )


def page_login_try(server, path: str, username: str, password: str) -> requests.Response:
    session, csrf = form_session(server, path)
    return session.post(
        server.url + path,
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"X-Forwarded-For": next(_spoofed), "Referer": server.url + path},
        allow_redirects=False,
        timeout=30,
    )


def test_a_new_forwarded_for_per_request_is_no_new_token_budget(start_server):
    server = start_server(THROTTLE_LOGIN="3/day", LOGIN_FAILURE_LIMIT="100")
    user = make_user("ann")
    answers = [token_try(server, user.username, "guess").status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    refused = token_try(server, user.username, PASSWORD)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"


def test_the_token_endpoint_locks_the_account_out_after_the_failure_limit(start_server):
    server = start_server(THROTTLE_LOGIN="1000/min", LOGIN_FAILURE_LIMIT=str(LIMIT))
    user = make_user("ann")
    for _ in range(LIMIT - 1):
        assert token_try(server, user.username, "guess").status_code == 401
    locked = token_try(server, "ANN", "guess")  # the same account, spelled differently
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out" and int(locked.headers["Retry-After"]) > 0
    # Now even the right password is refused, from anywhere.
    right = token_try(server, user.username, PASSWORD)
    assert right.status_code == 429 and "token" not in right.json()


def test_the_web_login_page_locks_out_after_the_failure_limit(start_server):
    server = start_server(LOGIN_FAILURE_LIMIT=str(LIMIT))
    make_user("ann")
    for _ in range(LIMIT - 1):
        assert page_login_try(server, "/accounts/login/", "ann", "guess").status_code == 200
    assert page_login_try(server, "/accounts/login/", "ann", "guess").status_code == 429
    refused = page_login_try(server, "/accounts/login/", "ann", PASSWORD)
    assert refused.status_code == 429 and "Too many failed logins" in refused.text
    assert "sessionid" not in refused.cookies


def test_the_admin_login_locks_out_after_the_failure_limit(start_server):
    server = start_server(LOGIN_FAILURE_LIMIT=str(LIMIT))
    User.objects.filter(pk=make_user("boss").pk).update(is_staff=True, is_superuser=True)
    for _ in range(LIMIT):
        page_login_try(server, "/admin/login/", "boss", "guess")
    refused = page_login_try(server, "/admin/login/", "boss", PASSWORD)
    assert refused.status_code == 429 and "sessionid" not in refused.cookies


def test_one_address_guessing_many_accounts_is_locked_out(start_server):
    server = start_server(THROTTLE_LOGIN="1000/min", LOGIN_FAILURE_LIMIT=str(LIMIT))
    for name in ("ann", "bob", "cai", "dee"):
        make_user(name)
    answers = [token_try(server, name, "guess").status_code for name in ("ann", "bob", "cai", "dee")]
    assert answers == [401, 401, 401, 429]


def test_behind_one_trusted_proxy_the_address_it_saw_counts(start_server):
    """TRUSTED_PROXIES=1: the proxy's entry (rightmost) is the client; two clients behind
    the same proxy have their own budgets, and a client's own prefix changes nothing."""
    server = start_server(TRUSTED_PROXIES="1", THROTTLE_LOGIN="2/day", LOGIN_FAILURE_LIMIT="100")
    user = make_user("ann")
    for forged in ("1.1.1.1", "2.2.2.2"):
        assert (
            token_try(
                server, user.username, "guess", **{"X-Forwarded-For": f"{forged}, 198.51.100.7"}
            ).status_code
            == 401
        )
    blocked = token_try(server, user.username, PASSWORD, **{"X-Forwarded-For": "3.3.3.3, 198.51.100.7"})
    assert blocked.status_code == 429
    other = token_try(server, user.username, PASSWORD, **{"X-Forwarded-For": "198.51.100.8"})
    assert other.status_code == 200 and other.json()["token"], other.text


def test_a_success_clears_the_failures_of_that_account(start_server):
    server = start_server(THROTTLE_LOGIN="1000/min", LOGIN_FAILURE_LIMIT=str(LIMIT))
    make_user("ann")
    for _ in range(2):
        for _ in range(LIMIT - 1):
            assert token_try(server, "ann", "typo").status_code == 401
        assert token_try(server, "ann", PASSWORD).status_code == 200
