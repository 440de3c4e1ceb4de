"""The one way to Redis: Django's cache backend (shared clients, failures handled once), the
window counter and claim built on it, and plain clients for what the cache API cannot do.

Kept ours rather than django-redis: Django's own Redis backend does the work; what it lacks is
small (one client per process, failing fast while Redis is down) and fits here.

* **One client per process.** Django keeps a cache backend per thread and per context (every
  carrier call of the options fan-out runs in a copied context): the stock backend would open
  a new connection pool, and a new connection, each time. Here every backend object with the
  same settings shares one client over one pool; a redis-py client over a pool is thread-safe.
* **Redis down is handled here, not at every call.** Reads miss (``get`` gives the default,
  ``get_many`` nothing), writes are dropped (``set``, ``delete``...), and what decides
  something (``add``, ``incr``, :func:`cache_count`, :func:`cache_claim`) raises
  :class:`CacheUnavailable` or answers None, for the caller to choose availability. After a
  failure the backend does not try Redis for ``UNREACHABLE_BACKOFF_SECONDS``: no connect
  timeout per call, one warning per period.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

#: After a failure, Redis is left alone this long (reads miss, writes are dropped).
UNREACHABLE_BACKOFF_SECONDS = 5.0
_REDIS_ERRORS = (redis.RedisError, OSError)


class CacheUnavailable(Exception):
    """Redis could not be reached (or is being left alone after a failure)."""


class SharedRedisCacheClient(RedisCacheClient):
    """Django's client with one redis-py client per pool, and the failure back-off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()
        self.down_until = 0.0
        self.last_error = ""

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            with self._lock:
                client = self._clients.setdefault(
                    id(pool),
                    self._client(connection_pool=pool),  # type: ignore[attr-defined]
                )
        return client


_shared: dict[str, SharedRedisCacheClient] = {}
_shared_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    """``CACHES["default"]["BACKEND"]`` when REDIS_URL is set."""

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        servers: Any = self._servers  # type: ignore[attr-defined]
        options: dict[str, Any] = self._options  # type: ignore[attr-defined]
        identity = repr((servers, sorted(options.items())))
        with _shared_lock:
            client = _shared.get(identity)
            if client is None:
                client = _shared[identity] = SharedRedisCacheClient(servers, **options)
        return client

    # --- failure handling ---------------------------------------------------------------

    def _available(self) -> bool:
        return time.monotonic() >= self._cache.down_until

    def _failed(self, operation: str, exc: BaseException) -> None:
        client = self._cache
        first = client.down_until == 0.0 or time.monotonic() >= client.down_until
        client.down_until = time.monotonic() + UNREACHABLE_BACKOFF_SECONDS
        client.last_error = f"{type(exc).__name__}: {exc}"[:200]
        if first:
            logger.warning(
                "cache (Redis) unreachable during %s: %s; reads miss and writes are dropped "
                "for the next %g s",
                operation,
                type(exc).__name__,
                UNREACHABLE_BACKOFF_SECONDS,
            )

    def _deciding(self, operation: str, call: Any) -> Any:
        if not self._available():
            raise CacheUnavailable(f"cache unavailable ({operation})")
        try:
            return call()
        except _REDIS_ERRORS as exc:
            self._failed(operation, exc)
            raise CacheUnavailable(f"cache unavailable ({operation})") from exc

    def _tolerant(self, operation: str, call: Any, default: Any) -> Any:
        if not self._available():
            return default
        try:
            return call()
        except _REDIS_ERRORS as exc:
            self._failed(operation, exc)
            return default

    # --- reads miss, writes are dropped -------------------------------------------------

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._tolerant(
            "get", lambda: super(RedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._tolerant(
            "get_many", lambda: super(RedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return bool(
            self._tolerant("has_key", lambda: super(RedisCache, self).has_key(key, version), False)
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._tolerant(
            "set", lambda: super(RedisCache, self).set(key, value, timeout, version), None
        )

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        failed = list(data)
        return list(
            self._tolerant(
                "set_many", lambda: super(RedisCache, self).set_many(data, timeout, version), failed
            )
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(
            self._tolerant(
                "touch", lambda: super(RedisCache, self).touch(key, timeout, version), False
            )
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(
            self._tolerant("delete", lambda: super(RedisCache, self).delete(key, version), False)
        )

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._tolerant(
            "delete_many", lambda: super(RedisCache, self).delete_many(keys, version), None
        )

    def set_items(self, items: Iterable[tuple[Any, Any, Any]]) -> None:
        """``set`` of each (key, value, timeout), in one pipeline (one round trip)."""

        def call() -> None:
            client = self._cache.get_client(None, write=True)
            dumps = self._cache._serializer.dumps  # type: ignore[attr-defined]
            pipe = client.pipeline(transaction=False)
            for key, value, timeout in items:
                seconds = self.get_backend_timeout(timeout)
                raw_key = self.make_and_validate_key(key)
                if seconds == 0:
                    pipe.delete(raw_key)
                else:
                    pipe.set(raw_key, dumps(value), ex=seconds)
            pipe.execute()

        self._tolerant("set_items", call, None)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key that starts with ``prefix`` (a configuration change dropping the
        answers built from the old one). SCAN, not KEYS: Redis keeps serving meanwhile."""

        def call() -> None:
            raw_prefix = self.make_and_validate_key(prefix)
            pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in raw_prefix) + "*"
            client = self._cache.get_client(None, write=True)
            batch: list[Any] = []
            for raw_key in client.scan_iter(match=pattern, count=500):
                batch.append(raw_key)
                if len(batch) >= 500:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)

        self._tolerant("delete_prefix", call, None)

    # --- decisions raise CacheUnavailable -----------------------------------------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return bool(
            self._deciding("add", lambda: super(RedisCache, self).add(key, value, timeout, version))
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return int(
            self._deciding("incr", lambda: super(RedisCache, self).incr(key, delta, version))
        )

    def window_count(self, key: str, timeout: int) -> int:
        """Add one to ``key``, which the first count creates to live ``timeout`` seconds: SET NX
        EX and INCR in one round trip."""

        def call() -> int:
            raw_key = self.make_and_validate_key(key)
            client = self._cache.get_client(raw_key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.set(raw_key, 0, ex=max(1, timeout), nx=True)
            pipe.incr(raw_key)
            _, count = pipe.execute()
            return int(count)

        return int(self._deciding("window_count", call))

    def count_and_get(self, count_key: str, timeout: int, get_key: str) -> tuple[int, Any]:
        """:meth:`window_count` of ``count_key`` and the value of ``get_key``: one pipeline."""

        def call() -> tuple[int, Any]:
            raw_count = self.make_and_validate_key(count_key)
            raw_get = self.make_and_validate_key(get_key)
            client = self._cache.get_client(raw_count, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.set(raw_count, 0, ex=timeout, nx=True)
            pipe.incr(raw_count)
            pipe.get(raw_get)
            _, count, raw = pipe.execute()
            value = None if raw is None else self._cache._serializer.loads(raw)  # type: ignore[attr-defined]
            return int(count), value

        result: tuple[int, Any] = self._deciding("count_and_get", call)
        return result


# --- what decides: counters and claims -------------------------------------------------------


def cache_count(key: str, *, timeout: int) -> int | None:
    """Count one event under ``key`` and return the count so far: the window opens with the
    first count and lasts ``timeout`` seconds. None when the cache cannot be reached."""
    backend: Any = caches["default"]
    timeout = max(1, timeout)
    try:
        if isinstance(backend, RedisCache):
            return int(backend.window_count(key, timeout))
        # Other backends (the in-process cache of `make run`): add, then incr.
        backend.add(key, 0, timeout=timeout)
        try:
            return int(backend.incr(key))
        except ValueError:  # expired between add() and incr()
            backend.add(key, 1, timeout=timeout)
            return 1
    except CacheUnavailable:
        return None


def cache_count_and_get(count_key: str, *, timeout: int, get_key: str) -> tuple[int | None, Any]:
    """:func:`cache_count` of ``count_key`` and ``cache.get(get_key)`` in one round trip (in
    Redis): the count (None when the store is down) and the value (None when missing)."""
    backend: Any = caches["default"]
    if not isinstance(backend, RedisCache):
        return cache_count(count_key, timeout=timeout), backend.get(get_key)
    try:
        return backend.count_and_get(count_key, max(1, timeout), get_key)
    except CacheUnavailable:
        return None, None


def cache_claim(key: str, *, timeout: int) -> bool | None:
    """True the first time ``key`` is claimed within ``timeout`` seconds (atomic), False after;
    None when the cache cannot be reached."""
    try:
        return bool(cache.add(key, 1, timeout=timeout))
    except CacheUnavailable:
        return None


def cache_problem() -> str:
    """Why the default cache is being left alone ("" when it is not): for /readyz."""
    backend: Any = caches["default"]
    if isinstance(backend, RedisCache) and not backend._available():
        return f"Redis unreachable ({backend._cache.last_error})"
    return ""


# --- plain clients ---------------------------------------------------------------------------

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(url: str, *, timeout: float) -> redis.Redis:
    """A plain client for what the cache API cannot do (queue lengths): one per URL and
    timeout for the whole process; connecting and every command give up after ``timeout``."""
    key = (url, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
        return client
