import unicodedata

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

# ASCII letters, digits and . _ - only: no look-alike letters from other scripts
# ("аnn" with a Cyrillic а), and no "@", which sign-in reads as an email address.
USERNAME_PATTERN = r"^[A-Za-z0-9._-]+$"  # as the API schema states it (ECMA regex)
username_validator = RegexValidator(
    r"^[A-Za-z0-9._-]+\Z",
    "Use letters a-z, digits, '.', '_' or '-' only (no spaces or other alphabets).",
    code="invalid_username",
)


def normalise_username(value: str) -> str:
    """NFKC (so full-width "ａｎｎ" is "ann") and trimmed; validation decides the rest."""
    return unicodedata.normalize("NFKC", value).strip()


class User(AbstractUser):
    """A listener. Usernames and emails are unique whatever their case (the database
    enforces it, so parallel signups cannot both win)."""

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="150 characters or fewer: letters a-z, digits and . _ - only.",
        validators=[username_validator],
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address", unique=True)
    # Raised by "log out everywhere": part of the session auth hash, so every web session
    # made before it stops being valid (as a password change does), on every server.
    sessions_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(Lower("username"), name="unique_username_any_case"),
            models.UniqueConstraint(Lower("email"), name="unique_email_any_case"),
        ]

    def _get_session_auth_hash(self, secret=None):
        # Epoch 0 is Django's own hash, so sessions made before this field existed live on.
        password = self.password if not self.sessions_epoch else f"{self.password}:{self.sessions_epoch}"
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, password, secret=secret, algorithm="sha256").hexdigest()


class Profile(models.Model):
    """Listening preferences: languages (codes from accounts.languages) and singers."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    languages = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class FavouriteSinger(models.Model):
    """A singer the listener likes; `key` is the normalised name used for matching."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="favourite_singers")
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=120)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "key"], name="unique_favourite_singer"),
        ]

    def __str__(self) -> str:
        return self.name
