"""Fixtures of the compositions unit tests: users made through the accounts service,
compositions made through ours, files stored under the test's own tmp_path."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from accounts.services import token_obtain, user_register

_counter = itertools.count()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing is not what these tests are about; keep user creation fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def make_user(db):
    def make(name: str | None = None):
        name = name or f"listener{next(_counter)}"
        return user_register(username=name, email=f"{name}@example.com", password="a-long-pass-phrase-42")

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def api_for():
    def client(user) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token_obtain(user=user).key}")
        return api

    return client


@pytest.fixture
def closed_session():
    """A closed live session whose readings say `label` (made through moods' services)."""
    from ml.mood import mood_named
    from tests.integration.moods.factories import make_session

    def make(user, label: str):
        mood = mood_named(label)
        return make_session(user, [(label, 10, mood.valence, mood.arousal)])

    return make
