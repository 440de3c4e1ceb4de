"""Issued once, shown once: the forms that issue or rotate a Klarna key carry a one-time nonce
(a reload or a resubmitted POST issues nothing), and the new key waits in the session,
encrypted, for the one page that shows it (POST → redirect → one-time display).

A nonce is handed out with the form and kept in the session; a POST spends it, and a second
POST with the same nonce (a resubmission, a double click racing the first) finds it spent:
the session says whether it was handed out, the cache (one atomic ``add``) whether it was
spent already. The key is removed from the session by the page that shows it; reloading that
page shows "already shown" instead.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from tms_gateway.common.cache import CacheUnavailable

from ..fields import decrypt_str, encrypt_str

NONCES = "merchants.admin.form_nonces"
KEYS = "merchants.admin.keys_once"
#: How long a spent nonce is remembered (a form older than this is refused by the session).
SPENT_SECONDS = 24 * 3600
#: At most this many forms open at once in one session (the oldest are forgotten).
MAX_NONCES = 20
FIELD = "once"
#: A key not shown within this long is dropped from the session unseen.
KEY_KEPT_SECONDS = 15 * 60


def form_nonce_issue(request: HttpRequest, *, purpose: str) -> str:
    """A fresh nonce for one form of ``purpose`` (e.g. ``issue:12``), kept in the session."""
    nonce = secrets.token_urlsafe(16)
    pending: list[list[str]] = list(request.session.get(NONCES, []))
    pending.append([purpose, nonce])
    request.session[NONCES] = pending[-MAX_NONCES:]
    return nonce


def form_nonce_spend(request: HttpRequest, *, purpose: str) -> bool:
    """Spend the nonce the POST carries: True once for a nonce this session was handed for
    ``purpose``; False for a missing, foreign, or already spent one."""
    nonce = str(request.POST.get(FIELD, ""))
    pending: list[list[str]] = list(request.session.get(NONCES, []))
    if not nonce or [purpose, nonce] not in pending:
        return False
    pending.remove([purpose, nonce])
    request.session[NONCES] = pending
    # Two requests may read the same session before either saves it: one atomic add decides
    # (with Redis down, the session alone does).
    try:
        return bool(cache.add(f"admin:form-nonce:{nonce}", 1, SPENT_SECONDS))
    except CacheUnavailable:
        return True


def key_once_keep(request: HttpRequest, *, credential_id: int, key: str, title: str) -> None:
    """Keep the new plain key (encrypted) for the page that shows it once."""
    kept = _fresh(request)
    kept[str(credential_id)] = {"key": encrypt_str(key), "title": title, "at": time.time()}
    request.session[KEYS] = kept


def _fresh(request: HttpRequest) -> dict[str, Any]:
    """The kept keys not older than ``KEY_KEPT_SECONDS``."""
    oldest = time.time() - KEY_KEPT_SECONDS
    kept: dict[str, Any] = dict(request.session.get(KEYS, {}))
    return {k: v for k, v in kept.items() if float(v.get("at", 0)) >= oldest}


def key_once_take(request: HttpRequest, *, credential_id: int) -> tuple[str, str] | None:
    """The kept key and its page title, removed from the session; None once it was shown."""
    kept = _fresh(request)
    entry = kept.pop(str(credential_id), None)
    request.session[KEYS] = kept
    if entry is None:
        return None
    return decrypt_str(entry["key"]), str(entry["title"])
