"""Tracking booked shipments against the carrier sandbox: events stored once, status kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from carriers.registry import get_adapter
from carriers.sandbox import bring as bring_sandbox
from carriers.sandbox import dhl as dhl_sandbox
from carriers.types import AgreementCredentials, TrackingEvent, TrackingStatus
from merchants.models import Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments import tasks
from tms_gateway.shipments.booking import Outcome, shipment_book
from tms_gateway.shipments.models import Shipment, ShipmentTrackingEvent
from tms_gateway.shipments.tracking import shipment_track, shipments_track

pytestmark = pytest.mark.django_db(transaction=True)

# Where the demo shop offers each option (a shopper there is offered it).
MARKETS = {
    "postnord-service-point": {"country": "SE", "postal_code": "11151"},
    "postnord-home": {"country": "SE", "postal_code": "11151"},
    "budbee-home": {"country": "SE", "postal_code": "11151"},
    "budbee-box": {"country": "SE", "postal_code": "11151"},
    "instabox-locker": {"country": "SE", "postal_code": "11151"},
    "bring-pickup-point": {"country": "NO", "postal_code": "0150"},
    "dhl-service-point": {"country": "DE", "postal_code": "10115"},
}
CARRIERS = ("postnord", "budbee", "instabox", "bring", "dhl")
# Far enough for every sandbox progression to be complete (Budbee delivers in a timeslot of
# the next business days), well within the time shipments are tracked.
WEEK = dt.timedelta(days=7)


def a_week_on(shipment: Shipment) -> dt.datetime:
    """Now a week after booking: our clock is passed as ``now``; DHL's and Bring's sandboxes
    answer by their own clock, so their booking is moved back a week. (PostNord's and Budbee's
    answer their whole progression at once, future steps included.)"""
    carrier = shipment.selection["carrier"]
    if carrier == "dhl":
        dhl_sandbox.backdate(shipment.carrier_shipment_id, hours=WEEK.total_seconds() / 3600)
    elif carrier == "bring":  # no backdate() helper in the Bring sandbox
        with bring_sandbox._lock:
            record = bring_sandbox._shipments[shipment.carrier_shipment_id]
            bring_sandbox._shipments[shipment.carrier_shipment_id] = dataclasses.replace(
                record, booked_at=record.booked_at - WEEK
            )
    return timezone.now() + WEEK


def stored(shipment: Shipment) -> list[tuple[str, str]]:
    return list(shipment.tracking_events.values_list("status", "carrier_code"))


def asked(sandbox: Sandbox) -> dict[str, int]:
    return {carrier: sandbox.requests(carrier) for carrier in CARRIERS}


@pytest.mark.parametrize(
    "option_id, events, status",
    [
        (
            "postnord-service-point",
            [
                ("pending", "z01"),
                ("in_transit", "31"),
                ("in_transit", "z114"),
                ("ready_for_pickup", "41"),
            ],
            "ready_for_pickup",
        ),
        (
            "postnord-home",
            [
                ("pending", "z01"),
                ("in_transit", "31"),
                ("in_transit", "z114"),
                ("out_for_delivery", "113"),
                ("delivered", "21"),
            ],
            "delivered",
        ),
        (
            "bring-pickup-point",
            [
                ("pending", "PRE_NOTIFIED"),
                ("in_transit", "HANDED_IN"),
                ("in_transit", "IN_TRANSIT"),
                ("ready_for_pickup", "READY_FOR_PICKUP"),
            ],
            "ready_for_pickup",
        ),
        (
            "dhl-service-point",
            [
                ("pending", "pre-transit"),
                ("in_transit", "transit"),
                ("in_transit", "transit"),
                ("ready_for_pickup", "transit"),
                ("delivered", "delivered"),
            ],
            "delivered",
        ),
    ],
)
def test_a_booked_shipment_gets_its_carrier_events_once(
    demo: Merchant, sandbox: Sandbox, option_id: str, events: list[tuple[str, str]], status: str
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, booked=True, **MARKETS[option_id]
    )
    later = a_week_on(shipment)

    new = shipment_track(shipment=shipment, now=later)
    again = shipment_track(shipment=shipment, now=later + dt.timedelta(hours=1))

    shipment.refresh_from_db()
    assert [(e.status, e.carrier_code) for e in new] == events
    assert [e.at for e in new] == sorted(e.at for e in new)
    assert again == []
    assert stored(shipment) == events
    assert shipment.tracking_status == status
    assert shipment.tracking_checked_at == later + dt.timedelta(hours=1)
    last = shipment.tracking_events.last()
    assert last is not None
    assert shipment.delivered_at == (last.at if status == "delivered" else None)
    assert {e.merchant_id for e in shipment.tracking_events.all()} == {demo.pk}


@pytest.mark.parametrize(
    "option_id, first",
    [
        ("postnord-service-point", ("pending", "z01")),
        ("bring-pickup-point", ("pending", "PRE_NOTIFIED")),
        ("dhl-service-point", ("pending", "pre-transit")),
    ],
)
def test_right_after_booking_only_what_has_happened_is_stored(
    demo: Merchant, sandbox: Sandbox, option_id: str, first: tuple[str, str]
) -> None:
    # PostNord's sandbox lists the steps still to come too; they wait.
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, booked=True, **MARKETS[option_id]
    )

    new = shipment_track(shipment=shipment)

    shipment.refresh_from_db()
    assert [(e.status, e.carrier_code) for e in new] == [first]
    assert shipment.tracking_status == "pending"
    assert shipment.delivered_at is None


def test_later_events_are_added_to_the_earlier_ones(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", booked=True)
    shipment_track(shipment=shipment)

    new = shipment_track(shipment=shipment, now=a_week_on(shipment))

    assert [e.carrier_code for e in new] == ["31", "z114", "113", "21"]
    assert [code for _, code in stored(shipment)] == ["z01", "31", "z114", "113", "21"]


def test_a_delivered_shipment_is_not_asked_again(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", booked=True)
    later = a_week_on(shipment)
    assert shipments_track(now=later) == 1
    before = sandbox.requests("postnord")

    count = shipments_track(now=later + dt.timedelta(days=1))

    shipment.refresh_from_db()
    assert count == 0
    assert sandbox.requests("postnord") == before
    assert shipment.tracking_status == "delivered"
    assert shipment.tracking_checked_at == later


def test_a_shipment_checked_lately_waits(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="dhl-service-point", booked=True, country="DE", postal_code="10115"
    )
    now = timezone.now()
    assert shipments_track(now=now) == 1

    assert shipments_track(now=now + dt.timedelta(minutes=14)) == 0
    assert shipments_track(now=now + dt.timedelta(minutes=15)) == 1
    assert ShipmentTrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_an_unavailable_carrier_is_asked_first_next_time(demo: Merchant, sandbox: Sandbox) -> None:
    dhl = ShipmentFactory.create(
        merchant=demo,
        option_id="dhl-service-point",
        booked=True,
        country="DE",
        postal_code="10115",
        session_id="s-1",
    )
    postnord = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", booked=True, session_id="s-2"
    )
    now = timezone.now()
    sandbox.fault("dhl", status=503)

    count = shipments_track(now=now)

    dhl.refresh_from_db()
    postnord.refresh_from_db()
    assert count == 2  # one failing carrier does not stop the others
    assert dhl.tracking_checked_at is None
    assert not dhl.tracking_events.exists()
    assert dhl.tracking_status == ""
    assert postnord.tracking_checked_at == now
    assert stored(postnord) == [("pending", "z01")]

    sandbox.clear_faults()
    before = asked(sandbox)
    count = shipments_track(now=now + dt.timedelta(minutes=20), batch=1)

    dhl.refresh_from_db()
    assert count == 1
    assert dhl.tracking_checked_at == now + dt.timedelta(minutes=20)
    assert stored(dhl) == [("pending", "pre-transit")]
    assert sandbox.requests("postnord") == before["postnord"]


def test_an_unavailable_carrier_leaves_its_batch_places_to_others(
    demo: Merchant, sandbox: Sandbox
) -> None:
    first = ShipmentFactory.create(
        merchant=demo,
        option_id="dhl-service-point",
        booked=True,
        country="DE",
        postal_code="10115",
        session_id="s-1",
    )
    second = ShipmentFactory.create(
        merchant=demo,
        option_id="dhl-service-point",
        booked=True,
        country="DE",
        postal_code="10115",
        session_id="s-2",
    )
    postnord = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", booked=True, session_id="s-3"
    )
    sandbox.fault("dhl", status=503)
    before = sandbox.requests("dhl")

    count = shipments_track(batch=2)

    for shipment in (first, second, postnord):
        shipment.refresh_from_db()
    assert count == 2
    assert first.tracking_checked_at is None
    assert second.tracking_checked_at is None
    assert postnord.tracking_checked_at is not None
    assert sandbox.requests("dhl") - before == 2  # the first shipment, once retried
    assert not ShipmentTrackingEvent.objects.filter(shipment__in=[first, second]).exists()


@pytest.mark.parametrize("option_id", ["instabox-locker", "budbee-home"])
def test_a_carrier_without_tracking_is_marked_checked(
    demo: Merchant, sandbox: Sandbox, option_id: str
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, booked=True, **MARKETS[option_id]
    )
    now = timezone.now()
    before = asked(sandbox)

    count = shipments_track(now=now)

    shipment.refresh_from_db()
    assert count == 1
    assert asked(sandbox) == before  # Instabox and Budbee push webhooks: nothing to call
    assert shipment.tracking_checked_at == now
    assert shipment.tracking_status == ""
    assert not shipment.tracking_events.exists()


@pytest.mark.parametrize(
    "option_id", ["postnord-home", "budbee-home", "bring-pickup-point", "dhl-service-point"]
)
def test_a_number_the_carrier_does_not_know_is_checked_without_events(
    demo: Merchant, sandbox: Sandbox, option_id: str
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, booked=True, **MARKETS[option_id]
    )
    Shipment.objects.filter(pk=shipment.pk).update(
        tracking_number="NOSUCH0001", tracking_numbers=["NOSUCH0001"]
    )
    shipment.refresh_from_db()
    now = timezone.now()

    new = shipment_track(shipment=shipment, now=now)

    shipment.refresh_from_db()
    assert new == []
    assert shipment.tracking_checked_at == now
    assert shipment.tracking_status == ""
    assert not shipment.tracking_events.exists()


def test_every_tracking_number_is_asked(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="bring-pickup-point",
        booked=True,
        country="NO",
        postal_code="0150",
        session_id="s-1",
    )
    other = ShipmentFactory.create(
        merchant=demo,
        option_id="bring-pickup-point",
        booked=True,
        country="NO",
        postal_code="0150",
        session_id="s-2",
    )
    a_week_on(other)
    numbers = ["NOSUCH0001", shipment.tracking_number, other.tracking_number]
    Shipment.objects.filter(pk=shipment.pk).update(tracking_numbers=numbers)
    shipment.refresh_from_db()
    before = sandbox.requests("bring")

    shipment_track(shipment=shipment)

    shipment.refresh_from_db()
    assert sandbox.requests("bring") - before == 3
    assert [code for _, code in stored(shipment)] == [
        "PRE_NOTIFIED",
        "HANDED_IN",
        "IN_TRANSIT",
        "READY_FOR_PICKUP",
        "PRE_NOTIFIED",
    ]
    # The latest event of all numbers counts, here the booking's own first one.
    assert shipment.tracking_status == "pending"


def test_without_a_list_the_tracking_number_is_asked(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="dhl-service-point", booked=True, country="DE", postal_code="10115"
    )
    Shipment.objects.filter(pk=shipment.pk).update(tracking_numbers=[])
    shipment.refresh_from_db()

    new = shipment_track(shipment=shipment)

    assert [e.carrier_code for e in new] == ["pre-transit"]


def test_an_unknown_status_does_not_hide_the_known_one(
    demo: Merchant, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="dhl-service-point", booked=True, country="DE", postal_code="10115"
    )
    start = timezone.now() - dt.timedelta(hours=2)
    answers: list[list[TrackingEvent]] = [
        [TrackingEvent(at=start, status=TrackingStatus.UNKNOWN, carrier_code="odd-1")],
        [
            TrackingEvent(at=start, status=TrackingStatus.UNKNOWN, carrier_code="odd-1"),
            TrackingEvent(
                at=start + dt.timedelta(hours=1),
                status=TrackingStatus.IN_TRANSIT,
                carrier_code="transit",
            ),
            TrackingEvent(
                at=start + dt.timedelta(hours=2),
                status=TrackingStatus.UNKNOWN,
                carrier_code="odd-2",
            ),
        ],
    ]

    def track(self: Any, *, agreement: AgreementCredentials, tracking_number: str) -> Any:
        return answers.pop(0)

    monkeypatch.setattr(type(get_adapter("dhl")), "track", track)

    shipment_track(shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.tracking_status == "unknown"  # nothing else to go by

    shipment_track(shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.tracking_status == "in_transit"
    assert [code for _, code in stored(shipment)] == ["odd-1", "transit", "odd-2"]


def test_the_shops_own_delivery_is_never_asked(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="store-pickup",
        confirmed=True,
        location_id="stockholm-drottninggatan",
    )
    assert shipment_book(shipment_id=shipment.pk).outcome is Outcome.BOOKED
    Shipment.objects.filter(pk=shipment.pk).update(tracking_number="OWN-1")
    before = asked(sandbox)

    count = shipments_track()

    shipment.refresh_from_db()
    assert count == 0
    assert asked(sandbox) == before
    assert shipment.tracking_checked_at is None
    assert not shipment.tracking_events.exists()


def test_a_run_asks_at_most_a_batch_never_checked_first(demo: Merchant, sandbox: Sandbox) -> None:
    first = ShipmentFactory.create(
        merchant=demo, option_id="postnord-service-point", booked=True, session_id="s-1"
    )
    second = ShipmentFactory.create(
        merchant=demo,
        option_id="dhl-service-point",
        booked=True,
        country="DE",
        postal_code="10115",
        session_id="s-2",
    )
    third = ShipmentFactory.create(
        merchant=demo,
        option_id="bring-pickup-point",
        booked=True,
        country="NO",
        postal_code="0150",
        session_id="s-3",
    )
    now = timezone.now()
    Shipment.objects.filter(pk=first.pk).update(tracking_checked_at=now - dt.timedelta(hours=1))

    assert shipments_track(now=now, batch=1) == 1
    assert set(Shipment.objects.filter(tracking_checked_at=now)) == {second}
    assert shipments_track(now=now, batch=1) == 1
    assert set(Shipment.objects.filter(tracking_checked_at=now)) == {second, third}
    assert shipments_track(now=now, batch=5) == 1
    assert shipments_track(now=now, batch=5) == 0
    assert set(Shipment.objects.filter(tracking_checked_at=now)) == {first, second, third}


def test_the_celery_task_tracks_and_counts(demo: Merchant, sandbox: Sandbox) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-service-point", booked=True
    )

    result = tasks.shipments_track.apply().get()

    shipment.refresh_from_db()
    assert result == 1
    assert shipment.tracking_checked_at is not None
    assert stored(shipment) == [("pending", "z01")]
