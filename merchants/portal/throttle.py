"""Sign-in throttling (portal and admin) and limits on password-reset mails.

**Sign-in.** Failed attempts are counted per account and per client address, in one of two
scopes with their own counts and limits: ``"portal"`` (shop users, ``PORTAL_LOGIN_*``) and
``"admin"`` (partner staff, ``ADMIN_LOGIN_*``). After ``*_LOGIN_ATTEMPTS`` failures against
one account, or from one address, within ``*_LOGIN_WINDOW_SECONDS``, further attempts are
refused without checking the password (so a guess that happens to be right is refused too)
until the window of the first failure has passed. The window is fixed, not sliding: refused
attempts do not extend it, so a lockout always ends.

The account is the one authentication would check, not the text typed: the name is normalised
as Django's sign-in form does before it authenticates (stripped, Unicode NFKC: ``anna`` typed
in full-width letters, U+FF41 for ``a``, is ``anna``), then looked up case-insensitively and
counted under that user's id; a name of no account is counted under its case-folded form. So
every spelling that reaches one account (and its case variants) shares one count.

**Password reset.** Each reset request counts against the client address, and each reset mail
against the account it goes to, over ``PORTAL_PASSWORD_RESET_WINDOW_SECONDS``: beyond
``PORTAL_PASSWORD_RESET_PER_ADDRESS`` requests, or ``PORTAL_PASSWORD_RESET_PER_ACCOUNT`` mails,
the form answers as usual ("if the address is known, a mail is on its way") but sends nothing,
so the answer never tells an attacker whether an address is known or throttled.

Counters live in the Django cache (Redis in production, shared by every worker); when the
cache cannot be reached, sign-in and reset stay possible rather than locking every shop out.

The address is ``REMOTE_ADDR``, never a header the client writes: behind TRUSTED_PROXY_COUNT
proxies, ``ClientAddressMiddleware`` (tms_gateway/common/middleware.py) has set it to the
client's address as the outermost trusted proxy saw it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField
from django.core.cache import cache
from django.http import HttpRequest
from django.template.response import TemplateResponse

from tms_gateway.common.cache import cache_count

logger = logging.getLogger(__name__)

LoginScope = Literal["portal", "admin"]


# --- counters --------------------------------------------------------------------------------


def _exhausted(keys: list[str], *, limit: int) -> bool:
    counts = cache.get_many(keys)  # {} when Redis is down: no shop is locked out
    return any(int(count) >= limit for count in counts.values())


def _count(key: str, *, window: int) -> int:
    """Add one to ``key``; the first use opens its window (``add`` only sets a missing key, so
    the expiry stays that of the first use). 0 when the cache cannot be reached."""
    count = cache_count(key, timeout=window)
    if count is None:
        logger.warning("throttle: cache unavailable")
        return 0
    return count


# --- sign-in ---------------------------------------------------------------------------------


def login_limits(scope: LoginScope) -> tuple[int, int]:
    """(failed attempts allowed, window in seconds) of a scope."""
    if scope == "admin":
        return settings.ADMIN_LOGIN_ATTEMPTS, settings.ADMIN_LOGIN_WINDOW_SECONDS
    return settings.PORTAL_LOGIN_ATTEMPTS, settings.PORTAL_LOGIN_WINDOW_SECONDS


def _username_max_length() -> int:
    # As AuthenticationForm sets its username field's.
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    return int(getattr(field, "max_length", None) or 254)


def username_normalize(username: str) -> str:
    """The name as the sign-in form hands it to authentication (its ``UsernameField``)."""
    return str(UsernameField(max_length=_username_max_length()).to_python(username))


def _account(username: str) -> str:
    name = username_normalize(username)
    user_model = get_user_model()
    max_length = _username_max_length()
    # A name the form refuses (too long, or with a NUL byte, which PostgreSQL cannot even
    # compare) authenticates no one: it is not looked up.
    if name and "\x00" not in name and len(name) <= max_length:
        user_id = (
            user_model._default_manager.filter(**{f"{user_model.USERNAME_FIELD}__iexact": name})
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if user_id is not None:
            return f"user:{user_id}"
    # Hashed: any character may occur, and keys stay short.
    return "name:" + hashlib.sha256(name.casefold().encode()).hexdigest()


def _login_keys(*, scope: LoginScope, username: str, address: str) -> list[str]:
    keys = [f"login-failures:{scope}:{_account(username)}"]
    if address:
        keys.append(f"login-failures:{scope}:addr:{address}")
    return keys


def login_is_throttled(*, scope: LoginScope, username: str, address: str) -> bool:
    """True when the account or the address has used up its failed attempts in ``scope``."""
    attempts, _window = login_limits(scope)
    keys = _login_keys(scope=scope, username=username, address=address)
    return _exhausted(keys, limit=attempts)


def login_failure_record(*, scope: LoginScope, username: str, address: str) -> None:
    """Count one failed attempt against the account and the address."""
    _attempts, window = login_limits(scope)
    for key in _login_keys(scope=scope, username=username, address=address):
        _count(key, window=window)


def login_success_record(*, scope: LoginScope, username: str) -> None:
    """A correct password clears the account's failures (not the address's: one known
    account must not reset the count of guesses at every other account from that address)."""
    cache.delete_many(_login_keys(scope=scope, username=username, address=""))


def login_throttled_response(
    request: HttpRequest,
    *,
    scope: LoginScope,
    template_name: str,
    context: dict[str, Any] | None = None,
) -> TemplateResponse:
    """429 with ``Retry-After`` (the whole window: when it opened is not kept)."""
    _attempts, window = login_limits(scope)
    response = TemplateResponse(
        request,
        template_name,
        {**(context or {}), "window_minutes": max(1, window // 60)},
        status=429,
    )
    response["Retry-After"] = str(window)
    return response


# --- password reset --------------------------------------------------------------------------


def password_reset_address_allowed(*, address: str) -> bool:
    """Count one reset request from ``address``; False beyond its limit in the window."""
    if not address:
        return True
    count = _count(
        f"password-reset:addr:{address}", window=settings.PORTAL_PASSWORD_RESET_WINDOW_SECONDS
    )
    return count <= settings.PORTAL_PASSWORD_RESET_PER_ADDRESS


def password_reset_account_allowed(*, user_id: int) -> bool:
    """Count one reset mail to the account; False beyond its limit in the window."""
    count = _count(
        f"password-reset:user:{user_id}", window=settings.PORTAL_PASSWORD_RESET_WINDOW_SECONDS
    )
    return count <= settings.PORTAL_PASSWORD_RESET_PER_ACCOUNT
