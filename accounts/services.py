"""Writes of the accounts app: registration, preferences, API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.authtoken.models import Token

from accounts.languages import LANGUAGES, language_code
from accounts.models import FavouriteSinger, Profile, User, normalise_username, username_validator
from accounts.names import normalise_name
from accounts.revocation import sockets_close

MAX_FAVOURITE_SINGERS = 50
MAX_LANGUAGES = len(LANGUAGES)
TAKEN_USERNAME = "That username is taken."
TAKEN_EMAIL = "An account with that email already exists."


def clean_languages(languages: Iterable[str]) -> list[str]:
    """Language codes in the given order without repeats; ValidationError names unknown ones."""
    codes: list[str] = []
    unknown: list[str] = []
    for value in languages:
        code = language_code(value) if isinstance(value, str) else None
        if code is None:
            unknown.append(str(value)[:40])
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise ValidationError(
            {"languages": [f"Unknown language: {', '.join(unknown)}. Choose from: {', '.join(LANGUAGES)}."]}
        )
    return codes


def clean_singers(singers: Iterable[str]) -> list[tuple[str, str]]:
    """(display name, normalised key) pairs, duplicates by key dropped."""
    cleaned: dict[str, str] = {}
    for value in singers:
        if not isinstance(value, str):
            raise ValidationError({"favourite_singers": ["Each singer must be a name (text)."]})
        name = " ".join(value.split())
        if len(name) > 120:
            raise ValidationError({"favourite_singers": ["A singer's name can have at most 120 characters."]})
        key = normalise_name(name)
        if key and key not in cleaned:
            cleaned[key] = name
    if len(cleaned) > MAX_FAVOURITE_SINGERS:
        raise ValidationError(
            {"favourite_singers": [f"At most {MAX_FAVOURITE_SINGERS} favourite singers, please."]}
        )
    return [(name, key) for key, name in cleaned.items()]


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user with an empty profile; ValidationError for taken names or weak passwords.

    The username is NFKC-normalised and must be ASCII letters, digits and . _ -; names
    and emails are unique whatever their case. The checks below give the friendly
    message; the database's constraints decide a race between parallel signups.
    """
    username = normalise_username(username)
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if not username:
        errors["username"] = ["Choose a username."]
    else:
        try:
            username_validator(username)
        except ValidationError as error:
            errors["username"] = list(error.messages)
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = [TAKEN_USERNAME]
    if "email" not in errors and User.objects.filter(email__iexact=email).exists():
        errors["email"] = [TAKEN_EMAIL]
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # Another signup took the name or the email between our check and the insert.
        taken_email = User.objects.filter(email__iexact=email).exists()
        raise ValidationError(
            {"email": [TAKEN_EMAIL]} if taken_email else {"username": [TAKEN_USERNAME]}
        ) from None
    Profile.objects.create(user=user)
    return user


@transaction.atomic
def profile_update(
    *,
    user: User,
    languages: Iterable[str] | None = None,
    favourite_singers: Iterable[str] | None = None,
) -> Profile:
    """Replace the languages and/or favourite singers given (None leaves one unchanged)."""
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    if languages is not None:
        profile.languages = clean_languages(languages)
        profile.save(update_fields=["languages", "updated_at"])
    if favourite_singers is not None:
        singers = clean_singers(favourite_singers)
        profile.favourite_singers.all().delete()
        FavouriteSinger.objects.bulk_create(
            FavouriteSinger(profile=profile, name=name, key=key) for name, key in singers
        )
    return profile


def token_obtain(*, user: User) -> Token:
    """The user's API token (one per user, created on first request)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: User) -> None:
    """Delete the user's API token and close the sockets it opened; clients must obtain a new one."""
    keys = list(Token.objects.filter(user=user).values_list("key", flat=True))
    Token.objects.filter(user=user).delete()
    sockets_close(user_id=user.pk, token_keys=keys)


def user_credentials_revoke(*, user: User) -> None:
    """Everything that proves to be this user stops working: API tokens are deleted and
    every open socket closes. (Web sessions made before a password change already die
    with it: Django checks each session against the password hash.)"""
    Token.objects.filter(user=user).delete()
    sockets_close(user_id=user.pk)


@transaction.atomic
def user_logout_everywhere(*, user: User) -> None:
    """Log out everywhere: every web session of the user (this browser's too) stops being
    valid, the API token is deleted and every open socket closes, on every server."""
    User.objects.filter(pk=user.pk).update(sessions_epoch=F("sessions_epoch") + 1)
    user.refresh_from_db(fields=["sessions_epoch"])
    user_credentials_revoke(user=user)
