"""Rate limits on the Klarna callback API.

Authenticated calls are counted per merchant by :class:`MerchantRateThrottle`, a DRF throttle
(tms_gateway/common/throttling.py: one counter per merchant and minute, 429 with Retry-After
over the limit, calls allowed when the cache cannot be reached). ``/auth`` is different:
identifiers are not secret, so anything counted before the digest is checked would let anyone
lock a shop out of Klarna. Only *failed* ``/auth`` calls are counted, per client address and
identifier and per client address, and a correct digest always gets its token: over a limit a
failure answers 429 instead of 401, which slows down only the one who is failing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.views import APIView

from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.middleware import client_address
from tms_gateway.common.throttling import (
    FixedWindowThrottle,
    seconds_to_window_end,
    window_count,
)
from tms_gateway.ops.metrics import ksa_auth_failure_observe

from .authentication import KsaPrincipal

logger = logging.getLogger(__name__)

# How much of an identifier (chosen by whoever calls) a log line shows.
_LOGGED_IDENTIFIER_CHARS = 80


_LIMIT_NAMES = ("address and identifier", "address")


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"


class MerchantRateThrottle(FixedWindowThrottle):
    """The callback API's limit, after authentication: KSA_RATE_LIMIT_PER_MINUTE per merchant.
    ``/auth`` (no principal) is not counted here but on its failure path
    (:func:`ksa_auth_failure`)."""

    scope = "m"

    def limit(self) -> int:
        return int(settings.KSA_RATE_LIMIT_PER_MINUTE)

    def subject(self, request: Request, view: Any) -> str | None:
        auth = request.auth
        return str(auth.merchant.pk) if isinstance(auth, KsaPrincipal) else None


def _refuse(view: APIView, now: float) -> RateLimited:
    view.headers["Retry-After"] = str(seconds_to_window_end(now))
    return RateLimited("Too many requests; retry after the time in Retry-After.")


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
        count = window_count(scope=scope, subject=subject, now=now)
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
