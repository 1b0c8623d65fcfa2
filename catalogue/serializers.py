"""Shapes of songs and listening events shared by the REST API and the pages."""

from __future__ import annotations

from rest_framework import serializers

from catalogue.features import song_mood_label
from catalogue.models import SONG_LANGUAGES, ListeningEvent, Song


class SongSerializer(serializers.ModelSerializer):
    singers = serializers.SerializerMethodField()
    language_name = serializers.SerializerMethodField()
    mode = serializers.SerializerMethodField()
    mood = serializers.SerializerMethodField(help_text="The mood label nearest to the song's valence/energy.")
    listen_url = serializers.CharField(read_only=True, help_text="A YouTube search for title + singer.")
    spotify_search_url = serializers.CharField(read_only=True)
    embed_url = serializers.CharField(
        read_only=True, allow_null=True, help_text="Spotify's embeddable player (songs with a Spotify id)."
    )
    features = serializers.CharField(
        read_only=True, help_text="How valence/energy were obtained: measured (Spotify) or hand (assigned)."
    )

    class Meta:
        model = Song
        fields = [
            "id",
            "title",
            "singers",
            "language",
            "language_name",
            "album",
            "year",
            "genre",
            "valence",
            "energy",
            "tempo",
            "mode",
            "mood",
            "tags",
            "listen_url",
            "spotify_search_url",
            "spotify_id",
            "embed_url",
            "features",
        ]
        read_only_fields = fields

    def get_singers(self, song: Song) -> list[str]:
        # singers_display keeps the source order (lead singer first) without a query.
        return song.singer_names

    def get_language_name(self, song: Song) -> str:
        return SONG_LANGUAGES.get(song.language, song.language)

    def get_mode(self, song: Song) -> str | None:
        return None if song.mode is None else Song.Mode(song.mode).label

    def get_mood(self, song: Song) -> str:
        return song_mood_label(song.valence, song.energy)

    def to_representation(self, song: Song) -> dict:
        """The fields above, written out: DRF's generic walk over 19 fields was a third of a
        recommendation request's CPU (20 songs). The declared fields stay the schema;
        tests/unit/catalogue/test_catalogue_api.py checks both agree."""
        return {
            "id": song.pk,
            "title": song.title,
            "singers": song.singer_names,
            "language": song.language,
            "language_name": self.get_language_name(song),
            "album": song.album,
            "year": song.year,
            "genre": song.genre,
            "valence": song.valence,
            "energy": song.energy,
            "tempo": song.tempo,
            "mode": self.get_mode(song),
            "mood": self.get_mood(song),
            "tags": song.tags,
            "listen_url": song.listen_url,
            "spotify_search_url": song.spotify_search_url,
            "spotify_id": song.spotify_id,
            "embed_url": song.embed_url,
            "features": song.features,
        }

    def generic_representation(self, song: Song) -> dict:
        """DRF's own rendering of the declared fields (what to_representation must equal)."""
        return dict(super().to_representation(song))


class ListeningEventSerializer(serializers.ModelSerializer):
    song = SongSerializer(read_only=True)

    class Meta:
        model = ListeningEvent
        fields = ["id", "kind", "mood", "created_at", "song"]
        read_only_fields = fields
