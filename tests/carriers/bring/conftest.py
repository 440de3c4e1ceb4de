"""Bring test data: an agreement, a quote request and a booking request to vary per test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from carriers.types import (
    AddonChoice,
    Address,
    AgreementCredentials,
    BookingRequest,
    Contact,
    Location,
    LocationKind,
    Parcel,
    ProductKind,
    ProductQuery,
    QuoteRequest,
    Timeslot,
)
from tests.conftest import carrier_sample

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = carrier_sample("bring")

API_UID = "warehouse@demo-shop.example"
API_KEY = "f00f000f-00f0-f0f0-f0f0-f0f0f0f0ff00"
CLIENT_URL = "https://demo-shop.example"
CREDENTIALS = {"api_uid": API_UID, "api_key": API_KEY, "client_url": CLIENT_URL}
# Thursday 26 November 2026, 14:20 UTC (15:20 in Oslo).
NOW = dt.datetime(2026, 11, 26, 14, 20, tzinfo=dt.UTC)
OSLO = dt.timezone(dt.timedelta(hours=1))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def agreement(
    base_url: str = "", *, merchant_id: int = 0, test_mode: bool = True
) -> AgreementCredentials:
    return AgreementCredentials(
        agreement_id=7,
        customer_number="20012345678",
        credentials=dict(CREDENTIALS),
        test_mode=test_mode,
        merchant_id=merchant_id,
        base_url=base_url,
    )


def quote_request(
    credentials: AgreementCredentials,
    *products: ProductQuery,
    country: str = "NO",
    postal_code: str = "0150",
    street_address: str = "Storgata 1",
    max_locations: int = 3,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="shop-1",
        agreement=credentials,
        products=products,
        recipient=Address(
            country=country, postal_code=postal_code, city="Oslo", street_address=street_address
        ),
        parcels=(Parcel(weight_g=1500, length_mm=305, width_mm=200, height_mm=98),),
        currency="NOK",
        now=NOW,
        max_locations=max_locations,
    )


PICKUP_POINT = ProductQuery("5800", ProductKind.PICKUP_POINT, wants_locations=True)
LOCKER = ProductQuery("5800", ProductKind.LOCKER, wants_locations=True)
HOME = ProductQuery("5600", ProductKind.HOME, wants_timeslots=True)
MAILBOX = ProductQuery("3584", ProductKind.MAILBOX)

SENDER = Contact(
    name="Lager", phone="+46812345678", email="warehouse@demo-shop.example", company="Demo Shop AB"
)
SENDER_ADDRESS = Address(
    country="SE", postal_code="112 18", city="Stockholm", street_address="Lindhagensgatan 76"
)
RECIPIENT = Contact(name="Kari Nordmann", phone="+4791234567", email="kari@example.no")
RECIPIENT_ADDRESS = Address(
    country="NO",
    postal_code="0150",
    city="Oslo",
    street_address="Storgata 1",
    street_address2="Leilighet H0301",
)
PICKUP_LOCATION = Location(
    id="121524",
    name="Coop Obs! Hypermarked Vinterbro",
    kind=LocationKind.SERVICE_POINT,
    address=Address(
        country="NO", postal_code="1407", city="VINTERBRO", street_address="SJØSKOGENVEIEN 7"
    ),
    extra={"type": "4", "country": "NO"},
)
EVENING = Timeslot(
    id="2026-12-01T15:00-22:00",
    start=dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC),
    end=dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC),
)


def booking_request(
    credentials: AgreementCredentials,
    *,
    reference: str = "shp_4f2a9c",
    product: str = "5800",
    kind: ProductKind = ProductKind.PICKUP_POINT,
    location: Location | None = PICKUP_LOCATION,
    timeslot: Timeslot | None = None,
    addons: tuple[AddonChoice, ...] = (AddonChoice("sms"),),
    parcels: tuple[Parcel, ...] = (
        Parcel(weight_g=1500, length_mm=305, width_mm=200, height_mm=98),
    ),
    recipient_address: Address = RECIPIENT_ADDRESS,
) -> BookingRequest:
    return BookingRequest(
        reference=reference,
        agreement=credentials,
        product=product,
        kind=kind,
        sender=SENDER,
        sender_address=SENDER_ADDRESS,
        recipient=RECIPIENT,
        recipient_address=recipient_address,
        parcels=parcels,
        location=location,
        timeslot=timeslot,
        addons=addons,
        order_reference="1001",
    )
