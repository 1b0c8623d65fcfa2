import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Accounts are made through the real registration service; a fast hasher keeps tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
