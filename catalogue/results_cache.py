"""Recommendation responses cached whole, per user and everything the ranking reads.

The key holds the user's listening revision (echoes_site.revisions, namespace
"listening": replaced on every write of one of their listening events, single or bulk),
the catalogue version, the profile's languages and favourite singers (read each time: one
small query, so no profile write path can leave a stale answer), the resolved mood and the
query (strategy, limit, languages). The ranking also reads the clock (recently played
songs rest, liked songs return after 30 minutes, history decays over days), so an answer
lives RESULTS_SECONDS: those rules apply within that much of their time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.core.cache import cache
from redis.exceptions import RedisError

from accounts.models import User
from catalogue.caching import catalogue_version
from catalogue.models import LISTENING_REVISIONS
from catalogue.recommender import preferences
from echoes_site import revisions
from ml.mood import Mood

logger = logging.getLogger(__name__)

RESULTS_SECONDS = 60


def listening_changed(user_ids) -> None:
    """Invalidate these users' cached recommendations (their listening history changed)."""
    revisions.bump(LISTENING_REVISIONS, user_ids)


def cached_body(*, user: User, mood: Mood, query: dict, build: Callable[[], dict]) -> dict:
    """The response body for this user, mood and query (`query`: the validated parameters
    other than the mood's own), built by `build` when not cached."""
    try:
        revision = revisions.current(LISTENING_REVISIONS, user.pk)
    except RedisError:
        logger.warning("recommendations not cached: the cache (Redis) is unreachable")
        return build()
    version = catalogue_version()
    languages, favourites = preferences(user)
    parts = (
        user.date_joined.timestamp(),  # ids come back after a database reset, Redis's tokens stay
        revision,
        version,
        sorted(languages),
        sorted(favourites),
        mood.label,
        mood.valence,
        mood.arousal,
        sorted((name, str(value)) for name, value in query.items()),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"recommendations:{user.pk}:{digest}"
    return cache.get_or_set(key, build, timeout=RESULTS_SECONDS)
