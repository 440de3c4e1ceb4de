"""Shared inputs for the DHL tests: paths, agreements, quote and booking requests."""

from __future__ import annotations

import dataclasses
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
)
from tests.conftest import carrier_sample

SAMPLES = carrier_sample()
FARM_SAMPLES = SAMPLES / "dhl-freight-se"
GROUP_SAMPLES = SAMPLES / "dhl"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CLIENT_KEY = "farm-client-key-0123456789"
API_KEY = "dhl-portal-api-key-9876543210"
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def sample(name: str) -> bytes:
    folder = FARM_SAMPLES if (FARM_SAMPLES / name).exists() else GROUP_SAMPLES
    return (folder / name).read_bytes()


def sample_json(name: str) -> Any:
    return json.loads(sample(name))


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def agreement(
    base_url: str = "", *, merchant_id: int = 0, agreement_id: int = 7, **credentials: str
) -> AgreementCredentials:
    return AgreementCredentials(
        agreement_id=agreement_id,
        customer_number="116768",
        credentials=credentials or {"client_key": CLIENT_KEY, "api_key": API_KEY},
        merchant_id=merchant_id,
        base_url=base_url,
    )


def quote_request(
    agreement: AgreementCredentials,
    *products: ProductQuery,
    country: str = "SE",
    postal_code: str = "11151",
    max_locations: int = 3,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="shop-1",
        agreement=agreement,
        products=products,
        recipient=Address(country=country, postal_code=postal_code),
        parcels=(Parcel(weight_g=1200, length_mm=300, width_mm=200, height_mm=100),),
        currency="SEK",
        now=NOW,
        max_locations=max_locations,
    )


def pickup(code: str = "103") -> ProductQuery:
    return ProductQuery(code, ProductKind.PICKUP_POINT, wants_locations=True)


def locker(code: str = "103") -> ProductQuery:
    return ProductQuery(code, ProductKind.LOCKER, wants_locations=True)


def home(code: str = "401") -> ProductQuery:
    return ProductQuery(code, ProductKind.HOME)


SERVICE_POINT = Location(
    id="SE-982000",
    name="H.T. ROSIS GODIS & TOBAK T-BANEPLAN",
    kind=LocationKind.SERVICE_POINT,
    address=Address(
        country="SE", postal_code="11157", city="STOCKHOLM", street_address="SVEAVÄGEN 20"
    ),
    extra={"source": "api-farm", "location_type": "servicepoint", "sub_type": "ParcelShop"},
)


def booking_request(agreement: AgreementCredentials, **changes: Any) -> BookingRequest:
    request = BookingRequest(
        reference="shp_0001",
        agreement=agreement,
        product="103",
        kind=ProductKind.PICKUP_POINT,
        sender=Contact(
            name="Sven Svensson",
            phone="+468123456",
            email="shipper@example.se",
            company="Test Shipper AB",
        ),
        sender_address=Address(
            country="SE", postal_code="111 43", city="Stockholm", street_address="Kungsgatan 1"
        ),
        recipient=Contact(
            name="Anna Andersson", phone="+46701234567", email="anna.andersson@example.se"
        ),
        recipient_address=Address(
            country="SE", postal_code="11151", city="Stockholm", street_address="Drottninggatan 10"
        ),
        parcels=(Parcel(weight_g=1000, length_mm=300, width_mm=200, height_mm=100),),
        location=SERVICE_POINT,
        addons=(AddonChoice("sms"),),
        order_reference="order-42",
        shipping_date=dt.date(2026, 11, 27),
    )
    return dataclasses.replace(request, **changes)
