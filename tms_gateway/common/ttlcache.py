"""A small in-process cache with expiry, for values worth a few seconds of staleness.

Used where a round trip to Redis or PostgreSQL on every Klarna call would cost more than the
value is worth re-reading (who a token belongs to). ``seconds=0`` disables it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, *, seconds: Callable[[], float], max_entries: int = 10_000) -> None:
        self._seconds = seconds
        self._max = max_entries
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        if self._seconds() <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                del self._items[key]
                return None
            return value

    def set(self, key: Hashable, value: V) -> None:
        seconds = self._seconds()
        if seconds <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
