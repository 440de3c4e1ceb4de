"""Bring's Nordic PickUp Parcel (0340, ``PICKUP_PARCEL``) to a chosen pickup point in Sweden.

What Bring publishes (bring/developer-site @ fdc2931398459cd5d95282057f7cd7c963d104cd):
``data/services_bsg.json`` gives the Shipping Guide id (``"RequestCode": "PICKUP_PARCEL"``,
``"ServiceCode": "0340"``); ``data/services_vas.json`` the booking id (``"serviceCode":
"PICKUP_PARCEL"``), eAdvising as ``EVARSLING`` and "Optional pickup point (Nordics)" for it to
SE and DK from every sender country but Norway, booked as ``parties.pickupPoint {id,
countryCode}`` (``content/api/booking/examples/vas/SELECT_PICKUP_POINT_NORDICS.json``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import requests

from carriers.bring import BringAdapter, mappers, units
from carriers.bring.declaration import DECLARATION
from carriers.exceptions import CarrierRejected
from carriers.sandbox.core import ledger
from carriers.types import (
    Address,
    Location,
    LocationKind,
    Money,
    ProductKind,
    ProductQuery,
    QuoteRequest,
)
from tests.conftest import Sandbox

from .conftest import (
    CREDENTIALS,
    NOW,
    SENDER_ADDRESS,
    agreement,
    booking_request,
    quote_request,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PICKUP_PARCEL = ProductQuery("PICKUP_PARCEL", ProductKind.PICKUP_POINT, wants_locations=True)
SE_RECIPIENT = Address(
    country="SE", postal_code="111 51", city="Stockholm", street_address="Vasagatan 10"
)
SE_POINT = Location(
    id="736431",
    name="ICA Nära Vasagatan",
    kind=LocationKind.SERVICE_POINT,
    address=Address(
        country="SE", postal_code="11120", city="STOCKHOLM", street_address="VASAGATAN 7"
    ),
    extra={"type": "34", "country": "SE"},
)


@pytest.fixture
def bring() -> BringAdapter:
    return BringAdapter()


def _swedish(request_country: str = "SE", sender_country: str = "SE") -> QuoteRequest:
    request = quote_request(
        agreement(), PICKUP_PARCEL, country=request_country, postal_code="111 51"
    )
    return dataclasses.replace(
        request,
        currency="SEK",
        sender=dataclasses.replace(SENDER_ADDRESS, country=sender_country),
    )


def test_the_product_is_declared_for_swedish_and_danish_pickup_points() -> None:
    product = DECLARATION.product("PICKUP_PARCEL")

    assert product is not None
    assert product.kinds == frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER})
    assert product.countries == frozenset({"SE", "DK"})
    assert product.klarna_carrier == "bring"
    assert product.estimate == (1, 3)
    # The Norwegian products stay as they were.
    assert [(p.code, p.countries) for p in DECLARATION.products[:4]] == [
        ("5800", frozenset({"NO"})),
        ("5600", frozenset({"NO"})),
        ("3584", frozenset({"NO"})),
        ("3570", frozenset({"NO"})),
    ]


def test_shipping_guide_request_for_sweden_is_built_exactly() -> None:
    request = quote_request(
        agreement(), PICKUP_PARCEL, country="SE", postal_code="111 51", street_address=""
    )

    body = mappers.availability_request(
        request=request,
        products=["PICKUP_PARCEL"],
        origin=Address(country="SE", postal_code="11218"),
        shipping_at=mappers.shipping_hour(request.now, STOCKHOLM),
        alternative_dates=0,
    )

    assert body == {
        "language": "en",
        "withPrice": True,
        "withExpectedDelivery": True,
        "withGuiInformation": False,
        "numberOfAlternativeDeliveryDates": 0,
        "edi": True,
        "postingAtPostOffice": False,
        "trace": False,
        "consignments": [
            {
                "id": 1,
                "products": [{"id": "PICKUP_PARCEL", "customerNumber": "20012345678"}],
                "fromCountryCode": "SE",
                "fromPostalCode": "11218",
                "toCountryCode": "SE",
                "toPostalCode": "11151",
                "shippingDate": {
                    "year": "2026",
                    "month": "11",
                    "day": "26",
                    "hour": "16",
                    "minute": "00",
                },
                "packages": [
                    {"id": 1, "grossWeight": 1500, "length": 31, "width": 20, "height": 10}
                ],
            }
        ],
    }


def test_booking_request_to_a_swedish_pickup_point_is_built_exactly() -> None:
    request = booking_request(
        agreement(),
        product="PICKUP_PARCEL",
        location=SE_POINT,
        addons=(),
        recipient_address=SE_RECIPIENT,
    )

    body = mappers.booking_request(request=request, now=NOW)

    consignment = body["consignments"][0]
    assert consignment["product"] == {
        "id": "PICKUP_PARCEL",
        "customerNumber": "20012345678",
        # eAdvising, mandatory with a chosen pickup point, with the recipient's contact.
        "additionalServices": [
            {"id": "EVARSLING", "email": "kari@example.no", "mobile": "+4791234567"}
        ],
    }
    assert consignment["parties"]["pickupPoint"] == {"id": "736431", "countryCode": "SE"}
    assert consignment["parties"]["recipient"]["countryCode"] == "SE"
    assert consignment["parties"]["recipient"]["postalCode"] == "11151"
    assert consignment["parties"]["sender"]["countryCode"] == "SE"
    assert "customerSpecifiedDeliveryDateTime" not in consignment


def test_the_sms_add_on_adds_no_second_notification() -> None:
    request = booking_request(
        agreement(), product="PICKUP_PARCEL", location=SE_POINT, recipient_address=SE_RECIPIENT
    )

    body = mappers.booking_request(request=request, now=NOW)

    services = body["consignments"][0]["product"]["additionalServices"]
    assert [service["id"] for service in services] == ["EVARSLING"]
    assert units.MANDATORY_SERVICES == {"PICKUP_PARCEL": ("EVARSLING",)}


def test_a_swedish_quote_has_brings_price_estimate_and_swedish_pickup_points(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = dataclasses.replace(
        _swedish(), agreement=agreement(sandbox.url("bring")), max_locations=4
    )

    (quote,) = bring.quote(request=request)

    assert quote.available, quote.reason
    assert quote.product == "PICKUP_PARCEL"
    # 79.00 + 5.00 for the second kilo, 15 % off with a customer number, 25 % VAT.
    assert quote.price == Money(8925, "SEK")
    assert quote.delivery is not None and quote.delivery.earliest_days == 3
    assert len(quote.locations) == 4
    assert all(p.kind is LocationKind.SERVICE_POINT for p in quote.locations)
    assert [p.extra for p in quote.locations] == [{"type": "34", "country": "SE"}] * 4
    assert all(re.fullmatch(r"\d{6}", p.id) for p in quote.locations)
    assert [p.distance_m for p in quote.locations] == sorted(
        p.distance_m or 0 for p in quote.locations
    )


def test_the_sandbox_answers_the_product_with_its_production_code(sandbox: Sandbox) -> None:
    body = mappers.availability_request(
        request=quote_request(agreement(), PICKUP_PARCEL, country="SE", postal_code="11151"),
        products=["PICKUP_PARCEL", "5800"],
        origin=Address(country="SE", postal_code="11218"),
        shipping_at=dt.datetime(2026, 11, 26, 16, tzinfo=STOCKHOLM),
        alternative_dates=0,
    )

    answer = requests.post(
        sandbox.url("bring") + "/shippingguide/api/v2/products",
        json=body,
        headers={
            "X-Mybring-API-Uid": CREDENTIALS["api_uid"],
            "X-Mybring-API-Key": CREDENTIALS["api_key"],
            "X-Bring-Client-URL": CREDENTIALS["client_url"],
        },
        timeout=5,
    ).json()

    (product,) = answer["consignments"][0]["products"]  # 5800 is Norwegian: left out
    assert (product["id"], product["productionCode"]) == ("PICKUP_PARCEL", "0340")
    assert product["price"]["netPrice"]["currencyCode"] == "SEK"
    (quote,) = mappers.parse_availability(answer, zone=STOCKHOLM, today=dt.date(2026, 11, 26))
    assert quote.price == Money(8925, "SEK")


def test_a_norwegian_sender_gets_no_chosen_pickup_point(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = dataclasses.replace(
        _swedish(sender_country="NO"), agreement=agreement(sandbox.url("bring"))
    )

    (quote,) = bring.quote(request=request)

    assert not quote.available
    assert quote.reason == "Bring books no chosen pickup point for PICKUP_PARCEL sent from NO"


def test_booking_returns_ids_tracking_numbers_and_a_pdf_label(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = booking_request(
        agreement(sandbox.url("bring")),
        reference="shp_se_1",
        product="PICKUP_PARCEL",
        location=SE_POINT,
        recipient_address=SE_RECIPIENT,
    )

    booking = bring.book(request=request)

    assert re.fullmatch(r"70438101\d{9}", booking.carrier_shipment_id)
    sequence = booking.carrier_shipment_id[-6:]
    assert booking.tracking_numbers == (f"370438101{sequence}001",)
    (label,) = booking.labels
    assert label.content.startswith(b"%PDF-")
    assert sandbox.bookings("bring") == {"shp_se_1": 1}
    sent = ledger.find("bring", "shp_se_1")
    assert sent is not None
    assert sent["consignment"]["product"]["id"] == "PICKUP_PARCEL"
    assert sent["consignment"]["product"]["additionalServices"] == [
        {"id": "EVARSLING", "email": "kari@example.no", "mobile": "+4791234567"}
    ]
    assert sent["consignment"]["parties"]["pickupPoint"] == {"id": "736431", "countryCode": "SE"}


def test_the_sandbox_refuses_a_pickup_parcel_without_eadvising_in_brings_shape(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    body = mappers.booking_request(
        request=booking_request(
            agreement(sandbox.url("bring")),
            reference="shp_se_2",
            product="PICKUP_PARCEL",
            location=SE_POINT,
            recipient_address=SE_RECIPIENT,
        ),
        now=NOW,
    )
    del body["consignments"][0]["product"]["additionalServices"]

    answer = bring.client.book(
        base_url=sandbox.url("bring"), agreement=agreement(sandbox.url("bring")), body=body
    )

    # Bring's shape: a 200 whose consignment has no confirmation and ``errors[]``.
    (consignment,) = answer["consignments"]
    assert consignment["confirmation"] is None
    assert consignment["correlationId"] == "shp_se_2"
    (error,) = consignment["errors"]
    assert error["code"] == "SANDBOX-VAS-001"
    assert {"lang", "message"} <= set(error["messages"][0])
    with pytest.raises(CarrierRejected) as raised:
        mappers.parse_booking(answer)
    (message,) = raised.value.messages
    assert message.code == "SANDBOX-VAS-001"
    assert "EVARSLING" in message.text
    assert sandbox.bookings("bring") == {}
