"""The client's address behind trusted proxies: what per-address limits count.

The attack: forge ``X-Forwarded-For`` to spread failed sign-ins over made-up addresses. Only
the entries our own proxies appended are believed; with no trusted proxy, none is.
"""

from __future__ import annotations

import json
import time
import types
import uuid
from typing import Any

import pytest
from django.test import Client

from tms_gateway.common import throttling
from tms_gateway.common.middleware import forwarded_client
from tms_gateway.ksa import ratelimit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.9", "", 0, "10.0.0.9"),
        ("10.0.0.9", "203.0.113.7", 0, "10.0.0.9"),  # no proxy trusted: the header is ignored
        ("10.0.0.9", "203.0.113.7", 1, "203.0.113.7"),
        ("10.0.0.9", "6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),  # the forged hop is skipped
        ("10.0.0.9", "6.6.6.6, 203.0.113.7, 10.0.0.5", 2, "203.0.113.7"),
        ("10.0.0.9", "203.0.113.7", 2, "10.0.0.9"),  # fewer hops than proxies: not believed
        ("10.0.0.9", " , ", 1, "10.0.0.9"),
    ],
)
def test_the_client_is_the_address_the_outermost_trusted_proxy_saw(
    remote: str, forwarded: str, trusted: int, expected: str
) -> None:
    assert (
        forwarded_client(remote_addr=remote, forwarded_for=forwarded, trusted_proxies=trusted)
        == expected
    )


def _wrong_auth(forwarded_for: str) -> Any:
    nonce = uuid.uuid4().hex
    body = {"identifier": "nobody", "secret": {"nonce": nonce, "digest": "0" * 64}}
    return Client().post(
        "/ksa/v1/auth",
        data=json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_forged_forwarded_addresses_do_not_escape_the_per_address_limit(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one rate-limit window for the whole test, from its start
    now = (time.time() // throttling.WINDOW_SECONDS) * throttling.WINDOW_SECONDS + 0.5
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    # Behind one trusted proxy (the ingress), which appends the real client 203.0.113.7
    settings.TRUSTED_PROXY_COUNT = 1
    settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE = 1000
    settings.KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE = 5
    from django.core.cache import cache

    cache.clear()

    statuses = [
        _wrong_auth(f"198.51.100.{n}, 203.0.113.7").status_code for n in range(8)
    ]  # the client forges a new first hop each time

    assert statuses == [401] * 5 + [429] * 3
    # another client behind the same proxy is not limited by it
    assert _wrong_auth("203.0.113.8").status_code == 401
