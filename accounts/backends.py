from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with either the username or the email address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            user = User.objects.filter(email__iexact=username.strip()).first()
            if user is not None:
                username = user.username
        return super().authenticate(request, username=username, password=password, **kwargs)
