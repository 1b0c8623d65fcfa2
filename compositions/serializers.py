"""How compositions look to API clients (shared by the list, detail and create APIs)."""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse
from rest_framework import serializers

from compositions.models import Composition


class CompositionMoodSerializer(serializers.Serializer):
    label = serializers.CharField(source="mood_label")
    valence = serializers.FloatField()
    arousal = serializers.FloatField()


@lru_cache(maxsize=64)
def _url_template(route: str, script_prefix: str) -> str:
    # reverse() is slow next to the rest of a library page (3 files x 20 compositions made
    # it a seventh of the request's CPU): reverse once per route, then format the id in.
    return reverse(f"api:{route}", kwargs={"composition_id": 4242424242}).replace("4242424242", "{id}")


class CompositionFilesSerializer(serializers.Serializer):
    """Where to fetch the files (authenticated URLs; null until the composition is ready)."""

    midi = serializers.SerializerMethodField()
    audio = serializers.SerializerMethodField()
    piano_roll = serializers.SerializerMethodField()

    def get_midi(self, composition: Composition) -> str | None:
        return _file_url(composition, "midi_file", "composition-midi")

    def get_audio(self, composition: Composition) -> str | None:
        return _file_url(composition, "audio_file", "composition-audio")

    def get_piano_roll(self, composition: Composition) -> str | None:
        return _file_url(composition, "piano_roll", "composition-piano-roll")


def _file_url(composition: Composition, field: str, route: str) -> str | None:
    if not getattr(composition, field).name:
        return None
    return _url_template(route, get_script_prefix()).format(id=composition.pk)


class CompositionSectionSerializer(serializers.Serializer):
    letter = serializers.CharField(help_text="A, B, C; I = intro, O = outro.")
    start_bar = serializers.IntegerField(help_text="0-based.")
    bars = serializers.IntegerField()
    key_shift = serializers.IntegerField(help_text="Semitones from the home key (a related key region).")


class CompositionFormSerializer(serializers.Serializer):
    """The piece's sections (empty until it is composed)."""

    form = serializers.CharField(required=False, help_text='The section letters, e.g. "AABA".')
    kind = serializers.CharField(required=False, help_text="single, period, song or verse-chorus.")
    ritardando = serializers.BooleanField(required=False)
    sections = CompositionSectionSerializer(many=True, required=False)


class CompositionSerializer(serializers.Serializer):
    """A composition as clients see it."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    mood = CompositionMoodSerializer(source="*")
    style = serializers.CharField()
    tempo = serializers.IntegerField(allow_null=True)
    bars = serializers.IntegerField()
    length = serializers.CharField(allow_blank=True, help_text="The length asked for (blank: bars were).")
    arrangement = serializers.CharField(
        allow_blank=True, help_text="Blank until composed if none was asked for."
    )
    form = CompositionFormSerializer()
    seed = serializers.IntegerField()
    status = serializers.CharField()
    stage = serializers.CharField()
    error = serializers.CharField(source="error_message", allow_blank=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    metrics = serializers.JSONField()
    favourite = serializers.BooleanField()
    mood_session = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    files = CompositionFilesSerializer(source="*")

    def get_mood_session(self, composition: Composition) -> int | None:
        return getattr(composition, "mood_session_id", None)

    def to_representation(self, composition: Composition) -> dict:
        """The fields above, written out: DRF's generic walk over 17 fields and two nested
        serializers was a third of a library page's CPU (20 rows). The declared fields stay
        the schema; tests/unit/compositions/test_composition_api.py checks both agree."""
        finished_at = composition.finished_at
        return {
            "id": composition.pk,
            "title": str(composition.title),
            "mood": {
                "label": str(composition.mood_label),
                "valence": float(composition.valence),
                "arousal": float(composition.arousal),
            },
            "style": str(composition.style),
            "tempo": composition.tempo,
            "bars": composition.bars,
            "length": str(composition.length),
            "arrangement": str(composition.arrangement),
            "form": composition.form,
            "seed": composition.seed,
            "status": str(composition.status),
            "stage": str(composition.stage),
            "error": str(composition.error_message),
            "duration_seconds": None
            if composition.duration_seconds is None
            else float(composition.duration_seconds),
            "metrics": composition.metrics,
            "favourite": bool(composition.favourite),
            "mood_session": getattr(composition, "mood_session_id", None),
            "created_at": _DATETIME.to_representation(composition.created_at),
            "finished_at": None if finished_at is None else _DATETIME.to_representation(finished_at),
            "files": {
                "midi": _file_url(composition, "midi_file", "composition-midi"),
                "audio": _file_url(composition, "audio_file", "composition-audio"),
                "piano_roll": _file_url(composition, "piano_roll", "composition-piano-roll"),
            },
        }

    def generic_representation(self, composition: Composition) -> dict:
        """DRF's own rendering of the declared fields (what to_representation must equal)."""
        return dict(super().to_representation(composition))


_DATETIME = serializers.DateTimeField()


class CompositionStatusSerializer(serializers.Serializer):
    """The small status document polling clients fetch."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    stage = serializers.CharField()
    error = serializers.CharField(source="error_message", allow_blank=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    files = CompositionFilesSerializer(source="*")
