"""Are the live features (WebSockets, live progress, the shared cache) available?

They need Redis when REDIS_URL is set (the channel layer and the cache). Pages call
`live_features_available()` through a context processor to show a banner instead of
letting sockets fail without a word. The answer is one Redis PING with a short timeout,
remembered for a few seconds per process, so a page never waits long and Redis is not
pinged on every render.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 0.5
REMEMBER_SECONDS = 5.0

_lock = threading.Lock()
_client: redis.Redis | None = None
_last: tuple[float, bool] | None = None  # (monotonic time of the check, available)


def _ping() -> bool:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
        )
    try:
        return bool(_client.ping())
    except redis.RedisError as error:
        logger.warning("live features unavailable: Redis at REDIS_URL does not answer (%s)", error)
        return False


def live_features_available() -> bool:
    """True when the channel layer and cache can be reached (always, without REDIS_URL)."""
    global _last
    if not settings.REDIS_URL:
        return True  # the in-memory layer and local cache live in this process
    with _lock:
        now = time.monotonic()
        if _last is None or now - _last[0] >= REMEMBER_SECONDS:
            _last = (now, _ping())
        return _last[1]


def live_features(request) -> dict[str, bool]:
    """Context processor: `live_features_down` for the page banner (base.html)."""
    return {"live_features_down": not live_features_available()}
