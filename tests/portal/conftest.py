"""Portal tests: the demo shop (shop A) and a second shop (shop B), each with a signed-in
user; shipments made by the reservation services against the static carrier source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from merchants.demo import demo_merchant_seed
from merchants.models import Carrier, Merchant, MerchantUser, OptionKind
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import DeliveryOptionFactory, MerchantFactory

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


def days_ago(days: int, hour: int = 12) -> dt.datetime:
    now = timezone.now()
    return (now - dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
