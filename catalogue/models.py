"""Songs, singers and listening events."""

from __future__ import annotations

import uuid
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.languages import LANGUAGE_CHOICES, language_code
from catalogue.language_rule import INSTRUMENTAL, UNKNOWN
from echoes_site.revisions import UserRevisionQuerySet

# The revision namespace of a listener's history (catalogue.results_cache keys on it).
LISTENING_REVISIONS = "listening"

# A song's language may also be "no words" or "not known" (catalogue.language_rule);
# a listener's preferences use accounts.languages only.
SONG_LANGUAGE_CHOICES = [*LANGUAGE_CHOICES, (INSTRUMENTAL, "Instrumental"), (UNKNOWN, "Unknown language")]
SONG_LANGUAGES = dict(SONG_LANGUAGE_CHOICES)
FEATURES = ("measured", "hand")
SPOTIFY_EMBED_ORIGIN = "https://open.spotify.com"


def song_language_code(value: str) -> str | None:
    """accounts.languages.language_code, plus "zxx"/"instrumental" and "und"/"unknown"."""
    key = str(value).strip().lower()
    if key in (INSTRUMENTAL, "instrumental"):
        return INSTRUMENTAL
    if key in (UNKNOWN, "unknown"):
        return UNKNOWN
    return language_code(key)


class Singer(models.Model):
    """A performer; `key` is `accounts.names.normalise_name(name)`, as for favourite singers."""

    name = models.CharField(max_length=120)
    key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Song(models.Model):
    """A catalogue entry (not generated music) with Spotify-style mood features.

    `singers_key` ("a r rahman|shreya ghoshal", the sorted normalised singer keys) and
    `singers_display` are denormalised copies of the many-to-many so that the recommender
    can score thousands of candidates without a join; `catalogue.services` keeps them in
    step with `singers`.
    """

    class Mode(models.IntegerChoices):
        MINOR = 0, "minor"
        MAJOR = 1, "major"

    title = models.CharField(max_length=200)
    title_key = models.CharField(max_length=200, editable=False)
    singers = models.ManyToManyField(Singer, related_name="songs")
    singers_key = models.CharField(max_length=500, editable=False)
    singers_display = models.CharField(max_length=500, editable=False)
    language = models.CharField(max_length=8, choices=SONG_LANGUAGE_CHOICES)
    album = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genre = models.CharField(max_length=60, blank=True)
    # Spotify audio-feature scales: valence and energy 0..1, tempo in BPM, mode 0/1.
    valence = models.FloatField()
    energy = models.FloatField()
    tempo = models.FloatField(null=True, blank=True)
    mode = models.PositiveSmallIntegerField(choices=Mode.choices, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Measured by Spotify (imports) or assigned by hand (the curated songs: valence and
    # energy derived from a hand-given mood label, see catalogue/data/build_catalogue.py).
    features = models.CharField(
        max_length=8,
        choices=[("measured", "measured by Spotify"), ("hand", "assigned by hand")],
        default="measured",
    )
    # One of our hand-curated songs (title, singers, language written by hand); it keeps
    # them when a Spotify track of the same title and singers gives it an id and features.
    curated = models.BooleanField(default=False)
    spotify_id = models.CharField(max_length=22, null=True, blank=True, unique=True)
    danceability = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            # The natural key the importer upserts songs without a Spotify id on (two
            # Spotify tracks may share it: a single and its album version).
            models.UniqueConstraint(
                fields=["title_key", "singers_key", "language"],
                condition=Q(spotify_id__isnull=True),
                name="song_natural_key_without_id",
            ),
            models.CheckConstraint(condition=Q(valence__gte=0, valence__lte=1), name="song_valence_0_1"),
            models.CheckConstraint(condition=Q(energy__gte=0, energy__lte=1), name="song_energy_0_1"),
            models.CheckConstraint(
                condition=Q(tempo__isnull=True) | Q(tempo__gt=0, tempo__lte=400),
                name="song_tempo_range",
            ),
        ]
        indexes = [
            # The recommender's prefilter: language, then a valence/energy window. On
            # PostgreSQL migration 0003 rebuilds both with INCLUDE (id, singers_key) so the
            # prefilter is an index-only scan; declaring `include` here would warn on SQLite.
            models.Index(fields=["language", "valence", "energy"], name="song_lang_mood_cover"),
            models.Index(fields=["valence", "energy"], name="song_mood_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.singers_text}"

    @property
    def singer_names(self) -> list[str]:
        """Singer names in source order (lead first); stored joined by "; " because ";"
        can never be inside a name (the importer splits on it) while "," can ("Earth, Wind & Fire")."""
        return [name for name in self.singers_display.split("; ") if name]

    @property
    def singers_text(self) -> str:
        return ", ".join(self.singer_names)

    @property
    def search_query(self) -> str:
        names = self.singer_names
        return f"{self.title} {names[0] if names else ''}".strip()

    @property
    def embed_url(self) -> str | None:
        """Spotify's embeddable player for this track (the page's CSP allows this frame origin)."""
        return f"{SPOTIFY_EMBED_ORIGIN}/embed/track/{self.spotify_id}" if self.spotify_id else None

    @property
    def listen_url(self) -> str:
        """A YouTube search for title + first singer (a search, never a guessed track id)."""
        return f"https://www.youtube.com/results?search_query={quote_plus(self.search_query)}"

    @property
    def spotify_search_url(self) -> str:
        return f"https://open.spotify.com/search/{quote(self.search_query)}"


class ListeningEventQuerySet(UserRevisionQuerySet):
    """Bulk writes, which send no signals, invalidate the listeners' cached recommendations."""

    revision_namespace = LISTENING_REVISIONS
    revision_user_field = "user_id"


class ListeningEvent(models.Model):
    """Something a listener did with a song; these change later rankings."""

    class Kind(models.TextChoices):
        PLAY = "play", "play"
        LIKE = "like", "like"
        SKIP = "skip", "skip"
        FINISH = "finish", "finish"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening_events"
    )
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="listening_events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The mood the listener was in when the song was recommended (optional context).
    mood = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ListeningEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="event_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.song_id}"


class CatalogueRevision(models.Model):
    """One row that every change to the songs bumps: the version cached reads are keyed by.

    Reading it is a primary-key lookup, where counting the songs was a scan of the table on
    every request. `token` is new whenever the row is (a fresh or flushed database), so a
    restarted count never meets candidates cached for an older catalogue with the same number.
    """

    token = models.UUIDField(default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalogue revision {self.number}"
