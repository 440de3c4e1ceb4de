"""Shared data for the PostNord adapter tests: the real samples' folder, an agreement and
requests pointing at the carrier sandbox."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from carriers.postnord import PostNordAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    BookingRequest,
    Contact,
    Parcel,
    ProductKind,
    ProductQuery,
    QuoteRequest,
)
from tests.conftest import Sandbox, carrier_sample

SAMPLES = carrier_sample("postnord")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
API_KEY = "0123456789abcdef0123456789abcdef"
CUSTOMER_NUMBER = "0020512345"
# A Thursday morning in Stockholm (09:30 local): parcels handed over today leave tonight.
THURSDAY = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def load(name: str) -> Any:
    """A shared sample, parsed as JSON."""
    return json.loads(sample(name))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def make_agreement(
    base_url: str, *, merchant_id: int = 0, **credentials: Any
) -> AgreementCredentials:
    return AgreementCredentials(
        agreement_id=7,
        customer_number=CUSTOMER_NUMBER,
        credentials={
            "api_key": API_KEY,
            "origin_postal_code": "11218",
            "origin_country": "SE",
            **credentials,
        },
        merchant_id=merchant_id,
        base_url=base_url,
    )


def quote_request(
    agreement: AgreementCredentials,
    *products: ProductQuery,
    country: str = "SE",
    postal_code: str = "111 51",
    max_locations: int = 3,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="shop-1",
        agreement=agreement,
        products=products,
        recipient=Address(country=country, postal_code=postal_code, city="Stockholm"),
        parcels=(Parcel(weight_g=1200),),
        currency="SEK",
        now=THURSDAY,
        max_locations=max_locations,
    )


def booking_request(
    agreement: AgreementCredentials,
    *,
    reference: str = "shp_8f3a",
    product: str = "17",
    kind: ProductKind = ProductKind.HOME,
    **changes: Any,
) -> BookingRequest:
    values: dict[str, Any] = {
        "reference": reference,
        "agreement": agreement,
        "product": product,
        "kind": kind,
        "sender": Contact(
            name="Warehouse",
            phone="+46812345678",
            email="warehouse@demo-shop.example",
            company="Demo Shop AB",
        ),
        "sender_address": Address(
            country="SE",
            postal_code="112 18",
            city="Stockholm",
            street_address="Lindhagensgatan 76",
        ),
        "recipient": Contact(name="Anna Andersson", phone="+46701234567", email="anna@example.se"),
        "recipient_address": Address(
            country="SE", postal_code="111 51", city="Stockholm", street_address="Drottninggatan 10"
        ),
        "parcels": (Parcel(weight_g=1200, length_mm=300, width_mm=200, height_mm=100),),
        **changes,
    }
    return BookingRequest(**values)


@pytest.fixture
def adapter() -> PostNordAdapter:
    return PostNordAdapter()


@pytest.fixture
def agreement(sandbox: Sandbox) -> AgreementCredentials:
    return make_agreement(sandbox.url("postnord"))
