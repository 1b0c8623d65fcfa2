"""Writes of the catalogue: songs (upserted by natural key) and listening events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.names import normalise_name
from catalogue.caching import catalogue_changed
from catalogue.models import ListeningEvent, Singer, Song, song_language_code

MAX_SINGERS_PER_SONG = 12


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """`accounts.names.normalise_name`, memoised: an import normalises the same singers often."""
    return normalise_name(name)


@dataclass(frozen=True)
class SongData:
    """A validated song, ready to be written (see catalogue.importing for validation)."""

    title: str
    singers: tuple[str, ...]
    language: str
    valence: float
    energy: float
    album: str = ""
    year: int | None = None
    genre: str = ""
    tempo: float | None = None
    mode: int | None = None
    tags: tuple[str, ...] = ()
    spotify_id: str | None = None
    danceability: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    popularity: int | None = None
    features: str = "measured"
    curated: bool = False

    @cached_property
    def title_key(self) -> str:
        return name_key(self.title) or self.title.strip().casefold()

    @cached_property
    def singer_keys(self) -> list[str]:
        return sorted({name_key(name) for name in self.singers} - {""})

    @cached_property
    def natural_key(self) -> tuple[str, str, str]:
        return (self.title_key, "|".join(self.singer_keys), self.language)


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_ids: list[int] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


# Who owns which fields: a Spotify track writes its measured features onto a curated
# song it matches, and the curated file never overwrites features that were measured.
_MEASURED = (
    "valence",
    "energy",
    "tempo",
    "mode",
    "danceability",
    "acousticness",
    "instrumentalness",
    "popularity",
    "features",
    "spotify_id",
)
_DESCRIPTIVE = ("title", "album", "year", "genre", "tags", "singers_display")
_KEYS = ("title_key", "singers_key", "language")
_FIELDS = (*_MEASURED, *_DESCRIPTIVE, *_KEYS, "curated")


def _field_values(data: SongData, display: str) -> dict:
    return {
        "title": data.title,
        "title_key": data.title_key,
        "singers_key": "|".join(data.singer_keys),
        "language": data.language,
        "album": data.album,
        "year": data.year,
        "genre": data.genre,
        "valence": data.valence,
        "energy": data.energy,
        "tempo": data.tempo,
        "mode": data.mode,
        "tags": list(data.tags),
        "singers_display": display,
        "spotify_id": data.spotify_id,
        "danceability": data.danceability,
        "acousticness": data.acousticness,
        "instrumentalness": data.instrumentalness,
        "popularity": data.popularity,
        "features": data.features,
        "curated": data.curated,
    }


def _owned(song: Song, data: SongData, values: dict) -> dict:
    """The values `data` may write onto the existing `song` (see _MEASURED)."""
    if song.curated and data.spotify_id and not data.curated:
        return {name: values[name] for name in _MEASURED}
    if song.curated and song.features == "measured" and data.curated:
        return {name: values[name] for name in _DESCRIPTIVE}
    return values


@transaction.atomic
def songs_upsert(*, songs: Sequence[SongData]) -> UpsertCounts:
    """Create or update songs; unchanged rows are not written.

    A song with a Spotify id is found by the id, else it gives its id and measured
    features to a curated song of the same title and singers (which keeps its language),
    else it is new. A song without an id is found by (title, singers, language). All or
    nothing for the batch: a song is never left without its singers.
    """
    counts = UpsertCounts()
    if not songs:
        return counts
    # Singers: one row per normalised name; the first spelling seen is the display name.
    wanted: dict[str, str] = {}
    for song in songs:
        for name in song.singers:
            key = name_key(name)
            if key:
                wanted.setdefault(key, " ".join(name.split()))
    singers = {s.key: s for s in Singer.objects.filter(key__in=wanted)}
    missing = [Singer(key=key, name=name) for key, name in wanted.items() if key not in singers]
    if missing:
        Singer.objects.bulk_create(missing, ignore_conflicts=True)
        singers = {s.key: s for s in Singer.objects.filter(key__in=wanted)}

    title_keys = {s.title_key for s in songs}
    track_ids = {s.spotify_id for s in songs if s.spotify_id}
    by_id = {s.spotify_id: s for s in Song.objects.filter(spotify_id__in=track_ids)} if track_ids else {}
    keyed = [s for s in songs if not s.spotify_id]
    existing = (
        {
            (s.title_key, s.singers_key, s.language): s
            for s in Song.objects.filter(
                title_key__in={s.title_key for s in keyed}, language__in={s.language for s in keyed}
            ).filter(Q(spotify_id__isnull=True) | Q(curated=True))
        }
        if keyed
        else {}
    )
    adoptable: dict[tuple[str, str], Song] = {}
    for s in Song.objects.filter(curated=True, spotify_id__isnull=True, title_key__in=title_keys):
        # Only an unambiguous match: one curated song of that title and those singers.
        key = (s.title_key, s.singers_key)
        adoptable[key] = None if key in adoptable else s
    to_create: list[tuple[Song, list[str]]] = []
    to_update: dict[int, Song] = {}
    relinked: dict[int, list[str]] = {}
    for data in songs:
        keys = data.singer_keys
        display = "; ".join(singers[k].name for k in _display_order(data, keys))
        values = _field_values(data, display)
        if data.spotify_id:
            song = by_id.get(data.spotify_id) or adoptable.pop((data.title_key, "|".join(keys)), None)
        else:
            song = existing.get(data.natural_key)
        if song is None:
            song = Song(**values)
            to_create.append((song, keys))
            if data.spotify_id:
                by_id[data.spotify_id] = song
            else:
                existing[data.natural_key] = song
            continue
        owned = _owned(song, data, values)
        if song.pk is None:
            # The same song twice in one batch: the later values win, still one row.
            for name, value in owned.items():
                setattr(song, name, value)
        elif any(getattr(song, name) != value for name, value in owned.items()):
            if "singers_key" in owned and owned["singers_key"] != song.singers_key:
                relinked[song.pk] = keys
            for name, value in owned.items():
                setattr(song, name, value)
            if song.pk not in to_update:
                counts.updated += 1
            to_update[song.pk] = song
        else:
            counts.unchanged += 1
    if to_create:
        Song.objects.bulk_create([song for song, _ in to_create])
        links = [
            Song.singers.through(song_id=song.id, singer_id=singers[key].id)
            for song, keys in to_create
            for key in keys
        ]
        Song.singers.through.objects.bulk_create(links)
        counts.created = len(to_create)
        counts.created_ids = [song.id for song, _ in to_create]
    if to_update:
        # bulk_update skips auto_now: set updated_at here.
        now = timezone.now()
        for song in to_update.values():
            song.updated_at = now
        Song.objects.bulk_update(list(to_update.values()), [*_FIELDS, "updated_at"])
    if relinked:
        Song.singers.through.objects.filter(song_id__in=relinked).delete()
        Song.singers.through.objects.bulk_create(
            [
                Song.singers.through(song_id=song_id, singer_id=singers[key].id)
                for song_id, keys in relinked.items()
                for key in keys
            ]
        )
    if to_create or to_update or relinked:
        catalogue_changed()  # bulk writes send no signals
    return counts


def _display_order(data: SongData, keys: list[str]) -> list[str]:
    """Singer keys in the order the source listed them (the lead singer first)."""
    ordered: list[str] = []
    for name in data.singers:
        key = name_key(name)
        if key in keys and key not in ordered:
            ordered.append(key)
    return ordered


def song_create(
    *,
    title: str,
    singers: Sequence[str],
    language: str,
    valence: float,
    energy: float,
    album: str = "",
    year: int | None = None,
    genre: str = "",
    tempo: float | None = None,
    mode: int | None = None,
    tags: Sequence[str] = (),
    spotify_id: str | None = None,
    features: str = "measured",
) -> Song:
    """Create (or update) one song from plain values; ValidationError for bad values."""
    from catalogue.importing import RowError, clean_song

    try:
        data = clean_song(
            {
                "track_name": title,
                "artists": ";".join(singers),
                "language": language,
                "valence": valence,
                "energy": energy,
                "album_name": album,
                "year": year,
                "track_genre": genre,
                "tempo": tempo,
                "mode": mode,
                "tags": ";".join(tags),
                "spotify_id": spotify_id,
                "features": features,
            }
        )
    except RowError as error:
        raise ValidationError(str(error)) from error
    songs_upsert(songs=[data])
    if data.spotify_id:
        return Song.objects.get(spotify_id=data.spotify_id)
    title_key, singers_key, lang = data.natural_key
    return Song.objects.get(title_key=title_key, singers_key=singers_key, language=lang)


@transaction.atomic
def listening_event_create(*, user: User, song: Song, kind: str, mood: str = "") -> ListeningEvent:
    """Record play / like / skip / finish of a song by a listener."""
    if kind not in ListeningEvent.Kind.values:
        raise ValidationError(
            {"kind": [f"Unknown event {kind!r}; use one of: {', '.join(ListeningEvent.Kind.values)}."]}
        )
    return ListeningEvent.objects.create(user=user, song=song, kind=kind, mood=mood or "")


@transaction.atomic
def listening_event_delete(*, event: ListeningEvent) -> None:
    """Forget one listening event (the caller has checked it is the listener's own); this
    is also "undo" for a skip: the song is ranked as if it had never been skipped."""
    event.delete()


@transaction.atomic
def song_unlike(*, user: User, song: Song) -> int:
    """Take a song off the listener's liked songs (every like of it); how many were removed."""
    removed, _ = ListeningEvent.objects.filter(user=user, song=song, kind=ListeningEvent.Kind.LIKE).delete()
    return removed


def language_or_error(value: str) -> str:
    code = song_language_code(value)
    if code is None:
        raise ValidationError({"language": [f"Unknown language: {value!r}."]})
    return code


@transaction.atomic
def song_singers_sync(*, song: Song) -> Song:
    """Refresh the denormalised singer fields after the many-to-many changed (e.g. in the admin)."""
    singers = list(song.singers.all())
    listed = song.singer_names
    # Keep the previous order for singers still there, then the new ones by name.
    order = {name: i for i, name in enumerate(listed)}
    singers.sort(key=lambda s: (order.get(s.name, len(order)), s.name))
    song.singers_key = "|".join(sorted(s.key for s in singers))
    song.singers_display = "; ".join(s.name for s in singers)
    song.save(update_fields=["singers_key", "singers_display", "updated_at"])
    return song
