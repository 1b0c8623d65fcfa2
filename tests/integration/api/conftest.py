"""Fixtures of the API hardening tests: fast password hashing, media under tmp_path."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def api_test_settings(settings, tmp_path):
    # Users are made through the real registration service; a fast hasher keeps it quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings
