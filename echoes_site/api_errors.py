"""One error format for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from ml.errors import MLError

logger = logging.getLogger(__name__)
# Redis (cache, channel layer) and the Celery broker unreachable: a 503, not a 500.
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (RedisError, KombuOperationalError)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn every expected failure into a 4xx in our format; real bugs stay 500s."""
    if isinstance(exc, MLError):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
        exc.default_code = "invalid"
    elif isinstance(exc, DEPENDENCY_ERRORS):
        logger.warning("a service the API needs is down: %s: %s", type(exc).__name__, exc)
        response = Response(
            error_body(
                "service_unavailable",
                "A service this request needs is down for a moment; try again in a minute.",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "30"
        return response
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", _first_message(detail), fields)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, _first_message(getattr(exc, "detail", str(exc))))
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="A sentence a user understands.")
    fields = serializers.DictField(required=False, help_text="Per-field messages (validation errors only).")


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API (documented as the `Error` component)."""

    error = ErrorDetailSerializer()


@extend_schema(exclude=True)
class ApiNotFoundApi(APIView):
    """Any path under /api/v1/ that names no endpoint: a 404 in the API error format.

    Without it Django answers such paths with its HTML 404 page (e.g. a negative id, which
    the `<int:...>` converters do not match), which no API client can parse.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def _not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound("There is no API endpoint at this path.")

    get = post = put = patch = delete = _not_found


def server_error(request, *args, **kwargs):
    """handler500: API clients get the error format even for a bug; pages get the HTML page.

    Django calls this (with DEBUG off) for an exception no view handled; the traceback is
    logged by Django, never sent.
    """
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(
                "server_error", "Something went wrong on our side; it has been logged. Try again later."
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request, *args, **kwargs)
