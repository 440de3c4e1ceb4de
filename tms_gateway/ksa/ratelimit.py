"""Fixed-window rate limits on the Klarna callback API, counted in the Django cache.

Each (scope, subject, minute) has one counter; a call costs one round trip to Redis
(INCR plus an idempotent EXPIREAT in the same pipeline). Over the limit the call is refused
with 429, ``{"failure_reason": "rate_limited", ...}`` and ``Retry-After`` (seconds to the end of
the window). If the cache cannot be reached the call is allowed: availability first.
"""

from __future__ import annotations

import hashlib
import json
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

from .authentication import KsaPrincipal

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# After the cache fails, skip the limiter this long: no per-call timeouts, no log flood.
UNREACHABLE_BACKOFF_SECONDS = 5.0
_skip_until = 0.0


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


def rate_limit(*, scope: str, subject: str, limit: int, view: APIView) -> None:
    """Count a call of ``subject``; raise RateLimited when it is over ``limit`` per minute."""
    global _skip_until
    if limit <= 0:
        return
    now = time.time()
    if now < _skip_until:
        return
    window = int(now // WINDOW_SECONDS)
    window_end = (window + 1) * WINDOW_SECONDS
    key = f"ksa:rl:{scope}:{subject}:{window}"
    try:
        count = _hit(key, window_end + 1)
    except Exception:  # the cache backend's own connection errors
        _skip_until = now + UNREACHABLE_BACKOFF_SECONDS
        logger.warning("rate-limit store unreachable; calls allowed without a limit")
        return
    if count > limit:
        view.headers["Retry-After"] = str(max(1, math.ceil(window_end - now)))
        raise RateLimited("Too many requests; retry after the time in Retry-After.")


def _auth_identifier(request: Request) -> str | None:
    try:
        data = json.loads(request._request.body or b"{}")
    except Exception:  # malformed or oversize: the view refuses it itself
        return None
    identifier = data.get("identifier") if isinstance(data, dict) else None
    return identifier if isinstance(identifier, str) and identifier else None


def ksa_rate_limit(view: APIView, request: Request) -> None:
    """The callback API's check, after authentication: per merchant, or per /auth identifier."""
    if isinstance(request.auth, KsaPrincipal):
        rate_limit(
            scope="m",
            subject=str(request.auth.merchant.pk),
            limit=settings.KSA_RATE_LIMIT_PER_MINUTE,
            view=view,
        )
        return
    limit = settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE
    if limit <= 0:
        return
    identifier = _auth_identifier(request)
    if identifier is not None:
        subject = hashlib.sha256(identifier.encode()).hexdigest()[:32]
        rate_limit(scope="auth", subject=subject, limit=limit, view=view)
