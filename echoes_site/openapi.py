"""OpenAPI schema rules of the project, so the schema says what the API really does.

- Nested serializers are named after their API class (HackSoft style).
- Every list endpoint is paginated with the project's LimitOffsetPagination, also the
  plain APIViews that paginate by hand: their responses are documented as pages
  (`count`, `next`, `previous`, `results`) with `limit`/`offset` parameters.
- Every operation documents the errors it can answer, all in the one error format of
  echoes_site.api_errors (component `Error`): 400 for bad input, 401/403 for auth,
  404 for objects (another user's object is 404 too), 411/413/415 for request bodies,
  429 for throttling and login lockout, 503 when Redis or the broker is down.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework.settings import api_settings

ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `error.fields` says which field and why.",
    "401": "Not authenticated (no or a revoked token), or wrong username/password.",
    "403": "Forbidden: a session-authenticated write without its CSRF token, or wrong credentials.",
    "404": "Not found; another user's object is always 404.",
    "409": "Not in a state for this (e.g. the composition's file is not ready yet).",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type for the request body.",
    "411": "A request body without Content-Length (chunked): send its length.",
    "429": "Throttled (per user/client, stricter on login and composing), or locked out after too many "
    "failed logins; see Retry-After.",
    "503": "A service the request needs (Redis, the job broker) is down; try again (see Retry-After).",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema with the project's naming, pagination and error rules."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        """Names nested serializers after their API class: MeApi.OutputSerializer -> MeOutput.

        Every API class nests an `InputSerializer` / `OutputSerializer`; without this their
        components would all be called "Input"/"Output" and collide.
        """
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        parts = cls.__qualname__.split(".")
        if len(parts) > 1 and not name.startswith(parts[-2]):
            name = parts[-2].removesuffix("Api") + name
        return name

    def _get_paginator(self):
        # Our list APIs are plain APIViews that paginate with the default class by hand; a
        # GET declared as returning many items is such a page.
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET" and api_settings.DEFAULT_PAGINATION_CLASS:
            return api_settings.DEFAULT_PAGINATION_CLASS()
        return paginator

    def get_operation(self, path, path_regex, path_prefix, method, registry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        # Imported here: api_errors decorates a view with extend_schema, which loads this module.
        from echoes_site.api_errors import ErrorSerializer

        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = ["401", "403", "429", "503"]
        if has_body or any(p["in"] in {"query", "header"} for p in parameters):
            codes.append("400")
        if has_body or parameters:
            # Path ids, and ids inside the input (a session, a song), may name no object of yours.
            codes.append("404")
        if has_body:
            codes += ["411", "413", "415"]
        responses = operation["responses"]
        for code in sorted(codes):
            responses.setdefault(code, {})
        for code, response in responses.items():
            if code[0] in "45" and "content" not in response:
                response["description"] = ERROR_DESCRIPTIONS.get(code, "Error.")
                response["content"] = {"application/json": {"schema": error_ref}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation
