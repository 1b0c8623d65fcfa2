"""Django's Redis cache backend with one connection pool per process.

Django makes a new cache object for every request context, and under ASGI every request
is one: each then built its own redis-py client and pool, i.e. a new TCP connection to
Redis per request (seen in profiles of the API under load). redis-py pools are thread
safe and reset themselves after a fork, so one client per process and configuration is
shared by all cache objects here.
"""

from __future__ import annotations

import threading
from functools import cached_property

from django.core.cache.backends import redis as django_redis

_clients: dict[tuple, django_redis.RedisCacheClient] = {}
_lock = threading.Lock()


class RedisCache(django_redis.RedisCache):
    """django.core.cache.backends.redis.RedisCache sharing its client (and pool)."""

    @cached_property
    def _cache(self) -> django_redis.RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
