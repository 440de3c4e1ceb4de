"""Portal tests: the demo shop (shop A) and a second shop (shop B), each with a signed-in
user; shipments made by the reservation services against the static carrier source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from carriers.types import Address
from merchants.demo import demo_merchant_seed
from merchants.models import Carrier, Merchant, MerchantUser, OptionKind
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import DeliveryOptionFactory, MerchantFactory
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

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _static_carriers(settings: Settings) -> Iterator[None]:
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def shop_a(db: None) -> Merchant:
    return demo_merchant_seed(identifier="demo", key="demo-key")


@pytest.fixture
def shop_b(db: None) -> Merchant:
    merchant = MerchantFactory.create(name="Other Shop", slug="other-shop")
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="b-courier",
        kind=OptionKind.OWN,
        carrier=Carrier.GENERIC,
        carrier_product="",
        names={"en": "B courier", "sv": "B-bud"},
        prices={"SEK": 1900},
    )
    return merchant


def shop_user(merchant: Merchant, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    MerchantUser.objects.create(user=user, merchant=merchant)
    return user


@pytest.fixture
def user_a(shop_a: Merchant) -> User:
    return shop_user(shop_a, "anna")


@pytest.fixture
def user_b(shop_b: Merchant) -> User:
    return shop_user(shop_b, "bertil")


@pytest.fixture
def client_a(user_a: User) -> Client:
    client = Client()
    client.force_login(user_a)
    return client


@pytest.fixture
def client_b(user_b: User) -> Client:
    client = Client()
    client.force_login(user_b)
    return client


def session_for(
    *,
    session_id: str,
    order_id: str,
    given_name: str = "Test",
    family_name: str = "Person",
    country: str = "SE",
    postal_code: str = "11151",
) -> Session:
    return Session(
        currency="SEK",
        locale="sv-SE",
        session_id=session_id,
        order=Order(
            id=order_id,
            total_amount=29900,
            lines=(OrderLine(quantity=1, reference="SKU-1", unit_weight_g=800),),
        ),
        recipient=Recipient(
            address=Address(
                country=country,
                postal_code=postal_code,
                city="Stockholm",
                street_address="Drottninggatan 53",
            ),
            given_name=given_name,
            family_name=family_name,
            email="shopper@example.com",
            phone="+46701234567",
        ),
    )


_counter = iter(range(1, 1_000_000))


def shipment_make(
    merchant: Merchant,
    option_id: str,
    *,
    order_id: str = "",
    given_name: str = "Test",
    family_name: str = "Person",
    confirm: bool = True,
    addons: tuple[AddonSelection, ...] = (),
    location_id: str = "",
    **fields: Any,
) -> Shipment:
    """A reservation of the option (confirmed unless ``confirm=False``); ``fields`` are then
    written directly (status, tracking number, created_at, ...) as later steps would."""
    n = next(_counter)
    session = session_for(
        session_id=f"s-{n}",
        order_id=order_id or f"order-{n}",
        given_name=given_name,
        family_name=family_name,
    )
    shipment = shipment_reserve(
        merchant=merchant,
        session=session,
        selection=Selection(option_id=option_id, location_id=location_id, addons=addons),
    )
    if confirm:
        shipment = shipment_confirm(merchant=merchant, shipment=shipment)
    if fields:
        Shipment.objects.filter(pk=shipment.pk).update(**fields)
        shipment.refresh_from_db()
    return shipment


def days_ago(days: int, hour: int = 12) -> dt.datetime:
    now = timezone.now()
    return (now - dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
