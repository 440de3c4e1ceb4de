"""Fixed-window rate limits on the Klarna callback API, counted in the Django cache.

Each (scope, subject, minute) has one counter; a call costs one round trip to Redis
(INCR plus an idempotent EXPIREAT in the same pipeline). Over the limit the call is refused
with 429, ``{"failure_reason": "rate_limited", ...}`` and ``Retry-After`` (seconds to the end of
the window). If the cache cannot be reached the call is allowed: availability first.

Authenticated calls are counted per merchant before the view runs. ``/auth`` is different:
identifiers are not secret, so anything counted before the digest is checked would let anyone
lock a shop out of Klarna. Only *failed* ``/auth`` calls are counted, per client address and
identifier and per client address, and a correct digest always gets its token: over a limit a
failure answers 429 instead of 401, which slows down only the one who is failing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.views import APIView

from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.middleware import client_address
from tms_gateway.ops.metrics import ksa_auth_failure_observe

from .authentication import KsaPrincipal

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# After the cache fails, skip the limiter this long: no per-call timeouts, no log flood.
UNREACHABLE_BACKOFF_SECONDS = 5.0
_skip_until = 0.0
# How much of an identifier (chosen by whoever calls) a log line shows.
_LOGGED_IDENTIFIER_CHARS = 80


_LIMIT_NAMES = ("address and identifier", "address")


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"


def _hit(key: str, expires_at: int) -> int:
    """Count one call under ``key`` (expiring at ``expires_at``) and return the new count."""
    backend: Any = caches["default"]
    if isinstance(backend, RedisCache):
        raw_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(raw_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(raw_key)
        pipe.expireat(raw_key, expires_at)
        count, _ = pipe.execute()
        return int(count)
    # Other backends (the in-process cache of `make run`): add then incr.
    backend.add(key, 0, timeout=max(1, expires_at - int(time.time())))
    return int(backend.incr(key))


def _count(*, scope: str, subject: str, now: float) -> int | None:
    """Count one event of ``subject`` in the current window; None when the store is down."""
    global _skip_until
    if now < _skip_until:
        return None
    window = int(now // WINDOW_SECONDS)
    try:
        return _hit(f"ksa:rl:{scope}:{subject}:{window}", (window + 1) * WINDOW_SECONDS + 1)
    except Exception:  # the cache backend's own connection errors
        _skip_until = now + UNREACHABLE_BACKOFF_SECONDS
        logger.warning("rate-limit store unreachable; calls allowed without a limit")
        return None


def _refuse(view: APIView, now: float) -> RateLimited:
    window_end = (int(now // WINDOW_SECONDS) + 1) * WINDOW_SECONDS
    view.headers["Retry-After"] = str(max(1, math.ceil(window_end - now)))
    return RateLimited("Too many requests; retry after the time in Retry-After.")


def rate_limit(*, scope: str, subject: str, limit: int, view: APIView) -> None:
    """Count a call of ``subject``; raise RateLimited when it is over ``limit`` per minute."""
    if limit <= 0:
        return
    now = time.time()
    count = _count(scope=scope, subject=subject, now=now)
    if count is not None and count > limit:
        raise _refuse(view, now)


def ksa_rate_limit(view: APIView, request: Request) -> None:
    """The callback API's check, after authentication: per merchant. ``/auth`` (no principal)
    is not counted here but on its failure path (:func:`ksa_auth_failure`)."""
    if isinstance(request.auth, KsaPrincipal):
        rate_limit(
            scope="m",
            subject=str(request.auth.merchant.pk),
            limit=settings.KSA_RATE_LIMIT_PER_MINUTE,
            view=view,
        )


def _subject(*parts: str) -> str:
    # Hashed: identifiers may hold any character and any length; keys stay short.
    joined = "\x00".join(parts).encode("utf-8", "backslashreplace")
    return hashlib.sha256(joined).hexdigest()[:32]


def ksa_auth_failure(*, view: APIView, request: Request, identifier: str, reason: str) -> None:
    """Record one refused ``/auth`` and raise RateLimited when its sender is over a limit.

    Counted per (client address, identifier) against KSA_RATE_LIMIT_AUTH_PER_MINUTE and per
    client address against KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE; the metric counts every
    failure by ``reason``. A warning names the identifier and the address (never the digest or
    a key) for each failure within the limits and once when a limit is crossed, so a sustained
    attack costs a bounded number of log lines per address and minute.
    """
    ksa_auth_failure_observe(reason=reason)
    address = client_address(request)
    shown = ascii(identifier[:_LOGGED_IDENTIFIER_CHARS])
    now = time.time()
    over: list[str] = []
    crossed = False
    limits = (
        ("authf", _subject(address, identifier), settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE),
        ("autha", _subject(address), settings.KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE),
    )
    for (scope, subject, limit), name in zip(limits, _LIMIT_NAMES, strict=True):
        if limit <= 0:
            continue
        count = _count(scope=scope, subject=subject, now=now)
        if count is not None and count > limit:
            over.append(name)
            crossed = crossed or count == limit + 1
    if not over:
        logger.warning(
            "ksa /auth refused (%s): identifier=%s address=%s", reason, shown, address or "-"
        )
        return
    if crossed:
        logger.warning(
            "ksa /auth failures over the limit (%s): identifier=%s address=%s; further failures "
            "this minute answer 429 (a correct digest is still accepted)",
            "per " + " and per ".join(over),
            shown,
            address or "-",
        )
    raise _refuse(view, now)
