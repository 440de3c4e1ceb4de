"""Sign-in throttling: failed attempts counted per username and per client address.

After ``PORTAL_LOGIN_ATTEMPTS`` failures for one username, or from one address, within
``PORTAL_LOGIN_WINDOW_SECONDS``, further attempts are refused without checking the password
(so a guess that happens to be right is refused too) until the window of the first failure
has passed. The window is fixed, not sliding: refused attempts do not extend it, so a lockout
always ends. Counters live in the Django cache (Redis in production, shared by every worker);
when the cache cannot be reached, sign-in stays possible rather than locking every shop out.

The address is ``REMOTE_ADDR``, never the spoofable ``X-Forwarded-For``. Behind a reverse proxy
that is the proxy's address, so the per-address count becomes one count for every client; a
deployment behind a proxy should set ``REMOTE_ADDR`` from the proxy's header in one trusted
place (a middleware or the proxy protocol) before this runs.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_PREFIX = "portal-login-failures"


def _keys(*, username: str, address: str) -> list[str]:
    # Usernames are hashed (any character may occur; keys stay short) and case-folded, so
    # "Anna" and "anna" share one counter whatever the user model makes of case.
    user_digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    keys = [f"{_PREFIX}:user:{user_digest}"]
    if address:
        keys.append(f"{_PREFIX}:addr:{address}")
    return keys


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def login_is_throttled(*, username: str, address: str) -> bool:
    """True when the username or the address has used up its failed attempts."""
    try:
        counts = cache.get_many(_keys(username=username, address=address))
    except Exception:  # the cache is down: do not lock every shop out
        logger.warning("portal login throttle: cache unavailable", exc_info=True)
        return False
    return any(int(count) >= settings.PORTAL_LOGIN_ATTEMPTS for count in counts.values())


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed attempt; the first failure opens the window."""
    try:
        for key in _keys(username=username, address=address):
            # add() only sets a missing key: the expiry stays that of the first failure.
            cache.add(key, 0, timeout=settings.PORTAL_LOGIN_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=settings.PORTAL_LOGIN_WINDOW_SECONDS)
    except Exception:
        logger.warning("portal login throttle: cache unavailable", exc_info=True)


def login_success_record(*, username: str) -> None:
    """A correct password clears the username's failures (not the address's: one known
    account must not reset the count of guesses at every other account from that address)."""
    try:
        cache.delete_many(_keys(username=username, address="")[:1])
    except Exception:
        logger.warning("portal login throttle: cache unavailable", exc_info=True)
