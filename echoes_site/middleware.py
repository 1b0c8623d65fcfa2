"""Site-wide request and response rules: bodies the server cannot read, and the CSP."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from echoes_site.api_errors import error_body


def _refuse(request, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestBodyGuardMiddleware:
    """Refuse request bodies Django would misread, before any view reads them.

    - A body sent with `Transfer-Encoding: chunked` and no Content-Length: Django reads
      Content-Length bytes of the body, i.e. none, so `PUT /api/v1/me/preferences/` with
      one "succeeded" with an empty body and wiped the preferences. 411 Length Required.
    - A declared length over MAX_REQUEST_BODY_BYTES: 413 everywhere (pages got 400).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = request.META.get("CONTENT_LENGTH") or ""
        if chunked and not length:
            return _refuse(
                request,
                411,
                "length_required",
                "Send the request body with a Content-Length header (chunked bodies are not supported).",
            )
        if length.isdigit() and int(length) > settings.MAX_REQUEST_BODY_BYTES:
            return _refuse(
                request,
                413,
                "too_large",
                f"The request body is too large (at most {settings.MAX_REQUEST_BODY_BYTES:,} bytes).",
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every response: our own scripts only, no inline script,
    no framing, sockets only to this host. Redoc needs inline styles and blob: workers;
    Swagger UI (served split: its setup script is a file, not inline) inline styles."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            scheme = "wss" if request.is_secure() else "ws"
            try:
                sockets = f" {scheme}://{request.get_host()}"
            except Exception:  # DisallowedHost: the answer is an error page anyway
                sockets = ""
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.format(sockets=sockets)
        return response
