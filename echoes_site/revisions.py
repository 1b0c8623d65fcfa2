"""Per-user revision tokens in Django's cache, for data cached whole per user.

A namespace ("library", "listening") has one opaque token per user, replaced on every
write that changes what the cached data would say. Data is cached under the token it
was built with, so data cached under an old token is never read again. The token is
replaced both at once and after the transaction commits, so a reader that saw the old
rows between the write and the commit cannot leave them cached under the new token.

`UserRevisionQuerySet` covers the bulk writes that send no signals (`update()`,
`delete()`, `bulk_create()`, `bulk_update()`); single-row writes bump from signals.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import models, transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _key(namespace: str, user_id: int) -> str:
    return f"{namespace}-revision:{user_id}"


def bump(namespace: str, user_ids: Iterable[int | None]) -> None:
    """Invalidate these users' cached `namespace` data (now and once the transaction commits)."""
    keys = {_key(namespace, user_id) for user_id in user_ids if user_id is not None}
    if not keys:
        return

    def replace() -> None:
        try:
            cache.set_many(dict.fromkeys(keys, uuid.uuid4().hex), timeout=None)
        except RedisError:
            # The write stands; data cached before the outage can be served until it
            # expires (each cache sets a short timeout) if Redis comes back with it.
            logger.warning("%s revision not bumped: the cache (Redis) is unreachable", namespace)

    replace()
    transaction.on_commit(replace)


def current(namespace: str, user_id: int) -> str:
    """This user's `namespace` token (made on first use). Raises RedisError without Redis."""
    key = _key(namespace, user_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key)
    return token


class UserRevisionQuerySet(models.QuerySet):
    """Bulk writes bump the revision of every user whose rows they touch.

    Subclasses set `revision_namespace` and `revision_user_field` (the user's foreign key
    column, e.g. "owner_id")."""

    revision_namespace: str
    revision_user_field: str

    def _user_ids(self) -> set[int]:
        return set(self.order_by().values_list(self.revision_user_field, flat=True).distinct())

    def _bump(self, user_ids: Iterable[int | None]) -> None:
        bump(self.revision_namespace, user_ids)

    def update(self, **kwargs):
        users = self._user_ids()
        updated = super().update(**kwargs)
        field = self.revision_user_field
        moved_to = kwargs.get(field.removesuffix("_id"), kwargs.get(field))  # update(owner=...)
        self._bump(users | {getattr(moved_to, "pk", moved_to)})
        return updated

    def delete(self):
        users = self._user_ids()
        deleted = super().delete()
        self._bump(users)
        return deleted

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        self._bump({getattr(obj, self.revision_user_field) for obj in created})
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        self._bump({getattr(obj, self.revision_user_field) for obj in objs})
        return updated
