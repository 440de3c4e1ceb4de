"""A confirmed shipment of the demo shop, its carriers pointed at the test's sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from carriers.types import Address
from merchants.demo import demo_merchant_seed
from merchants.models import Merchant
from tests.conftest import Sandbox
from tms_gateway.checkout.types import (
    AddonSelection,
    Order,
    OrderLine,
    Recipient,
    Selection,
    Session,
)
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.services import shipment_confirm, shipment_reserve


@pytest.fixture
def demo(sandbox: Sandbox, settings: Any) -> Merchant:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    return demo_merchant_seed(identifier="demo", key="demo-key")


def checkout_session(
    *, country: str = "SE", postal_code: str = "11151", session_id: str = "s-1"
) -> Session:
    currency = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "FI": "EUR", "DE": "EUR"}[country]
    return Session(
        currency=currency,
        locale="sv-SE",
        session_id=session_id,
        order=Order(
            id="klarna-order-1",
            total_amount=59800,
            lines=(
                OrderLine(
                    quantity=2,
                    reference="SKU-1",
                    unit_weight_g=600,
                    length_mm=300,
                    width_mm=200,
                    height_mm=100,
                ),
            ),
        ),
        recipient=Recipient(
            address=Address(
                country=country,
                postal_code=postal_code,
                city="Stockholm",
                street_address="Drottninggatan 53",
            ),
            given_name="Test",
            family_name="Person",
            email="test@example.com",
            phone="+46701234567",
        ),
    )


def confirmed(
    merchant: Merchant,
    option_id: str,
    *,
    addons: tuple[AddonSelection, ...] = (),
    location_id: str = "",
    timeslot_id: str = "",
    session_id: str = "s-1",
    country: str = "SE",
    postal_code: str = "11151",
) -> Shipment:
    session = checkout_session(country=country, postal_code=postal_code, session_id=session_id)
    shipment = shipment_reserve(
        merchant=merchant,
        session=session,
        selection=Selection(
            option_id=option_id, location_id=location_id, timeslot_id=timeslot_id, addons=addons
        ),
    )
    return shipment_confirm(merchant=merchant, shipment=shipment)
