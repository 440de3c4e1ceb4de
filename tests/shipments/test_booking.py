"""Booking a confirmed shipment exactly once: what the carrier receives, duplicate deliveries,
refusals, outages with backoff and give-up, lost answers reconciled by reference, workers
that died mid-booking, the requeue sweeper, confirm's queued task, and the staff actions.

Every test runs against the carrier sandbox (tests/conftest.py) and the test broker (Redis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from pytest_django import Settings

from carriers.bring.client import BOOKING_PATH as BRING_BOOKING_PATH
from carriers.budbee.mappers import parse_tracking
from carriers.dhl.client import BOOK_PATH as DHL_BOOKING_PATH
from carriers.postnord.client import EDI_LABELS_PATH as POSTNORD_BOOKING_PATH
from carriers.registry import get_adapter
from carriers.sandbox.budbee import webhook_events
from carriers.sandbox.core import ledger
from carriers.types import (
    AddonChoice,
    Address,
    BookingRequest,
    Contact,
    Parcel,
    ProductKind,
    Timeslot,
)
from merchants.models import Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.celery import app as celery_app
from tms_gateway.checkout.types import AddonSelection
from tms_gateway.common.errors import ApplicationError
from tms_gateway.shipments.booking import (
    BookingOutcome,
    Outcome,
    booking_backoff,
    booking_request_build,
    shipment_book,
    shipment_cancel,
    shipment_cancel_refusal,
    shipment_retry,
    shipments_requeue,
)
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.queue import QUEUED_KEY, booking_enqueue
from tms_gateway.shipments.services import InvalidTransition, shipment_confirm

from .helpers import (
    agreement_credentials,
    booking_bodies,
    broker,
    history,
    offered,
    queue_clear,
    queued_bookings,
    sandbox_booking_wait,
    shipment_force,
)

pytestmark = pytest.mark.django_db(transaction=True)

BUDBEE_BOOKING_PATH = "/multiple/orders"
#: conftest's order: two units of 600 g, 300 x 200 x 100 mm, stacked into one parcel.
PARCEL = Parcel(weight_g=1200, length_mm=300, width_mm=200, height_mm=200)
SENDER = Contact(
    name="Demo Shop AB",
    phone="+46812345678",
    email="warehouse@demo-shop.example",
    company="Demo Shop",
)
SENDER_ADDRESS = Address(
    country="SE", postal_code="11218", city="Stockholm", street_address="Lindhagensgatan 76"
)


def _created(option_id: str) -> list[tuple[str, str, str, str]]:
    """The history of a shipment reserved and confirmed by Klarna."""
    return [
        ("", "reserved", "klarna", f"reserved {option_id}"),
        ("reserved", "confirmed", "klarna", "purchase completed"),
    ]


CREATED = _created("postnord-home")


# --- 1. What the carrier receives ----------------------------------------------------------


def test_postnord_receives_the_chosen_service_point_the_mobile_the_sender_and_the_parcel(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: the second-nearest point, a mobile number typed the Swedish way
    point = offered(demo, "postnord-service-point").locations[1]
    shipment = ShipmentFactory.create(
        order_id="klarna-order-1",
        merchant=demo,
        option_id="postnord-service-point",
        confirmed=True,
        location_id=point.id,
        phone="070-123 45 67",
    )
    reference = shipment.booking_reference

    # when
    outcome = shipment_book(shipment_id=shipment.pk)

    # then: the sandbox recorded the instruction under our reference...
    recorded = ledger.find("postnord", reference)
    assert recorded is not None
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=recorded["shipment_id"])
    assert sandbox.bookings("postnord") == {reference: 1}
    assert {k: v for k, v in recorded.items() if k not in ("shipment_id", "item_ids")} == {
        "product": "19",
        "customer_number": "0020512345",
        "consignor_name": "Demo Shop",
        "consignor_country": "SE",
        "country": "SE",
        "postal_code": "11151",
        "city": "Stockholm",
        "delivery_party": point.name,
        "references": [
            {"referenceNo": reference, "referenceType": "CU"},
            {"referenceNo": "klarna-order-1", "referenceType": "REF"},
        ],
        "booked_at": recorded["booked_at"],
        "cancelled": False,
        "reference": reference,
        "booking_id": recorded["booking_id"],
    }
    # ...and the instruction itself (the sandbox keeps a summary; the call trace keeps it all)
    (body,) = booking_bodies("postnord")
    (sent,) = body["shipment"]
    assert body["messageId"] == reference
    assert sent["shipmentIdentification"] == {"shipmentId": reference}
    assert sent["service"] == {"basicServiceCode": "19", "additionalServiceCode": ["A7"]}
    assert sent["parties"]["deliveryParty"]["partyIdentification"] == {
        "partyId": point.id,
        "partyIdType": "156",
    }
    assert sent["parties"]["consignee"]["party"]["contact"] == {
        "contactName": "Test Person",
        "emailAddress": "test@example.com",
        "phoneNo": "+46701234567",
        "smsNo": "+46701234567",
    }
    assert sent["parties"]["consignor"] == {
        "issuerCode": "Z12",
        "partyIdentification": {"partyId": "0020512345", "partyIdType": "160"},
        "party": {
            "nameIdentification": {"name": "Demo Shop"},
            "address": {
                "streets": ["Lindhagensgatan 76"],
                "postalCode": "11218",
                "city": "Stockholm",
                "countryCode": "SE",
            },
            "contact": {
                "contactName": "Demo Shop AB",
                "emailAddress": "warehouse@demo-shop.example",
                "phoneNo": "+46812345678",
            },
        },
    }
    assert sent["totalGrossWeight"] == {"value": 1.2, "unit": "KGM"}
    assert sent["goodsItem"] == [
        {
            "packageTypeCode": "PC",
            "items": [
                {
                    "itemIdentification": {"itemId": "0", "itemIdType": "SSCC"},
                    "grossWeight": {"value": 1.2, "unit": "KGM"},
                    "dimensions": {
                        "length": {"value": 30.0, "unit": "CMT"},
                        "width": {"value": 20.0, "unit": "CMT"},
                        "height": {"value": 20.0, "unit": "CMT"},
                    },
                }
            ],
        }
    ]
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == recorded["shipment_id"]
    assert shipment.tracking_numbers == recorded["item_ids"]
    assert shipment.booking_attempts == 1
    assert history(shipment)[2:] == [
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "booked", "system", f"booked: {recorded['shipment_id']}"),
    ]


def test_budbee_receives_the_chosen_timeslot_the_mobile_the_door_code_and_the_parcel(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: the second time slot, SMS notice and a door code
    slot = offered(demo, "budbee-home").timeslots[1]
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="budbee-home",
        confirmed=True,
        timeslot_id=slot.id,
        addons=(AddonSelection("sms-notice"), AddonSelection("door-code", text="4711#")),
        phone="070-123 45 67",
    )
    reference = shipment.booking_reference
    delivery_start, delivery_stop = (int(ms) for ms in slot.id.split("-"))

    # when
    outcome = shipment_book(shipment_id=shipment.pk)

    # then
    recorded = ledger.find("budbee", reference)
    assert recorded is not None
    (order,) = recorded["orders"]
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=order["id"])
    assert sandbox.bookings("budbee") == {reference: 1}
    assert order["cart"] == {"cartId": reference}
    assert order["collection"]["id"] == 1001  # the agreement's customer number
    assert order["interval"] == {
        "collection": {
            "start": int(slot.extra["collection_start"]),
            "stop": int(slot.extra["collection_stop"]),
        },
        "delivery": {"start": delivery_start, "stop": delivery_stop},
    }
    # Budbee texts the delivery's telephone number on every order: the SMS add-on is that.
    assert order["delivery"] == {
        "name": "Test Person",
        "telephoneNumber": "+46701234567",
        "email": "test@example.com",
        "address": {
            "street": "Drottninggatan 53",
            "postalCode": "11151",
            "city": "Stockholm",
            "country": "SE",
        },
        "doorCode": "4711#",
    }
    (parcel,) = order["parcels"]
    assert parcel["shipmentId"] == reference
    assert parcel["dimensions"] == {
        "width": 20,
        "height": 20,
        "length": 30,
        "weight": 1200,
        "volume": 12000,
    }
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == order["id"]
    assert shipment.tracking_numbers == [parcel["packageId"]]
    assert shipment.selection["addons"] == [
        {"id": "sms-notice", "type": "sms", "price": 0, "text": ""},
        {"id": "door-code", "type": "entry-code", "price": 0, "text": "4711#"},
    ]


def test_bring_receives_the_chosen_pickup_point_the_mobile_the_sender_and_the_parcel(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: the second-nearest pickup point, a Norwegian mobile number typed nationally
    point = offered(demo, "bring-pickup-point", country="NO", postal_code="0150").locations[1]
    shipment = ShipmentFactory.create(
        order_id="klarna-order-1",
        merchant=demo,
        option_id="bring-pickup-point",
        confirmed=True,
        country="NO",
        postal_code="0150",
        location_id=point.id,
        phone="412 34 567",
    )
    reference = shipment.booking_reference

    # when
    outcome = shipment_book(shipment_id=shipment.pk)

    # then
    recorded = ledger.find("bring", reference)
    assert recorded is not None
    number = recorded["consignmentNumber"]
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=number)
    assert sandbox.bookings("bring") == {reference: 1}
    assert recorded["testIndicator"] is True
    consignment = recorded["consignment"]
    assert consignment["correlationId"] == reference
    assert consignment["product"] == {"id": "5800", "customerNumber": "20012345678"}
    assert consignment["parties"] == {
        "sender": {
            "name": "Demo Shop",
            "addressLine": "Lindhagensgatan 76",
            "postalCode": "11218",
            "city": "Stockholm",
            "countryCode": "SE",
            "reference": reference,
            "contact": {
                "name": "Demo Shop AB",
                "email": "warehouse@demo-shop.example",
                "phoneNumber": "+46812345678",
            },
        },
        "recipient": {
            "name": "Test Person",
            "addressLine": "Drottninggatan 53",
            "postalCode": "0150",
            "city": "Stockholm",
            "countryCode": "NO",
            "reference": "klarna-order-1",
            "contact": {
                "name": "Test Person",
                "email": "test@example.com",
                "phoneNumber": "+4741234567",
            },
        },
        "pickupPoint": {"id": point.id, "countryCode": "NO"},
    }
    assert consignment["packages"] == [
        {
            "weightInKg": 1.2,
            "dimensions": {"lengthInCm": 30, "widthInCm": 20, "heightInCm": 20},
            "correlationId": f"{reference}-1",
        }
    ]
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == number


def test_booking_request_build_is_the_shoppers_choice_the_shops_sender_and_the_parcel(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    slot = offered(demo, "budbee-home").timeslots[1]
    shipment = ShipmentFactory.create(
        order_id="klarna-order-1",
        merchant=demo,
        option_id="budbee-home",
        confirmed=True,
        timeslot_id=slot.id,
        addons=(AddonSelection("sms-notice"), AddonSelection("door-code", text=" 4711# ")),
        phone="070-123 45 67",
    )
    agreement = agreement_credentials(demo, "budbee")
    calls = sandbox.requests("budbee")

    # when
    request = booking_request_build(shipment=shipment, agreement=agreement)

    # then
    assert request == BookingRequest(
        reference=shipment.booking_reference,
        agreement=agreement,
        product="home",
        kind=ProductKind.HOME,
        sender=SENDER,
        sender_address=SENDER_ADDRESS,
        recipient=Contact(name="Test Person", phone="+46701234567", email="test@example.com"),
        recipient_address=Address(
            country="SE", postal_code="11151", city="Stockholm", street_address="Drottninggatan 53"
        ),
        parcels=(PARCEL,),
        location=None,
        timeslot=Timeslot(id=slot.id, start=slot.start, end=slot.end),
        addons=(AddonChoice(type="sms"), AddonChoice(type="entry-code", text="4711#")),
        order_reference="klarna-order-1",
        shipping_date=timezone.localdate(),
    )
    assert request.timeslot is not None
    assert request.timeslot.extra == slot.extra
    assert request.agreement.customer_number == "1001"
    # pure: no carrier call, nothing written
    assert sandbox.requests("budbee") == calls
    assert sandbox.bookings("budbee") == {}
    assert history(shipment) == _created("budbee-home")


def test_booking_request_build_keeps_the_chosen_location(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    point = offered(demo, "postnord-service-point").locations[1]
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-service-point", confirmed=True, location_id=point.id
    )

    # when
    request = booking_request_build(
        shipment=shipment, agreement=agreement_credentials(demo, "postnord")
    )

    # then
    assert request.kind is ProductKind.PICKUP_POINT
    assert request.product == "19"
    assert request.location is not None
    assert (request.location.id, request.location.name, request.location.kind) == (
        point.id,
        point.name,
        point.kind,
    )
    assert request.location.address == point.address
    assert request.location.extra == point.extra
    assert request.timeslot is None
    assert request.addons == ()


# --- 2. Duplicate delivery -----------------------------------------------------------------


def test_a_task_delivered_twice_books_once_and_the_second_is_skipped(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)

    # when
    first = shipment_book(shipment_id=shipment.pk)
    second = shipment_book(shipment_id=shipment.pk)

    # then
    shipment.refresh_from_db()
    assert first == BookingOutcome(Outcome.BOOKED, detail=shipment.carrier_shipment_id)
    assert second == BookingOutcome(Outcome.SKIPPED, detail="shipment is booked")
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert shipment.booking_attempts == 1
    assert history(shipment) == [
        *CREATED,
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "booked", "system", f"booked: {shipment.carrier_shipment_id}"),
    ]


def test_a_fresh_lease_makes_the_attempt_busy_without_calling_the_carrier(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: another worker claimed the row 15 s ago
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    started = now - dt.timedelta(seconds=15)
    shipment = shipment_force(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        status="booking",
        booking_started_at=started,
        booking_attempts=1,
    )
    calls = sandbox.requests("postnord")

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then: come back when the lease runs out
    assert outcome == BookingOutcome(Outcome.BUSY, retry_in=45.0, detail="attempt in flight")
    assert sandbox.requests("postnord") == calls
    assert sandbox.bookings("postnord") == {}
    shipment.refresh_from_db()
    assert (shipment.status, shipment.booking_started_at, shipment.booking_attempts) == (
        "booking",
        started,
        1,
    )
    assert history(shipment) == CREATED


# --- 3. Refusal ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option_id", "carrier", "country", "postal_code", "path", "error"),
    [
        (
            "postnord-home",
            "postnord",
            "SE",
            "11151",
            POSTNORD_BOOKING_PATH,
            # PostNord's body carries the text twice: its message and the fault's explanation.
            "refused by PostNord: Injected fault: HTTP 400; Injected fault: HTTP 400",
        ),
        (
            "budbee-home",
            "budbee",
            "SE",
            "11151",
            BUDBEE_BOOKING_PATH,
            "refused by Budbee: Injected fault: HTTP 400",
        ),
        (
            "bring-pickup-point",
            "bring",
            "NO",
            "0150",
            BRING_BOOKING_PATH,
            "refused by Bring: Injected fault: HTTP 400",
        ),
        (
            "dhl-service-point",
            "dhl",
            "DE",
            "10115",
            DHL_BOOKING_PATH,
            "refused by DHL: Injected fault: HTTP 400",
        ),
    ],
)
def test_a_refusal_fails_at_once_with_the_carriers_words_and_no_retry(
    demo: Merchant,
    sandbox: Sandbox,
    option_id: str,
    carrier: str,
    country: str,
    postal_code: str,
    path: str,
    error: str,
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, confirmed=True, country=country, postal_code=postal_code
    )
    sandbox.fault(carrier, status=400, path=path)

    # when
    outcome = shipment_book(shipment_id=shipment.pk)

    # then
    assert outcome == BookingOutcome(Outcome.FAILED, detail=error)
    shipment.refresh_from_db()
    assert shipment.status == "failed"
    assert shipment.booking_error == error
    assert shipment.next_booking_at is None
    assert shipment.booking_started_at is None
    assert shipment.booking_outcome_unknown is False
    assert shipment.carrier_shipment_id == ""
    assert not shipment.labels.exists()
    assert sandbox.bookings(carrier) == {}
    assert history(shipment) == [
        *_created(option_id),
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "failed", "system", error),
    ]


# --- 4. Unavailable: retry with backoff ---------------------------------------------------


def test_an_unavailable_carrier_plans_a_retry_and_the_next_attempt_books(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given
    settings.BOOKING_RETRY_BASE_SECONDS = 4.0
    settings.BOOKING_RETRY_MAX_SECONDS = 600.0
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    sandbox.fault("postnord", status=503, path=POSTNORD_BOOKING_PATH)
    now = timezone.now()

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then: back to confirmed (nothing reached the carrier), a retry planned in [2, 4] s
    assert outcome.outcome is Outcome.RETRY
    assert outcome.detail == "Injected fault: HTTP 503"
    assert outcome.retry_in is not None
    assert 2.0 <= outcome.retry_in <= 4.0
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.next_booking_at == now + dt.timedelta(seconds=outcome.retry_in)
    assert shipment.booking_outcome_unknown is False
    assert shipment.booking_started_at is None
    assert shipment.booking_attempts == 1
    assert shipment.booking_error == "Injected fault: HTTP 503"
    assert sandbox.bookings("postnord") == {}
    retry_reason = (
        f"carrier unavailable (Injected fault: HTTP 503); retry in {outcome.retry_in:.0f} s"
    )
    assert history(shipment) == [
        *CREATED,
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "confirmed", "system", retry_reason),
    ]

    # when: the carrier is back
    sandbox.clear_faults()
    again = shipment_book(shipment_id=shipment.pk)

    # then
    shipment.refresh_from_db()
    assert again == BookingOutcome(Outcome.BOOKED, detail=shipment.carrier_shipment_id)
    assert shipment.status == "booked"
    assert shipment.booking_attempts == 2
    assert shipment.booking_error == ""
    assert shipment.next_booking_at is None
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert history(shipment)[4:] == [
        ("confirmed", "booking", "system", "attempt 2"),
        ("booking", "booked", "system", f"booked: {shipment.carrier_shipment_id}"),
    ]


def test_a_429_waits_at_least_the_carriers_retry_after(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: our own backoff would be far shorter than the sandbox's Retry-After: 1
    settings.BOOKING_RETRY_BASE_SECONDS = 0.2
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", confirmed=True)
    sandbox.fault("budbee", status=429, path=BUDBEE_BOOKING_PATH)
    now = timezone.now()

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    assert outcome == BookingOutcome(Outcome.RETRY, retry_in=1.0, detail="Injected fault: HTTP 429")
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.next_booking_at == now + dt.timedelta(seconds=1)
    assert sandbox.bookings("budbee") == {}
    assert history(shipment)[-1] == (
        "booking",
        "confirmed",
        "system",
        "carrier unavailable (Injected fault: HTTP 429); retry in 1 s",
    )


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (0, 2.5, 5.0),
        (1, 2.5, 5.0),
        (2, 5.0, 10.0),
        (4, 20.0, 40.0),
        (5, 30.0, 60.0),
        (30, 30.0, 60.0),
    ],
)
def test_backoff_is_exponential_with_jitter_and_capped(
    settings: Settings, attempt: int, low: float, high: float
) -> None:
    # given
    settings.BOOKING_RETRY_BASE_SECONDS = 5.0
    settings.BOOKING_RETRY_MAX_SECONDS = 60.0

    # when
    delays = [booking_backoff(attempt=attempt) for _ in range(500)]

    # then: within [base * 2^(n-1) / 2, base * 2^(n-1)], capped at the maximum
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jittered


def test_backoff_honours_retry_after(settings: Settings) -> None:
    # given
    settings.BOOKING_RETRY_BASE_SECONDS = 5.0
    settings.BOOKING_RETRY_MAX_SECONDS = 60.0

    # when
    longer = {booking_backoff(attempt=1, retry_after=120.0) for _ in range(100)}
    within = [booking_backoff(attempt=1, retry_after=3.0) for _ in range(500)]

    # then
    assert longer == {120.0}
    assert all(3.0 <= d <= 5.0 for d in within)


# --- 5. Give up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "note"),
    [
        (503, ""),
        # a 500 may come after the work was done: the note tells staff to check first
        (500, " (an attempt may have reached the carrier: check before retrying)"),
    ],
)
def test_a_carrier_unavailable_for_too_long_fails_the_booking(
    demo: Merchant, sandbox: Sandbox, settings: Settings, status: int, note: str
) -> None:
    # given: confirmed 601 s ago, with a give-up after 600 s
    settings.BOOKING_GIVE_UP_SECONDS = 600.0
    now = timezone.now()
    shipment = shipment_force(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        booking_since=now - dt.timedelta(seconds=601),
    )
    sandbox.fault("postnord", status=status, path=POSTNORD_BOOKING_PATH)

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    reason = f"carrier unavailable for too long: Injected fault: HTTP {status}{note}"
    assert outcome == BookingOutcome(Outcome.FAILED, detail=reason)
    shipment.refresh_from_db()
    assert shipment.status == "failed"
    assert shipment.booking_error == reason
    assert shipment.next_booking_at is None
    assert shipment.booking_started_at is None
    assert sandbox.bookings("postnord") == {}
    assert history(shipment) == [
        *CREATED,
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "failed", "system", reason),
    ]


# --- 6. Lost answer: reconciled by reference ------------------------------------------------


def _recorded_id(carrier: str, reference: str) -> str:
    recorded = ledger.find(carrier, reference)
    assert recorded is not None
    return str(recorded["shipment_id" if carrier == "postnord" else "consignmentNumber"])


@pytest.mark.parametrize(
    ("option_id", "carrier", "country", "postal_code", "path", "labels"),
    [
        # Found through Track & Trace, a PostNord booking has no printId, and PostNord reprints
        # by printId only: the booking is recorded without a label, as Bring's is.
        ("postnord-service-point", "postnord", "SE", "11151", POSTNORD_BOOKING_PATH, 0),
        # Bring's tracking search gives no label link: the booking is recorded without one.
        ("bring-pickup-point", "bring", "NO", "0150", BRING_BOOKING_PATH, 0),
    ],
)
def test_a_lost_answer_is_found_by_reference_instead_of_booked_again(
    demo: Merchant,
    sandbox: Sandbox,
    settings: Settings,
    option_id: str,
    carrier: str,
    country: str,
    postal_code: str,
    path: str,
    labels: int,
) -> None:
    # given: the carrier books, but answers after our client gave up
    settings.CARRIER_BOOKING_TIMEOUT = 0.5
    settings.CARRIER_CONNECT_TIMEOUT = 0.5
    settings.BOOKING_RETRY_BASE_SECONDS = 4.0
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, confirmed=True, country=country, postal_code=postal_code
    )
    reference = shipment.booking_reference
    sandbox.fault(carrier, latency_ms=1500, path=path)
    now = timezone.now()

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then: a retry, the row still booking with its outcome unknown
    error = f"{carrier}: timeout after (0.5, 0.5)s"
    assert outcome.outcome is Outcome.RETRY
    assert outcome.detail == error
    assert outcome.retry_in is not None
    assert 2.0 <= outcome.retry_in <= 4.0
    shipment.refresh_from_db()
    assert shipment.status == "booking"
    assert shipment.booking_outcome_unknown is True
    assert shipment.booking_started_at is None
    assert shipment.next_booking_at == now + dt.timedelta(seconds=outcome.retry_in)
    assert shipment.booking_error == error
    assert history(shipment)[-1] == ("confirmed", "booking", "system", "attempt 1")

    # when: the carrier finished the booking; the next attempt runs
    assert sandbox_booking_wait(sandbox, carrier, reference) == {reference: 1}
    sandbox.clear_faults()
    again = shipment_book(shipment_id=shipment.pk)

    # then: the carrier's booking is ours, nothing sent twice
    carrier_id = _recorded_id(carrier, reference)
    assert again == BookingOutcome(Outcome.BOOKED, detail=carrier_id)
    assert sandbox.bookings(carrier) == {reference: 1}
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == carrier_id
    assert shipment.booking_outcome_unknown is False
    assert shipment.booking_error == ""
    assert shipment.booking_attempts == 2
    assert shipment.labels.count() == labels
    assert history(shipment) == [
        *_created(option_id),
        ("confirmed", "booking", "system", "attempt 1"),
        ("booking", "booked", "system", f"found by reference: {carrier_id}"),
    ]


# --- 7. A worker that died mid-booking ---------------------------------------------------


def _died_mid_booking(shipment: Shipment, *, now: dt.datetime, lease: float) -> Shipment:
    """The row as a worker left it when it died after sending the booking: status booking,
    its lease run out."""
    return shipment_force(
        shipment,
        status="booking",
        booking_attempts=1,
        booking_started_at=now - dt.timedelta(seconds=lease + 1),
    )


@pytest.mark.parametrize(
    ("option_id", "carrier", "country", "postal_code"),
    [
        ("postnord-service-point", "postnord", "SE", "11151"),
        ("budbee-home", "budbee", "SE", "11151"),
        ("bring-pickup-point", "bring", "NO", "0150"),
    ],
)
def test_a_booking_of_a_dead_worker_is_found_by_reference(
    demo: Merchant,
    sandbox: Sandbox,
    settings: Settings,
    option_id: str,
    carrier: str,
    country: str,
    postal_code: str,
) -> None:
    # given: the carrier has the booking, the row never learnt it
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    shipment = ShipmentFactory.create(
        merchant=demo, option_id=option_id, confirmed=True, country=country, postal_code=postal_code
    )
    reference = shipment.booking_reference
    booked = get_adapter(carrier).book(
        request=booking_request_build(
            shipment=shipment, agreement=agreement_credentials(demo, carrier)
        )
    )
    shipment = _died_mid_booking(shipment, now=now, lease=60)

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=booked.carrier_shipment_id)
    assert sandbox.bookings(carrier) == {reference: 1}
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == booked.carrier_shipment_id
    assert shipment.tracking_numbers == list(booked.tracking_numbers)
    assert shipment.booking_attempts == 2
    # Budbee's booking completes what it finds for the reference (idempotent), the others
    # are looked up first.
    how = "booked" if carrier == "budbee" else "found by reference"
    assert history(shipment) == [
        *_created(option_id),
        ("booking", "booked", "system", f"{how}: {booked.carrier_shipment_id}"),
    ]


def test_an_attempt_whose_lease_ran_out_before_it_sent_does_not_book_a_second_time(
    demo: Merchant, sandbox: Sandbox, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a dead worker's shipment; attempt A looks it up by reference, slowly
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    shipment = _died_mid_booking(
        ShipmentFactory.create(merchant=demo, option_id="postnord-service-point", confirmed=True),
        now=now,
        lease=60,
    )
    adapter = type(get_adapter("postnord"))
    real_find = adapter.find_booking
    outcomes: list[BookingOutcome] = []
    lookups: list[int] = []

    def slow_find(self: Any, **kwargs: Any) -> Any:
        found = real_find(self, **kwargs)  # nothing booked yet
        lookups.append(1)
        if len(lookups) == 1:
            # before A hears back, its lease runs out and attempt B takes over and books
            later = now + dt.timedelta(seconds=61)
            outcomes.append(shipment_book(shipment_id=shipment.pk, now=later))
        return found

    monkeypatch.setattr(adapter, "find_booking", slow_find)

    # when
    first = shipment_book(shipment_id=shipment.pk, now=now)

    # then: A does not send its booking; the carrier has the shipment once, from B
    shipment.refresh_from_db()
    assert outcomes[0].outcome == Outcome.BOOKED
    assert first == BookingOutcome(Outcome.SKIPPED, detail="another attempt took over")
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert shipment.status == "booked"


def test_a_dead_workers_attempt_that_never_reached_the_carrier_is_booked_once(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    shipment = _died_mid_booking(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        now=now,
        lease=60,
    )

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    shipment.refresh_from_db()
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=shipment.carrier_shipment_id)
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert history(shipment)[-1] == (
        "booking",
        "booked",
        "system",
        f"booked: {shipment.carrier_shipment_id}",
    )


def test_a_dead_workers_booking_with_dhl_fails_for_staff_to_check_and_is_not_sent_again(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: DHL can neither be asked by reference nor safely sent the booking twice
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="dhl-service-point",
        confirmed=True,
        country="DE",
        postal_code="10115",
    )
    reference = shipment.booking_reference
    get_adapter("dhl").book(
        request=booking_request_build(
            shipment=shipment, agreement=agreement_credentials(demo, "dhl")
        )
    )
    shipment = _died_mid_booking(shipment, now=now, lease=60)
    calls = sandbox.requests("dhl")

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    reason = (
        f"an earlier attempt may have booked with DHL, which cannot be asked by reference "
        f"({reference}); check with the carrier before retrying"
    )
    assert outcome == BookingOutcome(Outcome.FAILED, detail=reason)
    assert sandbox.requests("dhl") == calls
    assert sandbox.bookings("dhl") == {reference: 1}
    shipment.refresh_from_db()
    assert shipment.status == "failed"
    assert shipment.booking_error == reason
    assert shipment.carrier_shipment_id == ""
    assert shipment.next_booking_at is None
    assert history(shipment) == [
        *_created("dhl-service-point"),
        ("booking", "failed", "system", reason),
    ]


def test_a_dead_workers_booking_with_instabox_is_sent_again_and_stays_one(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: Instabox's booking is an upsert on our reference
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()
    shipment = ShipmentFactory.create(merchant=demo, option_id="instabox-locker", confirmed=True)
    reference = shipment.booking_reference
    booked = get_adapter("instabox").book(
        request=booking_request_build(
            shipment=shipment, agreement=agreement_credentials(demo, "instabox")
        )
    )
    shipment = _died_mid_booking(shipment, now=now, lease=60)

    # when
    outcome = shipment_book(shipment_id=shipment.pk, now=now)

    # then
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=booked.carrier_shipment_id)
    assert sandbox.bookings("instabox") == {reference: 1}
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.carrier_shipment_id == booked.carrier_shipment_id
    assert history(shipment)[-1] == (
        "booking",
        "booked",
        "system",
        f"booked: {booked.carrier_shipment_id}",
    )


# --- 8. The requeue sweeper ---------------------------------------------------------------


def test_requeue_queues_late_confirmed_and_stalled_bookings_only(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given
    settings.BOOKING_REQUEUE_AFTER_SECONDS = 60
    settings.BOOKING_LEASE_SECONDS = 60
    now = timezone.now()

    def ago(seconds: float) -> dt.datetime:
        return now - dt.timedelta(seconds=seconds)

    def make(session_id: str, **fields: object) -> Shipment:
        return shipment_force(
            ShipmentFactory.create(
                merchant=demo, option_id="postnord-home", confirmed=True, session_id=session_id
            ),
            **fields,
        )

    selected = [
        make("late", confirmed_at=ago(61)),
        make("retry-due", confirmed_at=ago(600), next_booking_at=ago(61)),
        make("stalled", status="booking", booking_started_at=ago(61)),
        make("unknown-due", status="booking", booking_started_at=None, next_booking_at=ago(61)),
    ]
    skipped = [
        make("fresh", confirmed_at=ago(30)),
        make("retry-planned", confirmed_at=ago(600), next_booking_at=ago(-30)),
        make("leased", status="booking", booking_started_at=ago(30)),
        make(
            "unknown-planned", status="booking", booking_started_at=None, next_booking_at=ago(-30)
        ),
        make("booked", status="booked", confirmed_at=ago(600)),
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="reserved"),
    ]
    queue_clear()

    # when
    queued = shipments_requeue(now=now)

    # then
    assert queued == 4
    assert queued_bookings() == [s.pk for s in selected]
    assert {s.pk for s in skipped}.isdisjoint(queued_bookings())
    assert sandbox.bookings("postnord") == {}


def test_requeue_leaves_a_shipment_whose_message_is_still_queued(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: a backlog behind a stopped worker; the first requeue sent every late shipment
    settings.BOOKING_REQUEUE_AFTER_SECONDS = 60
    now = timezone.now()
    late = [
        shipment_force(
            ShipmentFactory.create(
                merchant=demo, option_id="postnord-home", confirmed=True, session_id=f"late-{n}"
            ),
            confirmed_at=now - dt.timedelta(seconds=61),
        )
        for n in range(3)
    ]
    queue_clear()
    assert shipments_requeue(now=now) == 3

    # when: the sweeper runs again and again before the worker is back
    again = [shipments_requeue(now=now + dt.timedelta(seconds=s)) for s in (60, 120)]

    # then: one message per shipment, not one per run
    assert again == [0, 0]
    assert queued_bookings() == [s.pk for s in late]


def test_a_queued_note_expires_so_a_message_lost_with_its_worker_is_sent_again(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given
    settings.BOOKING_REQUEUE_AFTER_SECONDS = 60
    settings.BOOKING_QUEUED_SECONDS = 600
    now = timezone.now()
    shipment = shipment_force(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        confirmed_at=now - dt.timedelta(seconds=61),
    )
    key = cache.make_key(QUEUED_KEY.format(shipment.pk))
    ttl = int(broker().ttl(key))  # type: ignore[arg-type]

    # then: confirm left a note for BOOKING_QUEUED_SECONDS
    assert 590 <= ttl <= 600
    assert shipments_requeue(now=now) == 0

    # when: the note expires (the message was taken by a worker that died holding it)
    broker().delete(key)

    # then
    queue_clear()
    assert shipments_requeue(now=now) == 1
    assert queued_bookings() == [shipment.pk]


def test_an_attempt_clears_its_queued_note(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    key = cache.make_key(QUEUED_KEY.format(shipment.pk))
    assert broker().exists(key)

    # when
    outcome = shipment_book(shipment_id=shipment.pk)

    # then
    assert outcome.outcome == "booked"
    assert not broker().exists(key)


# --- 9. Confirm queues the booking after commit -------------------------------------------


def test_confirm_queues_one_booking_once_committed(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    queue_clear()

    # when
    with transaction.atomic():
        confirmed_shipment = shipment_confirm(merchant=demo, shipment=shipment)
        queued_inside = queued_bookings()

    # then
    assert queued_inside == []
    assert queued_bookings() == [shipment.pk]
    assert confirmed_shipment.status == "confirmed"
    assert sandbox.bookings("postnord") == {}


def test_confirming_again_queues_nothing_more(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    queue_clear()

    # when
    again = shipment_confirm(merchant=demo, shipment=shipment)

    # then
    assert again.status == "confirmed"
    assert queued_bookings() == []


@pytest.fixture
def broker_down(settings: Settings) -> Iterator[None]:
    """The Celery app publishing to a closed port; its own broker back afterwards."""
    reachable = celery_app.conf.broker_url

    def point_at(url: str) -> None:
        celery_app.conf.broker_url = url
        # The app keeps its connection and producer pools: drop them so the next publish
        # connects to ``url`` (what a fresh process would do).
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at("redis://127.0.0.1:1/0")
    try:
        yield
    finally:
        point_at(reachable)


def test_confirm_succeeds_when_the_broker_is_down(
    demo: Merchant, sandbox: Sandbox, broker_down: None
) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    now = timezone.now()

    # when
    confirmed_shipment = shipment_confirm(merchant=demo, shipment=shipment, now=now)

    # then: the row is the truth (the sweeper queues it later)
    assert confirmed_shipment.status == "confirmed"
    shipment.refresh_from_db()
    assert (shipment.status, shipment.confirmed_at, shipment.booking_since) == (
        "confirmed",
        now,
        now,
    )
    assert booking_enqueue(shipment_id=shipment.pk) is False
    assert queued_bookings() == []


def test_booking_enqueue_queues_when_the_broker_is_up(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    queue_clear()

    # when
    queued = booking_enqueue(shipment_id=shipment.pk)

    # then
    assert queued is True
    assert queued_bookings() == [shipment.pk]


def test_a_worker_that_starts_before_enqueue_returns_leaves_no_queued_note(
    demo: Merchant, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a worker so quick that the task starts (and clears its note) while it is sent
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    queue_clear()
    key = cache.make_key(QUEUED_KEY.format(shipment.pk))
    real_send = celery_app.amqp.send_task_message
    noted_when_sent: list[bool] = []

    def send_and_start(*args: Any, **kwargs: Any) -> Any:
        sent = real_send(*args, **kwargs)
        noted_when_sent.append(cache.get(QUEUED_KEY.format(shipment.pk)) is not None)
        shipment_book(shipment_id=shipment.pk)  # the worker's first step clears the note
        return sent

    monkeypatch.setattr(celery_app.amqp, "send_task_message", send_and_start)

    # when
    assert booking_enqueue(shipment_id=shipment.pk) is True

    # then: the note was there before the message, and nothing re-wrote it after the start,
    # so a worker dying now leaves the shipment to shipments_requeue
    assert noted_when_sent == [True]
    assert not cache.has_key(QUEUED_KEY.format(shipment.pk)), key


# --- 10. Staff: retry and cancel ----------------------------------------------------------


def test_staff_retry_of_a_failed_booking_opens_a_new_window_and_queues_it(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: refused once
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    sandbox.fault("postnord", status=400, path=POSTNORD_BOOKING_PATH)
    shipment_book(shipment_id=shipment.pk)
    sandbox.clear_faults()
    shipment.refresh_from_db()
    queue_clear()
    now = timezone.now()

    # when
    retried = shipment_retry(shipment=shipment, actor="staff:alice", now=now)

    # then
    assert retried.status == "confirmed"
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.booking_since == now
    assert shipment.booking_error == ""
    assert shipment.next_booking_at is None
    assert queued_bookings() == [shipment.pk]
    assert history(shipment)[-1] == ("failed", "confirmed", "staff:alice", "retry requested")

    # when: the queued attempt runs
    outcome = shipment_book(shipment_id=shipment.pk)

    # then
    shipment.refresh_from_db()
    assert outcome == BookingOutcome(Outcome.BOOKED, detail=shipment.carrier_shipment_id)
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert shipment.booking_attempts == 2


def test_staff_retry_of_a_booked_shipment_is_refused(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    shipment_book(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    events = history(shipment)
    queue_clear()

    # when
    with pytest.raises(InvalidTransition) as refused:
        shipment_retry(shipment=shipment, actor="staff:alice")

    # then
    assert refused.value.message == "Only a failed booking can be retried; this one is booked."
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert history(shipment) == events
    assert queued_bookings() == []
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}


def test_staff_cancel_of_a_reservation(demo: Merchant, sandbox: Sandbox) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    now = timezone.now()

    # when
    cancelled = shipment_cancel(
        shipment=shipment, actor="staff:alice", reason="customer called", now=now
    )

    # then
    assert cancelled.status == "cancelled"
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert history(shipment)[-1] == ("reserved", "cancelled", "staff:alice", "customer called")
    assert sandbox.bookings("postnord") == {}


@pytest.fixture
def budbee_cancellations_restored() -> Iterator[None]:
    """The Budbee sandbox keeps cancelled order ids across its reset, and numbers orders
    afresh after one: forget this test's cancellations, or a later test's first order would
    be born cancelled."""
    from carriers.sandbox import budbee as budbee_sandbox

    before = dict(budbee_sandbox._cancelled)
    yield
    with budbee_sandbox._lock:
        budbee_sandbox._cancelled.clear()
        budbee_sandbox._cancelled.update(before)


def test_staff_cancel_of_a_budbee_booking_cancels_it_with_budbee(
    demo: Merchant, sandbox: Sandbox, budbee_cancellations_restored: None
) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", confirmed=True)
    shipment_book(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    (package,) = shipment.tracking_numbers

    # when
    cancelled = shipment_cancel(shipment=shipment, actor="staff:alice")

    # then: Budbee's tracking shows the delivery cancelled
    assert cancelled.status == "cancelled"
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert shipment.next_booking_at is None
    assert history(shipment)[-1] == ("booked", "cancelled", "staff:alice", "cancelled")
    # Budbee tells of the cancel in the webhook it pushes for the parcel.
    events = parse_tracking(webhook_events(package))
    assert [e.carrier_code for e in events] == ["PARCEL_CREATED", "DELIVERY_CANCELLED"]


def test_staff_cancel_of_a_bring_booking_is_not_supported_and_changes_nothing(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="bring-pickup-point",
        confirmed=True,
        country="NO",
        postal_code="0150",
    )
    shipment_book(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    events = history(shipment)

    # when
    with pytest.raises(ApplicationError) as refused:
        shipment_cancel(shipment=shipment, actor="staff:alice")

    # then
    assert refused.value.code == "cancel_not_supported"
    assert refused.value.message == (
        "Bring offers no cancel through its API; cancel it with the carrier."
    )
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert history(shipment) == events
    assert sandbox.bookings("bring") == {shipment.booking_reference: 1}


def test_staff_cancel_while_booking_is_refused(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given
    shipment = shipment_force(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        status="booking",
        booking_started_at=timezone.now(),
    )
    calls = sandbox.requests("postnord")

    # when
    with pytest.raises(InvalidTransition) as refused:
        shipment_cancel(shipment=shipment, actor="staff:alice")

    # then
    assert refused.value.message == (
        "The booking is in progress; cancel it once it is booked or failed."
    )
    shipment.refresh_from_db()
    assert shipment.status == "booking"
    assert history(shipment) == CREATED
    assert sandbox.requests("postnord") == calls


# --- Fixes pinned: a give-up after a lost answer, cancelling a PostNord booking -------------


def test_staff_retry_after_giving_up_on_a_lost_answer_finds_the_booking_by_reference(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: PostNord booked, but answered after our client gave up, past the give-up time
    settings.CARRIER_BOOKING_TIMEOUT = 0.5
    settings.CARRIER_CONNECT_TIMEOUT = 0.5
    settings.BOOKING_GIVE_UP_SECONDS = 600.0
    now = timezone.now()
    shipment = shipment_force(
        ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True),
        booking_since=now - dt.timedelta(seconds=601),
    )
    reference = shipment.booking_reference
    sandbox.fault("postnord", latency_ms=1500, path=POSTNORD_BOOKING_PATH)
    failed = shipment_book(shipment_id=shipment.pk, now=now)
    assert failed.outcome is Outcome.FAILED
    assert "check before retrying" in failed.detail
    assert sandbox_booking_wait(sandbox, "postnord", reference) == {reference: 1}
    sandbox.clear_faults()

    # when: staff retry it and the attempt runs
    shipment_retry(shipment=Shipment.objects.get(pk=shipment.pk), actor="staff:ops")
    outcome = shipment_book(shipment_id=shipment.pk)

    # then: the booking PostNord made is ours; nothing was sent twice
    assert outcome.outcome is Outcome.BOOKED
    assert sandbox.bookings("postnord") == {reference: 1}
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert history(shipment)[-1][3].startswith("found by reference: ")


def test_a_postnord_booking_outside_sweden_is_not_cancelled_and_staff_are_told_why(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # PostNord's booking swagger: updateIndicator Deletion is not supported for DK, NO and FI.
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    assert shipment_book(shipment_id=shipment.pk).outcome is Outcome.BOOKED
    shipment.refresh_from_db()
    Shipment.objects.filter(pk=shipment.pk).update(
        carrier_data={**shipment.carrier_data, "issuer_code": "Z13"}
    )
    shipment.refresh_from_db()
    events = history(shipment)
    calls = sandbox.requests("postnord")

    refusal = shipment_cancel_refusal(shipment=shipment)
    with pytest.raises(ApplicationError) as refused:
        shipment_cancel(shipment=shipment, actor="staff:alice")

    why = (
        "PostNord cannot cancel a booking of its NO agreement (issuer Z13) through the API; "
        "ask PostNord customer service; cancel it with the carrier."
    )
    assert refusal == why
    assert (refused.value.code, refused.value.message) == ("cancel_not_supported", why)
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert history(shipment) == events
    assert sandbox.requests("postnord") == calls


def test_staff_cancel_of_a_postnord_booking_cancels_it_with_postnord(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", confirmed=True)
    assert shipment_book(shipment_id=shipment.pk).outcome is Outcome.BOOKED
    shipment.refresh_from_db()
    assert shipment.carrier_data  # what PostNord's cancel needs back

    cancelled = shipment_cancel(shipment=shipment, actor="staff:ops", reason="customer regret")

    assert cancelled.status == "cancelled"
    assert history(cancelled)[-1] == ("booked", "cancelled", "staff:ops", "customer regret")
