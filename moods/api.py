"""REST endpoints of the moods app: thin, one class per operation.

Sessions are created only over the WebSocket (/ws/session/); the API reads them, and
analyses one still image for clients that cannot hold a WebSocket open.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from echoes_site.pagination import PAGE_PARAMETERS, Ordering, paginated_response
from ml.emotion.errors import FrameDecodeError, FrameTooLarge
from ml.emotion.tracker import MoodTracker
from ml.mood import EMOTIONS, MOOD_LABELS
from moods import inference
from moods.models import MoodSession
from moods.protocol import MAX_FRAME_BYTES, mood_payload
from moods.selectors import (
    BUCKETS,
    DAY_VALIDATORS,
    mood_correction_list,
    mood_history,
    personal_calibration_get,
    session_get,
    session_latest_mood,
    session_list,
    session_readings,
    session_verdict,
)
from moods.serializers import (
    FrameAnalysisSerializer,
    MoodCorrectionSerializer,
    MoodReadingSerializer,
    MoodSerializer,
    MoodSessionSerializer,
    emotion_probabilities_field,
)
from moods.services import mood_correction_create, session_mood_choose


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The image is too large."


class ImageBodyParser(BaseParser):
    """A raw image as the whole request body (Content-Type image/jpeg, image/png, image/webp)."""

    media_type = "image/*"

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        # Read at most one byte over the limit: a larger body is refused without being buffered.
        data = stream.read(MAX_FRAME_BYTES + 1) if stream is not None else b""
        return {"image": data}


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class MoodSessionListApi(APIView):
    """My live sessions, newest first (optionally those started within a date range)."""

    ordering = Ordering(
        default="-started",
        fields={
            "started": "started_at",
            "ended": "ended_at",
            "frames": "frames_analysed",
            "mood": "dominant_mood",
        },
    )

    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(
            required=False, validators=DAY_VALIDATORS, help_text="First day (UTC), inclusive."
        )
        end = serializers.DateField(
            required=False, validators=DAY_VALIDATORS, help_text="Last day (UTC), inclusive."
        )

    @extend_schema(
        parameters=[FilterSerializer, ordering.parameter(), *PAGE_PARAMETERS],
        responses={200: MoodSessionSerializer(many=True)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        start, end = filters.validated_data.get("start"), filters.validated_data.get("end")
        sessions = session_list(
            user=request.user,
            started_after=_day_start(start) if start else None,
            started_before=_day_start(end) + timedelta(days=1) if end else None,
        )
        return paginated_response(request, self, sessions, MoodSessionSerializer, ordering=self.ordering)


class MoodSessionDetailApi(APIView):
    """One of my sessions with its timeline of readings (404 for anyone else's)."""

    class OutputSerializer(MoodSessionSerializer):
        verdict = serializers.CharField(
            allow_null=True, help_text='A few kind words for the session, e.g. "mostly neutral".'
        )
        timeline = MoodReadingSerializer(many=True, source="timeline_readings")

        class Meta(MoodSessionSerializer.Meta):
            fields = [*MoodSessionSerializer.Meta.fields, "verdict", "timeline"]

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, session_id: int):
        session = session_get(user=request.user, session_id=session_id)
        session.timeline_readings = session_readings(session=session)
        session.verdict = session_verdict(session=session)
        return Response(self.OutputSerializer(session).data)


def _client(request) -> str:
    token = isinstance(getattr(request, "successful_authenticator", None), TokenAuthentication)
    return MoodSession.Client.TOKEN if token else MoodSession.Client.COOKIE


class MoodChooseApi(APIView):
    """Choose my mood by hand, without a camera: a new session whose mood is the choice.

    Recommendations and compositions "from my latest session" then use it like a
    measured mood.
    """

    class InputSerializer(serializers.Serializer):
        mood = serializers.ChoiceField(choices=MOOD_LABELS, help_text="The mood I feel.")

    @extend_schema(request=InputSerializer, responses={201: MoodSessionSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_mood_choose(
            user=request.user, mood=data.validated_data["mood"], client=_client(request)
        )
        return Response(MoodSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class MoodSessionChooseApi(APIView):
    """Choose the mood of one of my sessions by hand (e.g. the live one); 404 for anyone else's."""

    InputSerializer = MoodChooseApi.InputSerializer  # the same choice, for one session

    @extend_schema(request=InputSerializer, responses={200: MoodSessionSerializer})
    def post(self, request, session_id: int):
        session_get(user=request.user, session_id=session_id)  # 404 before any validation
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_mood_choose(
            user=request.user, mood=data.validated_data["mood"], session_id=session_id
        )
        return Response(MoodSessionSerializer(session).data)


class MoodCorrectionCreateApi(APIView):
    """ "That's not how I feel": correct what one of my sessions showed.

    Send the 7 emotion probabilities the session showed (a WebSocket `result`'s
    `emotions`) and the mood I felt. The felt mood becomes the session's mood, and my
    later sessions are read through a personal calibration fitted on my corrections.
    404 for anyone else's session.
    """

    class InputSerializer(serializers.Serializer):
        probabilities = emotion_probabilities_field()
        felt_mood = serializers.ChoiceField(choices=MOOD_LABELS, help_text="The mood I really feel.")

    @extend_schema(request=InputSerializer, responses={201: MoodCorrectionSerializer})
    def post(self, request, session_id: int):
        session_get(user=request.user, session_id=session_id)  # 404 before any validation
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = mood_correction_create(
            user=request.user,
            session_id=session_id,
            probabilities=data.validated_data["probabilities"],
            felt_mood=data.validated_data["felt_mood"],
        )
        return Response(MoodCorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)


class MoodCorrectionListApi(APIView):
    """My corrections, newest first."""

    ordering = Ordering(default="-created", fields={"created": "created_at", "mood": "felt_mood"})

    @extend_schema(
        parameters=[ordering.parameter(), *PAGE_PARAMETERS],
        responses={200: MoodCorrectionSerializer(many=True)},
    )
    def get(self, request):
        return paginated_response(
            request,
            self,
            mood_correction_list(user=request.user),
            MoodCorrectionSerializer,
            ordering=self.ordering,
        )


class MoodCalibrationApi(APIView):
    """My personal calibration: the bias per emotion fitted on my corrections (0 = none)."""

    class OutputSerializer(serializers.Serializer):
        corrections = serializers.IntegerField(help_text="How many corrections it was fitted on.")
        bias = serializers.DictField(
            child=serializers.FloatField(),
            help_text="Added to each emotion's log-probability: " + ", ".join(EMOTIONS),
        )

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return Response(self.OutputSerializer(personal_calibration_get(user=request.user).to_dict()).data)


class MoodLatestApi(APIView):
    """The dominant mood of my latest session that saw a face or a gesture (or null)."""

    class OutputSerializer(serializers.Serializer):
        mood = MoodSerializer(allow_null=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return Response({"mood": mood_payload(session_latest_mood(user=request.user))})


class MoodHistoryApi(APIView):
    """My mood over a date range: timeline points and the share of each mood."""

    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(
            required=False,
            validators=DAY_VALIDATORS,
            help_text="First day (UTC), inclusive; default 30 days ago.",
        )
        end = serializers.DateField(
            required=False, validators=DAY_VALIDATORS, help_text="Last day (UTC), inclusive; default today."
        )
        bucket = serializers.ChoiceField(choices=BUCKETS, default="session")

    class OutputSerializer(serializers.Serializer):
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()
        bucket = serializers.CharField()
        sessions = serializers.IntegerField()
        dominant = MoodSerializer(allow_null=True)
        distribution = serializers.DictField(child=serializers.FloatField())
        frames = serializers.DictField(child=serializers.IntegerField())
        points = inline_serializer(
            "MoodHistoryPoint",
            {
                "at": serializers.DateTimeField(),
                "mood": serializers.CharField(),
                "valence": serializers.FloatField(),
                "arousal": serializers.FloatField(),
                "frames": serializers.IntegerField(),
                "session_id": serializers.IntegerField(required=False),
            },
            many=True,
        )

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        today = timezone.now().date()
        end_day = data.get("end") or today
        start_day = data.get("start") or end_day - timedelta(days=29)
        try:
            history = mood_history(
                user=request.user,
                start=_day_start(start_day),
                end=_day_start(end_day) + timedelta(days=1),
                bucket=data["bucket"],
            )
        except ValueError as error:
            raise exceptions.ValidationError({"non_field_errors": [str(error)]}) from None
        return Response(
            self.OutputSerializer(
                {
                    "start": history.start,
                    "end": history.end,
                    "bucket": history.bucket,
                    "sessions": history.sessions,
                    "dominant": mood_payload(history.dominant),
                    "distribution": history.distribution,
                    "frames": history.frames,
                    "points": history.points,
                }
            ).data
        )


class MoodAnalyzeApi(APIView):
    """Analyse one still image (JPEG, PNG or WebP, at most 1 MB and 1920x1080).

    Send it as multipart form data (field `image`) or as the raw request body with its
    Content-Type. Nothing is saved.
    """

    parser_classes = [MultiPartParser, ImageBodyParser]  # a file upload: multipart or the raw image

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("MoodAnalyzeInput", {"image": serializers.FileField()}),
            "image/jpeg": {"type": "string", "format": "binary"},
            "image/png": {"type": "string", "format": "binary"},
            "image/webp": {"type": "string", "format": "binary"},
        },
        responses={200: FrameAnalysisSerializer},
    )
    def post(self, request):
        data = _image_bytes(request)
        try:
            analysis = inference.analyze_still(data)
        except TimeoutError:
            raise exceptions.Throttled(
                wait=5, detail="The server is busy; try again in a few seconds."
            ) from None
        except FrameTooLarge as error:
            raise PayloadTooLarge(str(error)) from None
        except FrameDecodeError as error:
            raise exceptions.ValidationError({"image": [str(error)]}) from None
        mood = MoodTracker().update(analysis)
        body = {
            "face": (
                {"box": list(analysis.face_box), "score": round(analysis.face_score or 0.0, 4)}
                if analysis.face_box is not None
                else None
            ),
            "faces": analysis.faces,
            "emotions": analysis.emotions,
            "emotion": analysis.emotion,
            "gesture": analysis.gesture,
            "mood": mood_payload(mood),
            "image_size": list(analysis.image_size),
            "timings_ms": {k: round(v, 2) for k, v in analysis.timings_ms.items()},
        }
        return Response(FrameAnalysisSerializer(body).data)


def _image_bytes(request) -> bytes:
    """The uploaded image's bytes; 413 above 1 MB, 400 when there is no image."""
    length = request.META.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > MAX_FRAME_BYTES + 64 * 1024:
        # Refuse before reading (the multipart envelope gets 64 kB of slack).
        raise PayloadTooLarge(
            f"The upload is {int(length):,} bytes; images may be at most {MAX_FRAME_BYTES:,} bytes."
        )
    image = request.data.get("image")
    if image is None or image == "":
        raise exceptions.ValidationError(
            {
                "image": [
                    "Send an image: multipart field `image`, or the raw JPEG/PNG/WebP body "
                    "with its Content-Type."
                ]
            }
        )
    if hasattr(image, "size"):  # an uploaded file
        if image.size > MAX_FRAME_BYTES:
            raise PayloadTooLarge(
                f"The image is {image.size:,} bytes; the limit is {MAX_FRAME_BYTES:,} bytes."
            )
        return image.read()
    if isinstance(image, str):
        raise exceptions.ValidationError({"image": ["Send the image as a file, not as text."]})
    if len(image) > MAX_FRAME_BYTES:
        raise PayloadTooLarge(f"The image is larger than the limit of {MAX_FRAME_BYTES:,} bytes.")
    return bytes(image)
