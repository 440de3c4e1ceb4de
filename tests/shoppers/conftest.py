"""The demo shop through Klarna's callbacks (static carriers), with remembered choices on."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from merchants.demo import demo_merchant_seed
from merchants.models import KlarnaCredential, Merchant, MerchantUser
from tests.ksa.conftest import Klarna, Shop
from tests.ksa.conftest import _static_carriers as _static_carriers
from tests.portal.conftest import shop_b as shop_b

EMAIL = "Returning.Shopper@Example.com"
PHONE = "070-123 45 67"  # Swedish national format: +46701234567


@pytest.fixture
def demo(db: None) -> Merchant:
    return demo_merchant_seed(identifier="demo", key="demo-key")


@pytest.fixture
def klarna(client: Client, demo: Merchant) -> Klarna:
    credential = KlarnaCredential.objects.get(identifier="demo")
    return Klarna(client, Shop(merchant=demo, credential=credential, key="demo-key")).login()


def recipient(**overrides: Any) -> dict[str, Any]:
    return {
        "given_name": "Rita",
        "family_name": "Returning",
        "email": EMAIL,
        "phone": PHONE,
        "street_address": "Drottninggatan 1",
        "postal_code": "11151",
        "city": "Stockholm",
        "country": "SE",
        **overrides,
    }


@pytest.fixture
def staff() -> Client:
    user = User.objects.create_superuser("root", "root@partner.example", "pw-staff-123456")
    client = Client()
    client.force_login(user)
    return client


def shop_client(merchant: Merchant, username: str) -> Client:
    user = User.objects.create_user(username, f"{username}@example.com", "pw-shop-123456")
    MerchantUser.objects.create(user=user, merchant=merchant)
    client = Client()
    client.force_login(user)
    return client
