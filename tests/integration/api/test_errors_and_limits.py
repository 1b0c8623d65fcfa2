"""One error format on every failing path, throttling, CSRF, and body/upload limits.

Every error an API client can meet (400, 401, 403, 404 — also for a path no endpoint
has —, 405, 413, 415, 429) is `{"error": {"code", "message"[, "fields"]}}`.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import token_obtain
from tests.integration.api.objects import PASSWORD, make_composition, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings, redis_url):
    """Throttle counters in Redis under a prefix of this test's own (no shared counters)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"api-test-{uuid.uuid4().hex[:10]}",
        }
    }


@pytest.fixture
def rates(monkeypatch):
    """Small throttle rates (DRF reads its rates once, at import), same scopes as settings."""
    small = {"anon": "5/min", "user": "8/min", "login": "3/min", "compose": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", small)
    return small


def token_client(user, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_obtain(user=user).key}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {
        "code",
        "message",
        "fields",
    }
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_bad_input_is_400_naming_the_field():
    error = assert_error(
        token_client(make_user()).post(
            "/api/v1/compositions/", {"mood": "calm", "style": "folk", "bars": "many"}
        ),
        400,
        "invalid",
    )
    assert "bars" in error["fields"]


def test_weak_password_is_refused_by_the_validators():
    response = APIClient().post(
        "/api/v1/auth/register/", {"username": "newcomer", "email": "n@example.com", "password": "password"}
    )
    assert "password" in assert_error(response, 400, "invalid")["fields"]


def test_missing_and_revoked_tokens_are_401():
    user = make_user()
    assert_error(APIClient().get("/api/v1/me/"), 401, "not_authenticated")
    client = token_client(user)
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/compositions/-3/", "/api/v1/me"])
def test_a_path_without_an_endpoint_is_a_json_404(path):
    assert_error(token_client(make_user()).get(path), 404, "not_found")


def test_a_method_the_route_does_not_have_is_405():
    assert_error(token_client(make_user()).delete("/api/v1/me/"), 405, "method_not_allowed")


def test_an_unsupported_content_type_is_415():
    response = token_client(make_user()).post("/api/v1/moods/analyze/", b"hello", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_an_image_over_the_upload_limit_is_413(settings):
    client = token_client(make_user())
    too_big = b"\xff\xd8\xff" + bytes(1024 * 1024 + 10)
    assert_error(client.post("/api/v1/moods/analyze/", too_big, content_type="image/jpeg"), 413, "too_large")


def test_a_json_body_over_the_request_limit_is_413(settings):
    body = '{"mood": "calm", "pad": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = token_client(make_user()).post(
        "/api/v1/recommendations/", body, content_type="application/json"
    )
    assert_error(response, 413, "too_large")


def test_a_session_authenticated_write_without_the_csrf_token_is_403():
    user = make_user()
    composition = make_composition(user)
    url = f"/api/v1/compositions/{composition.pk}/rename/"
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    error = assert_error(client.post(url, {"title": "No token"}, format="json"), 403, "permission_denied")
    assert "CSRF" in error["message"]
    composition.refresh_from_db()
    assert composition.title == "Mine"

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(url, {"title": "With token"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 200 and response.json()["title"] == "With token"


def test_a_token_authenticated_write_needs_no_csrf_token():
    user = make_user()
    composition = make_composition(user)
    client = token_client(user, enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/compositions/{composition.pk}/rename/", {"title": "Mobile"}, format="json"
    )
    assert response.status_code == 200


def test_login_and_composing_are_throttled_more_strictly_than_other_calls(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    def per_minute(rate: str) -> float:
        count, period = rate.split("/")
        return int(count) * {"s": 60, "m": 1, "h": 1 / 60, "d": 1 / 1440}[period[0]]

    assert per_minute(rates["login"]) < per_minute(rates["user"])
    assert per_minute(rates["compose"]) < per_minute(rates["user"])


def test_each_user_has_their_own_request_budget(rates):
    ann, bob = token_client(make_user()), token_client(make_user())
    for _ in range(8):
        assert ann.get("/api/v1/me/").status_code == 200
    error = assert_error(ann.get("/api/v1/me/"), 429, "throttled")
    assert re.search(r"available in \d+ seconds?", error["message"])  # "1 second" near the window's end
    assert int(ann.get("/api/v1/me/")["Retry-After"]) > 0
    assert bob.get("/api/v1/me/").status_code == 200


def test_each_anonymous_client_has_its_own_budget(rates):
    first, second = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
    for _ in range(5):
        assert_error(first.get("/api/v1/nothing/"), 404)
    assert_error(first.get("/api/v1/nothing/"), 429, "throttled")
    assert_error(second.get("/api/v1/nothing/"), 404)


def test_password_guessing_is_throttled_per_client(rates):
    user = make_user()
    guesser = APIClient(REMOTE_ADDR="10.0.0.3")
    for _ in range(3):
        assert guesser.post(
            "/api/v1/auth/token/", {"username": user.username, "password": "guess"}
        ).status_code in {
            401,
            403,
        }
    # Even the right password is refused now: the budget is per client, not per success.
    assert_error(
        guesser.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}),
        429,
        "throttled",
    )
    other = APIClient(REMOTE_ADDR="10.0.0.4")
    assert (
        other.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}).status_code
        == 200
    )


def test_composing_has_its_own_stricter_budget(rates, settings):
    settings.COMPOSITIONS_MAX_IN_FLIGHT = 100
    client = token_client(make_user())
    for _ in range(2):
        assert client.post("/api/v1/compositions/", {"mood": "calm", "style": "folk"}).status_code == 202
    assert_error(client.post("/api/v1/compositions/", {"mood": "calm", "style": "folk"}), 429, "throttled")
    # Reading the library is not part of that budget.
    assert client.get("/api/v1/compositions/").status_code == 200


def test_concurrent_requests_are_all_counted_by_the_throttle():
    """DRF's read-modify-write history loses hits under concurrency; our counter may not."""
    from concurrent.futures import ThreadPoolExecutor

    from echoes_site.throttling import _hit

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: _hit("concurrency-probe", 60), range(200)))
    assert sorted(counts) == list(range(1, 201))


def test_a_bug_under_the_api_is_a_500_in_the_error_format_and_pages_keep_html(settings):
    settings.ROOT_URLCONF = "tests.integration.api.urls_with_a_bug"
    settings.DEBUG = False
    client = APIClient(raise_request_exception=False)
    error = assert_error(client.get("/api/v1/bug/"), 500, "server_error")
    assert "a bug, on purpose" not in error["message"]
    page = client.get("/bug/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    # The site's own page, in its style, with no traceback in it.
    html = page.content.decode()
    assert "Something went wrong on our side" in html and "site.css" in html
    assert "a bug, on purpose" not in html and "Traceback" not in html


def test_a_page_form_post_without_the_csrf_token_is_refused():
    user = make_user()
    composition = make_composition(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(f"/compositions/{composition.pk}/rename/", {"title": "No token"})
    assert response.status_code == 403
    composition.refresh_from_db()
    assert composition.title == "Mine"


@pytest.mark.parametrize("path", ["/api/v1/singers/", "/api/v1/songs/", "/api/v1/compositions/"])
def test_a_nul_character_in_a_text_filter_is_a_400_not_a_server_error(path):
    # PostgreSQL cannot compare strings with NUL; found by schemathesis on /singers/.
    assert_error(token_client(make_user()).get(path, {"q": "a\x00b"}), 400, "invalid")


def test_a_nul_character_in_the_library_search_is_ignored():
    user = make_user()
    make_composition(user)
    client = Client()
    client.force_login(user)
    assert client.get("/compositions/", {"q": "Mi\x00ne"}).status_code == 200
