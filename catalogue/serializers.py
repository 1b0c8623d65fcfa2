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


class ListeningEventSerializer(serializers.ModelSerializer):
    song = SongSerializer(read_only=True)

    class Meta:
        model = ListeningEvent
        fields = ["id", "kind", "mood", "created_at", "song"]
        read_only_fields = fields
