"""Objects that routes name by id, built through the apps' own services.

`OWNED_OBJECTS` maps a route's path parameter to a factory that makes one such object
owned by a given user. A new route whose parameter is not here fails the authorization
walk until someone adds a factory, so no object route goes unchecked.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db import models

from accounts.models import User
from accounts.services import user_register
from catalogue.models import Song
from catalogue.services import listening_event_create, song_create
from compositions.models import Composition
from compositions.services import (
    RenderedPiece,
    composition_create,
    composition_job_claim,
    composition_job_save,
)
from ml.mood import mood_named
from moods.models import MoodSession
from tests.integration.moods.factories import make_session

PASSWORD = "a-long-pass-phrase-42"
_names = itertools.count(1)


def make_user(name: str | None = None) -> User:
    name = name or f"listener{next(_names)}"
    return user_register(username=name, email=f"{name}@example.com", password=PASSWORD)


def make_song(title: str = "Echo of the hills") -> Song:
    return song_create(title=title, singers=["K. S. Chithra"], language="te", valence=0.7, energy=0.4)


def make_composition(owner: User) -> Composition:
    """A ready composition with its three files in storage (the job's own save path)."""
    composition = composition_create(user=owner, mood="calm", style="folk", bars=2, seed=7, title="Mine")
    claimed = composition_job_claim(composition_id=composition.pk, job_token="walk")
    return composition_job_save(
        composition=claimed,
        rendered=RenderedPiece(
            midi=b"MThd\x00\x00\x00\x06",
            audio=b"OggS audio",
            piano_roll=b"\x89PNG\r\n",
            duration_seconds=3.0,
            metrics={},
        ),
    )


def make_listening_event(owner: User):
    return listening_event_create(user=owner, song=make_song(), kind="like", mood="calm")


def make_mood_session(owner: User) -> MoodSession:
    """A closed live session with one reading (calm), as the consumer would leave it."""
    calm = mood_named("calm")
    return make_session(owner, [("calm", 10, calm.valence, calm.arousal)])


@dataclass(frozen=True)
class ObjectKind:
    """How to make the object a path parameter names, and whether it is private."""

    factory: Callable[[User], models.Model]
    # Shared objects (catalogue songs) are readable by everyone and writable by no one.
    shared: bool = False


OWNED_OBJECTS: dict[str, ObjectKind] = {
    "composition_id": ObjectKind(make_composition),
    "event_id": ObjectKind(make_listening_event),
    # A song the owner liked: unliking it is the owner's alone (another listener gets 404).
    "liked_song_id": ObjectKind(lambda owner: make_listening_event(owner).song),
    "session_id": ObjectKind(make_mood_session),
    "song_id": ObjectKind(lambda _owner: make_song(), shared=True),
}


def snapshot(obj: models.Model) -> dict[str, Any] | None:
    """The object's row as stored, and whether each of its files still exists."""
    row = type(obj).objects.filter(pk=obj.pk).values().first()
    if row is None:
        return None
    files = {
        field.attname: default_storage.exists(row[field.attname])
        for field in type(obj)._meta.fields
        if isinstance(field, models.FileField) and row[field.attname]
    }
    return {"row": row, "files": files}
