"""Bring's adapter against what Bring publishes: its examples in fixtures/ (SOURCES.md) and the
shared samples, parsed exactly, and every one of them through ``manage.py carrier_parse``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from carriers.bring import BringAdapter, mappers
from carriers.bring.declaration import DECLARATION
from carriers.declaration import Operation
from carriers.exceptions import CarrierRejected, CarrierResponseInvalid, CarrierUnavailable
from carriers.types import (
    AddonChoice,
    Booking,
    CarrierMessage,
    Label,
    ProductKind,
    TrackingEvent,
    TrackingStatus,
)

from .conftest import EVENING, FIXTURES, NOW, SAMPLES, agreement, booking_request, fixture
from .test_samples import SAMPLE_OPERATIONS, key_paths

CEST = dt.timezone(dt.timedelta(hours=2))

#: Our fixtures and the operation ``carrier_parse`` reads each with ("request": a request body
#: Bring publishes or we build, compared field by field instead).
FIXTURE_OPERATIONS = {
    "booking-request-home-delivery__bring-checkout-guide.json": "request",
    "booking-request-home-timeslot.json": "request",
    "booking-request-mailbox-parcel__bring-devsite.json": "request",
    "booking-request-pickup-point.json": "request",
    "booking-response-home-delivery__bring-checkout-guide.json": "booking",
    "shippingguide-request-checkout.json": "request",
    "tracking-delivered__bring-devsite.json": "tracking",
    "tracking-not-found__bring-devsite.json": "error",
    "tracking-service-unavailable__bring-devsite.json": "error",
    "tracking-technical-error__bring-devsite.json": "error",
    "tracking-waiting-at-pup__bring-devsite.json": "tracking",
}


def carrier_parse(operation: str, path: Path) -> Any:
    out = io.StringIO()
    call_command("carrier_parse", "bring", operation, str(path), stdout=out)
    return json.loads(out.getvalue())


def test_every_fixture_is_listed_with_its_source() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")

    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(FIXTURE_OPERATIONS)
    for name in FIXTURE_OPERATIONS:
        assert f"`{name}`" in sources, name


@pytest.mark.parametrize(
    ("name", "operation"),
    [(n, o) for n, o in {**SAMPLE_OPERATIONS, **FIXTURE_OPERATIONS}.items() if o != "request"],
)
def test_carrier_parse_reads_every_sample_and_fixture(name: str, operation: str) -> None:
    path = SAMPLES / name if name in SAMPLE_OPERATIONS else FIXTURES / name
    if operation in ("xml-variant", "not-a-booking"):
        # XML twins of JSON samples (the adapter speaks JSON) and a pickup order (no booking)
        # are refused with the reason, never half-read.
        with pytest.raises(Exception, match="cannot parse"):
            carrier_parse("booking" if operation == "not-a-booking" else "availability", path)
        return

    parsed = carrier_parse(operation, path)

    assert parsed, name


# --- booking: Bring's home-delivery example -------------------------------------------------


def test_a_home_timeslot_books_as_brings_home_delivery_example() -> None:
    example = fixture("booking-request-home-delivery__bring-checkout-guide.json")["consignments"][0]
    request = booking_request(
        agreement(),
        product="5600",
        kind=ProductKind.HOME,
        location=None,
        timeslot=EVENING,
        addons=(AddonChoice("leave-at-door"),),
    )

    ours = mappers.booking_request(request=request, now=NOW)["consignments"][0]

    # Same field, same place, same format: a local date-time with its offset.
    assert "customerSpecifiedDeliveryDateTime" in example
    assert "customerSpecifiedDelivery" not in example
    assert ours["customerSpecifiedDeliveryDateTime"] == "2026-12-01T15:00:00+01:00"
    assert dt.datetime.fromisoformat(example["customerSpecifiedDeliveryDateTime"]).tzinfo
    assert "customerSpecifiedDelivery" not in ours
    # The example books 5600 with SIMPLE_DELIVERY, the name of 0041 ("Unattended delivery").
    assert example["product"]["id"] == "5600"
    assert example["product"]["additionalServices"] == [{"id": "SIMPLE_DELIVERY"}]
    assert ours["product"]["additionalServices"] == [{"id": "0041"}]
    assert dt.datetime.fromisoformat(ours["shippingDateTime"]).tzinfo
    shared = {"shippingDateTime", "parties", "product", "packages", "correlationId"}
    assert shared <= set(ours)
    assert key_paths(ours["packages"]) <= key_paths(example["packages"])


def test_a_chosen_time_on_a_product_that_takes_none_is_not_sent() -> None:
    request = booking_request(agreement(), timeslot=EVENING)

    ours = mappers.booking_request(request=request, now=NOW)["consignments"][0]

    assert "customerSpecifiedDeliveryDateTime" not in ours


@pytest.mark.parametrize(
    ("product", "addon", "services"),
    [
        ("5600", "sms", [{"id": "EVARSLING", "email": "kari@example.no", "mobile": "+4791234567"}]),
        ("5800", "sms", None),
        ("3584", "sms", None),
        ("5600", "leave-at-door", [{"id": "0041"}]),
        ("3584", "leave-at-door", [{"id": "1081"}]),
        ("3570", "leave-at-door", [{"id": "1081"}]),
        ("5800", "leave-at-door", None),
        ("5600", "signature", [{"id": "1280"}]),
        ("3584", "signature", [{"id": "1280"}]),
        ("5800", "signature", None),
        ("5600", "carry-in", None),
    ],
)
def test_add_ons_become_the_services_bring_lists_for_the_product(
    product: str, addon: str, services: list[dict[str, str]] | None
) -> None:
    request = dataclasses.replace(
        booking_request(agreement(), product=product, location=None),
        addons=(AddonChoice(addon),),
    )

    sent = mappers.booking_request(request=request, now=NOW)["consignments"][0]["product"]

    assert sent.get("additionalServices") == services


def test_brings_mailbox_example_sends_1081_as_we_do() -> None:
    example = fixture("booking-request-mailbox-parcel__bring-devsite.json")["consignments"][0]

    assert example["product"]["id"] == "3584"
    assert example["product"]["additionalServices"] == [{"id": "1081"}]


def test_home_delivery_booking_answer_parses_exactly() -> None:
    booking = BringAdapter.parsers["booking"](
        (FIXTURES / "booking-response-home-delivery__bring-checkout-guide.json").read_bytes()
    )

    assert booking == Booking(
        carrier_shipment_id="70438103433585051",
        tracking_numbers=("370438103696484710",),
        tracking_url="http://sporing.bring.no/sporing.html?q=70438103433585051",
        labels=(
            Label(
                url="https://www.mybring.com/booking/labels/1234567"
                "?auth-token=5cf1dcee-4f01-4c9a-9870-12345678950b"
            ),
        ),
    )
    assert booking.extra == {
        "correlation_id": "INTERNAL-123456",
        "expected_delivery": "2021-06-10T00:00:00+02:00",
        "return_consignment_number": "70438103433585068",
    }


def test_a_label_body_is_a_pdf_or_invalid() -> None:
    assert BringAdapter.parsers["label"](b"%PDF-1.4\n...") == Label(content=b"%PDF-1.4\n...")
    with pytest.raises(CarrierResponseInvalid):
        BringAdapter.parsers["label"](b"<html>expired</html>")


# --- tracking: Bring's examples -------------------------------------------------------------


def test_delivered_example_tracks_exactly_oldest_first() -> None:
    events = BringAdapter.parsers["tracking"](
        (FIXTURES / "tracking-delivered__bring-devsite.json").read_bytes()
    )

    assert events == [
        TrackingEvent(
            at=dt.datetime(2010, 9, 30, 8, 27, 8, tzinfo=CEST),
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="IN_TRANSIT",
            description="The shipment has been handed in at terminal and forwarded.",
            location="0024 OSLO, NO",
        ),
        TrackingEvent(
            at=dt.datetime(2010, 9, 30, 16, 48, 57, tzinfo=CEST),
            status=TrackingStatus.OUT_FOR_DELIVERY,
            carrier_code="TRANSPORT_TO_RECIPIENT",
            description="The shipment has been loaded for delivery.",
            location="0001 OSLO, NO",
        ),
        TrackingEvent(
            at=dt.datetime(2010, 9, 30, 17, 45, 25, tzinfo=CEST),
            status=TrackingStatus.DELIVERED,
            carrier_code="DELIVERED",
            description="The shipment has been delivered.",
        ),
    ]


def test_waiting_at_pickup_point_example_is_ready_for_pickup() -> None:
    data = fixture("tracking-waiting-at-pup__bring-devsite.json")

    events = mappers.parse_tracking(data)

    assert [(e.at, e.status, e.location) for e in events] == [
        (
            dt.datetime(2010, 9, 30, 8, 27, 8, tzinfo=CEST),
            TrackingStatus.IN_TRANSIT,
            "0024 OSLO, NO",
        ),
        (
            dt.datetime(2010, 10, 1, 8, 30, 25, tzinfo=CEST),
            TrackingStatus.READY_FOR_PICKUP,
            "2341 LØTEN, NO",
        ),
    ]
    assert mappers.parse_find_booking(data) == Booking(
        carrier_shipment_id="SHIPMENTNUMBER",
        tracking_numbers=("TESTPACKAGEATPICKUPPOINT",),
        tracking_url="https://sporing.bring.no/sporing.html?q=SHIPMENTNUMBER",
    )


def test_no_shipments_found_is_told_apart_from_bring_being_unavailable() -> None:
    not_found = fixture("tracking-not-found__bring-devsite.json")
    too_busy = fixture("tracking-service-unavailable__bring-devsite.json")
    broken = fixture("tracking-technical-error__bring-devsite.json")

    # Looking a booking up: "not found" is an answer, Bring's 5xx errors are not.
    assert mappers.parse_find_booking(not_found, reference="shp_1") is None
    with pytest.raises(CarrierUnavailable) as busy:
        mappers.parse_find_booking(too_busy, reference="shp_1")
    assert busy.value.messages == (
        CarrierMessage(
            "503", "Server too busy/ Temporarily blocked due to too many invalid requests"
        ),
    )
    with pytest.raises(CarrierUnavailable) as error:
        mappers.parse_tracking(broken)
    assert error.value.messages == (
        CarrierMessage("500", "Error getting track & trace information"),
    )
    assert not isinstance(error.value, CarrierResponseInvalid)
    # Tracking a number Bring does not know is a refusal, with Bring's text.
    with pytest.raises(CarrierRejected) as rejected:
        mappers.parse_tracking(not_found)
    assert rejected.value.messages == (CarrierMessage("404", "No shipments found"),)


def test_tracking_error_bodies_keep_brings_text() -> None:
    assert carrier_parse(
        "error", FIXTURES / "tracking-service-unavailable__bring-devsite.json"
    ) == [
        {
            "code": "503",
            "text": "Server too busy/ Temporarily blocked due to too many invalid requests",
        }
    ]
    assert mappers.parse_error_body(b"<html>Bad gateway</html>", 502) == ()


# --- the declaration ------------------------------------------------------------------------


def test_operations_bring_does_not_offer_are_refused(settings: Any) -> None:
    from carriers.exceptions import OperationNotSupported
    from carriers.types import Booking as Booked

    bring = BringAdapter()

    assert not DECLARATION.supports(Operation.CANCEL)
    assert not DECLARATION.supports(Operation.LABEL_REPRINT)
    with pytest.raises(OperationNotSupported):
        bring.cancel(agreement=agreement(), booking=Booked("1", ()))
    assert not hasattr(bring, "reprint_labels")
