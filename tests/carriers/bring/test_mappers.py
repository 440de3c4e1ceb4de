"""Bring mappers: requests built exactly, Bring's own examples parsed exactly, errors verbatim."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

import pytest

from carriers.bring import mappers, units
from carriers.exceptions import CarrierRejected, CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    AddonChoice,
    Address,
    CarrierMessage,
    Coordinates,
    DeliveryEstimate,
    Label,
    LocationKind,
    Money,
    OpeningHours,
    Parcel,
    ProductKind,
    Quote,
    Timeslot,
    TrackingEvent,
    TrackingStatus,
)

from .conftest import (
    EVENING,
    HOME,
    LOCKER,
    MAILBOX,
    NOW,
    PICKUP_POINT,
    SAMPLES,
    agreement,
    booking_request,
    fixture,
    quote_request,
    sample,
)

OSLO = ZoneInfo("Europe/Oslo")


def hours(*spans: tuple[range, str, str]) -> tuple[OpeningHours, ...]:
    return tuple(
        OpeningHours(day, dt.time.fromisoformat(opens), dt.time.fromisoformat(closes))
        for days, opens, closes in spans
        for day in days
    )


# --- requests -------------------------------------------------------------------------------


def test_shipping_guide_request_is_built_exactly() -> None:
    request = quote_request(agreement(), PICKUP_POINT, LOCKER, HOME, MAILBOX)

    body = mappers.availability_request(
        request=request,
        products=["5800", "5600", "3584"],
        origin=Address(country="NO", postal_code="0150"),
        shipping_at=mappers.shipping_hour(request.now, OSLO),
        alternative_dates=5,
    )

    assert body == fixture("shippingguide-request-checkout.json")


def test_shipping_hour_rounds_up_to_the_next_full_hour_in_local_time() -> None:
    assert mappers.shipping_hour(NOW, OSLO) == dt.datetime(2026, 11, 26, 16, 0, tzinfo=OSLO)
    on_the_hour = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
    assert mappers.shipping_hour(on_the_hour, OSLO) == dt.datetime(2026, 11, 26, 16, 0, tzinfo=OSLO)


def test_shipping_guide_request_without_customer_number_or_street_or_dimensions() -> None:
    request = dataclasses.replace(
        quote_request(
            dataclasses.replace(agreement(), customer_number=""), MAILBOX, street_address=""
        ),
        parcels=(Parcel(weight_g=400),),
    )

    body = mappers.availability_request(
        request=request,
        products=["3584"],
        origin=Address(country="NO", postal_code="0150"),
        shipping_at=dt.datetime(2026, 11, 26, 16, 0, tzinfo=OSLO),
        alternative_dates=0,
    )

    consignment = body["consignments"][0]
    assert consignment["products"] == [{"id": "3584"}]
    assert consignment["packages"] == [{"id": 1, "grossWeight": 400}]
    assert "addressLine" not in consignment
    assert body["numberOfAlternativeDeliveryDates"] == 0
    assert "withUniqueAlternateDeliveryDates" not in body


def test_booking_request_to_a_pickup_point_with_sms_is_built_exactly() -> None:
    body = mappers.booking_request(request=booking_request(agreement()), now=NOW)

    assert body == fixture("booking-request-pickup-point.json")


def test_booking_request_for_a_home_timeslot_in_live_mode_is_built_exactly() -> None:
    request = dataclasses.replace(
        booking_request(
            agreement(test_mode=False),
            reference="shp_77b1",
            product="5600",
            kind=ProductKind.HOME,
            location=None,
            timeslot=EVENING,
            addons=(
                AddonChoice("leave-at-door"),
                AddonChoice("entry-code", " 4512B "),
                AddonChoice("carry-in"),
            ),
            parcels=(
                Parcel(weight_g=800),
                Parcel(weight_g=12250, length_mm=600, width_mm=400, height_mm=400),
            ),
        ),
        shipping_date=dt.date(2026, 11, 30),
    )

    body = mappers.booking_request(request=request, now=NOW)

    assert body == fixture("booking-request-home-timeslot.json")


def test_booking_for_a_past_or_todays_shipping_date_ships_now() -> None:
    zone = ZoneInfo("Europe/Helsinki")
    assert (
        mappers.shipping_datetime(shipping_date=dt.date(2026, 11, 20), now=NOW, zone=zone)
        == "2026-11-26T16:20:00+02:00"
    )
    assert (
        mappers.shipping_datetime(shipping_date=None, now=NOW, zone=zone)
        == "2026-11-26T16:20:00+02:00"
    )


# --- Shipping Guide answers -----------------------------------------------------------------


def test_timeslots_and_alternative_dates_sample_parses_exactly() -> None:
    data = sample(
        "shippingguide-v2-products-response-timeslots-alternative-dates__bring-devsite-checkout-guide.json"
    )

    quotes = mappers.parse_availability(data, zone=OSLO, today=dt.date(2021, 1, 6))

    assert [q.product for q in quotes] == ["3584", "5800", "5600"]
    mailbox, pickup, home = quotes
    assert mailbox == Quote(
        product="3584",
        available=True,
        price=Money(4375, "NOK"),
        delivery=DeliveryEstimate(earliest_days=3, latest_days=3),
    )
    assert mailbox.extra == {"price_source": "list"}
    assert pickup == Quote(
        product="5800",
        available=True,
        price=Money(17043, "NOK"),
        delivery=DeliveryEstimate(earliest_days=2, latest_days=2),
    )
    assert home.price == Money(27095, "NOK")
    assert home.delivery == DeliveryEstimate(
        earliest_days=2,
        latest_days=2,
        time_of_day_start=dt.time(8, 0),
        time_of_day_end=dt.time(17, 0),
    )
    # The expected date and the alternatives; 12 January is offered twice and kept once.
    assert home.timeslots == tuple(
        Timeslot(
            id=f"2021-01-{day:02d}T08:00-17:00",
            start=dt.datetime(2021, 1, day, 8, 0, tzinfo=OSLO),
            end=dt.datetime(2021, 1, day, 17, 0, tzinfo=OSLO),
        )
        for day in (8, 11, 12)
    )
    assert home.timeslots[0].start.utcoffset() == dt.timedelta(hours=1)


def test_price_and_eta_sample_prefers_the_net_price() -> None:
    data = sample("shippingguide-v2-products-response-price-eta__bring-devsite.json")

    (quote,) = mappers.parse_availability(data)

    assert quote == Quote(
        product="5000",
        available=True,
        price=Money(18219, "NOK"),
        delivery=DeliveryEstimate(earliest_days=1, latest_days=1),
    )
    assert quote.extra == {"price_source": "net"}


def test_gui_price_sample_takes_the_price_with_additional_services() -> None:
    data = sample("shippingguide-v2-products-response-gui-price__bring-devsite-doc.json")

    (quote,) = mappers.parse_availability(data)

    assert quote == Quote(product="5800", available=True, price=Money(101995, "NOK"))


def test_a_product_with_errors_is_unavailable_with_brings_text() -> None:
    data = {
        "consignments": [
            {
                "products": [
                    {
                        "id": "5600",
                        "errors": [{"code": "PRODUCT_NOT_AVAILABLE", "description": "Not here"}],
                    }
                ]
            }
        ]
    }

    assert mappers.parse_availability(data) == [
        Quote(product="5600", available=False, reason="PRODUCT_NOT_AVAILABLE: Not here")
    ]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"consignments": {"products": []}},
        {"consignments": [{"products": [{"id": "5800", "price": "cheap"}]}]},
        {"consignments": [{"products": [{"id": {"x": 1}}]}]},
        {
            "consignments": [
                {"products": [{"id": "5800", "expectedDelivery": {"workingDays": "two"}}]}
            ]
        },
        {
            "consignments": [
                {
                    "products": [
                        {
                            "id": "5800",
                            "price": {
                                "netPrice": {
                                    "priceWithAdditionalServices": {"amountWithVAT": "NaN"},
                                    "currencyCode": "NOK",
                                }
                            },
                        }
                    ]
                }
            ]
        },
        {
            "consignments": [
                {
                    "products": [
                        {
                            "id": "5600",
                            "expectedDelivery": {
                                "expectedDeliveryDate": {"year": "2021", "month": "13", "day": "1"}
                            },
                        }
                    ]
                }
            ]
        },
    ],
)
def test_a_shipping_guide_answer_of_the_wrong_shape_is_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_availability(body)


def test_prices_convert_to_minor_units_of_their_currency() -> None:
    assert mappers.minor_units("938.70", "NOK") == 93870
    assert mappers.minor_units("0.005", "SEK") == 1
    assert mappers.minor_units(59, "DKK") == 5900
    assert mappers.minor_units("1500", "ISK") == 1500


# --- Pickup Point answers -------------------------------------------------------------------


def test_pickup_points_by_postal_code_sample_parses_exactly() -> None:
    data = sample("pickuppoint-by-postalcode-response__bring-devsite.json")

    points = mappers.parse_service_points(data)

    assert len(points) == 10
    first, locker = points[0], points[1]
    assert first.id == "121524"
    assert first.name == "Coop Obs! Hypermarked Vinterbro"
    assert first.kind is LocationKind.SERVICE_POINT
    assert first.address == Address(
        country="NO", postal_code="1407", city="VINTERBRO", street_address="SJØSKOGENVEIEN 7"
    )
    assert first.coordinates == Coordinates(lat=59.73932700996702, lng=10.770781349260394)
    assert first.opening_hours == hours(
        (range(5), "08:00", "22:00"), (range(5, 6), "08:00", "20:00")
    )
    assert first.distance_m == 1300
    assert first.extra == {"type": "4", "country": "NO"}
    assert (locker.id, locker.name, locker.kind) == (
        "102774",
        "Pakkeautomat Vinterbro Post i Butikk",
        LocationKind.LOCKER,
    )
    assert locker.extra == {"type": "27", "country": "NO"}
    assert [p.distance_m for p in points] == [
        1300,
        1400,
        8600,
        8300,
        12200,
        12100,
        13900,
        12100,
        12300,
        16000,
    ]
    # "Mon - Sat" is one run of six days.
    assert points[7].opening_hours == hours((range(6), "07:00", "23:00"))


def test_pickup_point_by_id_sample_reads_the_structured_opening_hours() -> None:
    (point,) = mappers.parse_service_points(
        sample("pickuppoint-by-id-response__bring-devsite.json")
    )

    assert point.id == "121110"
    assert point.name == "Meny Greverud"
    assert point.address == Address(
        country="NO", postal_code="1415", city="OPPEGÅRD", street_address="FLÅTESTADVEIEN 3"
    )
    assert point.coordinates == Coordinates(lat=59.77397940554418, lng=10.803229911496063)
    assert point.opening_hours == hours(
        (range(5), "07:00", "22:00"), (range(5, 6), "09:00", "20:00")
    )
    assert point.distance_m is None


def test_default_pickup_point_sample_parses() -> None:
    (point,) = mappers.parse_service_points(
        sample("pickuppoint-default-by-postalcode-response__bring-devsite.json")
    )

    assert (point.id, point.name, point.kind, point.distance_m) == (
        "121442",
        "Coop Mega Hagan",
        LocationKind.SERVICE_POINT,
        None,
    )
    assert point.address.street_address == "HELLINGA 8 B"
    assert point.opening_hours == hours(
        (range(5), "08:00", "22:00"), (range(5, 6), "08:00", "21:00")
    )


def test_pickup_points_by_location_sample_keep_brings_order_and_sundays() -> None:
    points = mappers.parse_service_points(
        sample("pickuppoint-by-location-response__bring-devsite.json")
    )

    assert [p.id for p in points[:3]] == ["124817", "124436", "501131"]
    assert points[0].opening_hours == hours(
        (range(5), "08:00", "21:00"),
        (range(5, 6), "09:00", "20:00"),
        (range(6, 7), "11:00", "22:00"),
    )
    assert points[2].extra == {"type": "21", "country": "NO"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon - Sun: 0000-2400", hours((range(7), "00:00", "23:59"))),
        (
            "Sat - Mon: 1000-1400",
            hours((range(1), "10:00", "14:00"), (range(5, 7), "10:00", "14:00")),
        ),
        (
            "Mon - Fri: 0800-1200, 1300-1700",
            hours((range(5), "08:00", "12:00"), (range(5), "13:00", "17:00")),
        ),
        ("Døgnåpent", ()),
        ("Mon - Fri: 0800-2560", ()),
        ("", ()),
    ],
)
def test_opening_hours_text(text: str, expected: tuple[OpeningHours, ...]) -> None:
    assert mappers.opening_hours_text(text) == tuple(
        sorted(expected, key=lambda h: (h.weekday, h.opens))
    )


@pytest.mark.parametrize(
    ("country", "point_type", "kind"),
    [
        ("NO", "37", LocationKind.LOCKER),
        ("NO", "21", LocationKind.SERVICE_POINT),
        ("SE", "39", LocationKind.LOCKER),
        ("SE", "34", LocationKind.SERVICE_POINT),
        ("DK", "86", LocationKind.LOCKER),
        ("FI", "LOCKER", LocationKind.LOCKER),
        ("FI", "Posti", LocationKind.SERVICE_POINT),
    ],
)
def test_locker_types_per_country(country: str, point_type: str, kind: LocationKind) -> None:
    point = {"id": "1", "countryCode": country, "type": point_type}

    assert mappers.parse_service_points({"pickupPoint": [point]})[0].kind is kind


@pytest.mark.parametrize(
    "body",
    [
        {"pickupPoint": {"id": "1"}},
        {"pickupPoint": [{"name": "no id"}]},
        {"pickupPoint": [{"id": "1", "latitude": "north"}]},
        {"pickupPoint": [{"id": "1", "name": ["a"]}]},
    ],
)
def test_a_pickup_point_answer_of_the_wrong_shape_is_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_service_points(body)


# --- Booking answers ------------------------------------------------------------------------


def test_booking_success_sample_parses_exactly() -> None:
    booking = mappers.parse_booking(sample("booking-response-success__bring-devsite.json"))

    assert booking.carrier_shipment_id == "70438101268018539"
    assert booking.tracking_numbers == ("370438101268058536",)
    assert booking.tracking_url == "https://sporing.bring.no/sporing.html?q=70438101268018539"
    assert booking.labels == (
        Label(url="https://api.bring.com/labels/id/6d8c4323-87cd-47e8-aa0d-75f8f0b5b4cb.pdf"),
    )
    assert booking.extra == {
        "correlation_id": "INTERNAL-123456",
        "expected_delivery": "2015-07-07T19:02:19.676000+00:00",
    }


def test_booking_success_with_iso_times_and_return_number_parses() -> None:
    booking = mappers.parse_booking(
        sample("booking-response-success-pickup-parcel__bring-devsite-checkout-guide.json")
    )

    assert booking.carrier_shipment_id == "70438103433585280"
    assert booking.tracking_numbers == ("370438101268058536",)
    assert booking.labels[0].url == (
        "https://www.mybring.com/booking/labels/1234567?auth-token=5cf1dcee-4f01-4c9a-9870-12345678950b"
    )
    assert booking.extra == {
        "correlation_id": "INTERNAL-123456",
        "expected_delivery": "2021-06-14T00:00:00+02:00",
        "return_consignment_number": "70438103433585297",
    }


BOOKING_REFUSED = {
    "consignments": [
        {
            "confirmation": None,
            "errors": [
                {
                    "uniqueId": "1b0e5f2a-0a5c-4d76-8a47-9f6f2d1f0c11",
                    "code": "BOOK-INPUT-024",
                    "messages": [
                        {
                            "lang": "no",
                            "message": "Produktet er ikke tilgjengelig (utenfor dekning)",
                        },
                        {
                            "lang": "en",
                            "message": "The product is not available between the given addresses (outside coverage)",
                        },
                    ],
                },
                {
                    "code": "BOOK_VALIDATION-002",
                    "messages": [{"lang": "no", "message": "Gyldig mobil kreves"}],
                },
            ],
            "correlationId": "shp_4f2a9c",
        }
    ]
}


def test_per_consignment_errors_in_a_200_booking_answer_are_a_rejection_verbatim() -> None:
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_booking(BOOKING_REFUSED)

    assert raised.value.messages == (
        CarrierMessage(
            "BOOK-INPUT-024",
            "The product is not available between the given addresses (outside coverage)",
        ),
        CarrierMessage("BOOK_VALIDATION-002", "Gyldig mobil kreves"),
    )
    assert raised.value.carrier == "bring"


@pytest.mark.parametrize(
    "body",
    [
        {"consignments": []},
        {"consignments": [{"confirmation": None, "errors": None}]},
        {"consignments": [{"confirmation": {"consignmentNumber": ""}}]},
        {"consignments": [{"confirmation": {"consignmentNumber": "7", "packages": {"a": 1}}}]},
        sample("booking-pickuporder-response__bring-devsite.json"),
    ],
)
def test_a_booking_answer_of_the_wrong_shape_is_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_booking(body)


# --- Tracking answers -----------------------------------------------------------------------

TRACKED = {
    "apiVersion": "2",
    "consignmentSet": [
        {
            "consignmentId": "70438101268018539",
            "senderReference": "shp_4f2a9c",
            "packageSet": [
                {
                    "packageNumber": "370438101268058536",
                    "eventSet": [
                        {
                            "description": "The shipment has arrived at pickup point.",
                            "status": "READY_FOR_PICKUP",
                            "postalCode": "2341",
                            "city": "LØTEN",
                            "countryCode": "NO",
                            "dateIso": "2010-10-01T08:30:25+02:00",
                        },
                        {
                            "description": "Something new",
                            "status": "TELEPORTED",
                            "postalCode": "",
                            "city": "",
                            "countryCode": "",
                            "dateIso": "2010-09-30T12:00:00",
                        },
                        {
                            "description": "The shipment has been handed in at terminal and forwarded.",
                            "status": "IN_TRANSIT",
                            "postalCode": "0024",
                            "city": "OSLO",
                            "countryCode": "NO",
                            "dateIso": "2010-09-30T08:27:08+02:00",
                        },
                    ],
                },
                {
                    "packageNumber": "370438101268058543",
                    "eventSet": [
                        {
                            "description": "The shipment has been handed in at terminal and forwarded.",
                            "status": "IN_TRANSIT",
                            "postalCode": "0024",
                            "city": "OSLO",
                            "countryCode": "NO",
                            "dateIso": "2010-09-30T08:27:08+02:00",
                            "consignmentEvent": True,
                        }
                    ],
                },
            ],
        }
    ],
}


def test_tracking_events_are_oldest_first_once_each_unknown_codes_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="carriers.bring.units"):
        events = mappers.parse_tracking(TRACKED)

    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert events == [
        TrackingEvent(
            at=dt.datetime(2010, 9, 30, 8, 27, 8, tzinfo=plus_two),
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="IN_TRANSIT",
            description="The shipment has been handed in at terminal and forwarded.",
            location="0024 OSLO, NO",
        ),
        TrackingEvent(
            at=dt.datetime(2010, 9, 30, 12, 0, tzinfo=OSLO),
            status=TrackingStatus.UNKNOWN,
            carrier_code="TELEPORTED",
            description="Something new",
            location="",
        ),
        TrackingEvent(
            at=dt.datetime(2010, 10, 1, 8, 30, 25, tzinfo=plus_two),
            status=TrackingStatus.READY_FOR_PICKUP,
            carrier_code="READY_FOR_PICKUP",
            description="The shipment has arrived at pickup point.",
            location="2341 LØTEN, NO",
        ),
    ]
    assert "unknown tracking status 'TELEPORTED'" in caplog.text


def test_every_documented_tracking_status_is_mapped() -> None:
    documented = [
        "ATTEMPTED_DELIVERY",
        "CUSTOMS",
        "COLLECTED",
        "DELIVERED",
        "DELIVERED_SENDER",
        "DELIVERY_CANCELLED",
        "DELIVERY_CHANGED",
        "DELIVERY_ORDERED",
        "DEVIATION",
        "HANDED_IN",
        "INTERNATIONAL",
        "IN_TRANSIT",
        "NOTIFICATION_SENT",
        "PRE_NOTIFIED",
        "READY_FOR_PICKUP",
        "RETURN",
        "TRANSPORT_TO_RECIPIENT",
        "TERMINAL",
        "UNKNOWN",
        "ARRIVED_DELIVERY",
        "ARRIVED_COLLECTION",
    ]

    assert set(documented) == set(units.TRACKING_STATUSES)
    assert units.tracking_status("DELIVERED") is TrackingStatus.DELIVERED
    assert units.tracking_status("DELIVERED_SENDER") is TrackingStatus.RETURNED


def test_tracking_not_found_is_a_rejection_with_brings_text() -> None:
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_tracking(sample("tracking-response-error-400__bring-devsite.json"))

    assert raised.value.messages == (CarrierMessage("400", "Invalid query"),)


def test_booking_found_by_reference_needs_the_exact_sender_reference() -> None:
    found = mappers.parse_find_booking(TRACKED, reference="shp_4f2a9c")

    assert found is not None
    assert found.carrier_shipment_id == "70438101268018539"
    assert found.tracking_numbers == ("370438101268058536", "370438101268058543")
    assert found.tracking_url == "https://sporing.bring.no/sporing.html?q=70438101268018539"
    assert mappers.parse_find_booking(TRACKED, reference="shp_4f2a") is None
    assert (
        mappers.parse_find_booking(
            {"consignmentSet": [{"error": {"code": 404, "message": "No shipments found"}}]},
            reference="shp_4f2a9c",
        )
        is None
    )


# --- errors ---------------------------------------------------------------------------------


def response(body: bytes, status: int = 400) -> HttpResponse:
    return HttpResponse(status=status, headers={}, body=body, duration_ms=1, carrier="bring")


def test_tracking_error_sample_parses_verbatim() -> None:
    body = (SAMPLES / "tracking-response-error-400__bring-devsite.json").read_bytes()

    assert mappers.parse_error(response(body)) == (CarrierMessage("400", "Invalid query"),)


def test_booking_error_body_parses_verbatim() -> None:
    assert mappers.parse_error(response(json.dumps(BOOKING_REFUSED).encode())) == (
        CarrierMessage(
            "BOOK-INPUT-024",
            "The product is not available between the given addresses (outside coverage)",
        ),
        CarrierMessage("BOOK_VALIDATION-002", "Gyldig mobil kreves"),
    )


def test_shipping_guide_field_errors_parse_verbatim() -> None:
    body = (
        b'{"fieldErrors": [{"code": "FG_INPUT_010", "field": "numberOfAlternativeDeliveryDates",'
        b' "message": "Number of alternative delivery dates must be numeric and less than 10"}]}'
    )

    assert mappers.parse_error(response(body)) == (
        CarrierMessage(
            "FG_INPUT_010", "Number of alternative delivery dates must be numeric and less than 10"
        ),
    )


def test_error_catalogue_sample_keeps_every_code_and_text() -> None:
    catalogue = sample("booking-error-code-catalogue__bring-devsite.json")

    messages = mappers.parse_error(response(json.dumps(catalogue).encode(), status=200))

    assert len(messages) == 112
    assert messages[0] == CarrierMessage("BOOK-INPUT-001", "Bad request")
    assert (
        CarrierMessage("BOOK-INPUT-023", "The shipment is too big to send with the given product")
        in messages
    )


@pytest.mark.parametrize("body", [b"<html>Bad gateway</html>", b"[1, 2]", b'{"weird": true}', b""])
def test_unreadable_error_bodies_give_no_messages(body: bytes) -> None:
    assert mappers.parse_error(response(body)) == ()
