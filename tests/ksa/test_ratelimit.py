"""Per-merchant rate limits on the callback API (fixed one-minute windows in Redis)."""

from __future__ import annotations

import time
import types
from typing import Any

import pytest
from django.test import Client

from tms_gateway.common import throttling
from tms_gateway.common.cache import cache_count
from tms_gateway.ksa import ratelimit

from .conftest import Klarna, Shop, session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """One window for the whole test, so a minute boundary cannot reset the counters."""
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(throttling, "time", types.SimpleNamespace(time=lambda: now))
    return now


def assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["failure_reason"] == "rate_limited"
    assert response.json()["message"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_fourth_call_of_a_merchant_is_refused_others_unaffected(
    settings: Any, klarna: Klarna, klarna_b: Klarna
) -> None:
    settings.KSA_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert klarna.post("shippingoptions", session()).status_code == 200
    assert_limited(klarna.post("shippingoptions", session()))
    assert_limited(klarna.get("shipment/00000000-0000-0000-0000-000000000000"))
    for _ in range(3):
        assert klarna_b.post("shippingoptions", session()).status_code == 200


def test_unauthenticated_calls_get_401_not_counted(settings: Any, client: Client) -> None:
    settings.KSA_RATE_LIMIT_PER_MINUTE = 1
    for _ in range(3):
        assert (
            client.post(
                "/ksa/v1/shippingoptions", data="{}", content_type="application/json"
            ).status_code
            == 401
        )


def test_auth_counts_only_failures_and_never_refuses_a_correct_digest(
    settings: Any, shop: Shop, other_shop: Shop
) -> None:
    settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE = 2
    a, b = Klarna(Client(), shop), Klarna(Client(), other_shop)
    assert a.auth().status_code == 201  # successes are not counted
    assert a.auth().status_code == 201
    assert a.auth(key="wrong").status_code == 401
    assert a.auth(key="wrong").status_code == 401
    assert_limited(a.auth(key="wrong"))
    assert a.auth().status_code == 201  # over the limit, a correct digest still gets its token
    assert b.auth().status_code == 201
    assert b.auth(key="wrong").status_code == 401  # counted per identifier and address


def test_zero_disables_the_limits(settings: Any, klarna: Klarna) -> None:
    settings.KSA_RATE_LIMIT_PER_MINUTE = 0
    settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE = 0
    settings.KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE = 0
    for _ in range(4):
        assert klarna.post("shippingoptions", session()).status_code == 200
        assert klarna.auth().status_code == 201
        assert klarna.auth(key="wrong").status_code == 401


def test_cache_unreachable_allows_and_warns_once(
    settings: Any, klarna: Klarna, caplog: Any
) -> None:
    # Given a limit of one call a minute and a cache whose Redis does not answer
    settings.KSA_RATE_LIMIT_PER_MINUTE = 1
    klarna.auth()  # the token, while the cache still works
    settings.CACHES = {
        "default": {
            "BACKEND": "tms_gateway.common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # When the merchant calls three times
    with caplog.at_level("WARNING", logger="tms_gateway.common.cache"):
        for _ in range(3):
            assert klarna.post("shippingoptions", session()).status_code == 200
    # Then every call is answered, and the outage is logged once, not per call
    warnings = [r.getMessage() for r in caplog.records if r.name == "tms_gateway.common.cache"]
    assert len(warnings) == 1, warnings
    assert "unreachable" in warnings[0]


def test_counter_on_a_non_redis_cache(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [cache_count("k", timeout=60) for _ in range(3)] == [1, 2, 3]


def test_counter_on_redis_keeps_the_expiry_of_the_first_count() -> None:
    from django.core.cache import cache

    assert cache_count("k", timeout=60) == 1
    raw = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    key = cache.make_and_validate_key("k")
    raw.expire(key, 30)  # as if the window had run for half a minute
    assert [cache_count("k", timeout=60) for _ in range(2)] == [2, 3]
    assert 25 <= raw.ttl(key) <= 30  # later counts do not extend the window
