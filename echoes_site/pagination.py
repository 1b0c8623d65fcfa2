"""Paginated list responses with `?ordering=`, shared by every list API.

`limit`/`offset` pages (DRF's LimitOffsetPagination, with bounds: a value that is not an
integer in range is a 400, where DRF silently used the default, and 2**63 reached
PostgreSQL as an OFFSET it cannot hold, a 500). Ordering takes one public field name,
with `-` for descending; unknown names are a 400 that lists the allowed ones. Ties are
broken by id so pages never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response

MAX_PAGE_LIMIT = 1000
MAX_OFFSET = 10**9


def _bounded_int(request: Request, name: str, *, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise exceptions.ValidationError({name: [f"Must be a whole number from {low} to {high:,}."]})
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset pages; `limit` 1..1000 and `offset` 0..10**9, else a 400."""

    max_limit = MAX_PAGE_LIMIT

    def get_limit(self, request: Request) -> int | None:
        limit = _bounded_int(request, self.limit_query_param, low=1, high=MAX_PAGE_LIMIT)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        return _bounded_int(request, self.offset_query_param, low=0, high=MAX_OFFSET) or 0

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, MAX_PAGE_LIMIT), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters


@dataclass(frozen=True)
class Ordering:
    """Allowed `?ordering=` values: public name -> model field."""

    default: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def choices(self) -> list[str]:
        return [prefix + name for name in self.fields for prefix in ("", "-")]

    def parameter(self) -> OpenApiParameter:
        return OpenApiParameter(
            "ordering",
            OpenApiTypes.STR,
            enum=self.choices,
            description=f"Sort order (default {self.default}).",
        )

    def apply(self, queryset: QuerySet, request: Request) -> QuerySet:
        value = request.query_params.get("ordering") or self.default
        descending = value.startswith("-")
        name = value.removeprefix("-")
        if name not in self.fields:
            raise exceptions.ValidationError(
                {"ordering": [f"Unknown ordering {value[:40]!r}; choose one of: {', '.join(self.choices)}."]}
            )
        prefix = "-" if descending else ""
        return queryset.order_by(f"{prefix}{self.fields[name]}", f"{prefix}id")


def paginated_response(
    request: Request, view, queryset: QuerySet, serializer_class, *, ordering: Ordering | None = None
) -> Response:
    """One page of `queryset` (ordered as the client asked, when `ordering` is given)."""
    if ordering is not None:
        queryset = ordering.apply(queryset, request)
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


PAGE_PARAMETERS = [
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT}),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
]
