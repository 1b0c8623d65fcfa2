"""Builders for catalogue tests: users and songs made through the real services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts.services import profile_update, user_register
from catalogue.models import ListeningEvent, Song
from catalogue.services import SongData, listening_event_create, song_create, songs_upsert

_users = itertools.count(1)


def make_user(*, languages: list[str] | None = None, singers: list[str] | None = None):
    n = next(_users)
    user = user_register(
        username=f"listener{n}", email=f"listener{n}@example.com", password="a-Long-pass-4821"
    )
    profile_update(user=user, languages=languages or [], favourite_singers=singers or [])
    return user


def make_song(
    title: str,
    singer: str | list[str],
    *,
    language: str = "te",
    valence: float = 0.5,
    energy: float = 0.5,
    spotify_id: str | None = None,
    features: str = "measured",
) -> Song:
    singers = [singer] if isinstance(singer, str) else singer
    return song_create(
        title=title,
        singers=singers,
        language=language,
        valence=valence,
        energy=energy,
        spotify_id=spotify_id,
        features=features,
    )


def make_grid(*, languages: tuple[str, ...] = ("te", "ta", "en"), per_axis: int = 5) -> list[Song]:
    """Songs spread over the valence/energy square in each language, one singer per song."""
    data = []
    for language in languages:
        for i in range(per_axis):
            for j in range(per_axis):
                v = round(0.05 + 0.9 * i / (per_axis - 1), 3)
                e = round(0.05 + 0.9 * j / (per_axis - 1), 3)
                data.append(
                    SongData(
                        title=f"{language} song {i}-{j}",
                        singers=(f"{language} singer {i}{j}",),
                        language=language,
                        valence=v,
                        energy=e,
                    )
                )
    songs_upsert(songs=data)
    return list(Song.objects.filter(title__in=[d.title for d in data]))


def make_event(user, song: Song, kind: str, *, hours_ago: float = 0.0) -> ListeningEvent:
    event = listening_event_create(user=user, song=song, kind=kind)
    if hours_ago:
        # created_at is auto_now_add; move it back to simulate an older event.
        ListeningEvent.objects.filter(pk=event.pk).update(
            created_at=timezone.now() - timedelta(hours=hours_ago)
        )
        event.refresh_from_db()
    return event
