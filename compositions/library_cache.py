"""The library page cached whole, per (user, URL, the user's library revision).

A revision is an opaque token in Django's cache, replaced on every write to one of the
user's compositions: saves and deletes (signals), `QuerySet.update()` / `delete()` /
`bulk_create()` (CompositionQuerySet, which sends no signals) and the SET_NULL a deleted
mood session leaves behind. A page cached under an old token is never read again. The token
is replaced both at once and after the transaction commits, so a reader that saw the old
rows between the write and the commit cannot leave them cached under the new token.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Long enough to matter under load, short enough that an eviction-free cache stays small.
PAGE_SECONDS = 300


def _revision_key(user_id: int) -> str:
    return f"library-revision:{user_id}"


def bump_revisions(user_ids: Iterable[int]) -> None:
    """Invalidate these users' cached library pages (now and once the transaction commits)."""
    keys = {_revision_key(user_id) for user_id in user_ids if user_id is not None}
    if not keys:
        return

    def replace() -> None:
        try:
            cache.set_many(dict.fromkeys(keys, uuid.uuid4().hex), timeout=None)
        except RedisError:
            # The write stands; pages cached before the outage can be served until they
            # expire (PAGE_SECONDS) if Redis comes back with them.
            logger.warning("library revision not bumped: the cache (Redis) is unreachable")

    replace()
    transaction.on_commit(replace)


def _revision(user_id: int) -> str:
    key = _revision_key(user_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key)
    return token


def cached_page(request, build: Callable[[], dict]) -> dict:
    """The page's data for this user and URL (host included: the page links are absolute)."""
    try:
        revision = _revision(request.user.pk)
    except RedisError:
        logger.warning("library page not cached: the cache (Redis) is unreachable")
        return build()
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    key = f"library-page:{request.user.pk}:{revision}:{url}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, timeout=PAGE_SECONDS)
    return data
