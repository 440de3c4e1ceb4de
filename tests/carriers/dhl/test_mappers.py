"""DHL mappers: requests built exactly, real responses and errors parsed exactly (no network)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carriers.dhl import DhlAdapter, mappers
from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    AddonChoice,
    Address,
    BookingRequest,
    CarrierMessage,
    Contact,
    Coordinates,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    TrackingEvent,
    TrackingStatus,
)

from .builders import (
    agreement,
    booking_request,
    fixture_json,
    sample,
    sample_json,
)

BERLIN = ZoneInfo("Europe/Berlin")
ALL_WEEK = tuple(OpeningHours(day, dt.time(0, 0), dt.time(23, 59, 59)) for day in range(7))

# --- (1) requests built exactly ---------------------------------------------------------------


def test_service_points_request_is_built_exactly() -> None:
    body = mappers.service_points_request(
        country="SE", postal_code="111 51", kind=ProductKind.PICKUP_POINT, limit=5
    )

    assert body == {
        "address": {"countryCode": "SE", "postalCode": "11151"},
        "maxNumberOfItems": 5,
        "locationTypes": ["servicepoint", "postoffice"],
    }


def test_service_points_request_uses_the_field_names_of_dhls_own_request() -> None:
    real = sample_json("servicepoint-findnearestservicepoints-request__primepack-sandbox.json")

    body = mappers.service_points_request(
        country="SE", postal_code="11151", kind=ProductKind.LOCKER, limit=5
    )

    assert set(body["address"]) <= set(real["address"])
    assert body["address"]["postalCode"] == real["address"]["postalCode"]
    assert body["maxNumberOfItems"] == real["maxNumberOfItems"]
    assert body["locationTypes"] == ["locker"]


def test_location_finder_request_is_built_exactly() -> None:
    pickup = mappers.location_finder_request(
        country="DE", postal_code="04229", kind=ProductKind.PICKUP_POINT, limit=10
    )
    locker = mappers.location_finder_request(
        country="NL", postal_code="1043 AG", kind=ProductKind.LOCKER, limit=3
    )

    assert pickup == {
        "countryCode": "DE",
        "postalCode": "04229",
        "providerType": "parcel",
        "locationType": ["servicepoint", "postoffice", "postbank"],
        "serviceType": ["parcel:pick-up"],
        "radius": 25000,
        "limit": 10,
    }
    assert locker == {
        "countryCode": "NL",
        "postalCode": "1043 AG",
        "providerType": "parcel",
        "locationType": ["locker"],
        "radius": 25000,
        "limit": 3,
    }


def _capture_request(**changes: Any) -> BookingRequest:
    """The booking the karrio captures made: same parties, one 1 kg 30x20x10 cm parcel."""
    base = booking_request(
        agreement(),
        sender=Contact(
            name="Sven Svensson",
            phone="+46 8 123 456",
            email="shipper@example.se",
            company="Test Shipper AB",
        ),
        recipient=Contact(
            name="Anna Andersson", phone="+46 70 123 45 67", email="anna.andersson@example.se"
        ),
        addons=(),
        order_reference="SANDBOX-TEST",
        shipping_date=None,
    )
    return dataclasses.replace(base, **changes)


def _without_ours(body: dict[str, Any]) -> dict[str, Any]:
    """Our body less what the captures did not send: ``references`` (DHL's Shipment schema has
    it; the captures sent none) and the volume's precision (karrio rounded 0.006 m³ to 0.01)."""
    out = {key: value for key, value in body.items() if key != "references"}
    out["pieces"] = [{**piece, "volume": 0.01} for piece in body["pieces"]]
    return out


def test_booking_request_for_103_is_the_one_dhl_booked() -> None:
    body = mappers.booking_request(_capture_request(), payer_code="1")

    assert _without_ours(body) == fixture_json("transportinstruction-request-103-terminal-id.json")
    assert body["references"] == [{"qualifier": "CU", "value": "shp_0001"}]
    assert body["pieces"][0]["volume"] == 0.006


def test_103_books_the_service_points_four_digit_terminal_id() -> None:
    body = mappers.booking_request(_capture_request(), payer_code="1")

    (access_point,) = [p for p in body["parties"] if p["type"] == "AccessPoint"]
    assert access_point["id"] == "9820"  # SE-982000 as DHL's manual wants it for 103


def test_booking_request_for_109_to_poland_is_sent_free_as_dhl_booked_it() -> None:
    krakow = Location(
        id="8005-PL-4507446",
        name="ŻABKA",
        kind=LocationKind.SERVICE_POINT,
        address=Address("PL", "30-079", "KRAKÓW", "Al. Kijowska 57/LU5"),
        extra={
            "source": "api-farm",
            "location_type": "servicepoint",
            "sub_type": "ParcelShop",
            "dhl_name": "DHL Parcelshop",
        },
    )
    request = _capture_request(
        product="109",
        recipient=Contact("Jan Kowalski", "+48 600 000 000", "jan.kowalski@example.pl"),
        recipient_address=Address("PL", "30-079", "Kraków", "ul. Królewska 10"),
        location=krakow,
        order_reference="REF-TEST-1",
    )

    body = mappers.booking_request(request, payer_code="022")

    assert _without_ours(body) == fixture_json("transportinstruction-request-109-pl-sent-free.json")


def test_sent_identifiers_from_the_agreement_are_sent_as_dhl_booked_them() -> None:
    declared = agreement(
        client_key="k", sent_ref="SENT20261008000001", sent_carkey="SANDBOXCARKEY0001"
    )
    real = fixture_json("transportinstruction-request-601-pl-sent-identifiers.json")

    sent = mappers.sent_information(declared, sender_country="SE", recipient_country="PL")

    assert sent == real["additionalInformation"]
    assert mappers.sent_information(declared, sender_country="SE", recipient_country="DE") == []
    assert mappers.sent_information(agreement(), sender_country="PL", recipient_country="SE") == [
        {"code": "SENT_FREE", "stringValue": "true"}
    ]


def test_booking_request_speaks_dhls_field_names() -> None:
    real = sample_json(
        "transportinstruction-sendtransportinstruction-request-103-servicepoint__primepack-sandbox.json"
    )

    body = mappers.booking_request(booking_request(agreement()), payer_code="1")

    real_parties = {p["type"]: p for p in real["parties"]}
    for party in body["parties"]:
        assert set(party) <= set(real_parties[party["type"]])
        assert set(party["address"]) <= set(real_parties[party["type"]]["address"])
    assert set(body["pieces"][0]) <= set(real["pieces"][0])
    assert set(body) - set(real) == {"references", "shippingDate"}
    assert body["payerCode"] == real["payerCode"]
    assert body["additionalServices"] == {"notification": True}
    assert body["shippingDate"] == "2026-11-27"


def test_long_names_and_marks_are_cut_to_dhls_field_lengths() -> None:
    request = booking_request(
        agreement(),
        recipient=Contact(name="A" * 40),
        order_reference="order-0123456789-abcdef",
    )

    body = mappers.booking_request(request, payer_code="1")

    assert body["parties"][1]["name"] == "A" * 35
    assert body["pieces"][0]["marksAndNumbers"] == "order-0123456789-"


def test_home_delivery_instruction_has_no_access_point_and_carries_the_door_code() -> None:
    request = booking_request(
        agreement(),
        product="401",
        kind=ProductKind.HOME,
        location=None,
        addons=(AddonChoice("entry-code", "1234#"),),
        parcels=(Parcel(weight_g=2500), Parcel(weight_g=750, length_mm=400)),
        shipping_date=None,
        order_reference="",
    )

    body = mappers.booking_request(request, payer_code="1")

    assert [p["type"] for p in body["parties"]] == ["Consignor", "Consignee"]
    assert body["parties"][1]["address"] == {
        "street": "Drottninggatan 10",
        "cityName": "Stockholm",
        "postalCode": "11151",
        "countryCode": "SE",
        "accessCode": "1234#",
    }
    assert body["pieces"] == [
        {"numberOfPieces": 1, "weight": 2.5, "marksAndNumbers": "shp_0001"},
        {"numberOfPieces": 1, "weight": 0.75, "length": 40.0, "marksAndNumbers": "shp_0001"},
    ]
    assert (body["totalNumberOfPieces"], body["totalWeight"]) == (2, 3.25)
    assert body["additionalServices"] == {}
    assert "shippingDate" not in body
    assert "additionalInformation" not in body


def test_a_locker_is_booked_as_parcel_station() -> None:
    box = Location(
        id="SE-268900",
        name="PAKETSKÅP (IBOXEN) 57 BIRGER JARLSG",
        kind=LocationKind.LOCKER,
        address=Address("SE", "11356", "STOCKHOLM", "BIRGER JARLSGATAN 57"),
    )

    body = mappers.booking_request(
        booking_request(agreement(), location=box, kind=ProductKind.LOCKER), payer_code="1"
    )

    assert body["parties"][2]["subType"] == "ParcelStation"
    assert body["parties"][2]["id"] == "2689"


def test_label_request_is_built_exactly() -> None:
    assert mappers.label_request("2906761230") == {
        "shipmentIds": ["2906761230"],
        "options": {"label": True, "pageOptions": {"pageType": "Label"}},
    }


def test_tracking_request_is_built_exactly() -> None:
    assert mappers.tracking_request("373221512525025100") == {
        "trackingNumber": "373221512525025100"
    }


# --- (2) real responses parsed exactly ---------------------------------------------------------


def test_api_farm_service_points_parsed_exactly() -> None:
    points = mappers.parse_service_points(
        sample_json("servicepoint-findnearestservicepoints-response__primepack-sandbox.json")
    )

    assert [(p.id, p.kind, p.distance_m) for p in points] == [
        ("SE-982000", LocationKind.SERVICE_POINT, 490),
        ("SE-241500", LocationKind.SERVICE_POINT, 1120),
        ("SE-268900", LocationKind.LOCKER, 1640),
        ("SE-232700", LocationKind.SERVICE_POINT, 1910),
        ("SE-347100", LocationKind.SERVICE_POINT, 2450),
    ]
    assert points[0] == Location(
        id="SE-982000",
        name="H.T. ROSIS GODIS & TOBAK T-BANEPLAN",
        kind=LocationKind.SERVICE_POINT,
        address=Address(
            country="SE", postal_code="11157", city="STOCKHOLM", street_address="SVEAVÄGEN 20"
        ),
        coordinates=Coordinates(lat=59.33477, lng=18.0647),
        opening_hours=(),
        distance_m=490,
    )
    assert points[0].extra == {
        "source": "api-farm",
        "location_type": "servicepoint",
        "sub_type": "ParcelShop",
    }
    assert points[2].name == "PAKETSKÅP (IBOXEN) 57 BIRGER JARLSG"
    assert points[2].extra["sub_type"] == "ParcelStation"


def test_location_finder_lockers_parsed_exactly() -> None:
    lockers = mappers.parse_service_points(
        sample_json("locationfinder-find-by-address-response-lockers-bonn__netresearch.json")
    )

    assert len(lockers) == 10
    assert lockers[0] == Location(
        id="8007-453113145",
        name="DHL Packstation 145",
        kind=LocationKind.LOCKER,
        address=Address(
            country="DE",
            postal_code="53113",
            city="Bonn",
            street_address="Charles-de-Gaulle-Str. 20",
        ),
        coordinates=Coordinates(lat=50.715672, lng=7.1295047),
        opening_hours=ALL_WEEK,
        distance_m=52,
    )
    assert lockers[0].extra == {
        "source": "location-finder",
        "location_type": "locker",
        "sub_type": "ParcelStation",
        "keyword_id": "145",
    }
    assert [loc.distance_m for loc in lockers] == [
        52, 292, 315, 800, 1415, 1636, 2341, 2458, 2481, 2488,
    ]  # fmt: skip


def test_location_finder_post_offices_keep_their_hours() -> None:
    offices = mappers.parse_service_points(
        sample_json("locationfinder-find-by-address-response-postoffice-bonn__netresearch.json")
    )

    first, second = offices[0], offices[1]
    assert (first.id, first.name, first.kind) == (
        "8003-4008202",
        "Postfiliale 502",
        LocationKind.SERVICE_POINT,
    )
    assert first.extra["location_type"] == "postoffice"
    assert first.opening_hours == (
        *(OpeningHours(day, dt.time(8, 0), dt.time(17, 0)) for day in range(5)),
        OpeningHours(5, dt.time(10, 0), dt.time(12, 0)),
    )
    assert (second.id, second.name, second.distance_m) == (
        "8003-4125075",
        "REWE Markt Peter Ziegler OHG",
        1486,
    )
    assert second.address == Address("DE", "53225", "Bonn", "Küdinghovener Str. 141")


def test_location_finder_answers_are_sorted_nearest_first() -> None:
    # DHL lists Leipzig's lockers first, then the counters, each group by distance.
    locations = mappers.parse_service_points(
        sample_json(
            "locationfinder-find-by-address-response-parcel-pickup-leipzig__netresearch.json"
        )
    )

    assert len(locations) == 70
    assert [loc.distance_m for loc in locations] == sorted(loc.distance_m or 0 for loc in locations)
    assert (locations[0].id, locations[0].name, locations[0].distance_m) == (
        "8003-4116282",
        "Uni Press Shop",
        224,
    )
    kinds = [loc.kind for loc in locations]
    assert (kinds.count(LocationKind.LOCKER), kinds.count(LocationKind.SERVICE_POINT)) == (20, 50)


def test_location_finder_reads_https_day_names_too() -> None:
    data = {
        "locations": [
            {
                "location": {"ids": [{"locationId": "8003-1", "provider": "parcel"}]},
                "name": "Paketshop",
                "openingHours": [
                    {
                        "opens": "09:00:00",
                        "closes": "18:00:00",
                        "dayOfWeek": "https://schema.org/Sunday",
                    }
                ],
            }
        ]
    }

    (location,) = mappers.parse_service_points(data)

    assert location.opening_hours == (OpeningHours(6, dt.time(9, 0), dt.time(18, 0)),)
    assert (location.kind, location.coordinates, location.distance_m) == (
        LocationKind.SERVICE_POINT,
        None,
        None,
    )


def test_empty_location_finder_answer_is_no_locations() -> None:
    assert (
        mappers.parse_service_points(
            sample_json("locationfinder-find-by-address-response-empty__netresearch.json")
        )
        == []
    )


def test_no_service_point_answer_is_a_refusal_with_dhls_text() -> None:
    data = sample_json(
        "servicepoint-findnearestservicepoints-response-error-400-none__primepack-sandbox.json"
    )

    assert mappers.service_point_refusal(data) == "No matching servicepoint was found"
    assert (
        mappers.service_point_refusal(
            sample_json("servicepoint-findnearestservicepoints-response__primepack-sandbox.json")
        )
        == ""
    )


def test_norwegian_points_are_named_by_their_shop_and_post_offices_kept() -> None:
    points = mappers.parse_service_points(
        fixture_json("servicepoint-findnearestservicepoints-response-no-oslo.json")
    )

    assert [(p.id, p.name, p.extra["location_type"]) for p in points] == [
        ("8009-129635", "REMA 1000 Christian Krohgs gate", "servicepoint"),
        ("8009-171102", "Vika postkontor", "postoffice"),
        ("8009-128190", "Extra Pilestredet Park", "servicepoint"),
        ("8009-128140", "REMA 1000 Sørenga", "servicepoint"),
        ("8009-128389", "Extra Trondheimsveien", "servicepoint"),
    ]
    assert points[1] == Location(
        id="8009-171102",
        name="Vika postkontor",
        kind=LocationKind.SERVICE_POINT,
        address=Address("NO", "0161", "OSLO", "KLINGENBERGGATA 7"),
        coordinates=Coordinates(lat=59.913615, lng=10.731313),
        distance_m=870,
    )
    assert points[1].extra == {
        "source": "api-farm",
        "location_type": "postoffice",
        "sub_type": "ParcelShop",
        "dhl_name": "SHOP",
    }


def test_polish_points_use_the_bookable_service_point_id_and_the_shop_name() -> None:
    points = mappers.parse_service_points(
        fixture_json("servicepoint-findnearestservicepoints-response-pl-krakow.json")
    )

    assert [(p.id, p.name, p.distance_m) for p in points] == [
        ("8005-PL-4504339", "ŻABKA", 90),
        ("8005-PL-4506934", "ŻABKA", 180),
        ("8005-PL-4518614", "ŻABKA", 200),
    ]
    assert points[0].address == Address("PL", "30-074", "KRAKÓW", "Kazimierza Wielkiego 82")
    assert points[0].extra["dhl_name"] == "DHL Parcelshop"


def test_a_swedish_point_without_a_shop_name_keeps_dhls_name() -> None:
    points = mappers.parse_service_points(
        sample_json("servicepoint-findnearestservicepoints-response__primepack-sandbox.json")
    )

    assert "dhl_name" not in points[0].extra
    assert points[0].name == "H.T. ROSIS GODIS & TOBAK T-BANEPLAN"


def test_kiruna_is_bookable_without_home_delivery() -> None:
    route = mappers.parse_availability(
        fixture_json("postalcode-route-response-se-98138-no-home-delivery.json")
    )

    assert route == mappers.PostalRoute(
        country="SE",
        postal_code="98138",
        city="KIRUNA",
        bookable=True,
        home_delivery_parcel=False,
        terminal_id="4850",
    )


def test_booking_answer_for_poland_parsed_exactly() -> None:
    booked = mappers.parse_booking(
        fixture_json("transportinstruction-response-109-pl-sent-free.json")
    )

    assert booked == mappers.BookedInstruction(
        id="2906761123",
        product="109",
        piece_ids=("373221512525024998",),
        routing_code="2LPL30079+70530000",
    )


def test_the_sent_refusal_and_the_route_refusal_are_read_verbatim() -> None:
    sent = fixture_json("transportinstruction-response-error-22001-109-pl-without-sent.json")
    route = fixture_json("postalcode-route-response-error-16010.json")

    assert mappers.error_messages(sent, 400) == (
        CarrierMessage("22001", "SENT_REF and SENT_CARKEY are mandatory unless SENT_FREE is true."),
    )
    assert mappers.error_messages(route, 400) == (
        CarrierMessage("16010", "Post code '99999' not found."),
    )


def test_postal_code_route_parsed_exactly() -> None:
    route = mappers.parse_availability(fixture_json("postalcode-route-response-se-11151.json"))

    assert route == mappers.PostalRoute(
        country="SE",
        postal_code="11151",
        city="STOCKHOLM",
        bookable=True,
        home_delivery_parcel=True,
        terminal_id="4210",
    )


def test_product_matches_parsed_exactly() -> None:
    domestic = mappers.parse_availability(
        sample_json("productmatches-response-reduced__primepack-sandbox.json")
    )
    international = mappers.parse_availability(
        sample_json("productmatches-response-reduced-se-no__primepack-sandbox.json")
    )

    assert isinstance(domestic, list) and isinstance(international, list)
    assert [m.code for m in domestic] == ["502", "118", "104", "102", "402", "211", "401", "103"]
    assert domestic[-1] == mappers.ProductMatch(
        code="103", name="DHL Service Point", short_name="", domestic=True
    )
    assert international[0] == mappers.ProductMatch(
        code="HDI",
        name="Home Delivery International",
        short_name="HOME DELIVERY INT.",
        domestic=False,
    )
    assert "109" in [m.code for m in international]


def test_transport_instruction_answer_parsed_exactly() -> None:
    booked = mappers.parse_booking(
        sample_json(
            "transportinstruction-sendtransportinstruction-response-success__primepack-sandbox.json"
        )
    )

    assert booked == mappers.BookedInstruction(
        id="2906761230",
        product="103",
        piece_ids=("373221512525025100",),
        routing_code="2LSE11157+02000000",
    )
    assert booked.tracking_url == (
        "https://www.dhl.com/se-en/home/tracking/tracking-freight.html?submit=1&tracking-id=2906761230"
    )


def test_print_answer_parsed_to_the_pdf_label() -> None:
    data = sample_json("print-printdocumentsbyid-response-label__primepack-sandbox.json")
    pdf = b"%PDF-1.4\n% a label\n%%EOF\n"
    data["reports"][0]["content"] = base64.b64encode(pdf).decode()

    (label,) = mappers.parse_label(data)

    assert (label.content, label.format, label.url) == (pdf, "pdf", "")


def test_print_sample_without_its_base64_is_refused_as_invalid() -> None:
    # The collected sample replaced the 103 044 base64 characters with a length marker.
    with pytest.raises(CarrierResponseInvalid, match="not base64"):
        mappers.parse_label(
            sample_json("print-printdocumentsbyid-response-label__primepack-sandbox.json")
        )


def test_unified_tracking_parcel_de_parsed_exactly() -> None:
    (shipment,) = mappers.parse_tracking(
        sample_json("unified-tracking-response-parcel-de-JJD000390005893028175__netresearch.json")
    )

    assert (shipment.id, shipment.service, shipment.status) == (
        "JJD000390005893028175",
        "parcel-de",
        TrackingStatus.DELIVERED,
    )
    assert shipment.piece_ids == ("JD000390005893028175",)
    # Timestamps without an offset are German local time (the origin country).
    assert shipment.events == (
        TrackingEvent(
            at=dt.datetime(2019, 8, 9, 4, 0, tzinfo=BERLIN),
            status=TrackingStatus.PENDING,
            carrier_code="pre-transit",
            description="The instruction data for this shipment have been provided by the sender to DHL electronically",
        ),
        TrackingEvent(
            at=dt.datetime(2019, 8, 9, 13, 48, tzinfo=BERLIN),
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="transit",
            description="The shipment has been processed in the parcel center of origin",
            location="Börnicke, Germany",
        ),
        TrackingEvent(
            at=dt.datetime(2019, 8, 10, 1, 29, tzinfo=BERLIN),
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="transit",
            description="The shipment has been processed in the destination parcel center",
            location="Radefeld, Germany",
        ),
        TrackingEvent(
            at=dt.datetime(2019, 8, 10, 7, 17, tzinfo=BERLIN),
            status=TrackingStatus.OUT_FOR_DELIVERY,
            carrier_code="transit",
            description="The shipment has been loaded onto the delivery vehicle",
        ),
        TrackingEvent(
            at=dt.datetime(2019, 8, 10, 8, 54, tzinfo=BERLIN),
            status=TrackingStatus.DELIVERED,
            carrier_code="delivered",
            description="The shipment has been successfully delivered",
            location="Germany",
        ),
    )
    assert shipment.events[0].at == dt.datetime(2019, 8, 9, 2, 0, tzinfo=dt.UTC)


def test_unified_tracking_parcel_nl_keeps_offsets_and_maps_failures() -> None:
    events = mappers.tracking_events(
        sample_json("unified-tracking-response-parcel-nl-3SHM00001165430__netresearch.json"),
        "3SHM00001165430",
    )

    assert len(events) == 10
    assert events[0] == TrackingEvent(
        at=dt.datetime(2019, 9, 2, 18, 57, 16, tzinfo=dt.UTC),
        status=TrackingStatus.PENDING,
        carrier_code="pre-transit",
        description="PRENOTIFICATION_RECEIVED",
    )
    assert [(e.description, e.status) for e in events[-4:]] == [
        ("OUT_FOR_DELIVERY", TrackingStatus.OUT_FOR_DELIVERY),
        ("PARCEL_HANDED_OVER_TO_COURIER", TrackingStatus.IN_TRANSIT),
        ("NOT_HOME", TrackingStatus.DELIVERY_FAILED),
        ("NOT_HOME_SYSTEM_INTERVENTION_DELIVERY_AT_PARCELSHOP", TrackingStatus.DELIVERY_FAILED),
    ]


def test_unified_tracking_reads_numeric_ids_and_picks_the_asked_shipment() -> None:
    (express,) = mappers.parse_tracking(
        sample_json("unified-tracking-shipments-response__karrio-dhl-universal.json")
    )
    events = mappers.tracking_events(
        sample_json("unified-tracking-response-dsc-1-254346763_1__netresearch.json"), "127363150"
    )

    assert express.id == "7777777770"
    assert express.events == (
        TrackingEvent(
            at=dt.datetime(2018, 3, 2, 6, 53, 47, tzinfo=dt.UTC),  # Amsterdam local time
            status=TrackingStatus.PENDING,
            carrier_code="pre-transit",
            description="JESSICA",
            location="Oderweg 2, AMSTERDAM",
        ),
    )
    assert [(e.at.isoformat(), e.status, e.description) for e in events] == [
        ("2019-07-02T17:35:00+00:00", TrackingStatus.IN_TRANSIT, "Shipment Pick-Up"),
        ("2019-07-02T19:40:00+00:00", TrackingStatus.DELIVERED, "Shipment Proof of Delivery"),
        ("2019-07-04T05:06:53+00:00", TrackingStatus.PENDING, "Shipment Confirmed"),
    ]


def test_an_unknown_tracking_status_code_is_unknown_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = {
        "shipments": [
            {
                "id": "1",
                "events": [{"timestamp": "2026-01-05T10:00:00Z", "statusCode": "teleported"}],
            }
        ]
    }

    with caplog.at_level(logging.WARNING):
        (event,) = mappers.tracking_events(data, "1")

    assert event.status is TrackingStatus.UNKNOWN
    assert "teleported" in caplog.text


# --- (3) error responses parsed ---------------------------------------------------------------

ERROR_SAMPLES = [
    (
        "transportinstruction-sendtransportinstruction-response-error-22015__primepack-sandbox.json",
        400,
        (CarrierMessage("22015", "AccessPoint Party is not allowed for this product"),),
    ),
    (
        "transportinstruction-sendtransportinstruction-response-error-22020__primepack-sandbox.json",
        400,
        (CarrierMessage("22020", "ChargeableWeight is lower than product min 2500.0"),),
    ),
    (
        "servicepoint-findnearestservicepoints-response-error-400-none__primepack-sandbox.json",
        400,
        (CarrierMessage("Error", "No matching servicepoint was found"),),
    ),
    (
        "postalcode-route-response-error-401__primepack-sandbox.json",
        401,
        (CarrierMessage("401", "No valid application matching client key"),),
    ),
    (
        "locationfinder-response-error-401__netresearch.json",
        401,
        (CarrierMessage("401", "Unauthorized for given resource."),),
    ),
    (
        "locationfinder-response-error-404__netresearch.json",
        404,
        (CarrierMessage("404", "not found"),),
    ),
    (
        "locationfinder-response-error-429__netresearch.json",
        429,
        (
            CarrierMessage(
                "429", "Too many requests within defined time period, please try again later."
            ),
        ),
    ),
    (
        "unified-tracking-response-error-400__netresearch.json",
        400,
        (
            CarrierMessage(
                "400",
                "Input is invalid: Provided language code 'en_de' isn't valid according to 'ISO 639-1 alpha-2'",
            ),
        ),
    ),
    (
        "unified-tracking-response-error-401__netresearch.json",
        401,
        (CarrierMessage("401", "Unauthorized for given resource."),),
    ),
    (
        "unified-tracking-response-error-429__netresearch.json",
        429,
        (
            CarrierMessage(
                "429", "Too many requests within defined time period, please try again later."
            ),
        ),
    ),
    (
        "unified-tracking-shipments-response-error-404__karrio-dhl-universal.json",
        404,
        (CarrierMessage("404", "No shipment with given tracking number found."),),
    ),
]


@pytest.mark.parametrize(
    ("name", "status", "expected"), ERROR_SAMPLES, ids=[e[0] for e in ERROR_SAMPLES]
)
def test_error_samples_parsed_verbatim(
    name: str, status: int, expected: tuple[CarrierMessage, ...]
) -> None:
    response = HttpResponse(status=status, headers={}, body=sample(name), duration_ms=1)

    assert mappers.parse_error(response) == expected


def test_postal_code_api_errors_parsed_in_either_casing() -> None:
    pascal = {"Status": 400, "ErrorCode": 16010, "UserMessage": "Post code '99999' not found."}
    camel = {"status": 400, "errorCode": 16011, "userMessage": "Post code '98491' is rural."}

    assert mappers.error_messages(pascal, 400) == (
        CarrierMessage("16010", "Post code '99999' not found."),
    )
    assert mappers.error_messages(camel, 400) == (
        CarrierMessage("16011", "Post code '98491' is rural."),
    )


def test_an_unreadable_error_body_gives_no_messages() -> None:
    response = HttpResponse(status=502, headers={}, body=b"<html>Bad gateway</html>", duration_ms=1)

    assert mappers.parse_error(response) == ()


# --- wrong shapes -----------------------------------------------------------------------------

WRONG_SHAPES: list[tuple[str, Any]] = [
    ("service_points", {"servicePoints": {"id": "SE-1"}}),
    ("service_points", {"servicePoints": [{"name": "no id"}]}),
    ("service_points", {"servicePoints": [{"id": "SE-1", "latitude": "north"}]}),
    ("service_points", []),
    ("locations", {"locations": [{"location": {"ids": []}}]}),
    (
        "locations",
        {
            "locations": [
                {
                    "location": {"ids": [{"locationId": "1"}]},
                    "openingHours": [{"dayOfWeek": "Funday"}],
                }
            ]
        },
    ),
    (
        "locations",
        {
            "locations": [
                {
                    "location": {"ids": [{"locationId": "1"}]},
                    "openingHours": [{"dayOfWeek": "http://schema.org/Monday", "opens": "8 am"}],
                }
            ]
        },
    ),
    ("route", {"postalCode": "11151"}),
    ("product_matches", {"product": {}}),
    ("transport_instruction", {"status": "Succes"}),
    ("transport_instruction", {"transportInstruction": {"id": "1", "pieces": [{"id": "373"}]}}),
    ("labels", {"reports": []}),
    ("labels", {"reports": [{"type": "Label", "content": base64.b64encode(b"<html/>").decode()}]}),
    ("tracking", {"shipments": [{"id": "1", "events": [{"timestamp": "yesterday"}]}]}),
    ("tracking", {"shipments": "none"}),
]
PARSE = {
    "service_points": mappers.parse_service_points,
    "locations": mappers.parse_service_points,
    "route": mappers.parse_availability,
    "product_matches": mappers.parse_availability,
    "transport_instruction": mappers.parse_booking,
    "labels": mappers.parse_label,
    "tracking": mappers.parse_tracking,
}


@pytest.mark.parametrize(("parser", "data"), WRONG_SHAPES)
def test_a_body_of_the_wrong_shape_is_invalid_never_a_crash(parser: str, data: Any) -> None:
    with pytest.raises(CarrierResponseInvalid):
        PARSE[parser](data)


def test_a_saved_body_that_is_not_json_is_invalid() -> None:
    with pytest.raises(CarrierResponseInvalid):
        DhlAdapter.parsers["service_points"](b"{not json")
