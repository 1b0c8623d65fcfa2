"""Request throttles that cost one Redis round trip, whatever the rate.

DRF's throttles keep, per client, the list of the timestamps of every request in the
window, read and written back whole on each request: at the default 6000/min for a user
that is a pickled list of up to 6000 floats moved twice per request, and two concurrent
requests overwrite each other's entry. These count requests per fixed window instead
(Redis INCR + EXPIRE NX in one pipeline, atomic under concurrency). A fixed window lets
a client burst up to twice its rate across a window boundary; for abuse protection
that is fine, and the rates are set with it in mind.

Anonymous clients are told apart by echoes_site.client_address (the socket peer, or
the address our trusted proxies saw), never by a header the client wrote.

The classes keep DRF's names, scopes, cache keys and rates (settings.REST_FRAMEWORK
DEFAULT_THROTTLE_RATES: anon, user, login, compose).
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache  # also echoes_site.cache's subclass
from redis.exceptions import RedisError
from rest_framework import throttling

from echoes_site.client_address import client_address

logger = logging.getLogger(__name__)


def _hit(key: str, timeout: int) -> int:
    """Count one request under `key` (expiring after `timeout` s); the count so far."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, timeout, nx=True)
        count, _ = pipe.execute()
        return int(count)
    # Other caches (the embedded default's local memory): add, then increment.
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


class FixedWindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle counting per fixed window of the rate's period."""

    wait_seconds: float = 0.0

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        try:
            return _hit(f"{self.key}:{window}", self.duration + 1) <= self.num_requests
        except RedisError:
            # The cache is down: serve the request rather than fail every call of the API
            # with it (the login lockout keeps its counts in the database, not here).
            logger.warning("throttle %s not applied: the cache (Redis) is unreachable", self.scope)
            return True

    def wait(self) -> float:
        return self.wait_seconds

    def get_ident(self, request) -> str:
        # DRF's own get_ident believes X-Forwarded-For unless NUM_PROXIES is set: one
        # made-up header per request was a fresh budget (issue 19).
        return client_address(request)


class AnonRateThrottle(throttling.AnonRateThrottle, FixedWindowRateThrottle):
    """Per anonymous client (by address), rate "anon"."""


class UserRateThrottle(throttling.UserRateThrottle, FixedWindowRateThrottle):
    """Per signed-in user, rate "user"."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, FixedWindowRateThrottle):
    """Per user (or anonymous client) per view scope ("login", "compose")."""
