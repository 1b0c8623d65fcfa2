"""Reads of compositions. Every read is scoped to its owner: another user's row is a 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from compositions.models import Composition


def composition_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Composition]:
    """The user's compositions, newest first, filtered by mood, style, status, favourite and
    creation date (`created_from` / `created_to`, inclusive days) and a title search `q`."""
    filters = filters or {}
    qs = Composition.objects.filter(owner=user)
    if filters.get("mood"):
        qs = qs.filter(mood_label=filters["mood"])
    if filters.get("style"):
        qs = qs.filter(style=filters["style"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("favourite") is not None:
        qs = qs.filter(favourite=filters["favourite"])
    created_from: date | None = filters.get("created_from")
    created_to: date | None = filters.get("created_to")
    if created_from:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__date__lte=created_to)
    if filters.get("q"):
        qs = qs.filter(title__icontains=filters["q"])
    return qs.order_by("-created_at", "-id")


def composition_get(*, user: Any, composition_id: int) -> Composition:
    """One of the user's compositions; Http404 for a missing id or another user's row."""
    return get_object_or_404(Composition, pk=composition_id, owner=user)


def composition_in_flight_list(*, user: Any) -> list[Composition]:
    """The user's queued and running compositions (for progress snapshots)."""
    return list(
        Composition.objects.filter(owner=user, status__in=Composition.IN_FLIGHT).order_by("created_at")
    )
