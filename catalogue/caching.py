"""Per-process caches of catalogue reads, keyed by the catalogue's version.

The recommender's prefilter (songs in the listener's languages within a valence/energy
window around the target mood) and the songs it ranks are the same for every listener in
that mood and those languages until the catalogue changes: they are read once per server
process and catalogue version, not once per request. Per-listener parts (history,
favourites, the songs heard recently) are applied on top, per request.

The version is read from the database on each use (one primary-key lookup of
`CatalogueRevision`), so every process sees a change at once, whoever made it: saving or
deleting a song (the admin, the services) bumps it through signals (catalogue.apps), and
the importer's bulk writes bump it once per batch (`catalogue_changed`). Nothing stale after
a deploy. (It used to be the songs' count and latest `updated_at`: an aggregate over the
whole table that cost 30-45 ms of PostgreSQL per request on the full import.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.db.models import F

from catalogue.models import CatalogueRevision, Song

CatalogueVersion = tuple[Any, int]
REVISION_ID = 1


def catalogue_version() -> CatalogueVersion:
    """(token, number) of the catalogue's revision row; changes with every song written or deleted."""
    row = CatalogueRevision.objects.filter(pk=REVISION_ID).values_list("token", "number").first()
    return row or (None, 0)


def catalogue_changed(**_signal_kwargs: Any) -> None:
    """Bump the version (after writing songs in bulk; also a signal receiver)."""
    if not CatalogueRevision.objects.filter(pk=REVISION_ID).update(number=F("number") + 1):
        CatalogueRevision.objects.get_or_create(pk=REVISION_ID, defaults={"number": 1})


class LruCache:
    """A small thread-safe LRU map (gunicorn threads, or daphne's thread pool)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value, or None when it is not cached."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def get_or_set(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        # Made outside the lock (a query): two threads may both make it, once.
        return value if value is not None else self.put(key, make())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# (version, languages, target valence, target energy, window) -> candidate rows.
_candidate_rows = LruCache(maxsize=1024)
# (version, song id) -> Song.
_songs = LruCache(maxsize=20_000)

CandidateRow = tuple[int, float, float, str]  # id, valence, energy, singers_key


def candidate_rows(
    *, version: CatalogueVersion, languages: Iterable[str], tv: float, te: float, window: float, limit: int
) -> list[CandidateRow]:
    """Songs in `languages` (all when empty) within `window` of (tv, te) in song space, at
    most `limit`, as (id, valence, energy, singers_key); cached per catalogue version."""
    languages = tuple(sorted(set(languages)))

    def query() -> list[CandidateRow]:
        songs = Song.objects.all()
        if languages:
            songs = songs.filter(language__in=languages)
        if window < 1.0:
            songs = songs.filter(
                valence__gte=tv - window,
                valence__lte=tv + window,
                energy__gte=te - window,
                energy__lte=te + window,
            )
        return list(songs.values_list("id", "valence", "energy", "singers_key")[:limit])

    return _candidate_rows.get_or_set((version, languages, tv, te, window, limit), query)


def songs_by_id(*, version: CatalogueVersion, ids: Iterable[int]) -> dict[int, Song]:
    """The songs with these ids (missing ones left out), cached per catalogue version.

    The Song objects are shared between requests: treat them as read-only."""
    ids = list(ids)
    found: dict[int, Song] = {}
    missing = []
    for song_id in ids:
        song = _songs.get((version, song_id))
        if song is None:
            missing.append(song_id)
        else:
            found[song_id] = song
    if missing:
        for song_id, song in Song.objects.in_bulk(missing).items():
            found[song_id] = _songs.put((version, song_id), song)
    return found


def clear() -> None:
    """Forget everything cached in this process (tests)."""
    _candidate_rows.clear()
    _songs.clear()
