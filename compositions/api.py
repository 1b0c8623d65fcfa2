"""REST endpoints of compositions: thin, one class per operation.

Another user's composition is a 404 on every route (selectors scope by owner).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compositions import downloads, library_cache, selectors, services
from compositions.models import Composition
from compositions.serializers import CompositionSerializer, CompositionStatusSerializer
from echoes_site.pagination import PAGE_PARAMETERS, Ordering, paginated_response
from echoes_site.throttling import ScopedRateThrottle, UserRateThrottle
from ml.mood import MOOD_LABELS
from ml.music.config import MAX_BARS, MAX_TEMPO, MIN_BARS, MIN_TEMPO, STYLES
from ml.music.generate import LENGTHS
from ml.music.instrumentation import ARRANGEMENT_NAMES


def _limit_reached(error: services.CompositionLimitReached) -> exceptions.Throttled:
    return exceptions.Throttled(detail=str(error), code="too_many_in_flight")


class CompositionListApi(APIView):
    """The caller's compositions, newest first, filtered, ordered and paginated (limit/offset)."""

    ordering = Ordering(
        default="-created",
        fields={
            "created": "created_at",
            "title": "title",
            "mood": "mood_label",
            "tempo": "tempo",
            "bars": "bars",
        },
    )

    class FilterSerializer(serializers.Serializer):
        mood = serializers.ChoiceField(choices=MOOD_LABELS, required=False)
        style = serializers.ChoiceField(choices=STYLES, required=False)
        status = serializers.ChoiceField(choices=Composition.Status.values, required=False)
        favourite = serializers.BooleanField(required=False, allow_null=True, default=None)
        created_from = serializers.DateField(required=False)
        created_to = serializers.DateField(required=False)
        q = serializers.CharField(required=False, max_length=120)

    @extend_schema(
        parameters=[
            OpenApiParameter("mood", OpenApiTypes.STR, enum=list(MOOD_LABELS)),
            OpenApiParameter("style", OpenApiTypes.STR, enum=list(STYLES)),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Composition.Status.values),
            OpenApiParameter("favourite", OpenApiTypes.BOOL),
            OpenApiParameter("created_from", OpenApiTypes.DATE),
            OpenApiParameter("created_to", OpenApiTypes.DATE),
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of the title."),
            ordering.parameter(),
            *PAGE_PARAMETERS,
        ],
        responses={200: CompositionSerializer(many=True)},
    )
    def get(self, request):
        # Whole pages cached per user, URL and library revision (invalid queries raise: never cached).
        return Response(library_cache.cached_page(request, lambda: self._page(request)))

    def _page(self, request) -> dict:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.composition_list(user=request.user, filters=filters.validated_data)
        page = paginated_response(request, self, queryset, CompositionSerializer, ordering=self.ordering)
        return {**page.data, "results": list(page.data["results"])}


class CompositionCreateApi(APIView):
    """Queue a composition for a mood: a label (and/or valence+arousal), the latest session,
    or one session by id. Answers 202 with the queued composition; follow its progress on
    /ws/notifications/ or poll its status URL."""

    throttle_classes = [ScopedRateThrottle, UserRateThrottle]
    throttle_scope = "compose"

    class InputSerializer(serializers.Serializer):
        mood = serializers.CharField(
            required=False, max_length=32, help_text=f"One of {', '.join(MOOD_LABELS)}."
        )
        valence = serializers.FloatField(required=False, min_value=-1, max_value=1)
        arousal = serializers.FloatField(required=False, min_value=-1, max_value=1)
        from_latest_session = serializers.BooleanField(required=False, default=False)
        session_id = serializers.IntegerField(required=False, min_value=1)
        style = serializers.CharField(max_length=32, help_text=f"One of {', '.join(STYLES)}.")
        # The bounds the service enforces, stated in the schema (schemathesis found tempo's).
        bars = serializers.IntegerField(
            required=False,
            min_value=MIN_BARS,
            max_value=MAX_BARS,
            help_text="Length in bars of 4 beats (8 when neither bars nor length is given).",
        )
        length = serializers.ChoiceField(
            choices=list(LENGTHS),
            required=False,
            help_text="Length in listening time instead of bars (the bars follow the tempo).",
        )
        arrangement = serializers.ChoiceField(
            choices=list(ARRANGEMENT_NAMES),
            required=False,
            help_text="The instruments; omitted = the one that suits the mood.",
        )
        tempo = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            min_value=MIN_TEMPO,
            max_value=MAX_TEMPO,
            help_text="BPM.",
        )
        seed = serializers.IntegerField(required=False, allow_null=True, default=None)
        title = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")

    @extend_schema(
        request=InputSerializer,
        responses={202: CompositionSerializer},
        examples=[
            OpenApiExample(
                "A calm folk piece", value={"mood": "calm", "style": "folk", "bars": 8}, request_only=True
            ),
            OpenApiExample(
                "A minute of happy folk on piano",
                value={"mood": "happy", "style": "folk", "length": "1min", "arrangement": "piano"},
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            composition = services.composition_create(user=request.user, **data.validated_data)
        except services.CompositionLimitReached as error:
            raise _limit_reached(error) from error
        return Response(CompositionSerializer(composition).data, status=status.HTTP_202_ACCEPTED)


class CompositionCollectionApi(CompositionListApi, CompositionCreateApi):
    """`/compositions/`: GET lists (CompositionListApi), POST creates (CompositionCreateApi)."""

    def get_throttles(self):
        if self.request.method == "POST":
            return [ScopedRateThrottle(), UserRateThrottle()]
        return [UserRateThrottle()]


class CompositionDetailApi(APIView):
    """One of the caller's compositions."""

    @extend_schema(responses={200: CompositionSerializer})
    def get(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        return Response(CompositionSerializer(composition).data)


class CompositionDeleteApi(APIView):
    """Delete one of the caller's compositions and its files."""

    @extend_schema(responses={204: None})
    def delete(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        services.composition_delete(composition=composition)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompositionItemApi(CompositionDetailApi, CompositionDeleteApi):
    """`/compositions/<id>/`: GET (CompositionDetailApi), DELETE (CompositionDeleteApi)."""


class CompositionStatusApi(APIView):
    """Where the composition's job is (for clients that poll instead of listening)."""

    @extend_schema(responses={200: CompositionStatusSerializer})
    def get(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        return Response(CompositionStatusSerializer(composition).data)


class CompositionRenameApi(APIView):
    """Give a composition a new title."""

    class InputSerializer(serializers.Serializer):
        # The schema says what the service requires: at least one non-space character.
        title = serializers.CharField(
            max_length=120, validators=[RegexValidator(r"\S", "A title cannot be empty.")]
        )

    @extend_schema(request=InputSerializer, responses={200: CompositionSerializer})
    def post(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        composition = services.composition_rename(composition=composition, **data.validated_data)
        return Response(CompositionSerializer(composition).data)


class CompositionFavouriteApi(APIView):
    """Mark (`{"favourite": true}`) or unmark a composition as a favourite."""

    class InputSerializer(serializers.Serializer):
        favourite = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: CompositionSerializer})
    def post(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        composition = services.composition_favourite_set(composition=composition, **data.validated_data)
        return Response(CompositionSerializer(composition).data)


class _CompositionFileApi(APIView):
    kind = ""
    as_attachment = True

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 302: None, 409: None},
        parameters=[
            OpenApiParameter("download", OpenApiTypes.BOOL, description="Attachment (default) or inline.")
        ],
    )
    def get(self, request, composition_id: int):
        composition = selectors.composition_get(user=request.user, composition_id=composition_id)
        inline = not _wants_attachment(request)
        try:
            return downloads.file_response(
                request=request,
                composition=composition,
                kind=self.kind,
                as_attachment=self.as_attachment and not inline,
            )
        except downloads.FileNotReady as error:
            conflict = exceptions.APIException(detail=str(error), code="not_ready")
            conflict.status_code = status.HTTP_409_CONFLICT
            raise conflict from error


def _wants_attachment(request) -> bool:
    """`?download=` true (the default) or false; anything else is a 400, not a guess."""
    value = request.query_params.get("download")
    if value in (None, ""):
        return True
    try:
        return serializers.BooleanField().to_internal_value(value)
    except exceptions.ValidationError as error:
        raise exceptions.ValidationError({"download": error.detail}) from error


def _file_schema(kind: str):
    """The 200 of a file route in the media type the file is really served with."""
    media_type = downloads.KINDS[kind][1]
    return extend_schema_view(
        get=extend_schema(responses={(200, media_type): OpenApiTypes.BINARY, 302: None, 409: None})
    )


@_file_schema("midi")
class CompositionMidiApi(_CompositionFileApi):
    """The MIDI file (streamed, or a redirect to a short-lived signed URL on S3)."""

    kind = "midi"


@_file_schema("audio")
class CompositionAudioApi(_CompositionFileApi):
    """The audio (OGG Vorbis); `?download=0` for inline playback in an audio element."""

    kind = "audio"


@_file_schema("piano_roll")
class CompositionPianoRollApi(_CompositionFileApi):
    """The piano-roll picture (PNG), inline."""

    kind = "piano_roll"
    as_attachment = False
