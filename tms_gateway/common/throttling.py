"""Fixed-window rate limits as DRF throttle classes, counted in the cache (one round trip).

Each (scope, subject, minute) has one counter (tms_gateway/common/cache.py ``cache_count``).
Over the limit DRF raises ``Throttled``; the exception handler answers 429 with
``failure_reason``/``code`` ``rate_limited`` and ``Retry-After`` (seconds to the end of the
window). If the cache cannot be reached the call is allowed: availability first.
"""

from __future__ import annotations

import math
import time
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .cache import cache_count

WINDOW_SECONDS = 60


def window_key(*, scope: str, subject: str, now: float) -> tuple[str, int]:
    """The counter of ``subject`` for the current minute and its lifetime in seconds."""
    window = int(now // WINDOW_SECONDS)
    return f"ksa:rl:{scope}:{subject}:{window}", (window + 1) * WINDOW_SECONDS + 1 - int(now)


def window_count(*, scope: str, subject: str, now: float) -> int | None:
    """Count one event of ``subject`` in the current minute; None when the store is down."""
    key, timeout = window_key(scope=scope, subject=subject, now=now)
    return cache_count(key, timeout=timeout)


def seconds_to_window_end(now: float) -> int:
    window_end = (int(now // WINDOW_SECONDS) + 1) * WINDOW_SECONDS
    return max(1, math.ceil(window_end - now))


class FixedWindowThrottle(BaseThrottle):
    """``limit`` calls per minute per ``subject``; subclasses say which (None: not counted)."""

    scope = ""

    def __init__(self) -> None:
        self._wait: float | None = None

    def limit(self) -> int:
        raise NotImplementedError

    def subject(self, request: Request, view: Any) -> str | None:
        raise NotImplementedError

    def counter(self, request: Request, view: Any) -> tuple[str, int, float] | None:
        """(key, lifetime, now) of the counter this call adds to; None when not counted."""
        if self.limit() <= 0:
            return None
        subject = self.subject(request, view)
        if subject is None:
            return None
        now = time.time()
        key, timeout = window_key(scope=self.scope, subject=subject, now=now)
        return key, timeout, now

    def allowed(self, count: int | None, now: float) -> bool:
        """Whether a call that brought the counter to ``count`` (None: store down) may go on."""
        if count is None or count <= self.limit():
            return True
        self._wait = seconds_to_window_end(now)
        return False

    def allow_request(self, request: Request, view: Any) -> bool:
        counter = self.counter(request, view)
        if counter is None:
            return True
        key, timeout, now = counter
        return self.allowed(cache_count(key, timeout=timeout), now)

    def wait(self) -> float | None:
        return self._wait
