"""Writes of the catalogue: songs (upserted by natural key) and listening events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.languages import language_code
from accounts.models import User
from accounts.names import normalise_name
from catalogue.models import ListeningEvent, Singer, Song

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


_FIELDS = ("title", "album", "year", "genre", "valence", "energy", "tempo", "mode", "tags", "singers_display")


def _field_values(data: SongData, display: str) -> dict:
    return {
        "title": data.title,
        "album": data.album,
        "year": data.year,
        "genre": data.genre,
        "valence": data.valence,
        "energy": data.energy,
        "tempo": data.tempo,
        "mode": data.mode,
        "tags": list(data.tags),
        "singers_display": display,
    }


@transaction.atomic
def songs_upsert(*, songs: Sequence[SongData]) -> UpsertCounts:
    """Create or update songs by (title, singers, language); unchanged rows are not written.

    All or nothing for the batch: a song is never left without its singers.
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
    existing = {
        (s.title_key, s.singers_key, s.language): s
        for s in Song.objects.filter(title_key__in=title_keys, language__in={s.language for s in songs})
    }
    to_create: list[tuple[Song, list[str]]] = []
    to_update: list[Song] = []
    for data in songs:
        keys = data.singer_keys
        display = "; ".join(singers[k].name for k in _display_order(data, keys))
        values = _field_values(data, display)
        song = existing.get(data.natural_key)
        if song is None:
            song = Song(
                title_key=data.title_key, singers_key="|".join(keys), language=data.language, **values
            )
            to_create.append((song, keys))
            existing[data.natural_key] = song
        elif song.pk is None:
            # The same song twice in one batch: the later values win, still one row.
            for name, value in values.items():
                setattr(song, name, value)
        elif any(getattr(song, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(song, name, value)
            to_update.append(song)
            counts.updated += 1
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
        # bulk_update skips auto_now: set updated_at here, since the catalogue's version
        # (catalogue.caching, what cached recommendation candidates are keyed by) reads it.
        now = timezone.now()
        for song in to_update:
            song.updated_at = now
        Song.objects.bulk_update(to_update, [*_FIELDS, "updated_at"])
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
            }
        )
    except RowError as error:
        raise ValidationError(str(error)) from error
    songs_upsert(songs=[data])
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
    """Forget one listening event (the caller has checked it is the listener's own)."""
    event.delete()


def language_or_error(value: str) -> str:
    code = language_code(value)
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
