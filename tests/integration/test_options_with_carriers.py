"""The demo shop's options through the five real adapters against the carrier sandbox.

What Klarna sees when carriers are slow, hang, fail or recover; what the cache saves.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from carriers.types import Address
from merchants.demo import demo_merchant_seed
from merchants.models import Merchant
from tests.conftest import Sandbox
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import OptionsResult, Recipient, Session

pytestmark = pytest.mark.django_db

CARRIERS = ("postnord", "budbee", "instabox", "dhl", "bring")


@pytest.fixture
def demo(sandbox: Sandbox, settings: object) -> Merchant:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url  # type: ignore[attr-defined]
    return demo_merchant_seed(identifier="demo", key="demo-key")


def se(postal_code: str = "11151") -> Session:
    return Session(
        currency="SEK",
        locale="sv-SE",
        recipient=Recipient(
            address=Address(
                country="SE", postal_code=postal_code, city="Stockholm", street_address="Gatan 1"
            ),
            phone="+46701234567",
        ),
    )


def ids(result: OptionsResult) -> list[str]:
    return [o.id for o in result.options]


def test_every_carrier_answers_through_its_adapter(demo: Merchant, sandbox: Sandbox) -> None:
    result = options_build(merchant=demo, session=se())

    # DHL Service Point and Bring's PickUp Parcel serve Sweden: all five carriers answer.
    assert {c.carrier for c in result.carriers if c.ok} == {
        "postnord",
        "budbee",
        "instabox",
        "dhl",
        "bring",
    }
    assert set(ids(result)) >= {
        "postnord-home",
        "budbee-home",
        "instabox-locker",
        "budbee-box",
        "postnord-service-point",
        "dhl-service-point-se",
        "bring-pickup-point-se",
        "store-pickup",
    }
    by_id = {o.id: o for o in result.options}
    assert by_id["postnord-service-point"].locations
    assert by_id["dhl-service-point-se"].locations
    assert by_id["bring-pickup-point-se"].locations
    assert by_id["instabox-locker"].locations
    assert by_id["budbee-home"].timeslots
    for carrier in ("postnord", "budbee", "instabox", "dhl", "bring"):
        assert sandbox.requests(carrier) > 0


def test_germany_gets_dhl_parcel_connect_points(demo: Merchant, sandbox: Sandbox) -> None:
    session = Session(
        currency="EUR",
        locale="de-DE",
        recipient=Recipient(address=Address(country="DE", postal_code="10115", city="Berlin")),
    )

    result = options_build(merchant=demo, session=session)

    dhl = next(o for o in result.options if o.id == "dhl-service-point")
    assert dhl.locations
    assert dhl.locations[0].opening_hours
    assert sandbox.requests("dhl") > 0
    assert "courier-international" in [o.id for o in result.options]


def test_norway_gets_bring(demo: Merchant) -> None:
    session = Session(
        currency="NOK",
        locale="nb-NO",
        recipient=Recipient(address=Address(country="NO", postal_code="0150")),
    )

    result = options_build(merchant=demo, session=session)

    bring = next(o for o in result.options if o.id == "bring-pickup-point")
    assert bring.locations


def test_a_repeated_call_is_answered_from_the_cache(demo: Merchant, sandbox: Sandbox) -> None:
    first = options_build(merchant=demo, session=se())
    calls = {c: sandbox.requests(c) for c in CARRIERS}

    second = options_build(merchant=demo, session=se())

    assert {c: sandbox.requests(c) for c in CARRIERS} == calls
    assert ids(second) == ids(first)
    assert [o.locations for o in second.options] == [o.locations for o in first.options]


def test_one_hanging_carrier_is_dropped_and_the_others_arrive(
    demo: Merchant, sandbox: Sandbox, settings: object
) -> None:
    settings.CHECKOUT_DEADLINE_SECONDS = 0.6  # type: ignore[attr-defined]
    sandbox.fault("budbee", hang=True)

    result = options_build(merchant=demo, session=se("11152"))

    outcome = {c.carrier: (c.ok, c.error) for c in result.carriers}
    assert outcome["budbee"][0] is False
    assert {"postnord-service-point", "instabox-locker", "postnord-home"} <= set(ids(result))
    assert "budbee-home" not in ids(result)


def test_a_failing_carrier_leaves_its_fallback_options(demo: Merchant, sandbox: Sandbox) -> None:
    sandbox.fault("postnord", status=503)

    result = options_build(merchant=demo, session=se("11153"))

    by_id = {o.id: o for o in result.options}
    assert by_id["postnord-service-point"].from_fallback is True  # marked fallback in the demo
    assert by_id["postnord-service-point"].locations == ()
    assert "postnord-home" not in by_id
    assert "instabox-locker" in by_id


def test_breaker_opens_stops_calling_and_closes_after_a_good_probe(
    demo: Merchant, sandbox: Sandbox, settings: object
) -> None:
    settings.CARRIER_BREAKER_FAILURES = 2  # type: ignore[attr-defined]
    settings.CARRIER_BREAKER_RESET_SECONDS = 0.2  # type: ignore[attr-defined]
    sandbox.fault("instabox", status=503)
    for code in ("11160", "11161"):
        options_build(merchant=demo, session=se(code))
    calls_when_open = sandbox.requests("instabox")

    while_open = options_build(merchant=demo, session=se("11162"))

    assert sandbox.requests("instabox") == calls_when_open
    assert {c.carrier: c.error for c in while_open.carriers}["instabox"] == "circuit open"
    assert "instabox-locker" not in ids(while_open)

    sandbox.clear_faults()
    import time

    time.sleep(0.25)
    probe = options_build(merchant=demo, session=se("11163"))

    assert sandbox.requests("instabox") > calls_when_open
    assert "instabox-locker" in ids(probe)
    after = options_build(merchant=demo, session=se("11164"))
    assert "instabox-locker" in ids(after)


def _norway() -> Session:
    return Session(
        currency="NOK",
        locale="nb-NO",
        recipient=Recipient(address=Address(country="NO", postal_code="0150")),
    )


@pytest.mark.parametrize(
    "mode, margin, expected",
    [
        ("fixed", {}, "configured"),
        ("carrier", {}, "carrier"),
        ("carrier_plus_margin", {"NOK": 1500}, "carrier+1500"),
    ],
)
def test_bring_agreement_prices_follow_the_options_price_mode(
    demo: Merchant, sandbox: Sandbox, mode: str, margin: dict[str, int], expected: str
) -> None:
    from carriers.registry import get_adapter
    from merchants.models import DeliveryOption
    from tms_gateway.checkout.services import _quote_requests

    option = DeliveryOption.objects.get(merchant=demo, code="bring-pickup-point")
    option.price_mode = mode
    option.price_margins = margin
    option.save()
    # What Bring quotes for this session, asked the way the checkout asks it.
    (job,) = _quote_requests(merchant=demo, session=_norway(), options=[option], now=timezone.now())
    (quote,) = get_adapter("bring").quote(request=job.request)
    assert quote.price is not None and quote.price.currency == "NOK"

    offered = next(
        o for o in options_build(merchant=demo, session=_norway()).options if o.id == option.code
    )

    configured = option.prices["NOK"]
    assert (
        offered.price
        == {
            "configured": configured,
            "carrier": quote.price.amount,
            "carrier+1500": quote.price.amount + 1500,
        }[expected]
    )
    assert quote.price.amount != configured  # the test would prove nothing otherwise
