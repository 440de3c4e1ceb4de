"""The caches on the Klarna path: answers, verified tokens, option configuration.

They are off in the other tests (settings/test.py); here each is switched on and pinned.
"""

from __future__ import annotations

import time
import types
from typing import Any

import pytest
from redis.connection import AbstractConnection

from merchants.models import CarrierAgreement, DeliveryOption
from merchants.services import klarna_credential_revoke
from tms_gateway.checkout.services import _configuration
from tms_gateway.common import throttling
from tms_gateway.ksa import authentication
from tms_gateway.ksa.authentication import token_issue
from tms_gateway.shipments.models import Shipment

from .conftest import Klarna, session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_memory() -> Any:
    authentication._tokens.clear()
    authentication._principals.clear()
    _configuration.clear()
    yield
    authentication._tokens.clear()
    authentication._principals.clear()
    _configuration.clear()


def ids(klarna: Klarna, body: dict[str, Any]) -> list[str]:
    return [o["id"] for o in klarna.options(body)]


def test_an_identical_question_gets_the_same_answer_without_recomputing(
    klarna: Klarna, settings: Any
) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10
    first = session()
    before = ids(klarna, first)
    DeliveryOption.objects.filter(code="pn-home").delete()

    again = dict(first, session_id="another-session")  # only the session differs
    different = dict(first, currency="SEK", locale="en-SE")

    assert ids(klarna, again) == before
    assert "pn-home" not in ids(klarna, different)


def test_an_answer_missing_a_carrier_is_not_reused(klarna: Klarna, settings: Any) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10
    agreement = CarrierAgreement.objects.get(merchant=klarna.shop.merchant, carrier="budbee")
    agreement.credentials = {"static_behaviour": "fail"}
    agreement.save()
    body = session()
    assert "budbee-evening" not in ids(klarna, body)

    agreement.credentials = {}
    agreement.save()

    assert "budbee-evening" in ids(klarna, body)


def test_answers_are_per_merchant(klarna: Klarna, klarna_b: Klarna, settings: Any) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10
    body = session()
    ids(klarna, body)
    DeliveryOption.objects.filter(merchant=klarna_b.shop.merchant, code="pn-home").delete()

    assert "pn-home" not in ids(klarna_b, body)


def test_a_remembered_token_outlives_revocation_only_for_the_cache_time(
    klarna: Klarna, settings: Any
) -> None:
    settings.KSA_PRINCIPAL_CACHE_SECONDS = 10
    assert klarna.post("shippingoptions", session()).status_code == 200
    klarna_credential_revoke(credential=klarna.shop.credential)

    assert klarna.post("shippingoptions", session()).status_code == 200  # remembered
    authentication._tokens.clear()
    authentication._principals.clear()  # as when the cache time has passed
    assert klarna.post("shippingoptions", session()).status_code == 401


def test_a_remembered_token_still_expires(
    klarna: Klarna, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from django.utils import timezone

    settings.KSA_PRINCIPAL_CACHE_SECONDS = 3600
    klarna.token = token_issue(
        credential=klarna.shop.credential,
        now=timezone.now() - dt.timedelta(seconds=3590),  # 10 s left
    )
    assert klarna.post("shippingoptions", session()).status_code == 200

    later = time.time() + 20
    monkeypatch.setattr(authentication.time, "time", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _FrozenDatetime(later))

    response = klarna.post("shippingoptions", session())
    assert (response.status_code, response.content) == (401, b"")


class _FrozenDatetime:
    """jwt checks expiry against datetime.now(tz=UTC); this one stands at ``at``."""

    def __init__(self, at: float) -> None:
        import datetime as dt

        self._at = dt.datetime.fromtimestamp(at, tz=dt.UTC)
        self.timezone = dt.timezone
        self.timedelta = dt.timedelta

    def now(self, tz: Any = None) -> Any:
        return self._at

    def __getattr__(self, name: str) -> Any:
        import datetime as dt

        return getattr(dt.datetime, name)


def test_option_configuration_is_remembered_for_its_cache_time(
    klarna: Klarna, settings: Any
) -> None:
    settings.CHECKOUT_CONFIG_CACHE_SECONDS = 60
    body = session()
    assert "pn-home" in ids(klarna, body)
    DeliveryOption.objects.filter(code="pn-home").update(is_active=False)

    assert "pn-home" in ids(klarna, session())  # within the cache time
    _configuration.clear()
    assert "pn-home" not in ids(klarna, session())


def test_a_reservation_is_validated_against_the_remembered_configuration_too(
    klarna: Klarna, settings: Any
) -> None:
    settings.CHECKOUT_CONFIG_CACHE_SECONDS = 60
    ids(klarna, session())
    body = session()
    body["selected_shipping_option"] = {"id": "pn-pickup"}

    assert klarna.reserve(body).status_code == 201
    assert Shipment.objects.count() == 1


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate-limit window frozen at its start: a minute boundary cannot reset a count."""
    now = (time.time() // throttling.WINDOW_SECONDS) * throttling.WINDOW_SECONDS + 0.5
    monkeypatch.setattr(throttling, "time", types.SimpleNamespace(time=lambda: now))


def test_a_cached_answer_and_the_merchants_count_cost_one_redis_round_trip(
    klarna: Klarna, settings: Any, monkeypatch: pytest.MonkeyPatch, one_window: None
) -> None:
    # Given the answer cache and the per-merchant limit on, and the answer already cached
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10
    settings.KSA_RATE_LIMIT_PER_MINUTE = 3
    body = session()
    assert klarna.post("shippingoptions", body).status_code == 200
    sends: list[bytes] = []
    real_send = AbstractConnection.send_packed_command

    def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sends.append(b"".join(command) if isinstance(command, list) else bytes(command))
        real_send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    # When Klarna asks the same question again
    again = klarna.post("shippingoptions", dict(body, session_id="again"))
    # Then the count and the lookup went to Redis together, once
    assert again.status_code == 200
    assert len(sends) == 1
    assert b"INCR" in sends[0] and b"GET" in sends[0]
    # and the limit still holds: the third call of the minute is the last
    assert klarna.post("shippingoptions", dict(body, session_id="3")).status_code == 200
    refused = klarna.post("shippingoptions", dict(body, session_id="4"))
    assert refused.status_code == 429
    assert refused.json()["failure_reason"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 61


def test_over_the_limit_a_malformed_body_is_refused_with_429_first(
    klarna: Klarna, settings: Any, one_window: None
) -> None:
    settings.KSA_RATE_LIMIT_PER_MINUTE = 1
    assert klarna.post("shippingoptions", session()).status_code == 200

    response = klarna.client.post(
        "/ksa/v1/shippingoptions",
        data="{not json",
        content_type="application/json",
        **klarna.headers(),
    )

    assert response.status_code == 429
