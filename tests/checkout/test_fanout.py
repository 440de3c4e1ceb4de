"""The fan-out's resilience: breaker per agreement, and never an empty answer for a failure."""

from __future__ import annotations

import pytest

from carriers.types import Address
from merchants.models import CarrierAgreement, OptionKind
from tests.factories import DeliveryOptionFactory, MerchantFactory
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import Recipient, Session

pytestmark = pytest.mark.django_db

SESSION = Session(
    currency="SEK",
    locale="sv-SE",
    recipient=Recipient(address=Address(country="SE", postal_code="11151")),
)


def test_breaker_stops_asking_a_failing_carrier(settings: object) -> None:
    settings.CARRIER_BREAKER_FAILURES = 2  # type: ignore[attr-defined]
    merchant = MerchantFactory.create()
    option = DeliveryOptionFactory.create(merchant=merchant, code="home", is_fallback=True)
    CarrierAgreement.objects.filter(pk=option.agreement.pk).update(  # type: ignore[union-attr]
        credentials={"static_behaviour": "fail"}
    )

    errors = [options_build(merchant=merchant, session=SESSION).carriers[0].error for _ in range(3)]

    assert errors[0].startswith("CarrierUnavailable")
    assert errors[1].startswith("CarrierUnavailable")
    assert errors[2] == "circuit open"


def test_an_open_breaker_still_offers_fallback_options(settings: object) -> None:
    settings.CARRIER_BREAKER_FAILURES = 1  # type: ignore[attr-defined]
    merchant = MerchantFactory.create()
    option = DeliveryOptionFactory.create(merchant=merchant, code="home", is_fallback=True)
    CarrierAgreement.objects.filter(pk=option.agreement.pk).update(  # type: ignore[union-attr]
        credentials={"static_behaviour": "fail"}
    )
    options_build(merchant=merchant, session=SESSION)

    result = options_build(merchant=merchant, session=SESSION)

    assert result.carriers[0].error == "circuit open"
    assert [(o.id, o.from_fallback) for o in result.options] == [("home", True)]


def test_when_every_carrier_fails_the_options_come_from_configuration() -> None:
    merchant = MerchantFactory.create()
    home = DeliveryOptionFactory.create(merchant=merchant, code="home", sort_order=1)
    pickup = DeliveryOptionFactory.create(
        merchant=merchant,
        code="pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier="postnord",
        carrier_product="19",
        sort_order=2,
    )
    assert home.agreement_id == pickup.agreement_id
    CarrierAgreement.objects.filter(pk=home.agreement.pk).update(  # type: ignore[union-attr]
        credentials={"static_behaviour": "fail"}
    )

    result = options_build(merchant=merchant, session=SESSION)

    assert [(o.id, o.from_fallback, o.locations) for o in result.options] == [
        ("home", True, ()),
        ("pickup", True, ()),
    ]
    assert [o.preselected for o in result.options] == [True, False]
    assert result.skipped == ()


def test_a_carrier_that_answers_not_available_is_not_replaced_by_configuration() -> None:
    merchant = MerchantFactory.create()
    DeliveryOptionFactory.create(merchant=merchant, code="home", carrier_product="no-such")

    result = options_build(merchant=merchant, session=SESSION)

    assert result.options == ()
    assert [s.reason for s in result.skipped] == ["carrier_not_available"]


def test_the_deadline_counts_from_when_the_request_arrived(settings: object) -> None:
    import time

    settings.CHECKOUT_DEADLINE_SECONDS = 1.5  # type: ignore[attr-defined]
    merchant = MerchantFactory.create()
    option = DeliveryOptionFactory.create(merchant=merchant, code="home")
    CarrierAgreement.objects.filter(pk=option.agreement.pk).update(  # type: ignore[union-attr]
        credentials={"static_behaviour": "slow", "static_delay_seconds": 0.5}
    )

    # The request has already waited 1.3 s (in a queue, say): 0.15 s are left for carriers.
    late = options_build(merchant=merchant, session=SESSION, started_at=time.monotonic() - 1.3)
    fresh = options_build(merchant=merchant, session=SESSION, started_at=time.monotonic())

    assert late.carriers[0].error == "deadline exceeded"
    assert fresh.carriers[0].ok is True
