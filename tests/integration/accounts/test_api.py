"""Register, token, me, preferences and revocation through the REST API."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.integration.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def register(api, **overrides):
    body = {"username": "meera", "email": "meera@example.com", "password": PASSWORD, **overrides}
    return api.post("/api/v1/auth/register/", body, format="json")


def test_register_then_token_me_and_preferences(api):
    response = register(api)
    assert response.status_code == 201
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["user"]["username"] == "meera"
    response = api.put(
        "/api/v1/me/preferences/",
        {"languages": ["Tamil", "en"], "favourite_singers": ["Sid Sriram", "sid  sriram", "Shreya Ghoshal"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "languages": ["ta", "en"],
        "favourite_singers": ["Sid Sriram", "Shreya Ghoshal"],
    }
    response = api.patch("/api/v1/me/preferences/", {"languages": ["te"]}, format="json")
    assert response.json()["favourite_singers"] == ["Sid Sriram", "Shreya Ghoshal"]
    assert response.json()["languages"] == ["te"]


def test_token_by_username_or_email_and_revocation(api):
    make_user("ann")
    first = api.post(
        "/api/v1/auth/token/", {"username": "ann@example.com", "password": PASSWORD}, format="json"
    )
    assert first.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {first.json()['token']}")
    assert api.post("/api/v1/auth/token/revoke/").status_code == 204
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token."


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ann"}, "username"),
        ({"email": "ann@example.com"}, "email"),
        ({"email": "nope"}, "email"),
        ({"password": "password"}, "password"),
    ],
)
def test_bad_registration_is_400_with_field_errors(api, overrides, field):
    make_user("ann")
    response = register(api, **overrides)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert User.objects.count() == 1


def test_wrong_password_and_wrong_token_are_clear(api):
    make_user("ann")
    response = api.post("/api/v1/auth/token/", {"username": "ann", "password": "nope"}, format="json")
    assert response.status_code == 401 or response.status_code == 403
    assert response.json()["error"]["message"] == "Wrong username or password."
    api.credentials(HTTP_AUTHORIZATION="Token deadbeef")
    assert api.get("/api/v1/me/").status_code == 401


def test_bad_preferences_are_400_and_change_nothing(api):
    user = make_user("ann")
    api.force_authenticate(user)
    api.put(
        "/api/v1/me/preferences/", {"languages": ["hi"], "favourite_singers": ["Arijit Singh"]}, format="json"
    )
    response = api.put("/api/v1/me/preferences/", {"languages": ["hi", "klingon"]}, format="json")
    assert response.status_code == 400 and "klingon" in response.json()["error"]["message"]
    response = api.put(
        "/api/v1/me/preferences/", {"favourite_singers": [f"Singer {i}" for i in range(500)]}, format="json"
    )
    assert response.status_code == 400
    assert api.get("/api/v1/me/preferences/").json() == {
        "languages": ["hi"],
        "favourite_singers": ["Arijit Singh"],
    }


def test_ten_megabyte_body_is_refused(api):
    user = make_user("ann")
    api.force_authenticate(user)
    body = json.dumps({"favourite_singers": ["x" * 100] * 100_000})
    response = api.generic("PUT", "/api/v1/me/preferences/", body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert "too large" in response.json()["error"]["message"].lower()


def test_anonymous_me_is_401(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
