from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from accounts.models import User, normalise_username


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (first in AUTHENTICATION_BACKENDS); see accounts.lockout.

    An authentication without a request (the test client's `login()`, a shell) cannot
    come from a guesser over the network and is not counted.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with either the username or the email address, in any case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            given = normalise_username(username)
            field = "email__iexact" if "@" in given else "username__iexact"
            user = User.objects.filter(**{field: given}).first()
            if user is not None:
                username = user.username
        return super().authenticate(request, username=username, password=password, **kwargs)
