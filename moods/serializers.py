"""Shapes of the moods API: sessions, readings, moods, frame analyses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml.mood import EMOTIONS, MOOD_LABELS, mood_named
from moods.models import MoodCorrection, MoodReading, MoodSession


class MoodSerializer(serializers.Serializer):
    """A mood: a label of the shared vocabulary plus valence and arousal in -1..1."""

    label = serializers.ChoiceField(choices=MOOD_LABELS)
    valence = serializers.FloatField(min_value=-1, max_value=1)
    arousal = serializers.FloatField(min_value=-1, max_value=1)


def _mood(label: str, valence: float | None, arousal: float | None) -> dict[str, Any] | None:
    if not label:
        return None
    return {"label": label, "valence": round(valence or 0.0, 4), "arousal": round(arousal or 0.0, 4)}


class FrameCountsSerializer(serializers.Serializer):
    received = serializers.IntegerField(source="frames_received")
    analysed = serializers.IntegerField(source="frames_analysed")
    dropped = serializers.IntegerField(source="frames_dropped")
    rejected = serializers.IntegerField(source="frames_rejected")
    with_face = serializers.IntegerField(source="frames_with_face")


class MoodSessionSerializer(serializers.ModelSerializer):
    """A session in lists: when, how it ended, its dominant mood and frame counts."""

    is_open = serializers.BooleanField(read_only=True)
    dominant_mood = serializers.SerializerMethodField(help_text="The mood measured from the camera.")
    chosen_mood = serializers.SerializerMethodField(
        help_text="A mood the user chose by hand; when set it is the session's mood for "
        "recommendations and compositions."
    )
    frames = FrameCountsSerializer(source="*")

    class Meta:
        model = MoodSession
        fields = [
            "id",
            "started_at",
            "ended_at",
            "is_open",
            "close_reason",
            "client",
            "dominant_mood",
            "chosen_mood",
            "frames",
        ]

    @extend_schema_field(MoodSerializer(allow_null=True))
    def get_dominant_mood(self, session: MoodSession) -> dict[str, Any] | None:
        return _mood(session.dominant_mood, session.dominant_valence, session.dominant_arousal)

    @extend_schema_field(MoodSerializer(allow_null=True))
    def get_chosen_mood(self, session: MoodSession) -> dict[str, Any] | None:
        if not session.chosen_mood:
            return None
        mood = mood_named(session.chosen_mood)
        return _mood(mood.label, mood.valence, mood.arousal)


class MoodReadingSerializer(serializers.ModelSerializer):
    """One point of a session's timeline (a few seconds of frames)."""

    mood = serializers.SerializerMethodField()
    emotions = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    moods = serializers.DictField(
        child=serializers.DictField(), help_text="label -> {frames, valence, arousal} (means of the window)"
    )
    gestures = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = MoodReading
        fields = [
            "started_at",
            "ended_at",
            "frames",
            "frames_with_face",
            "mood",
            "emotions",
            "moods",
            "gestures",
        ]

    @extend_schema_field(MoodSerializer(allow_null=True))
    def get_mood(self, reading: MoodReading) -> dict[str, Any] | None:
        return _mood(reading.mood, reading.valence, reading.arousal)


class FaceSerializer(serializers.Serializer):
    box = serializers.ListField(
        child=serializers.IntegerField(), min_length=4, max_length=4, help_text="x, y, w, h"
    )
    score = serializers.FloatField()


class FrameAnalysisSerializer(serializers.Serializer):
    """What one image shows (the same fields as a WebSocket result, without `seq`)."""

    face = FaceSerializer(allow_null=True)
    faces = serializers.IntegerField()
    emotions = serializers.DictField(
        child=serializers.FloatField(), allow_null=True, help_text=", ".join(EMOTIONS)
    )
    emotion = serializers.CharField(allow_null=True)
    gesture = serializers.CharField(allow_null=True)
    mood = MoodSerializer()
    image_size = serializers.ListField(child=serializers.IntegerField(), help_text="width, height")
    timings_ms = serializers.DictField(child=serializers.FloatField())


def emotion_probabilities_field(**kwargs: Any) -> serializers.DictField:
    kwargs.setdefault("help_text", "The 7 emotion probabilities: " + ", ".join(EMOTIONS))
    return serializers.DictField(child=serializers.FloatField(min_value=0, max_value=1), **kwargs)


class MoodCorrectionSerializer(serializers.ModelSerializer):
    """A stored "that's not how I feel"."""

    session_id = serializers.IntegerField()
    probabilities = emotion_probabilities_field()
    model_probabilities = emotion_probabilities_field(
        help_text="The same frame before the user's personal calibration (what the next fit learns from)."
    )
    felt_mood = serializers.ChoiceField(choices=MOOD_LABELS)

    class Meta:
        model = MoodCorrection
        fields = ["id", "session_id", "felt_mood", "probabilities", "model_probabilities", "created_at"]
