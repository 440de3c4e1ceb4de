"""PostNord's real answers (../shared/carrier-samples/postnord) parsed exactly."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carriers.exceptions import CarrierRejected, CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.postnord import PostNordAdapter, mappers
from carriers.types import (
    Address,
    CarrierMessage,
    Coordinates,
    Location,
    LocationKind,
    OpeningHours,
    TrackingEvent,
    TrackingStatus,
)

from .conftest import SAMPLES, fixture, load, sample

STOCKHOLM = ZoneInfo("Europe/Stockholm")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
T = dt.time

#: Every file of the sample folder and the operation whose parser reads it.
SAMPLE_OPERATIONS: dict[str, str] = {
    "api-gateway-response-error-403__karrio-joaqim-test.json": "error",
    "deliveryoptions-bywarehouse-request-full__postnord-swagger.json": "request",
    "deliveryoptions-bywarehouse-response-cross-border__postnord-swagger.json": "availability",
    "deliveryoptions-bywarehouse-response-full__postnord-swagger.json": "availability",
    "edi-v3-response-error-validation__karrio-joaqim-test.json": "error",
    "servicepoints-v5-idsearch-response__shipping-connector.json": "service_points",
    "servicepoints-v5-nearest-byaddress-response__shipping-connector.json": "service_points",
    "servicepoints-v5-nearest-bycoordinates-response__shipping-connector.json": "service_points",
    "trackandtrace-findByIdentifier-response__shipping-connector-devportal-example.json": (
        "tracking"
    ),
    "transittime-v1-addresstoaddress-response__postnord-swagger.json": "availability",
    "transittime-v2-addresstoaddress-response-with-internal-codes__postnord-swagger.json": (
        "availability"
    ),
    "transittime-v2-addresstoaddress-response__postnord-swagger.json": "availability",
}


def test_every_postnord_sample_parses() -> None:
    files = sorted(path.name for path in SAMPLES.iterdir())
    assert files == sorted(SAMPLE_OPERATIONS)

    for name, operation in SAMPLE_OPERATIONS.items():
        if operation == "request":
            # A Delivery Options request (an API we do not call): it names the recipient the
            # way our transit-time query does, by postal code and country.
            body = mappers.read.load(sample(name))
            assert body["recipient"]["address"]["postCode"] == "41104"
            assert body["recipient"]["address"]["countryCode"] == "SE"
            continue
        parsed = PostNordAdapter.parsers[operation](sample(name))
        assert parsed, name


# --- Service points --------------------------------------------------------------------------


def test_nearest_by_address_gives_service_points_nearest_first() -> None:
    points = mappers.parse_service_points(
        load("servicepoints-v5-nearest-byaddress-response__shipping-connector.json")
    )

    assert [(p.id, p.name, p.distance_m) for p in points] == [
        ("376062", "ICA KVANTUM GISLAVED", 0),
        ("376031", "GISLAVED", 1235),
        ("376064", "COOP ANDERSTORP", 1797),
        ("377662", "Lantmännen Reftele", 6137),
        ("377660", "ICA Supermarket Smålandsstenar", 16157),
        ("376662", "HESTRA RADIO OCH SPORT", 16699),
        ("376660", "ICA Supermarket Gnosjö", 18385),
        ("377631", "SMÅLANDSSTENAR", 20004),
        ("375170", "ICA Nära Bredaryd", 21166),
        ("114783", "Unnaryds Servicebutik", 24462),
    ]
    assert {p.kind for p in points} == {LocationKind.SERVICE_POINT}
    assert points[0] == Location(
        id="376062",
        name="ICA KVANTUM GISLAVED",
        kind=LocationKind.SERVICE_POINT,
        address=Address(
            country="SE", postal_code="33230", city="GISLAVED", street_address="Stinsgatan 2"
        ),
        coordinates=Coordinates(lat=57.303955262565, lng=13.5433674461746),
        opening_hours=(
            *(OpeningHours(day, T(7, 0), T(20, 0)) for day in range(5)),
            OpeningHours(5, T(8, 0), T(18, 0)),
            OpeningHours(6, T(8, 0), T(18, 0)),
        ),
        distance_m=0,
    )
    assert points[0].extra == {
        "country": "SE",
        "group_type_id": "1",
        "delivery_name": "ICA KVANTUM GISLAVED",
        "delivery_street": "Stinsgatan 2",
        "delivery_postal_code": "33230",
        "delivery_city": "GISLAVED",
        "delivery_country": "SE",
    }


def test_split_opening_hours_are_kept_in_day_order() -> None:
    points = mappers.parse_service_points(
        load("servicepoints-v5-nearest-byaddress-response__shipping-connector.json")
    )

    gislaved = points[1]
    assert gislaved.address == Address(
        country="SE", postal_code="33233", city="GISLAVED", street_address="Karl-Johansgatan 23"
    )
    assert gislaved.coordinates == Coordinates(lat=57.303493, lng=13.534932)
    assert gislaved.opening_hours == tuple(
        hours
        for day in range(5)
        for hours in (OpeningHours(day, T(8, 0), T(9, 30)), OpeningHours(day, T(15, 0), T(18, 0)))
    )


def test_a_point_at_zero_zero_has_no_coordinates() -> None:
    points = mappers.parse_service_points(
        load("servicepoints-v5-nearest-bycoordinates-response__shipping-connector.json")
    )

    assert [(p.id, p.coordinates) for p in points[:2]] == [
        ("592977", None),
        ("586274", Coordinates(lat=59.343528, lng=18.032009)),
    ]
    assert points[1].address.street_address == "Norrbackagatan 60"
    assert points[1].opening_hours[-1] == OpeningHours(6, T(9, 0), T(21, 0))


def test_a_point_looked_up_by_id_has_no_distance() -> None:
    (point,) = mappers.parse_service_points(
        load("servicepoints-v5-idsearch-response__shipping-connector.json")
    )

    assert (point.id, point.name, point.distance_m) == ("376062", "ICA KVANTUM GISLAVED", None)


def test_a_parcel_box_type_is_a_locker() -> None:
    body = {
        "servicePointInformationResponse": {
            "servicePoints": [
                {
                    "servicePointId": "2559827",
                    "name": "Paketbox Thomsons Väg",
                    "type": {
                        "groupTypeId": 2,
                        "typeId": 2,
                        "typeName": "Parcel Box Location",
                        "boxType": {"located": "Outdoor"},
                    },
                }
            ]
        }
    }

    (point,) = mappers.parse_service_points(body)

    assert point.kind is LocationKind.LOCKER
    assert point.extra == {
        "type_id": "2",
        "group_type_id": "2",
        "located": "Outdoor",
        "delivery_name": "Paketbox Thomsons Väg",
    }


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"servicePointInformationResponse": []},
        {"servicePointInformationResponse": {"servicePoints": {"a": 1}}},
        {"servicePointInformationResponse": {"servicePoints": [{"name": "no id"}]}},
        {
            "servicePointInformationResponse": {
                "servicePoints": [{"servicePointId": "1", "coordinates": [{"northing": "x"}]}]
            }
        },
    ],
)
def test_service_points_of_the_wrong_shape_are_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_service_points(body)


# --- Transit time and delivery options -------------------------------------------------------


def test_transit_time_v2_gives_eta_and_bookability_per_service() -> None:
    entries = mappers.parse_availability(
        load("transittime-v2-addresstoaddress-response__postnord-swagger.json")
    )

    assert [(e.product, e.additional_services, e.available) for e in entries] == [
        ("17", (), True),
        ("18", (), True),
        ("18", ("D6",), True),
        ("18", ("D7",), True),
        ("19", (), True),
        ("22", (), False),
    ]
    services = mappers.base_services(entries)
    assert services["17"] == mappers.ServiceAvailability(
        product="17",
        name="PostNord MyPack Home",
        available=True,
        latest_booking=dt.datetime(2024, 8, 23, 14, 0),
        departure=dt.datetime(2024, 8, 23, 19, 15),
        arrival_latest=dt.datetime(2024, 8, 24, 21, 0),
    )
    assert services["19"].delivery_point_id == "570973"
    assert services["22"].reason == "Service SE-22 is not offered from postal code 17173"
    assert (entries[3].days_min, entries[3].days_max) == (3, 4)


def test_transit_time_v2_with_internal_codes_reads_the_nordic_code() -> None:
    entries = mappers.parse_availability(
        load("transittime-v2-addresstoaddress-response-with-internal-codes__postnord-swagger.json")
    )

    assert [e.additional_services for e in entries if e.product == "18"] == [
        (),
        ("D6",),
        ("D7",),
    ]


def test_transit_time_v1_reads_service_information() -> None:
    entries = mappers.parse_availability(
        load("transittime-v1-addresstoaddress-response__postnord-swagger.json")
    )

    services = mappers.base_services(entries)
    assert sorted(services) == ["17", "18", "19"]
    assert services["19"].arrival_latest == dt.datetime(2021, 8, 23, 18, 0)
    assert services["19"].delivery_point_id == "570973"
    assert [e.additional_services for e in entries] == [(), (), ("10",), ("20",), ()]


def test_delivery_options_list_every_option_with_its_booking_instructions() -> None:
    entries = mappers.parse_availability(
        load("deliveryoptions-bywarehouse-response-full__postnord-swagger.json")
    )

    assert [
        (e.option_type, e.product, e.additional_services, e.delivery_point_id) for e in entries
    ] == [
        ("home", "17", (), ""),
        ("parcel-locker", "19", ("A7",), "2559827"),
        ("service-point", "19", (), ""),
        ("service-point", "19", ("A7",), "164074"),
        ("express-mailbox", "86", (), ""),
        ("mailbox", "11", (), ""),
    ]
    home = entries[0]
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert (home.arrival_earliest, home.arrival_latest) == (
        dt.datetime(2025, 9, 15, 9, 0, tzinfo=plus_two),
        dt.datetime(2025, 9, 15, 14, 0, tzinfo=plus_two),
    )


def test_cross_border_delivery_options_keep_the_recipient_offset() -> None:
    (home,) = mappers.parse_availability(
        load("deliveryoptions-bywarehouse-response-cross-border__postnord-swagger.json")
    )

    assert (home.product, home.name) == ("17", "Home delivery")
    assert home.arrival_latest == dt.datetime(
        2025, 11, 5, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )


@pytest.mark.parametrize(
    "body",
    [
        {"a": 1},
        [1],
        [{"other": 1}],
        [
            {
                "service": {"basicServiceCode": "17"},
                "estimatedTimeOfArrival": {"timeOfArrival": "soon"},
            }
        ],
    ],
)
def test_transit_time_of_the_wrong_shape_is_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_availability(body)


# --- Tracking ----------------------------------------------------------------------------------


def test_track_and_trace_events_are_aware_normalised_and_oldest_first() -> None:
    events = mappers.parse_tracking(
        load("trackandtrace-findByIdentifier-response__shipping-connector-devportal-example.json")
    )

    assert len(events) == 17
    assert events[0] == TrackingEvent(
        at=dt.datetime(2020, 9, 3, 9, 11, tzinfo=STOCKHOLM),
        status=TrackingStatus.IN_TRANSIT,
        carrier_code="209",
        description="The shipment item will be delivered according to arrangement with the recipient",
        location="PostNord",
    )
    assert events[3] == TrackingEvent(
        at=dt.datetime(2020, 9, 3, 20, 25, tzinfo=COPENHAGEN),
        status=TrackingStatus.IN_TRANSIT,
        carrier_code="31",
        description="The shipment item is under transportation",
        location="Køge Pakkecenter - TKJ, Køge",
    )
    assert [(e.carrier_code, e.status, e.location) for e in events[-4:]] == [
        ("113", TrackingStatus.OUT_FOR_DELIVERY, "Lidingö"),
        ("21", TrackingStatus.DELIVERED, "LIDINGÖ"),
        ("z04", TrackingStatus.UNKNOWN, "PostNord"),
        ("z08", TrackingStatus.UNKNOWN, "PostNord"),
    ]
    assert events == sorted(events, key=lambda e: e.at)


def test_shipments_name_their_items_and_recipient_country() -> None:
    (shipment,) = mappers.parse_shipments(
        mappers.read.load(
            sample(
                "trackandtrace-findByIdentifier-response__shipping-connector-devportal-example.json"
            )
        )
    )

    assert (shipment.shipment_id, shipment.status, shipment.country) == (
        "96932007555SE",
        "DELIVERED",
        "SE",
    )
    assert [item.item_id for item in shipment.items] == ["96932007555SE"]
    assert mappers.events_for([shipment], "96932007555SE")[-1].carrier_code == "z08"


def test_no_shipment_is_no_event() -> None:
    assert mappers.parse_tracking({"TrackingInformationResponse": {"shipments": []}}) == []


@pytest.mark.parametrize(
    "body",
    [
        {"shipments": []},
        {"TrackingInformationResponse": {"shipments": [{"items": [{"events": [{}]}]}]}},
        {"TrackingInformationResponse": {"shipments": "none"}},
    ],
)
def test_tracking_of_the_wrong_shape_is_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_tracking(body)


# --- Errors ----------------------------------------------------------------------------------


def test_the_api_gateway_403_is_read_verbatim() -> None:
    messages = mappers.parse_error_body(
        sample("api-gateway-response-error-403__karrio-joaqim-test.json")
    )

    assert messages == (CarrierMessage(code="Forbidden", text="Invalid API Key"),)


def test_the_edi_composite_fault_is_read_verbatim() -> None:
    messages = mappers.parse_error_body(
        sample("edi-v3-response-error-validation__karrio-joaqim-test.json")
    )

    assert messages == (
        CarrierMessage(code="", text="Invalid indata object EdiInstruction"),
        CarrierMessage(code="APPLICATION_ID", text="applicationId (2458) is not a type of integer"),
        CarrierMessage(code="ITEM_IDENTIFICATION", text="itemIdentification is a required field"),
    )


def test_a_service_point_fault_keeps_its_fault_code() -> None:
    body = {
        "servicePointInformationResponse": {
            "compositeFault": {
                "faults": [
                    {
                        "faultCode": "API-005",
                        "explanationText": "Missing parameter",
                        "paramValues": [{"param": "countryCode", "value": ""}],
                    }
                ]
            }
        }
    }

    assert mappers.error_messages(body, 400) == (
        CarrierMessage(code="API-005", text="Missing parameter"),
    )
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_service_points(body)
    assert raised.value.messages == (CarrierMessage(code="API-005", text="Missing parameter"),)


# --- Booking answers -------------------------------------------------------------------------


def _booking_answer(status: str = "OK", label_status: str = "OK") -> dict[str, object]:
    return {
        "bookingResponse": {
            "bookingId": "3YSFH8NG0LNREZO38UIN68B3RRWL4X",
            "idInformation": [
                {
                    "status": status,
                    "ids": [
                        {"idType": "itemId", "value": "00373500454541020957"},
                        {"idType": "shipmentId", "value": "shp_8f3a"},
                    ],
                    "urls": [
                        {
                            "type": "TRACKING",
                            "url": "https://tracking.postnord.com/se/?id=00373500454541020957",
                        }
                    ],
                    **(
                        {
                            "errorResponse": {
                                "message": "Booking failed",
                                "compositeFault": {
                                    "faults": [
                                        {"faultCode": "EDI-010", "explanationText": "Bad zip"}
                                    ]
                                },
                            }
                        }
                        if status == "FAIL"
                        else {}
                    ),
                }
            ],
        },
        "labelPrintout": [
            {
                "itemIds": [
                    {
                        "itemIds": "00373500454541020957",
                        "status": label_status,
                        "errorResponse": {"message": "Label could not be created"}
                        if label_status == "FAIL"
                        else None,
                    }
                ],
                "printout": {"labelFormat": "PDF", "encoding": "base64", "data": "JVBERi0xLjQK"},
            }
        ],
    }


def test_a_booking_answer_gives_ids_tracking_url_and_pdf() -> None:
    booking = mappers.parse_booking(_booking_answer(), country="SE")

    assert booking.carrier_shipment_id == "shp_8f3a"
    assert booking.tracking_numbers == ("00373500454541020957",)
    assert booking.tracking_url == "https://tracking.postnord.com/se/?id=00373500454541020957"
    assert [(label.content, label.format) for label in booking.labels] == [(b"%PDF-1.4\n", "pdf")]
    assert booking.extra == {"booking_id": "3YSFH8NG0LNREZO38UIN68B3RRWL4X"}


def test_a_200_with_a_failed_item_is_a_rejection() -> None:
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_booking(_booking_answer(status="FAIL"))

    assert raised.value.messages == (
        CarrierMessage(code="", text="Booking failed"),
        CarrierMessage(code="EDI-010", text="Bad zip"),
    )


def test_a_200_with_a_failed_label_is_a_rejection() -> None:
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_booking(_booking_answer(label_status="FAIL"))

    assert raised.value.messages == (CarrierMessage(code="", text="Label could not be created"),)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"bookingResponse": {"idInformation": []}},
        {"bookingResponse": {"idInformation": [{"ids": "x"}]}},
        {
            "bookingResponse": {"idInformation": [{"ids": [{"idType": "itemId", "value": "1"}]}]},
            "labelPrintout": [{"printout": {"data": "***not base64***"}}],
        },
    ],
)
def test_booking_answers_of_the_wrong_shape_are_invalid(body: object) -> None:
    with pytest.raises(CarrierResponseInvalid):
        mappers.parse_booking(body)


# --- The project's own fixtures (fixtures/SOURCES.md) ---------------------------------------


def test_the_booking_answer_keeps_the_print_id_for_a_reprint() -> None:
    booking = mappers.parse_booking(fixture("edi-labels-pdf-response__booking-swagger.json"))

    assert booking.carrier_shipment_id == "00373500489530470000"
    assert booking.tracking_numbers == ("00373500454541020957",)
    assert booking.tracking_url == "https://tracking.postnord.com/se/?id=00373501093010042961"
    assert [(label.content, label.format) for label in booking.labels] == [
        (b"%PDF-1.4\n%%EOF\n", "pdf")
    ]
    assert booking.extra == {
        "booking_id": "3YSFH8NG0LNREZO38UIN68B3RRWL4X",
        "print_id": "31eed2dad84b48a2ba92a26590a0a69f",
    }
    assert mappers.print_ids(booking) == ("31eed2dad84b48a2ba92a26590a0a69f",)


def test_a_live_answer_with_an_uppercase_itemid_gives_its_print_id() -> None:
    booking = mappers.parse_booking(fixture("customs-declaration-response__karrio-live-note.json"))

    assert booking.tracking_numbers == ("UX478114854SE",)
    assert booking.carrier_shipment_id == "ILPN001AWXGPXVKFSFVQLLPLIEAJVV"
    assert booking.extra["print_id"] == "87a6d74f58854bc1b8be5481ec47f803"
    assert booking.labels == ()


def test_a_reprint_answer_gives_the_label() -> None:
    labels = mappers.parse_label(fixture("labels-ids-pdf-response__booking-swagger.json"))

    assert [(label.content, label.format) for label in labels] == [(b"%PDF-1.4\n%%EOF\n", "pdf")]


def test_a_reprint_by_an_unknown_id_is_a_refusal() -> None:
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_label(fixture("labels-ids-pdf-response-id-not-found__karrio-live-note.json"))

    assert raised.value.messages == (CarrierMessage(code="", text="id not found"),)


def test_the_booking_apis_error_is_read_verbatim_with_its_fault_code() -> None:
    messages = mappers.error_messages(
        fixture("edi-response-error-unable-to-find__karrio-live-note.json"), 400
    )

    assert messages == (
        CarrierMessage(code="400", text="General client indata error"),
        CarrierMessage(code="SAO-BR-24041806", text="Unable to find EDI: UX304478491SE"),
    )


def test_found_by_reference_is_the_shipment_and_its_items_and_none_when_no_hit() -> None:
    found = mappers.parse_find_booking(
        load("trackandtrace-findByIdentifier-response__shipping-connector-devportal-example.json"),
        reference="shp_8f3a",
    )

    assert found is not None
    assert (found.carrier_shipment_id, found.tracking_numbers, found.tracking_url) == (
        "96932007555SE",
        ("96932007555SE",),
        "https://tracking.postnord.com/se/?id=96932007555SE",
    )
    assert found.labels == ()
    assert found.extra == {"reference": "shp_8f3a"}
    assert mappers.parse_find_booking({"TrackingInformationResponse": {"shipments": []}}) is None


def test_a_404_of_track_and_trace_is_not_found_but_the_gateways_is_not() -> None:
    def answer(status: int, body: bytes) -> HttpResponse:
        return HttpResponse(status=status, headers={}, body=body, duration_ms=1)

    no_shipment = b'{"message": "Not found", "compositeFault": {"faults": []}}'
    gateway = sample("api-gateway-response-error-403__karrio-joaqim-test.json")

    assert mappers.is_not_found(answer(404, no_shipment)) is True
    assert mappers.is_not_found(answer(404, b"")) is True
    assert mappers.is_not_found(answer(404, gateway)) is False
    assert mappers.is_not_found(answer(400, no_shipment)) is False
