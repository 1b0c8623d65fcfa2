"""REST endpoints of the catalogue: thin, one class per operation."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.languages import LANGUAGES
from catalogue.models import ListeningEvent
from catalogue.recommender import MAX_LIMIT, STRATEGIES, journey_steps, recommend
from catalogue.results_cache import cached_body
from catalogue.selectors import (
    liked_song_list,
    listening_event_get,
    listening_event_list,
    mood_resolve,
    singer_list,
    singer_suggest,
    song_get,
    song_list,
)
from catalogue.serializers import ListeningEventSerializer, SongSerializer
from catalogue.services import listening_event_create, listening_event_delete, song_unlike
from echoes_site.pagination import PAGE_PARAMETERS, Ordering, paginated_response
from ml.mood import MOOD_LABELS


class SongListApi(APIView):
    """Songs of the catalogue with filters (paginated with limit/offset)."""

    ordering = Ordering(
        default="title",
        fields={"title": "title", "year": "year", "valence": "valence", "energy": "energy", "tempo": "tempo"},
    )

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, max_length=100, help_text="Text in title, singers or album."
        )
        language = serializers.CharField(required=False, max_length=20)
        singer = serializers.CharField(required=False, max_length=120)
        genre = serializers.CharField(required=False, max_length=60)
        mood = serializers.ChoiceField(required=False, choices=MOOD_LABELS)
        year_min = serializers.IntegerField(required=False, min_value=0, max_value=3000)
        year_max = serializers.IntegerField(required=False, min_value=0, max_value=3000)
        valence_min = serializers.FloatField(required=False, min_value=0, max_value=1)
        valence_max = serializers.FloatField(required=False, min_value=0, max_value=1)
        energy_min = serializers.FloatField(required=False, min_value=0, max_value=1)
        energy_max = serializers.FloatField(required=False, min_value=0, max_value=1)

    @extend_schema(
        parameters=[FilterSerializer, ordering.parameter(), *PAGE_PARAMETERS],
        responses={200: SongSerializer(many=True)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        songs = song_list(filters=filters.validated_data)
        return paginated_response(request, self, songs, SongSerializer, ordering=self.ordering)


class SongDetailApi(APIView):
    """One song."""

    @extend_schema(responses={200: SongSerializer})
    def get(self, request, song_id: int):
        return Response(SongSerializer(song_get(song_id=song_id)).data)


class SingerListApi(APIView):
    """Singers in the catalogue with how many songs each has."""

    class FilterSerializer(serializers.Serializer):
        # A serializer, not the raw parameter: it refuses NUL characters (PostgreSQL
        # cannot compare them; a raw `?q=%00` was a 500, found by schemathesis).
        q = serializers.CharField(
            required=False, allow_blank=True, max_length=120, help_text="Part of the singer's name."
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        song_count = serializers.IntegerField()

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer(many=True)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        q = filters.validated_data.get("q", "")
        return paginated_response(request, self, singer_list(q=q), self.OutputSerializer)


class SingerAutocompleteApi(APIView):
    """Singer names for an autocomplete (at most 10): names starting with `q` first."""

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=120, help_text="What the listener has typed so far.")

    class OutputSerializer(serializers.Serializer):
        # Not paginated (at most 10): {"results": [...]}, each as a singer list row.
        results = SingerListApi.OutputSerializer(many=True)

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        singers = singer_suggest(q=filters.validated_data["q"])
        return Response(self.OutputSerializer({"results": singers}).data)


class RecommendationsApi(APIView):
    """Ranked songs for a mood, each with a reason.

    The mood comes from `session` (one of your live sessions), or `valence` + `arousal`
    (-1..1), or `mood` (a label); with none, your latest session's mood or neutral.
    POST and GET take the same fields (GET as query parameters). "lift" answers a
    journey: `journey` lists its steps (from the mood toward a pleasant, gently active
    point) and each result says its `step`; the same request gives the same playlist.
    """

    class InputSerializer(serializers.Serializer):
        mood = serializers.CharField(
            required=False, max_length=20, help_text=f"One of: {', '.join(MOOD_LABELS)}."
        )
        valence = serializers.FloatField(required=False, min_value=-1, max_value=1)
        arousal = serializers.FloatField(required=False, min_value=-1, max_value=1)
        session = serializers.IntegerField(required=False, min_value=1, help_text="A live session id.")
        strategy = serializers.ChoiceField(choices=STRATEGIES, default="match")
        limit = serializers.IntegerField(default=20, min_value=1, max_value=MAX_LIMIT)
        languages = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Comma-separated language codes overriding your profile's (e.g. 'te,ta').",
        )

        def validate_languages(self, value: str) -> list[str]:
            codes = [code.strip().lower() for code in value.split(",") if code.strip()]
            unknown = [code for code in codes if code not in LANGUAGES]
            if unknown:
                raise serializers.ValidationError(f"Unknown language: {', '.join(unknown)}.")
            return codes

    class OutputSerializer(serializers.Serializer):
        class MoodSerializer(serializers.Serializer):
            label = serializers.CharField()
            valence = serializers.FloatField()
            arousal = serializers.FloatField()

        class ItemSerializer(serializers.Serializer):
            rank = serializers.IntegerField()
            song = SongSerializer()
            score = serializers.FloatField()
            mood_fit = serializers.FloatField()
            reason = serializers.CharField()
            step = serializers.IntegerField(
                allow_null=True, help_text="Lift: the journey step (0 = your mood)."
            )

        class StepSerializer(serializers.Serializer):
            step = serializers.IntegerField()
            mood = serializers.CharField()
            valence = serializers.FloatField(help_text="The step's target valence (song space, 0..1).")
            energy = serializers.FloatField(help_text="The step's target energy (song space, 0..1).")

        mood = MoodSerializer()
        strategy = serializers.CharField()
        target_mood = serializers.CharField(allow_null=True)
        journey = StepSerializer(many=True)
        results = ItemSerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer})
    def get(self, request):
        return self._recommend(request, request.query_params)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        return self._recommend(request, request.data)

    def _recommend(self, request, data):
        form = self.InputSerializer(data=data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        mood = mood_resolve(
            user=request.user,
            label=values.get("mood"),
            valence=values.get("valence"),
            arousal=values.get("arousal"),
            session_id=values.get("session"),
        )
        query = {
            "strategy": values["strategy"],
            "limit": values["limit"],
            "languages": values.get("languages"),
        }
        return Response(
            cached_body(
                user=request.user,
                mood=mood,
                query=query,
                build=lambda: self._body(request.user, mood, values),
            )
        )

    @staticmethod
    def _body(user, mood, values) -> dict:
        results = recommend(
            user=user,
            mood=mood,
            strategy=values["strategy"],
            limit=values["limit"],
            languages=values.get("languages") or None,
        )
        song_shape = SongSerializer()
        body = {
            "mood": mood.to_dict(),
            "strategy": values["strategy"],
            "target_mood": results[-1].target_mood if results else None,
            "journey": [
                {key: step[key] for key in ("step", "mood", "valence", "energy")}
                for step in (journey_steps(results) if values["strategy"] == "lift" else [])
            ],
            "results": [
                {
                    "rank": rank,
                    "song": song_shape.to_representation(r.song),
                    "score": r.score,
                    "mood_fit": r.mood_fit,
                    "reason": r.reason,
                    "step": r.lift_step,
                }
                for rank, r in enumerate(results, start=1)
            ],
        }
        # Already the OutputSerializer's shape (the schema): the songs written out by
        # SongSerializer, plain numbers and strings besides; a second generic walk over
        # 20 items cost more CPU than the ranking (bench/api_load.py).
        return body


class ListeningEventListApi(APIView):
    """Your listening history (GET, newest first, `kind` filter) and recording an event (POST)."""

    ordering = Ordering(default="-created", fields={"created": "created_at", "kind": "kind"})

    class InputSerializer(serializers.Serializer):
        song = serializers.IntegerField(min_value=1)
        kind = serializers.ChoiceField(choices=ListeningEvent.Kind.choices)
        mood = serializers.ChoiceField(choices=MOOD_LABELS, required=False, allow_blank=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ListeningEvent.Kind.values),
            ordering.parameter(),
            *PAGE_PARAMETERS,
        ],
        responses={200: ListeningEventSerializer(many=True)},
    )
    def get(self, request):
        kind = request.query_params.get("kind") or None
        events = listening_event_list(user=request.user, kind=kind)
        return paginated_response(request, self, events, ListeningEventSerializer, ordering=self.ordering)

    @extend_schema(request=InputSerializer, responses={201: ListeningEventSerializer})
    def post(self, request):
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        song = song_get(song_id=values["song"])
        event = listening_event_create(
            user=request.user, song=song, kind=values["kind"], mood=values.get("mood", "")
        )
        return Response(ListeningEventSerializer(event).data, status=status.HTTP_201_CREATED)


class ListeningEventDetailApi(APIView):
    """One of your listening events (another listener's is 404); DELETE forgets it."""

    @extend_schema(responses={200: ListeningEventSerializer})
    def get(self, request, event_id: int):
        return Response(
            ListeningEventSerializer(listening_event_get(user=request.user, event_id=event_id)).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request, event_id: int):
        listening_event_delete(event=listening_event_get(user=request.user, event_id=event_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LikedSongListApi(APIView):
    """Your liked songs, the most recently liked first."""

    class OutputSerializer(SongSerializer):
        liked_at = serializers.DateTimeField(read_only=True)

        class Meta(SongSerializer.Meta):
            fields = [*SongSerializer.Meta.fields, "liked_at"]
            read_only_fields = fields

        def to_representation(self, song) -> dict:
            return {
                **super().to_representation(song),
                "liked_at": self.fields["liked_at"].to_representation(song.liked_at),
            }

    @extend_schema(parameters=[*PAGE_PARAMETERS], responses={200: OutputSerializer(many=True)})
    def get(self, request):
        return paginated_response(request, self, liked_song_list(user=request.user), self.OutputSerializer)


class LikedSongDetailApi(APIView):
    """DELETE: unlike a song (it leaves your liked songs; 404 when it was not liked)."""

    @extend_schema(responses={204: None})
    def delete(self, request, liked_song_id: int):
        if not song_unlike(user=request.user, song=song_get(song_id=liked_song_id)):
            raise NotFound("You have not liked that song.")
        return Response(status=status.HTTP_204_NO_CONTENT)
