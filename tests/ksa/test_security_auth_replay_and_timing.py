"""Security review (issue 13), item 9 (Klarna part): nonce replay and identifier timing.

* A used nonce is remembered at least as long as a token lives (1 hour), not 10 minutes: the
  protocol carries no timestamp, so a captured /auth replayed later would mint a fresh token.
  Redis keeps the memory; the tests move Redis's clock for the key by shortening its TTL.
* A known and an unknown identifier cost the same work (the same query, decryptions and digest
  computations), proven by counting the calls rather than by timing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import types
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from merchants import fields
from merchants.services import klarna_credential_revoke, klarna_credential_rotate
from tests.factories import KlarnaCredentialFactory, MerchantFactory
from tms_gateway.ksa import authentication, ratelimit
from tms_gateway.ksa.authentication import credential_authenticate, nonce_cache_key

from .conftest import AUTH_TYPE, Shop, digest

pytestmark = pytest.mark.django_db


def auth(identifier: str, key: str, nonce: str) -> Any:
    body = {"identifier": identifier, "secret": {"nonce": nonce, "digest": digest(nonce, key)}}
    return Client().post("/ksa/v1/auth", data=json.dumps(body), content_type=AUTH_TYPE)


def redis_and_key(identifier: str, nonce: str) -> tuple[Any, str]:
    raw_key = cache.make_and_validate_key(nonce_cache_key(identifier=identifier, nonce=nonce))
    return cache._cache.get_client(raw_key, write=True), raw_key  # type: ignore[attr-defined]


def let_time_pass_in_redis(identifier: str, nonce: str, seconds: int) -> None:
    """What ``seconds`` of waiting does to the remembered nonce: its TTL shrinks, or it goes."""
    client, raw_key = redis_and_key(identifier, nonce)
    left = int(client.pttl(raw_key))
    assert left > 0
    if left <= seconds * 1000:
        client.delete(raw_key)
    else:
        client.pexpire(raw_key, left - seconds * 1000)


def test_a_nonce_replayed_after_11_minutes_is_refused(shop: Shop) -> None:
    assert auth("shop-a", "key-a", "captured-nonce").status_code == 201

    let_time_pass_in_redis("shop-a", "captured-nonce", 11 * 60)
    replay = auth("shop-a", "key-a", "captured-nonce")

    assert (replay.status_code, replay.content) == (401, b"")


def test_a_nonce_replayed_59_minutes_later_is_refused(shop: Shop) -> None:
    assert auth("shop-a", "key-a", "captured-nonce").status_code == 201

    let_time_pass_in_redis("shop-a", "captured-nonce", 59 * 60)

    assert auth("shop-a", "key-a", "captured-nonce").status_code == 401


def test_a_used_nonce_is_remembered_for_the_token_lifetime(shop: Shop) -> None:
    assert auth("shop-a", "key-a", "n-ttl").status_code == 201

    client, raw_key = redis_and_key("shop-a", "n-ttl")

    assert 3590 <= client.ttl(raw_key) <= 3600


def test_a_shorter_nonce_window_setting_is_raised_to_the_token_lifetime(
    shop: Shop, settings: Any
) -> None:
    settings.KSA_NONCE_WINDOW = dt.timedelta(minutes=10)
    settings.KSA_TOKEN_LIFETIME = dt.timedelta(minutes=90)
    assert auth("shop-a", "key-a", "n-short").status_code == 201

    client, raw_key = redis_and_key("shop-a", "n-short")

    assert 5390 <= client.ttl(raw_key) <= 5400


def test_a_longer_nonce_window_setting_is_kept(shop: Shop, settings: Any) -> None:
    settings.KSA_NONCE_WINDOW = dt.timedelta(hours=6)
    assert auth("shop-a", "key-a", "n-long").status_code == 201

    client, raw_key = redis_and_key("shop-a", "n-long")

    assert 21590 <= client.ttl(raw_key) <= 21600


def test_the_nonce_window_defaults_to_the_token_lifetime() -> None:
    from tms_gateway.settings import base

    window, lifetime = base.KSA_NONCE_WINDOW, base.KSA_TOKEN_LIFETIME
    assert (window, lifetime) == (dt.timedelta(hours=1), dt.timedelta(hours=1))


# --- the same work for a known and an unknown identifier -------------------------------------


class Work:
    """Counts what one /auth costs: queries, decryptions, digest computations, Redis counts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        self.queries = 0
        self._monkeypatch = monkeypatch
        for module, name in (
            (authentication, "digest_compute"),
            (fields, "decrypt_str"),
            (ratelimit, "window_count"),
        ):
            self._spy(module, name)

    def _spy(self, module: types.ModuleType, name: str) -> None:
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return real(*args, **kwargs)

        self._monkeypatch.setattr(module, name, counted)

    def measure(self, call: Any) -> tuple[dict[str, int], int, Any]:
        self.calls.clear()
        with CaptureQueriesContext(connection) as queries:
            result = call()
        return dict(self.calls), len(queries), result


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    yield Work(monkeypatch)


def test_known_and_unknown_identifiers_cost_the_same_work(shop: Shop, work: Work) -> None:
    # Given identifiers in every state /auth can meet
    rotated = KlarnaCredentialFactory.create(identifier="rotated", key="old")
    klarna_credential_rotate(credential=rotated, grace=dt.timedelta(hours=1))
    revoked = KlarnaCredentialFactory.create(identifier="revoked", key="k")
    klarna_credential_revoke(credential=revoked)
    KlarnaCredentialFactory(merchant=MerchantFactory(is_active=False), identifier="off", key="k")

    def attempt(identifier: str) -> Any:
        nonce = uuid.uuid4().hex
        return lambda: credential_authenticate(
            identifier=identifier, nonce=nonce, digest=digest(nonce, "wrong")
        )

    # When a wrong digest is sent for each
    measured = {
        identifier: work.measure(attempt(identifier))
        for identifier in ("shop-a", "rotated", "revoked", "off", "never-issued")
    }

    # Then each costs one query, two decryptions and two digest computations
    expected = {"digest_compute": 2, "decrypt_str": 2}
    assert {k: (calls, queries) for k, (calls, queries, _) in measured.items()} == {
        "shop-a": (expected, 1),
        "rotated": (expected, 1),
        "revoked": (expected, 1),
        "off": (expected, 1),
        "never-issued": (expected, 1),
    }
    assert {k: result.failure for k, (_, _, result) in measured.items()} == {
        "shop-a": "wrong_digest",
        "rotated": "wrong_digest",
        "revoked": "unknown_identifier",
        "off": "unknown_identifier",
        "never-issued": "unknown_identifier",
    }


def test_a_correct_digest_costs_the_same_comparisons(shop: Shop, work: Work) -> None:
    calls, queries, result = work.measure(
        lambda: credential_authenticate(
            identifier="shop-a", nonce="n-ok", digest=digest("n-ok", "key-a")
        )
    )

    assert (calls, queries) == ({"digest_compute": 2, "decrypt_str": 2}, 1)
    assert result.credential == shop.credential


def test_over_http_a_known_and_an_unknown_identifier_take_the_same_path(
    shop: Shop, work: Work
) -> None:
    known = work.measure(lambda: auth("shop-a", "wrong", uuid.uuid4().hex))
    unknown = work.measure(lambda: auth("no-such-shop", "wrong", uuid.uuid4().hex))

    # The same query count, decryptions, digests and failure counters (Redis), the same answer
    assert known[0] == unknown[0] == {"digest_compute": 2, "decrypt_str": 2, "window_count": 2}
    assert known[1] == unknown[1] == 1
    assert (known[2].status_code, known[2].content) == (401, b"")
    assert (unknown[2].status_code, unknown[2].content) == (401, b"")
    assert dict(known[2].items()).keys() == dict(unknown[2].items()).keys()
