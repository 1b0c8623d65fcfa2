"""Bad input answers 4xx, never 500, through a real daphne on PostgreSQL (issue 19):
deep JSON (also before authentication), out-of-range integers and dates, lone
surrogates, a chunked body the server cannot read, an oversized body; and the CSP."""

from __future__ import annotations

import http.client
import json

import pytest
import requests

from accounts.services import profile_update
from tests.integration.moods.helpers import huge_png, make_user, session_cookie, token_for

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 5000 + "]" * 5000
SURROGATE = '{"languages": ["te"], "favourite_singers": ["\\ud800"]}'


def _cases(token: str) -> list[tuple[str, str, dict, str | None, set[int]]]:
    auth = {"Authorization": f"Token {token}"}
    json_type = {"Content-Type": "application/json"}
    return [
        ("POST", "/api/v1/auth/token/", json_type, DEEP, {400}),
        ("POST", "/api/v1/auth/token/", json_type, '{"username": {"a": ' * 2000 + "1" + "}" * 2000, {400}),
        ("POST", "/api/v1/auth/register/", json_type, DEEP, {400}),
        ("PUT", "/api/v1/me/preferences/", {**auth, **json_type}, DEEP, {400}),
        ("PUT", "/api/v1/me/preferences/", {**auth, **json_type}, SURROGATE, {400}),
        # moods/choose had a parser of its own without the depth limit (a RecursionError, 500).
        ("POST", "/api/v1/moods/choose/", {**auth, **json_type}, DEEP, {400}),
        ("POST", "/api/v1/compositions/", {**auth, **json_type}, DEEP, {400}),
        # A decompression bomb: a small PNG that claims 10000x10000 pixels.
        ("POST", "/api/v1/moods/analyze/", {**auth, "Content-Type": "image/png"}, huge_png(), {413}),
        ("POST", "/api/v1/auth/token/", json_type, '{"username": "\\udfff", "password": "x"}', {400}),
        ("GET", f"/api/v1/songs/?limit={2**63}", auth, None, {400}),
        ("GET", f"/api/v1/songs/?offset={2**63}", auth, None, {400}),
        ("GET", "/api/v1/compositions/?limit=-1", auth, None, {400}),
        ("GET", "/api/v1/moods/sessions/?end=9999-12-31", auth, None, {400}),
        ("GET", "/api/v1/moods/sessions/?start=0001-01-01", auth, None, {400}),
        ("GET", "/api/v1/moods/history/?end=9999-12-31", auth, None, {400}),
        ("GET", "/api/v1/moods/history/?end=0001-01-02", auth, None, {400}),
    ]


def test_hostile_input_is_a_4xx_in_the_error_format(start_server):
    server = start_server()
    user = make_user("ann")
    failures = []
    for method, path, headers, body, expected in _cases(token_for(user)):
        response = requests.request(method, server.url + path, headers=headers, data=body, timeout=60)
        ok = response.status_code in expected and "error" in response.json()
        if not ok:
            failures.append(f"{method} {path[:60]} -> {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)


def test_out_of_range_dates_on_the_pages_are_400(start_server):
    server = start_server()
    cookie = session_cookie(make_user("ann"))
    for path in ("/moods/history/?end=9999-12-31", "/moods/history/chart.png?end=9999-12-31"):
        response = requests.get(
            server.url + path, headers={"Cookie": cookie}, timeout=60, allow_redirects=False
        )
        assert response.status_code == 400, (path, response.status_code)


def test_a_chunked_body_is_refused_and_the_preferences_are_kept(start_server):
    server = start_server()
    user = make_user("ann")
    profile_update(user=user, languages=["te"], favourite_singers=["K. S. Chithra"])
    body = json.dumps({"languages": [], "favourite_singers": []}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.putrequest("PUT", "/api/v1/me/preferences/")
    connection.putheader("Authorization", f"Token {token_for(user)}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status in {400, 411} and answer["error"]["code"] == "length_required"
    me = requests.get(
        f"{server.url}/api/v1/me/", headers={"Authorization": f"Token {token_for(user)}"}, timeout=60
    )
    assert me.json()["preferences"] == {"languages": ["te"], "favourite_singers": ["K. S. Chithra"]}


def test_a_body_over_the_limit_is_413_on_pages_and_api(start_server):
    server = start_server(MAX_REQUEST_BODY_BYTES="1000")
    cookie = session_cookie(make_user("ann"))
    page = requests.post(
        f"{server.url}/accounts/profile/",
        headers={"Cookie": cookie},
        data={"favourite_singers": "x" * 2000},
        timeout=60,
    )
    api = requests.post(
        f"{server.url}/api/v1/auth/token/", json={"username": "x" * 2000, "password": "y"}, timeout=60
    )
    assert page.status_code == 413
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"


def test_pages_and_the_api_docs_carry_a_content_security_policy(start_server):
    server = start_server()
    home = requests.get(server.url + "/", timeout=60)
    policy = home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert f"ws://127.0.0.1:{server.port}" in policy
    # WebAssembly may compile (the soundtrack's synthesiser); JavaScript eval stays refused.
    assert "'wasm-unsafe-eval'" in policy and "'unsafe-eval'" not in policy
    docs = requests.get(server.url + "/api/docs/", timeout=60)
    assert docs.status_code == 200 and "Content-Security-Policy" in docs.headers
    # Swagger UI's setup is a script file (no inline script, which the policy refuses).
    assert "<script>" not in docs.text.replace(" ", "")
    redoc = requests.get(server.url + "/api/redoc/", timeout=60)
    assert redoc.status_code == 200 and "<script>" not in redoc.text.replace(" ", "")
