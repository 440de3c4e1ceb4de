"""PostNord requests built exactly: service point search, transit time, EDI instructions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from carriers.postnord import mappers
from carriers.types import (
    AddonChoice,
    Address,
    Booking,
    Location,
    LocationKind,
    Parcel,
    ProductKind,
)

from .conftest import booking_request, fixture, make_agreement

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=STOCKHOLM)
SERVICE_POINT = Location(
    id="412018",
    name="Pressbyrån Sveavägen",
    kind=LocationKind.SERVICE_POINT,
    address=Address(
        country="SE", postal_code="11151", city="STOCKHOLM", street_address="Sveavägen 71"
    ),
    extra={
        "country": "SE",
        "type_id": "25",
        "delivery_name": "Pressbyrån Sveavägen",
        "delivery_street": "Sveavägen 71",
        "delivery_postal_code": "11151",
        "delivery_city": "STOCKHOLM",
        "delivery_country": "SE",
    },
)


def test_service_point_search_asks_for_manned_points_near_the_postal_code() -> None:
    params = mappers.service_points_request(
        country="SE", postal_code="11151", kind=ProductKind.PICKUP_POINT, limit=10
    )

    assert params == {
        "returnType": "json",
        "countryCode": "SE",
        "postalCode": "11151",
        "numberOfServicePoints": "10",
        "context": "optionalservicepoint",
        "responseFilter": "public",
        "typeId": "4,6,24,25,37,38,44,46,54,61",
        "srId": "EPSG:4326",
    }


def test_locker_search_asks_for_parcel_boxes_only() -> None:
    params = mappers.service_points_request(
        country="DK", postal_code="2100", kind=ProductKind.LOCKER, limit=5
    )

    assert params["typeId"] == "2"
    assert (params["countryCode"], params["numberOfServicePoints"]) == ("DK", "5")


def test_transit_time_query_names_both_ends_and_the_local_hand_over_hour() -> None:
    params = mappers.availability_request(
        origin_country="SE",
        origin_postal_code="11218",
        destination_country="NO",
        destination_postal_code="0150",
        codes=["17", "19"],
        start=dt.datetime(2026, 11, 26, 9, 0),
    )

    assert params == {
        "startTime": "2026-11-26T09:00",
        "serviceCodes": "17,19",
        "originPostalCode": "11218",
        "originCountryCode": "SE",
        "destinationPostalCode": "0150",
        "destinationCountryCode": "NO",
    }


def test_service_point_booking_is_the_edi_instruction_we_expect() -> None:
    agreement = make_agreement("http://sandbox.invalid/postnord")
    request = booking_request(
        agreement,
        product="19",
        kind=ProductKind.PICKUP_POINT,
        recipient_address=Address(
            country="SE",
            postal_code="111 51",
            city="Stockholm",
            street_address="Drottninggatan 10",
            street_address2="lgh 1201",
        ),
        parcels=(Parcel(1200, 300, 200, 100), Parcel(450)),
        location=SERVICE_POINT,
        addons=(AddonChoice("sms"), AddonChoice("entry-code", "1234")),
        order_reference="1001",
    )

    body = mappers.booking_request(request, now=NOW, issuer_code="Z12", application_id=1234)

    assert body == fixture("edi_instruction_service_point.json")


def test_home_booking_has_no_delivery_party_and_loads_on_the_shipping_date() -> None:
    agreement = make_agreement("http://sandbox.invalid/postnord")
    request = booking_request(
        agreement, parcels=(Parcel(weight_g=800),), shipping_date=dt.date(2026, 5, 6)
    )

    body = mappers.booking_request(request, now=NOW, issuer_code="Z12")

    assert body["application"] == {"name": "tms-gateway", "version": "1.0"}
    shipment = body["shipment"][0]
    assert shipment["service"] == {"basicServiceCode": "17"}
    assert shipment["dateAndTimes"] == {"loadingDate": "2026-05-06T08:00:00+02:00"}
    assert "freeText" not in shipment
    assert shipment["references"] == [{"referenceNo": "shp_8f3a", "referenceType": "CU"}]
    assert set(shipment["parties"]) == {"consignor", "consignee"}
    assert shipment["goodsItem"] == [
        {
            "packageTypeCode": "PC",
            "items": [
                {
                    "itemIdentification": {"itemId": "0", "itemIdType": "SSCC"},
                    "grossWeight": {"value": 0.8, "unit": "KGM"},
                }
            ],
        }
    ]


def test_deletion_resends_the_shipment_with_its_ids() -> None:
    agreement = make_agreement("http://sandbox.invalid/postnord")
    booking = Booking(
        carrier_shipment_id="shp_8f3a",
        tracking_numbers=("00373500400000010014",),
        extra=mappers.booking_extra(booking_request(agreement), issuer_code="Z12"),
    )

    body = mappers.cancel_request(booking, agreement=agreement, now=NOW)

    assert body == {
        "messageDate": "2026-05-04T10:00:00+02:00",
        "messageFunction": "Instruction",
        "messageId": "shp_8f3a-DEL",
        "updateIndicator": "Deletion",
        "application": {"name": "tms-gateway", "version": "1.0"},
        "shipment": [
            {
                "shipmentIdentification": {"shipmentId": "shp_8f3a"},
                "service": {"basicServiceCode": "17"},
                "parties": {
                    "consignor": {
                        "issuerCode": "Z12",
                        "partyIdentification": {"partyId": "0020512345", "partyIdType": "160"},
                        "party": {
                            "nameIdentification": {"name": "Demo Shop AB"},
                            "address": {
                                "streets": ["Lindhagensgatan 76"],
                                "postalCode": "11218",
                                "city": "Stockholm",
                                "countryCode": "SE",
                            },
                        },
                    }
                },
                "goodsItem": [
                    {
                        "packageTypeCode": "PC",
                        "items": [
                            {
                                "itemIdentification": {
                                    "itemId": "00373500400000010014",
                                    "itemIdType": "SSCC",
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_label_reprint_names_each_label_by_its_print_id() -> None:
    # The booking swagger's assignedIds.printId: "The printId is use to print the label, in the
    # endpoints /v3/labels/ids/(zpl|pdf)" (its example value below).
    assert mappers.label_reprint_request(["31eed2dad84b48a2ba92a26590a0a69f", "87a6d7"]) == [
        {"id": "31eed2dad84b48a2ba92a26590a0a69f"},
        {"id": "87a6d7"},
    ]


def test_a_uuid_reference_fits_the_swaggers_35_and_36_characters() -> None:
    # Our booking reference is a 32-digit hex id; Klarna's order id is a 36-character UUID.
    # referenceNo and shipmentId allow 35 characters, messageId 36 (booking swagger).
    agreement = make_agreement("http://sandbox.invalid/postnord")
    reference = "8f3a0b1d9815165e42e2886735bc0378"
    request = booking_request(
        agreement, reference=reference, order_reference="0b1d9815-165e-42e2-8867-35bc03789e00"
    )

    body = mappers.booking_request(request, now=NOW, issuer_code="Z12")
    booking = Booking(
        carrier_shipment_id=reference,
        tracking_numbers=("00373500400000010014",),
        extra=mappers.booking_extra(request, issuer_code="Z12"),
    )
    deletion = mappers.cancel_request(booking, agreement=agreement, now=NOW)

    assert body["messageId"] == reference
    assert body["shipment"][0]["references"] == [
        {"referenceNo": reference, "referenceType": "CU"},
        {"referenceNo": "0b1d9815165e42e2886735bc03789e00", "referenceType": "REF"},
    ]
    assert deletion["messageId"] == f"{reference}-DEL"
    assert len(deletion["messageId"]) == 36


def test_tracking_asks_track_and_trace_v7_by_identifier_in_the_path() -> None:
    assert mappers.tracking_request("00373500489530470000", locale="en") == (
        "/rest/shipment/v7/trackandtrace/id/00373500489530470000/public",
        {"locale": "en"},
    )


def test_find_booking_asks_v7_by_customer_number_and_reference() -> None:
    assert mappers.find_booking_request("0020512345", "shp_8f3a", locale="en") == (
        "/rest/shipment/v7/trackandtrace/customernumber/0020512345/reference/shp_8f3a/public",
        {"locale": "en"},
    )
