"""A small in-process cache with expiry, for values worth a few seconds of staleness.

Used where a round trip to Redis or PostgreSQL on every Klarna call would cost more than the
value is worth re-reading (who a token belongs to). ``seconds=0`` disables it.

The store is ``cachetools.TLRUCache`` behind a lock; this wrapper stays because the lifetime is
a setting read at each call (tests and operators change it without a restart), which a plain
``cachetools.TTLCache`` fixes at construction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TLRUCache

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, *, seconds: Callable[[], float], max_entries: int = 10_000) -> None:
        self._seconds = seconds
        self._lifetime: float = 0.0  # the lifetime of the entry being set (under the lock)
        self._items: TLRUCache[Hashable, V] = TLRUCache(
            maxsize=max_entries,
            ttu=lambda _key, _value, now: now + self._lifetime,
            timer=time.monotonic,
        )
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        if self._seconds() <= 0:
            return None
        with self._lock:
            return self._items.get(key)

    def set(self, key: Hashable, value: V) -> None:
        seconds = self._seconds()
        if seconds <= 0:
            return
        with self._lock:
            self._lifetime = seconds
            self._items[key] = value

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (its value changed at the source)."""
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
