"""Every demo carrier option books through its adapter against the sandbox, exactly once."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from merchants.models import Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments import tasks
from tms_gateway.shipments.booking import Outcome, shipment_book
from tms_gateway.shipments.models import Shipment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "option_id, carrier, country, postal_code",
    [
        ("postnord-service-point", "postnord", "SE", "11151"),
        ("postnord-home", "postnord", "SE", "11151"),
        ("budbee-home", "budbee", "SE", "11151"),
        ("budbee-box", "budbee", "SE", "11151"),
        ("instabox-locker", "instabox", "SE", "11151"),
        ("bring-pickup-point", "bring", "NO", "0150"),
        ("bring-pickup-point-se", "bring", "SE", "11151"),
        ("dhl-service-point", "dhl", "DE", "10115"),
    ],
)
def test_each_carrier_books_once_with_tracking_and_label(
    demo: Merchant, sandbox: Sandbox, option_id: str, carrier: str, country: str, postal_code: str
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, confirmed=True, country=country, postal_code=postal_code
    )

    outcome = shipment_book(shipment_id=shipment.pk)
    again = shipment_book(shipment_id=shipment.pk)

    shipment.refresh_from_db()
    assert outcome.outcome is Outcome.BOOKED, outcome.detail
    assert again.outcome is Outcome.SKIPPED
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id
    assert shipment.tracking_number
    assert shipment.labels.exists()
    assert sandbox.bookings(carrier) == {shipment.booking_reference: 1}
    assert list(shipment.events.values_list("to_status", flat=True)) == [
        "reserved",
        "confirmed",
        "booking",
        "booked",
    ]


def test_the_shops_own_delivery_needs_no_carrier(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="store-pickup",
        confirmed=True,
        location_id="stockholm-drottninggatan",
    )

    outcome = shipment_book(shipment_id=shipment.pk)

    assert outcome.outcome is Outcome.BOOKED
    assert Shipment.objects.get(pk=shipment.pk).status == "booked"


def test_the_booking_task_counts_the_outcome_of_each_attempt(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: the counter is per process, so the test reads how much it grows
    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("tms_booking_outcomes_total", {"outcome": outcome}) or 0.0

    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="store-pickup",
        confirmed=True,
        location_id="stockholm-drottninggatan",
    )
    booked, skipped = counted("booked"), counted("skipped")

    # when: the task runs twice (a message delivered again)
    first = tasks.shipment_book(shipment.pk)
    second = tasks.shipment_book(shipment.pk)

    # then
    assert (first, second) == ("booked", "skipped")
    assert (counted("booked"), counted("skipped")) == (booked + 1, skipped + 1)
