"""Login lockout (django-axes) adapted to this site: how accounts are named, what a
locked-out client is told.

One mechanism for every way in: the web login page, the admin login and the API token
endpoint all authenticate through `django.contrib.auth.authenticate`, where
`accounts.backends.LoginLockoutBackend` refuses locked-out clients before any password
is checked; axes' middleware then answers 429.
"""

from __future__ import annotations

import math
import unicodedata

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from echoes_site.api_errors import error_body


def lockout_username(request, credentials: dict | None) -> str | None:
    """The account an attempt was for, spelled one way (case and width folded), so that
    "Ann", "ANN" and "ａｎｎ" share one failure count."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field)
    if value is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get(field) if hasattr(data, "get") else None
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFKC", value).strip().casefold()[:254] or None


def lockout_seconds(request) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds()) if cool_off else 0


def lockout_response(request, *args) -> HttpResponse:
    """429 for a locked-out client: the API error format under /api/, a page elsewhere.

    axes calls this with (request, response, credentials) or, from its async middleware,
    (request, credentials); neither extra argument is needed here.
    """
    seconds = lockout_seconds(request)
    minutes = max(1, math.ceil(seconds / 60))
    message = (
        f"Too many failed logins from this address or for this account; try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("locked_out", message), status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
