"""Cache of carrier answers that do not depend on the cart, in Redis (the Django cache).

Keys hold the carrier, the agreement and the operation's parameters, so one merchant never
reads another's answers. If the cache cannot be reached the carrier is simply asked (the
project's cache backend turns Redis being down into a miss and a dropped write).
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.core.cache import cache, caches
from django.utils.module_loading import import_string

T = TypeVar("T")
_MISS = object()
VERSION = 2
_NON_STR_KEYS = orjson.OPT_NON_STR_KEYS
_bypass: ContextVar[bool] = ContextVar("carrier_cache_bypass", default=False)


@contextmanager
def cache_bypassed() -> Iterator[None]:
    """Within this block carriers are asked afresh (their answers still refresh the cache):
    a connection check must reach the carrier, not an earlier answer."""
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


@functools.cache
def _observer(path: str) -> Callable[[str, str, bool], None]:
    return import_string(path)


def _observe(carrier: str, operation: str, hit: bool) -> None:
    """Tell CARRIER_CACHE_OBSERVER (the metrics, by default) of a hit or a miss: a dotted path
    in settings, so carriers/ imports nothing above it."""
    path = settings.CARRIER_CACHE_OBSERVER
    if path:
        _observer(path)(carrier, operation, hit)


def _canonical(params: Any) -> bytes:
    try:
        return orjson.dumps(params, default=str, option=orjson.OPT_SORT_KEYS | _NON_STR_KEYS)
    except TypeError:  # what orjson does not take (an integer beyond 64 bits)
        return json.dumps(params, sort_keys=True, default=str).encode()


def cache_key(*, carrier: str, agreement_id: int, operation: str, params: Any) -> str:
    digest = hashlib.sha256(_canonical(params)).hexdigest()[:32]
    return f"carrier:v{VERSION}:{carrier}:{agreement_id}:{operation}:{digest}"


def cached(
    *,
    carrier: str,
    agreement_id: int,
    operation: str,
    params: Any,
    compute: Callable[[], T],
    ttl: int | None = None,
) -> T:
    """The cached answer, or ``compute()`` stored for ``CARRIER_CACHE_TTL[operation]``.

    Exceptions from ``compute`` are not cached: a failing carrier is asked again next time.
    """
    key = cache_key(carrier=carrier, agreement_id=agreement_id, operation=operation, params=params)
    # The cache backend handles Redis being down (a miss; the store dropped): no try here.
    hit: Any = _MISS if _bypass.get() else cache.get(key, _MISS)
    _observe(carrier, operation, hit is not _MISS)
    if hit is not _MISS:
        return hit
    value = compute()
    lifetime = ttl if ttl is not None else settings.CARRIER_CACHE_TTL.get(operation, 300)
    batch = _batch.get()
    if batch is None or not batch.add(key, value, lifetime):
        cache.set(key, value, timeout=lifetime)
    return value


class WriteBatch:
    """Answers to store, written together when the block of :func:`cache_writes_batched` ends.
    Thread-safe: the fan-out's calls add from their own threads; once written, ``add`` refuses
    (a call finishing after its checkout's deadline stores its answer itself)."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Any, int]] = []
        self._lock = threading.Lock()
        self._closed = False

    def add(self, key: str, value: Any, timeout: int) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._items.append((key, value, timeout))
            return True

    def write(self) -> int:
        """Store what was added, in one round trip where the backend can; returns how many."""
        with self._lock:
            self._closed = True
            items, self._items = self._items, []
        if not items:
            return 0
        backend: Any = caches["default"]
        set_items = getattr(backend, "set_items", None)  # the project's Redis backend
        if set_items is not None:
            set_items(items)
            return len(items)
        by_timeout: dict[int, dict[str, Any]] = {}
        for key, value, timeout in items:
            by_timeout.setdefault(timeout, {})[key] = value
        for timeout, data in by_timeout.items():
            backend.set_many(data, timeout=timeout)
        return len(items)


_batch: ContextVar[WriteBatch | None] = ContextVar("carrier_cache_batch", default=None)


@contextmanager
def cache_writes_batched() -> Iterator[WriteBatch]:
    """Within this block (and the threads it starts in copies of its context) carrier answers
    are stored together at its end: one round trip for a whole options fan-out."""
    batch = WriteBatch()
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)
        batch.write()
