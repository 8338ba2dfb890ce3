"""The shared cache when Redis is unreachable: requests are served, never a 500.

``CACHE_URL=redis://…`` selects :class:`FailSoftRedisCache` (``settings.cache_config``):
Django's Redis backend, except that a Redis that refuses connections, times out or is
still loading no longer raises out of ``cache.get()`` in the middle of a request. Instead:

1. The operation degrades. Cached data is a miss and writes are dropped: every reader
   falls back to the database, which stays the source of truth, so nothing stale is served
   (a write dropped now cannot be undone later by a delete that did not reach Redis).
   Rate-limit counters — DRF's throttle history (``throttle_…``) and
   :mod:`coresync.core.ratelimit` (``ratelimit:…``) — are kept in this process's memory
   instead, so sign-in and booking limits still hold per worker rather than not at all.
2. One warning is logged when Redis is found down and one line when it is back, not one
   per request.
3. For ``retry_seconds`` after a failure the backend does not try Redis at all: a Redis
   that hangs costs one socket timeout per process per interval, not one per call.

Only unavailability is caught (``redis.exceptions.ConnectionError`` and
``TimeoutError``); any other Redis error is a bug and still raises. See
docs/fault-drills.md.

A dropped ``set_many`` answers every key as failed, as Django's backends report failures, so a
caller that must not lose a write (the availability cache's version bumps) can tell and retry.

The backend also keeps one redis-py client per connection pool (:class:`RedisCacheClient`):
Django builds a new ``redis.Redis`` for every cache call, and redis-py fills a fresh
response-callback table for each (about 170 dictionary writes) — measured with cProfile on
``GET availability/``, a fifth of a cached listing's time.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

logger = logging.getLogger(__name__)

CACHE_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
"""What an unreachable Redis raises (``BusyLoadingError`` is a ``ConnectionError``)."""

LOCAL_FALLBACK_PREFIXES = ("throttle_", "ratelimit:")
"""Keys counted in process memory while Redis is down: the rate limits' counters."""


class RedisCacheClient(DjangoRedisCacheClient):
    """Keep the ``redis.Redis`` client of each connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with :class:`RedisCacheClient`."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache that degrades instead of raising when Redis is unreachable
    (module docstring)."""

    retry_seconds = 5.0
    """After a failure, serve degraded for this long before trying Redis again."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # Django may make one backend object per thread or request context: the state of a
        # Redis server and its fallback counters are the process's, shared by all of them.
        location = ",".join(self._servers)
        with _HEALTH_LOCK:
            self._health = _HEALTH.setdefault(location, _Health())
        self._local = LocMemCache(f"coresync-fallback:{location}", {"TIMEOUT": None})

    @property
    def available(self) -> bool:
        """False while serving degraded (Redis was found unreachable)."""
        return not self._health.down

    def _call(self, name: str, key: str | None, miss: Callable[[], Any], *args: Any) -> Any:
        """Run cache operation ``name`` on Redis; if Redis is down, run it on this process's
        memory for a rate-limit ``key`` and return ``miss()`` (an empty cache's answer) for
        any other."""
        counter = key is not None and key.startswith(LOCAL_FALLBACK_PREFIXES)
        health = self._health
        if not (health.down and time.monotonic() < health.retry_at):
            try:
                result = getattr(super(), name)(*args)
            except CACHE_UNAVAILABLE as error:
                health.mark_down(error, self.retry_seconds)
            else:
                if health.down and health.mark_up():
                    self._local.clear()
                return result
        return getattr(self._local, name)(*args) if counter else miss()

    # Each operation with an empty cache's answer for when Redis is down (see _call).

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call("add", key, lambda: False, key, value, timeout, version)

    def get(self, key, default=None, version=None) -> Any:
        return self._call("get", key, lambda: default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        return self._call("set", key, lambda: None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call("touch", key, lambda: False, key, timeout, version)

    def delete(self, key, version=None) -> bool:
        return self._call("delete", key, lambda: False, key, version)

    def has_key(self, key, version=None) -> bool:
        return self._call("has_key", key, lambda: False, key, version)

    def incr(self, key, delta=1, version=None) -> int:
        return self._call("incr", key, _key_not_found(key), key, delta, version)

    def get_many(self, keys, version=None) -> dict[str, Any]:
        return self._call("get_many", None, dict, keys, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list[str]:
        return self._call("set_many", None, lambda: list(data), data, timeout, version)

    def delete_many(self, keys, version=None) -> None:
        return self._call("delete_many", None, lambda: None, keys, version)

    def clear(self) -> bool:
        self._local.clear()
        return self._call("clear", None, lambda: False)


class _Health:
    """Whether one Redis server is reachable, as this process last found it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0  # time.monotonic() before which Redis is not tried again

    def mark_down(self, error: BaseException, retry_seconds: float) -> None:
        """Record a failure; log a warning if Redis was up until now."""
        with self.lock:
            first = not self.down
            self.down = True
            self.retry_at = time.monotonic() + retry_seconds
        if first:
            logger.warning(
                "Cache unavailable (%s: %s); serving without it (rate limits count per "
                "process) and retrying every %g s.",
                type(error).__name__,
                error,
                retry_seconds,
            )

    def mark_up(self) -> bool:
        """Record a success; return True (and log) if Redis was down until now."""
        with self.lock:
            was_down = self.down
            self.down = False
            self.retry_at = 0.0
        if was_down:
            logger.warning("Cache reachable again; rate limits are shared again.")
        return was_down


_HEALTH: dict[str, _Health] = {}
_HEALTH_LOCK = threading.Lock()


def _key_not_found(key: str) -> Callable[[], int]:
    """Return the degraded ``incr``: Django's answer for a missing key."""

    def raise_value_error() -> int:
        raise ValueError(f"Key '{key}' not found (the cache is unavailable).")

    return raise_value_error
