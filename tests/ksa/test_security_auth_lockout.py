"""Security review (issue 13), item 1: nobody can lock a shop out of Klarna.

Identifiers are not secret. The attack: send hundreds of wrong /auth digests for a shop's
identifier, then see whether Klarna's next correct /auth is refused. Failed attempts are limited
per client address and identifier, and per client address; a correct digest always gets its
token; the attack shows in the metric and in the log.
"""

from __future__ import annotations

import json
import time
import types
import uuid
from typing import Any

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from tms_gateway.common import throttling
from tms_gateway.ksa import ratelimit

from .conftest import AUTH_TYPE, Shop, digest

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
KLARNA = "198.51.100.10"
BYSTANDER = "192.0.2.44"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """One rate-limit window for the whole test, so a minute boundary cannot reset a count.

    Frozen at the start of a window: the counters' expiry in Redis runs on the real clock and
    is set to the rest of the window, so a time frozen near its end would let them expire."""
    window = throttling.WINDOW_SECONDS
    now = (time.time() // window) * window + 0.5
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(throttling, "time", types.SimpleNamespace(time=lambda: now))


def auth(address: str, identifier: str, key: str, nonce: str | None = None) -> Any:
    nonce = nonce or uuid.uuid4().hex
    body = {"identifier": identifier, "secret": {"nonce": nonce, "digest": digest(nonce, key)}}
    return Client().post(
        "/ksa/v1/auth", data=json.dumps(body), content_type=AUTH_TYPE, REMOTE_ADDR=address
    )


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("tms_ksa_auth_failures_total", {"reason": reason}) or 0.0


def assert_limited(response: Any) -> None:
    assert response.status_code == 429
    assert response.json() == {
        "failure_reason": "rate_limited",
        "message": "Too many requests; retry after the time in Retry-After.",
    }
    assert 1 <= int(response["Retry-After"]) <= 60


def test_700_wrong_digests_do_not_lock_the_shop_out(settings: Any, shop: Shop) -> None:
    # Given the default limits
    wrong_before = failures("wrong_digest")

    # When an attacker sends 700 wrong digests for the shop's (public) identifier
    statuses = [auth(ATTACKER, "shop-a", "guessed-key").status_code for _ in range(700)]

    # Then Klarna's correct digest gets its token, from Klarna's address and from any other
    response = auth(KLARNA, "shop-a", "key-a")
    assert response.status_code == 201
    assert set(response.json()) == {"token"}
    assert auth(ATTACKER, "shop-a", "key-a").status_code == 201
    # And the attacker got 401 up to its limit (30 per address and identifier) and 429 after
    assert (
        settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE,
        settings.KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE,
    ) == (30, 300)
    assert statuses == [401] * 30 + [429] * 670
    assert_limited(auth(ATTACKER, "shop-a", "guessed-key"))
    # And the token works
    token = response.json()["token"]
    answer = Client().post(
        "/ksa/v1/shippingoptions",
        data=json.dumps({"currency": "SEK", "locale": "sv-SE"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 200
    # And a failure from another address is an ordinary 401, not 429
    assert auth(BYSTANDER, "shop-a", "guessed-key").status_code == 401
    # And the metric counts every failure of the attack
    assert failures("wrong_digest") - wrong_before == 700 + 1 + 1  # attack, 429 above, bystander


def test_a_failing_address_is_limited_across_identifiers(settings: Any, shop: Shop) -> None:
    settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE = 100
    settings.KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE = 5
    unknown_before = failures("unknown_identifier")

    # When one address tries five unknown identifiers, then a sixth
    statuses = [auth(ATTACKER, f"guess-{n}", "k").status_code for n in range(5)]
    sixth = auth(ATTACKER, "guess-5", "k")

    # Then the sixth failure is refused with 429, and only from that address
    assert statuses == [401] * 5
    assert_limited(sixth)
    assert auth(BYSTANDER, "guess-6", "k").status_code == 401
    # And a correct digest from the limited address still gets its token
    assert auth(ATTACKER, "shop-a", "key-a").status_code == 201
    assert failures("unknown_identifier") - unknown_before == 7


def test_a_replayed_nonce_counts_as_a_failure(shop: Shop) -> None:
    before = failures("nonce_reused")
    assert auth(KLARNA, "shop-a", "key-a", nonce="captured").status_code == 201

    response = auth(ATTACKER, "shop-a", "key-a", nonce="captured")

    assert (response.status_code, response.content) == (401, b"")
    assert failures("nonce_reused") - before == 1


def test_failures_are_logged_with_identifier_and_address_never_the_digest(
    settings: Any, shop: Shop, caplog: Any
) -> None:
    settings.KSA_RATE_LIMIT_AUTH_PER_MINUTE = 2
    nonce = "n-logged"
    sent_digest = digest(nonce, "guessed-key")

    with caplog.at_level("WARNING", logger="tms_gateway.ksa.ratelimit"):
        for _ in range(6):
            auth(ATTACKER, "shop-a", "guessed-key", nonce=nonce)

    lines = [r.getMessage() for r in caplog.records if r.name == "tms_gateway.ksa.ratelimit"]
    # Two failures within the limit, one line when the limit is crossed, then silence
    assert lines == [
        f"ksa /auth refused (wrong_digest): identifier='shop-a' address={ATTACKER}",
        f"ksa /auth refused (wrong_digest): identifier='shop-a' address={ATTACKER}",
        "ksa /auth failures over the limit (per address and identifier): identifier='shop-a' "
        f"address={ATTACKER}; further failures this minute answer 429 (a correct digest is "
        "still accepted)",
    ]
    assert sent_digest not in caplog.text
    assert "key-a" not in caplog.text and "guessed-key" not in caplog.text


def test_a_logged_identifier_is_escaped_and_shortened(shop: Shop, caplog: Any) -> None:
    with caplog.at_level("WARNING", logger="tms_gateway.ksa.ratelimit"):
        auth(ATTACKER, "evil\nforged line " + "x" * 200, "k")

    (line,) = [r.getMessage() for r in caplog.records if r.name == "tms_gateway.ksa.ratelimit"]
    assert line == (
        "ksa /auth refused (unknown_identifier): identifier='evil\\nforged line "
        + "x" * 63  # 80 characters in all
        + f"' address={ATTACKER}"
    )
