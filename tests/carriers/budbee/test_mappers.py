"""Budbee mappers: requests built exactly, real and recorded answers parsed exactly, errors."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from carriers.budbee import mappers
from carriers.budbee.adapter import BudbeeAdapter
from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    AddonChoice,
    Address,
    AgreementCredentials,
    Booking,
    BookingRequest,
    CarrierMessage,
    Contact,
    Coordinates,
    Label,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    Timeslot,
    TrackingEvent,
    TrackingStatus,
)
from tests.conftest import carrier_sample

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = carrier_sample("budbee")
UTC = dt.UTC
AGREEMENT = AgreementCredentials(agreement_id=7, customer_number="1234")
PARSERS = BudbeeAdapter.parsers


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _booking_request(**changes: Any) -> BookingRequest:
    fields: dict[str, Any] = {
        "reference": "shp_0001",
        "agreement": AGREEMENT,
        "product": "home",
        "kind": ProductKind.HOME,
        "sender": Contact(name="Shop AB", phone="+46812345678", email="lager@shop.example"),
        "sender_address": Address(country="SE", postal_code="12030", city="Stockholm"),
        "recipient": Contact(name="Anna Andersson", phone="+46701234567", email="anna@example.com"),
        "recipient_address": Address(
            country="se",
            postal_code="111 51",
            city="Stockholm",
            street_address="Drottninggatan 12",
            street_address2="lgh 1102",
        ),
        "parcels": (Parcel(weight_g=1200, length_mm=300, width_mm=195, height_mm=101),),
    }
    fields.update(changes)
    return BookingRequest(**fields)


# --- (1) requests built exactly ---------------------------------------------------------


def test_home_order_request_is_built_exactly() -> None:
    # given a home delivery in the interval the shopper chose, with a door code
    timeslot = Timeslot(
        id="1795795200000-1795813200000",
        start=dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        end=dt.datetime(2026, 11, 27, 21, 0, tzinfo=UTC),
        extra={"collection_start": "1795770000000", "collection_stop": "1795780800000"},
    )
    request = _booking_request(
        timeslot=timeslot,
        addons=(AddonChoice(type="sms"), AddonChoice(type="entry-code", text=" 1234# ")),
    )

    # when
    body = mappers.booking_request(request, collection_id=1234)

    # then
    assert body == _fixture("order-request-home.json")


def test_box_order_request_names_the_product_and_the_chosen_locker() -> None:
    locker = Location(
        id="BOX0001",
        name="Budbee Kontorsbox",
        kind=LocationKind.LOCKER,
        address=Address(country="SE", postal_code="11247"),
    )
    request = _booking_request(
        product="DLVBOX",
        kind=ProductKind.LOCKER,
        location=locker,
        recipient=Contact(
            name="Erik Ek", phone="+46709876543", email="erik@example.com", company="Ek AB"
        ),
        recipient_address=Address(
            country="SE", postal_code="11247", city="Stockholm", street_address="Alströmergatan 39"
        ),
    )

    body = mappers.booking_request(request, collection_id=99)

    assert body == _fixture("order-request-box.json")


def test_home_order_without_a_chosen_interval_lets_budbee_pick() -> None:
    body = mappers.booking_request(_booking_request(), collection_id=1)

    assert "interval" not in body
    assert "productCodes" not in body


def test_parcels_request_is_in_centimetres_and_grams() -> None:
    request = _booking_request(
        parcels=(
            Parcel(weight_g=1200, length_mm=300, width_mm=195, height_mm=101),
            Parcel(weight_g=350),
        )
    )

    assert mappers.parcels_request(request) == _fixture("parcels-request.json")


def test_checkout_requests_are_the_documented_paths() -> None:
    # budbee-php PostalcodesApi / IntervalApi, budbee-js lockersInRegion, Setono BoxesEndpoint
    assert mappers.availability_request(country="SE", postal_code="11151") == (
        "/postalcodes/validate/SE/11151",
        None,
    )
    assert mappers.timeslots_request(country="NL", postal_code="1011AB", count=5) == (
        "/intervals/NL/1011AB/5",
        None,
    )
    assert mappers.service_points_request(
        country="SE", postal_code="11247", collection_point_id="1234"
    ) == ("/boxes/postalcodes/validate/SE/11247", {"collectionPointId": "1234"})
    assert mappers.service_points_request(country="SE", postal_code="11247").params is None
    assert mappers.postal_code_normalise(" 1011 ab ") == "1011AB"


def test_order_requests_are_the_documented_paths() -> None:
    # budbee-php OrderApi (getOrders keyword, removeOrder), budbee-js addParcels, orderTracker
    assert mappers.find_booking_request("shp 1") == ("/multiple/orders", {"keyword": "shp 1"})
    assert mappers.order_parcels_path("4000017") == ("/multiple/orders/4000017/parcels", None)
    assert mappers.cancel_request("40/17") == ("/multiple/orders/40%2F17", None)
    assert mappers.tracking_url_request("4000017") == (
        "/multiple/orders/4000017/tracking-url",
        None,
    )


# --- (2) real responses parsed exactly ---------------------------------------------------


def test_box_lockers_sample_parses_exactly() -> None:
    (locker,) = PARSERS["service_points"](
        _sample("boxes-postalcodes-validate-response__setono-budbee-php-sdk.json")
    )

    assert locker == Location(
        id="BOX0001",
        name="Budbee Kontorsbox",
        kind=LocationKind.LOCKER,
        address=Address(
            country="SE", postal_code="11247", city="Stockholm", street_address="Alströmergatan 39"
        ),
        coordinates=Coordinates(lat=59.336125, lng=18.02859),
        opening_hours=(
            OpeningHours(0, dt.time(8), dt.time(19)),
            OpeningHours(1, dt.time(8), dt.time(19)),
            OpeningHours(2, dt.time(8), dt.time(19)),
            OpeningHours(3, dt.time(8), dt.time(19)),
            OpeningHours(4, dt.time(0), dt.time(23, 59)),  # "close": null = open all day
            OpeningHours(5, dt.time(10), dt.time(15)),
        ),
        distance_m=50,
    )
    assert locker.extra == {
        "estimated_delivery": "2020-02-12T14:00:00Z",
        "cutoff": "2020-02-12T09:00:00Z",
        "label": "Budbee Kontorsbox (imorgon 16:00)",
        "directions": "Boxen är direkt till vänster i entrén",
    }


def test_single_box_sample_parses_and_a_zero_length_day_is_closed() -> None:
    (locker,) = PARSERS["service_points"](
        _sample("boxes-by-id-response__setono-budbee-php-sdk.json")
    )

    assert (locker.id, locker.name, locker.distance_m) == ("BOX0012", "Budbee CPH Office", None)
    assert locker.address == Address(
        country="DK", postal_code="2900", city="Hellerup", street_address="Ehlersvej 11"
    )
    assert locker.coordinates == Coordinates(lat=55.72806157181675, lng=12.57328965570486)
    # Monday to Saturday 11-21; Sunday "00:00"-"00:00" ("Sun: 00 - 00") is no opening.
    assert locker.opening_hours == tuple(
        OpeningHours(day, dt.time(11), dt.time(21)) for day in range(6)
    )
    assert locker.extra == {
        "directions": "The Budbee Box is found inside the building behind the reception on "
        "the first floor."
    }


def test_collection_points_answer_parses() -> None:
    points = PARSERS["availability"]((FIXTURES / "postalcodes-validate-response.json").read_bytes())

    assert points == (
        mappers.CollectionPoint(
            id="1234",
            name="Lager Årsta",
            address=Address(
                country="SE", postal_code="12030", city="Stockholm", street_address="Lagervägen 1"
            ),
        ),
    )


def test_the_single_warehouse_object_of_budbee_js_is_read_too() -> None:
    points = PARSERS["availability"](
        (FIXTURES / "postalcodes-validate-response-warehouse.json").read_bytes()
    )

    assert points == (
        mappers.CollectionPoint(
            id="1234",
            name="Lager Årsta",
            address=Address(
                country="SE", postal_code="12030", city="Stockholm", street_address="Lagervägen 1"
            ),
        ),
    )


def test_parcels_answer_gives_one_label_url_per_parcel() -> None:
    body = (FIXTURES / "parcels-response.json").read_bytes()

    labels = PARSERS["label"](body)

    assert labels == (
        Label(url=_fixture("parcels-response.json")[0]["label"]),
        Label(url=_fixture("parcels-response.json")[1]["label"]),
    )
    assert labels[0].url.startswith("https://api.budbee.com/labels/400001701.pdf?X-Budbee-")
    assert mappers.parse_parcels(_fixture("parcels-response.json"))[1] == mappers.OrderParcel(
        id="400001702",
        shipment_id="shp_0001",
        package_id="373500001234567891",
        label_url=_fixture("parcels-response.json")[1]["label"],
    )
    # an order's labels are its parcels'
    assert len(PARSERS["label"]((FIXTURES / "order-response.json").read_bytes())) == 2


def test_tracking_url_answer_parses() -> None:
    assert mappers.parse_tracking_url(_fixture("tracking-url-response.json")) == (
        "https://tracking.budbee.com/shipment/a75dd44k"
    )


def test_single_collection_point_object_is_read_too() -> None:
    points = mappers.parse_availability({"id": 7, "name": "Lager", "address": None})

    assert points == (mappers.CollectionPoint(id="7", name="Lager", address=Address()),)


def test_intervals_parse_into_timeslots_earliest_first() -> None:
    slots = PARSERS["timeslots"]((FIXTURES / "intervals-response.json").read_bytes())

    assert slots == (
        Timeslot(
            id="1795795200000-1795813200000",
            start=dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
            end=dt.datetime(2026, 11, 27, 21, 0, tzinfo=UTC),
            cutoff=dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        ),
        Timeslot(
            id="1796054400000-1796072400000",
            start=dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
            end=dt.datetime(2026, 11, 30, 21, 0, tzinfo=UTC),
            cutoff=dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        ),
    )
    assert slots[0].extra == {
        "collection_start": "1795770000000",
        "collection_stop": "1795780800000",
        "collection_point_ids": "1234,5678",
        "fossil_free": "false",
    }


def test_a_parsed_interval_goes_back_into_the_order_unchanged() -> None:
    (first, _) = mappers.parse_timeslots(_fixture("intervals-response.json"))

    assert mappers.interval_from_timeslot(first) == {
        "delivery": {"start": 1795795200000, "stop": 1795813200000},
        "collection": {"start": 1795770000000, "stop": 1795780800000},
    }


def test_order_answer_parses_into_a_booking() -> None:
    booking = PARSERS["booking"]((FIXTURES / "order-response.json").read_bytes())

    assert booking == Booking(
        carrier_shipment_id="4000017",
        tracking_numbers=("373500001234567890", "373500001234567891"),
        labels=(
            Label(url="https://api.budbee.com/labels/400001701.pdf?X-Budbee-Signature=abc"),
            Label(url="https://api.budbee.com/labels/400001702.pdf?X-Budbee-Signature=def"),
        ),
    )
    assert booking.extra == {"token": "a75dd44k", "product": "home"}


def test_order_search_finds_the_exact_cart_id_with_parcels_only() -> None:
    # given Budbee's fuzzy keyword search: a similar cart id, one without parcels, the order
    similar, without_parcels, order = _fixture("orders-search-response.json")

    found = mappers.parse_find_booking([similar, without_parcels, order], "shp_0001")

    assert found is not None
    assert found.carrier_shipment_id == "4000017"
    assert found.tracking_numbers == ("373500001234567890", "373500001234567891")
    # an order without parcels is no booking, and no match is None (not an error)
    assert mappers.parse_find_booking([similar, without_parcels], "shp_0001") is None
    assert mappers.parse_find_booking([], "shp_0001") is None


def test_the_documented_v2_webhook_body_parses() -> None:
    events = PARSERS["tracking"]((FIXTURES / "webhook-v2-delivered-to-consumer.json").read_bytes())

    assert events == [
        TrackingEvent(
            at=dt.datetime(2025, 6, 1, 16, 10, tzinfo=UTC),
            status=TrackingStatus.DELIVERED,
            carrier_code="DELIVERED_TO_CONSUMER",
            description="Successfully delivered to consumer",
        )
    ]


#: The older webhook body as docs.skrym.com quotes it (Budbee tracking page): no time in the
#: body, which Budbee sends in the ``Timestamp`` header.
SKRYM_CHANGED_TO_LOCKER = {
    "event": "CHANGED_TO_LOCKER_DELIVERY",
    "eventData": {
        "tmsId": "ABCD",
        "cartId": "1234",
        "budbeeOrderToken": "a75dd44k",
        "shipmentId": "0000A5464644",
        "packageId": "3573847654593475837465345",
        "reason": "Not home during expected delivery",
        "responsible": "CONSUMER",
        "street": "longstreet 321",
        "postalCode": "123 45",
        "city": "capital of nowhere",
        "lockerName": "The convenient locker",
    },
}


def test_an_older_webhook_body_takes_its_time_from_the_header() -> None:
    events = mappers.parse_tracking(SKRYM_CHANGED_TO_LOCKER, timestamp="2024-09-12T08:30:00Z")

    assert events == [
        TrackingEvent(
            at=dt.datetime(2024, 9, 12, 8, 30, tzinfo=UTC),
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="CHANGED_TO_LOCKER_DELIVERY",
            description="Delivery type changed to locker",
            location="The convenient locker",
        )
    ]
    with pytest.raises(CarrierResponseInvalid, match="event timestamp"):
        mappers.parse_tracking(SKRYM_CHANGED_TO_LOCKER)


def test_webhook_bodies_in_a_list_parse_oldest_first() -> None:
    later = {"eventType": "SORTED_AT_TERMINAL", "timestamp": "2026-11-27T13:00:00Z"}
    earlier = {"eventType": "PARCEL_CREATED", "timestamp": "2026-11-26T14:02:11+00:00"}

    events = mappers.parse_tracking([later, earlier])

    assert [(e.carrier_code, e.status) for e in events] == [
        ("PARCEL_CREATED", TrackingStatus.PENDING),
        ("SORTED_AT_TERMINAL", TrackingStatus.IN_TRANSIT),
    ]


def test_an_unknown_event_is_unknown_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        (event,) = mappers.parse_tracking(
            [{"eventType": "PARCEL_TELEPORTED", "timestamp": "2026-11-27T12:00:00Z"}]
        )

    assert (event.status, event.carrier_code, event.description) == (
        TrackingStatus.UNKNOWN,
        "PARCEL_TELEPORTED",
        "PARCEL_TELEPORTED",
    )
    assert "PARCEL_TELEPORTED" in caplog.text


def test_a_period_past_midnight_is_split_over_two_days() -> None:
    hours = mappers.parse_opening_hours(
        {
            "periods": [
                {
                    "open": {"day": "SUNDAY", "time": "22:00"},
                    "close": {"day": "MONDAY", "time": "02:00"},
                }
            ]
        }
    )

    assert hours == (
        OpeningHours(0, dt.time(0), dt.time(2)),
        OpeningHours(6, dt.time(22), dt.time(23, 59)),
    )


# --- (3) errors parsed ------------------------------------------------------------------


def test_error_sample_keeps_budbees_text_verbatim() -> None:
    body = _sample("multiple-orders-create-response-error-400__budbee-magento-readme.json")

    messages = mappers.parse_error(
        HttpResponse(status=400, headers={}, body=body, duration_ms=1, carrier="budbee")
    )

    assert messages == (
        CarrierMessage(
            code="400", text="Can not deserialize instance of long out of START_ARRAY token"
        ),
    )
    assert PARSERS["error"](body) == (
        CarrierMessage(
            code="", text="Can not deserialize instance of long out of START_ARRAY token"
        ),
    )


def test_plain_text_and_validation_errors_are_kept() -> None:
    assert mappers.parse_error_body(b"Unauthorized", 401) == (
        CarrierMessage(code="401", text="Unauthorized"),
    )
    assert mappers.parse_error_body(
        b'{"message": "Validation failed", "errors": [{"field": "delivery.email", "message": "may not be empty"}]}',
        422,
    ) == (
        CarrierMessage(code="422", text="Validation failed"),
        CarrierMessage(code="delivery.email", text="may not be empty"),
    )
    assert mappers.parse_error_body(b"", 404) == ()


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("service_points", b'{"lockers": {"id": "BOX1"}}'),
        ("service_points", b'{"lockers": [{"id": "BOX1", "address": "Storgatan 1"}]}'),
        ("service_points", b'{"lockers": [{"id": "BOX1", "address": {}, "distance": "near"}]}'),
        ("timeslots", b'{"intervals": []}'),
        ("timeslots", b'[{"delivery": {"start": "tomorrow", "stop": 1}, "collection": {}}]'),
        ("availability", b'[{"name": "no id"}]'),
        ("booking", b'{"parcels": []}'),
        ("booking", b'{"id": "1", "parcels": {"id": 1}}'),
        ("tracking", b'[{"eventType": "PARCEL_CREATED", "timestamp": 1795700000000}]'),
        ("tracking", b"[1, 2]"),
        ("booking", b"<html>Bad gateway</html>"),
    ],
)
def test_a_body_of_the_wrong_shape_is_invalid_not_a_crash(operation: str, body: bytes) -> None:
    with pytest.raises(CarrierResponseInvalid):
        PARSERS[operation](body)
