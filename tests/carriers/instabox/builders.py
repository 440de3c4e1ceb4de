"""Requests and fixtures the Instabox tests share."""

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

FIXTURES = Path(__file__).resolve().parent / "fixtures"
API_KEY = "ibx-test-key-5f2a9c"
REFERENCE = "7d0f5a52-4a0e-4b5c-9f3e-2a1d6c9b8e01"
TOKEN = "019d8c17-7f32-74bf-8257-bde6184c63db"

LOCKER = ProductQuery("LOCKER_EXPRESS", ProductKind.LOCKER, wants_locations=True)
HOME = ProductQuery("HOME_DELIVERY", ProductKind.HOME, wants_timeslots=True)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def agreement(
    base_url: str = "", *, merchant_id: int = 0, api_key: str = API_KEY
) -> AgreementCredentials:
    return AgreementCredentials(
        agreement_id=7,
        customer_number="SHOP",
        credentials={"api_key": api_key} if api_key else {},
        merchant_id=merchant_id,
        base_url=base_url,
    )


def quote_request(
    *products: ProductQuery,
    base_url: str = "",
    country: str = "SE",
    postal_code: str = "111 51",
    now: dt.datetime | None = None,
    max_locations: int = 5,
    merchant_id: int = 0,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="shop",
        agreement=agreement(base_url, merchant_id=merchant_id),
        products=products or (LOCKER,),
        recipient=Address(country=country, postal_code=postal_code, city="Stockholm"),
        parcels=(Parcel(weight_g=1200),),
        currency="SEK",
        now=now or dt.datetime.now(dt.UTC),
        max_locations=max_locations,
    )


def locker(sort_code: str = "IN1043", *, token: str = TOKEN) -> Location:
    extra = {"sortCode": sort_code, "availabilityToken": token} if token else {}
    return Location(
        id=sort_code,
        name="Instabox ICA Nära Drottninggatan",
        kind=LocationKind.LOCKER,
        address=Address(country="SE", postal_code="11121", city="Stockholm"),
        extra=extra,
    )


def booking_request(
    *,
    base_url: str = "",
    product: str = "LOCKER_EXPRESS",
    location: Location | None = None,
    timeslot: Timeslot | None = None,
    parcels: tuple[Parcel, ...] = (
        Parcel(weight_g=1200, length_mm=305, width_mm=200, height_mm=95),
    ),
    addons: tuple[AddonChoice, ...] = (),
    reference: str = REFERENCE,
    phone: str = "+46701234567",
    merchant_id: int = 0,
) -> BookingRequest:
    home = product == "HOME_DELIVERY"
    return BookingRequest(
        reference=reference,
        agreement=agreement(base_url, merchant_id=merchant_id),
        product=product,
        kind=ProductKind.HOME if home else ProductKind.LOCKER,
        sender=Contact(name="Shop AB", phone="+46812345678", email="warehouse@example.com"),
        sender_address=Address(
            country="SE", postal_code="11122", city="Stockholm", street_address="Lagergatan 1"
        ),
        recipient=Contact(name="Anna Svensson", phone=phone, email="anna.svensson@example.com"),
        recipient_address=Address(
            country="SE",
            postal_code="113 43",
            city="Stockholm",
            street_address="Hälsingegatan 40",
            street_address2="Floor 10",
        ),
        parcels=parcels,
        location=None if home else (location or locker()),
        timeslot=timeslot,
        addons=addons,
        order_reference="KL-100234",
    )
