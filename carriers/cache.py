"""Cache of carrier answers that do not depend on the cart, in Redis (the Django cache).

Keys hold the carrier, the agreement and the operation's parameters, so one merchant never
reads another's answers. If the cache cannot be reached the carrier is simply asked (the
project's cache backend turns Redis being down into a miss and a dropped write).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

T = TypeVar("T")
_MISS = object()
VERSION = 1
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


def cache_key(*, carrier: str, agreement_id: int, operation: str, params: Any) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]
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
    cache.set(key, value, timeout=lifetime)
    return value
