"""Every Bring sample in ../shared/carrier-samples/bring goes through the adapter's parsers.

Responses are parsed by ``BringAdapter.parsers``; requests are checked against the request
builders (every field we send is one Bring's own example or ../shared/docs/carriers.md names);
the XML serialisations are read as XML and must carry the JSON twin's values (the adapter
speaks JSON).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.management import call_command

from carriers.bring import BringAdapter, mappers
from carriers.exceptions import CarrierRejected, CarrierResponseInvalid
from carriers.types import Address, Booking, CarrierMessage, Location, ProductKind, Quote

from .conftest import (
    EVENING,
    HOME,
    NOW,
    PICKUP_POINT,
    SAMPLES,
    agreement,
    booking_request,
    quote_request,
)

SAMPLE_OPERATIONS: dict[str, str] = {
    "booking-error-code-catalogue__bring-devsite.json": "error",
    "booking-pickuporder-response__bring-devsite.json": "not-a-booking",
    "booking-request-basic__bring-devsite.json": "request",
    "booking-request-select-pickup-point-NO__bring-devsite.json": "request",
    "booking-response-success-pickup-parcel__bring-devsite-checkout-guide.json": "booking",
    "booking-response-success__bring-devsite.json": "booking",
    "booking-response-success__bring-devsite.xml": "xml-variant",
    "pickuppoint-by-id-response__bring-devsite.json": "service_points",
    "pickuppoint-by-location-response__bring-devsite.json": "service_points",
    "pickuppoint-by-postalcode-response__bring-devsite.json": "service_points",
    "pickuppoint-by-postalcode-response__bring-devsite.xml": "xml-variant",
    "pickuppoint-default-by-postalcode-response__bring-devsite.json": "service_points",
    "shippingguide-v2-products-request-eta__bring-devsite.json": "request",
    "shippingguide-v2-products-response-gui-price__bring-devsite-doc.json": "availability",
    "shippingguide-v2-products-response-price-eta__bring-devsite.json": "availability",
    "shippingguide-v2-products-response-timeslots-alternative-dates__bring-devsite-checkout-guide.json": "timeslots",
    "shippingguide-v2-soap-response-estimated-delivery-times__bring-devsite.xml": "xml-variant",
    "tracking-response-error-400__bring-devsite.json": "error",
}

# Request fields ../shared/docs/carriers.md §2.2/§2.4 documents that Bring's two example
# requests leave out.
DOCUMENTED_SHIPPING_GUIDE_FIELDS = {
    "language",
    "numberOfAlternativeDeliveryDates",
    "withUniqueAlternateDeliveryDates",
    "postingAtPostOffice",
    "consignments[].addressLine",
}
# Booking fields no example above shows (none: 5600's chosen day is the basic example's
# customerSpecifiedDeliveryDateTime).
DOCUMENTED_BOOKING_FIELDS: set[str] = set()


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every key, list items as ``[]``: the shape of a JSON document."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, prefix + "[]")
    return paths


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def test_the_operation_table_covers_the_sample_folder() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(SAMPLE_OPERATIONS)


def test_every_bring_sample_parses() -> None:
    parsers = BringAdapter.parsers
    for name, operation in SAMPLE_OPERATIONS.items():
        body = (SAMPLES / name).read_bytes()
        if operation == "request":
            assert isinstance(json.loads(body)["consignments"], list), name
        elif operation == "xml-variant":
            assert len(ET.fromstring(body)) > 0, name  # a document with elements
        elif operation == "not-a-booking":  # a pickup order (a driver fetching parcels)
            with pytest.raises(CarrierResponseInvalid):
                parsers["booking"](body)
        else:
            parsed = parsers[operation](body)
            assert parsed, name
            if operation == "service_points":
                assert all(isinstance(p, Location) for p in parsed), name
            elif operation in ("availability", "timeslots"):
                assert all(isinstance(q, Quote) and q.available for q in parsed), name
            elif operation == "booking":
                assert isinstance(parsed, Booking) and parsed.tracking_numbers, name
            elif operation == "error":
                assert all(isinstance(m, CarrierMessage) and m.text for m in parsed), name


def test_our_booking_fields_are_those_of_brings_booking_examples() -> None:
    basic = load("booking-request-basic__bring-devsite.json")
    pickup = load("booking-request-select-pickup-point-NO__bring-devsite.json")
    known = key_paths(basic) | key_paths(pickup) | DOCUMENTED_BOOKING_FIELDS
    home = dataclasses.replace(
        booking_request(
            agreement(),
            product="5600",
            kind=ProductKind.HOME,
            location=None,
            timeslot=EVENING,
        ),
        addons=(),
    )

    ours = key_paths(mappers.booking_request(request=home, now=NOW)) | key_paths(
        mappers.booking_request(request=booking_request(agreement()), now=NOW)
    )

    assert ours <= known, sorted(ours - known)
    assert basic["schemaVersion"] == 1 and basic["testIndicator"] is True
    assert pickup["consignments"][0]["parties"]["pickupPoint"] == {
        "id": "736431",
        "countryCode": "NO",
    }


def test_our_shipping_guide_fields_are_those_of_brings_example() -> None:
    example = load("shippingguide-v2-products-request-eta__bring-devsite.json")
    known = key_paths(example) | DOCUMENTED_SHIPPING_GUIDE_FIELDS
    request = quote_request(agreement(), PICKUP_POINT, HOME)

    ours = key_paths(
        mappers.availability_request(
            request=request,
            products=["5800", "5600"],
            origin=Address(country="NO", postal_code="0150"),
            shipping_at=dt.datetime(2026, 11, 26, 16, 0, tzinfo=dt.UTC),
            alternative_dates=5,
        )
    )

    assert ours <= known, sorted(ours - known)
    # Bring writes the shipping date as zero-padded strings; so do we.
    assert example["consignments"][0]["shippingDate"]["month"] == "01"


def _xml_text(element: ET.Element, path: str, namespaces: dict[str, str]) -> str:
    found = element.find(path, namespaces)
    assert found is not None, path
    return found.text or ""


def test_pickup_point_xml_variant_carries_the_json_twins_values() -> None:
    root = ET.parse(SAMPLES / "pickuppoint-by-postalcode-response__bring-devsite.xml").getroot()
    twin = BringAdapter.parsers["service_points"](
        (SAMPLES / "pickuppoint-by-postalcode-response__bring-devsite.json").read_bytes()
    )

    points = root.findall("pickupPoint")

    assert [
        (
            _xml_text(p, "id", {}),
            _xml_text(p, "name", {}),
            float(_xml_text(p, "latitude", {})),
            float(_xml_text(p, "longitude", {})),
            round(float(_xml_text(p, "distanceInKm", {})) * 1000),
            _xml_text(p, "visitingAddress", {}),
        )
        for p in points
    ] == [
        (
            t.id,
            t.name,
            t.coordinates.lat if t.coordinates else None,
            t.coordinates.lng if t.coordinates else None,
            t.distance_m,
            t.address.street_address,
        )
        for t in twin
    ]


def test_booking_xml_variant_carries_the_json_twins_values() -> None:
    ns = {"b": "http://www.bring.no/booking/"}
    root = ET.parse(SAMPLES / "booking-response-success__bring-devsite.xml").getroot()
    twin = BringAdapter.parsers["booking"](
        (SAMPLES / "booking-response-success__bring-devsite.json").read_bytes()
    )

    consignment = root.find("b:consignments/b:consignment", ns)

    assert consignment is not None
    assert consignment.get("correlationId") == twin.extra["correlation_id"]
    assert (
        _xml_text(consignment, "b:confirmation/b:consignmentNumber", ns) == twin.carrier_shipment_id
    )
    assert [
        _xml_text(p, "b:packageNumber", ns)
        for p in consignment.findall("b:confirmation/b:packages/b:package", ns)
    ] == list(twin.tracking_numbers)
    assert _xml_text(consignment, "b:confirmation/b:links/b:labels", ns) == twin.labels[0].url
    assert _xml_text(consignment, "b:confirmation/b:links/b:tracking", ns) == twin.tracking_url


def test_shipping_guide_soap_variant_carries_the_values_the_json_api_names() -> None:
    ns = {"sg": "http://www.bring.no/logistics/shippingguide/2.0"}
    root = ET.parse(
        SAMPLES / "shippingguide-v2-soap-response-estimated-delivery-times__bring-devsite.xml"
    ).getroot()

    product = root.find(".//sg:Product", ns)

    assert product is not None
    assert _xml_text(product, "sg:Id", ns) == "SERVICEPAKKE"
    assert _xml_text(product, "sg:ProductionCode", ns) == "1202"
    net = product.find("sg:Price/sg:NetPrice", ns)
    assert net is not None and net.get("currencyCode") == "NOK"
    amount = _xml_text(net, "sg:PriceWithAdditionalServices/sg:AmountWithVAT", ns)
    assert mappers.minor_units(amount, "NOK") == 28086
    assert _xml_text(product, "sg:ExpectedDelivery/sg:WorkingDays", ns) == "1"
    window = product.find("sg:EstimatedDeliveryTimes/sg:EstimatedDeliveryTime", ns)
    assert window is not None
    assert (
        _xml_text(window, "sg:PickupPointId", ns),
        _xml_text(window, "sg:DeliveryStartTime", ns),
        _xml_text(window, "sg:DeliveryEndTime", ns),
    ) == ("124518", "10:00", "13:00")


def test_tracking_error_sample_through_the_tracking_parser_is_a_rejection() -> None:
    with pytest.raises(CarrierRejected) as raised:
        BringAdapter.parsers["tracking"](
            (SAMPLES / "tracking-response-error-400__bring-devsite.json").read_bytes()
        )

    assert raised.value.messages == (CarrierMessage("400", "Invalid query"),)


def test_carrier_parse_prints_a_saved_bring_answer(settings: Any) -> None:
    settings.CARRIER_ADAPTERS = ["carriers.bring.BringAdapter"]
    out = io.StringIO()

    call_command(
        "carrier_parse",
        "bring",
        "service_points",
        str(SAMPLES / "pickuppoint-by-id-response__bring-devsite.json"),
        stdout=out,
    )

    (point,) = json.loads(out.getvalue())
    assert (point["id"], point["kind"], point["extra"]) == (
        "121110",
        "service_point",
        {"type": "4", "country": "NO"},
    )
    assert point["opening_hours"][0] == {"weekday": 0, "opens": "07:00:00", "closes": "22:00:00"}
