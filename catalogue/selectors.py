"""Reads of the catalogue: songs, listening history, and the mood a recommendation is for."""

from __future__ import annotations

import difflib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.names import normalise_name
from catalogue.features import mood_to_song_space
from catalogue.models import ListeningEvent, Singer, Song, song_language_code
from ml.mood import Mood, label_for, mood_named


def song_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Song]:
    """Songs filtered by any of: q (title/singer text), language, singer, genre, mood, year range,
    valence/energy ranges (0..1)."""
    filters = filters or {}
    songs = Song.objects.all()
    if q := (filters.get("q") or "").strip():
        songs = songs.filter(Q(title__icontains=q) | Q(singers_display__icontains=q) | Q(album__icontains=q))
    if language := filters.get("language"):
        code = song_language_code(language)
        if code is None:
            raise ValidationError({"language": [f"Unknown language {language!r}."]})
        songs = songs.filter(language=code)
    if singer := filters.get("singer"):
        songs = songs.filter(singers__key=normalise_name(singer))
    if genre := filters.get("genre"):
        songs = songs.filter(genre__iexact=genre.strip())
    if label := filters.get("mood"):
        # Songs in the region of a mood label: a window around its prototype.
        mood = mood_named(label)
        v, e = mood_to_song_space(mood.valence, mood.arousal)
        songs = songs.filter(valence__range=(v - 0.2, v + 0.2), energy__range=(e - 0.2, e + 0.2))
    for name, lookup in (
        ("year_min", "year__gte"),
        ("year_max", "year__lte"),
        ("valence_min", "valence__gte"),
        ("valence_max", "valence__lte"),
        ("energy_min", "energy__gte"),
        ("energy_max", "energy__lte"),
    ):
        if filters.get(name) is not None:
            songs = songs.filter(**{lookup: filters[name]})
    return songs.order_by("title", "id")


def song_get(*, song_id: int) -> Song:
    """One song; Http404 when it does not exist."""
    return get_object_or_404(Song.objects.prefetch_related("singers"), pk=song_id)


def singer_list(*, q: str = "") -> QuerySet[Singer]:
    """Singers with their song counts, optionally matching `q`."""
    singers = Singer.objects.annotate(song_count=Count("songs"))
    if q:
        singers = singers.filter(key__contains=normalise_name(q))
    return singers.order_by("name")


def singer_suggest(*, q: str, limit: int = 10) -> list[Singer]:
    """Singers for an autocomplete: names starting with `q`, then names with a word starting
    with it; more songs first. Matching is on the normalised name ("a r r" finds A. R. Rahman)."""
    key = normalise_name(q)
    if not key:
        return []
    counted = Singer.objects.annotate(song_count=Count("songs")).order_by("-song_count", "name")
    found = list(counted.filter(key__startswith=key)[:limit])
    if len(found) < limit:
        found += list(
            counted.filter(key__contains=f" {key}").exclude(id__in=[s.id for s in found])[
                : limit - len(found)
            ]
        )
    return found


def favourite_singers_unmatched(*, user: User) -> list[tuple[str, list[str]]]:
    """The listener's favourite singers with no song in the catalogue, each with up to three
    close names that have songs (a typo matches nobody otherwise, silently)."""
    from accounts.models import FavouriteSinger

    saved = list(FavouriteSinger.objects.filter(profile__user=user).values_list("name", "key"))
    known = set(
        Singer.objects.filter(key__in=[key for _, key in saved], songs__isnull=False).values_list(
            "key", flat=True
        )
    )
    unmatched = []
    for name, key in saved:
        if key in known:
            continue
        # Close names among singers sharing the first two letters (cheap on 37,000 singers).
        pool = dict(
            Singer.objects.filter(key__startswith=key[:2], songs__isnull=False).values_list("key", "name")
        )
        close = difflib.get_close_matches(key, list(pool), n=3, cutoff=0.75)
        unmatched.append((name, [pool[k] for k in close]))
    return unmatched


def listening_event_list(*, user: User, kind: str | None = None) -> QuerySet[ListeningEvent]:
    """The user's listening history, newest first."""
    events = ListeningEvent.objects.filter(user=user).select_related("song")
    if kind:
        if kind not in ListeningEvent.Kind.values:
            raise ValidationError(
                {"kind": [f"Unknown event {kind!r}; use one of: {', '.join(ListeningEvent.Kind.values)}."]}
            )
        events = events.filter(kind=kind)
    return events.order_by("-created_at", "-id")


def liked_song_list(*, user: User) -> QuerySet[Song]:
    """The listener's liked songs, the most recently liked first (each song once)."""
    return (
        Song.objects.filter(listening_events__user=user, listening_events__kind=ListeningEvent.Kind.LIKE)
        .annotate(liked_at=Max("listening_events__created_at"))
        .order_by("-liked_at", "-id")
    )


def listening_event_get(*, user: User, event_id: int) -> ListeningEvent:
    """One of the user's events; Http404 for a missing one or another user's."""
    return get_object_or_404(ListeningEvent.objects.select_related("song"), pk=event_id, user=user)


def mood_resolve(
    *,
    user: User,
    label: str | None = None,
    valence: float | None = None,
    arousal: float | None = None,
    session_id: int | None = None,
) -> Mood:
    """The mood to recommend for, from (in order) a session, valence+arousal, or a label.

    With none of them: the user's latest session mood, else neutral. InvalidMood for an
    unknown label or values outside -1..1; Http404 for another user's session.
    """
    if session_id is not None:
        from moods.selectors import session_get, session_mood

        mood = session_mood(session=session_get(user=user, session_id=session_id))
        if mood is None:
            raise ValidationError({"session": ["That session has no mood yet; try again in a few seconds."]})
        return mood
    if valence is not None or arousal is not None:
        if valence is None or arousal is None:
            raise ValidationError({"valence": ["Give both valence and arousal (each -1..1)."]})
        return Mood(label=label_for(valence, arousal), valence=valence, arousal=arousal)
    if label:
        return mood_named(label)
    try:
        from moods.selectors import session_latest_mood
    except ImportError:  # the moods app is optional for the catalogue
        return mood_named("neutral")
    return session_latest_mood(user=user) or mood_named("neutral")
