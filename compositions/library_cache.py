"""The library page cached whole, per (user, URL, the user's library revision).

The revision (echoes_site.revisions, namespace "library") is replaced on every write to
one of the user's compositions: saves and deletes (signals), `QuerySet.update()` /
`delete()` / `bulk_create()` (CompositionQuerySet, which sends no signals) and the
SET_NULL a deleted mood session leaves behind.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from django.core.cache import cache
from redis.exceptions import RedisError

from echoes_site import revisions

logger = logging.getLogger(__name__)

# Long enough to matter under load, short enough that an eviction-free cache stays small.
PAGE_SECONDS = 300


NAMESPACE = "library"


def bump_revisions(user_ids: Iterable[int]) -> None:
    """Invalidate these users' cached library pages (now and once the transaction commits)."""
    revisions.bump(NAMESPACE, user_ids)


def cached_page(request, build: Callable[[], dict]) -> dict:
    """The page's data for this user and URL (host included: the page links are absolute)."""
    try:
        revision = revisions.current(NAMESPACE, request.user.pk)
    except RedisError:
        logger.warning("library page not cached: the cache (Redis) is unreachable")
        return build()
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    # The account's join time too: ids come back after a database reset, Redis's tokens stay.
    key = f"library-page:{request.user.pk}:{request.user.date_joined.timestamp()}:{revision}:{url}"
    return cache.get_or_set(key, build, timeout=PAGE_SECONDS)
