from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A listener. Email is unique so it can identify an account."""

    email = models.EmailField("email address", unique=True)


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
