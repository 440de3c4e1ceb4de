"""A small shop and a Klarna-like client for the callback API tests."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from merchants.models import AddonType, Carrier, KlarnaCredential, Merchant, OptionKind
from tests.factories import (
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)

AUTH_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
SELECT_TYPE = "application/vdn.klarna.shipping.select_option-v1+json"


@dataclass
class Shop:
    merchant: Merchant
    credential: KlarnaCredential
    key: str


def shop_create(*, identifier: str, key: str) -> Shop:
    merchant = MerchantFactory.create(default_locale="en")
    credential = KlarnaCredentialFactory.create(merchant=merchant, identifier=identifier, key=key)
    home = DeliveryOptionFactory(
        merchant=merchant,
        code="pn-home",
        kind=OptionKind.HOME,
        carrier="postnord",
        carrier_product="17",
        carrier_product_name="MyPack Home",
        names={"en": "Home delivery", "sv": "Hemleverans"},
        prices={"SEK": 6900, "EUR": 690},
        countries=["SE", "FI"],
        sort_order=20,
    )
    DeliveryOptionAddonFactory(
        option=home, code="sms-notice", type=AddonType.SMS, preselected=True, prices={}
    )
    DeliveryOptionAddonFactory(
        option=home,
        code="door-code",
        type=AddonType.ENTRY_CODE,
        max_length=10,
        prices={"SEK": 1000, "EUR": 100},
        names={"en": "Door code", "sv": "Portkod"},
    )
    DeliveryOptionFactory(
        merchant=merchant,
        code="pn-pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier="postnord",
        carrier_product="19",
        carrier_product_name="MyPack Collect",
        names={"en": "Pickup point", "sv": "Ombud"},
        prices={"SEK": 4900, "EUR": 490},
        free_shipping_thresholds={"SEK": 100000},
        countries=["SE", "FI"],
        sort_order=10,
        preselected=True,
        is_fallback=True,
    )
    DeliveryOptionFactory(
        merchant=merchant,
        code="budbee-evening",
        kind=OptionKind.HOME,
        carrier="budbee",
        carrier_product="home",
        carrier_product_name="Budbee Home",
        uses_timeslots=True,
        service_class="express",
        names={"en": "Evening delivery", "sv": "Kvällsleverans"},
        prices={"SEK": 7900},
        countries=["SE"],
        sort_order=30,
    )
    store = StoreFactory(merchant=merchant, code="sthlm", name="Stockholm City")
    DeliveryOptionFactory(
        merchant=merchant,
        code="store",
        kind=OptionKind.STORE,
        carrier=Carrier.GENERIC,
        carrier_product="",
        names={"en": "Pick up in store", "sv": "Hämta i butik"},
        prices={"SEK": 0, "EUR": 0},
        countries=["SE"],
        sort_order=40,
        stores=[store],
    )
    return Shop(merchant=merchant, credential=credential, key=key)


@pytest.fixture(autouse=True)
def _static_carriers(settings: Any) -> None:
    """The API tests use the built-in static carrier source (see tests/checkout/conftest.py)."""
    from carriers.breaker import breaker
    from tests.checkout.conftest import STATIC_ADAPTERS

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    breaker.reset()


@pytest.fixture
def shop(db: None) -> Shop:
    return shop_create(identifier="shop-a", key="key-a")


@pytest.fixture
def other_shop(db: None) -> Shop:
    return shop_create(identifier="shop-b", key="key-b")


def digest(nonce: str, key: str) -> str:
    return hashlib.sha256((nonce + key).encode()).hexdigest()


class Klarna:
    """Plays Klarna's side over Django's test client."""

    def __init__(self, client: Client, shop: Shop) -> None:
        self.client = client
        self.shop = shop
        self.token = ""

    def auth(self, *, nonce: str | None = None, key: str | None = None) -> Any:
        nonce = nonce or uuid.uuid4().hex
        return self.client.post(
            "/ksa/v1/auth",
            data=json.dumps(
                {
                    "identifier": self.shop.credential.identifier,
                    "secret": {"nonce": nonce, "digest": digest(nonce, key or self.shop.key)},
                }
            ),
            content_type=AUTH_TYPE,
        )

    def login(self) -> Klarna:
        response = self.auth()
        assert response.status_code == 201, response.content
        self.token = response.json()["token"]
        return self

    def headers(self) -> dict[str, Any]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def post(self, path: str, body: Any = None, *, content_type: str = "application/json") -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        return self.client.post(
            f"/ksa/v1/{path}", data=data, content_type=content_type, **self.headers()
        )

    def put(self, path: str, body: Any, *, content_type: str = SELECT_TYPE) -> Any:
        return self.client.put(
            f"/ksa/v1/{path}", data=json.dumps(body), content_type=content_type, **self.headers()
        )

    def get(self, path: str) -> Any:
        return self.client.get(f"/ksa/v1/{path}", **self.headers())

    def options(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post("shippingoptions", session)
        assert response.status_code == 200, response.content
        return list(response.json()["shipping_options"])

    def reserve(self, body: dict[str, Any]) -> Any:
        return self.post("shipment", body, content_type=SELECT_TYPE)


@pytest.fixture
def klarna(client: Client, shop: Shop) -> Klarna:
    return Klarna(client, shop).login()


@pytest.fixture
def klarna_b(other_shop: Shop) -> Klarna:
    return Klarna(Client(), other_shop).login()


FULL_RECIPIENT = {
    "given_name": "Testperson-se",
    "family_name": "Approved",
    "email": "youremail@email.com",
    "phone": "+46765260000",
    "street_address": "Stårgatan 1",
    "postal_code": "12345",
    "city": "Ankeborg",
    "country": "SE",
    "customer_type": "person",
}

ORDER = {
    "id": "f3392f8b-6116-4073-ab96-e330819e2c07",
    "tags": ["member"],
    "total_amount": 59800,
    "total_tax": 11960,
    "total_weight": 1700,
    "lines": [
        {
            "reference": "19-402-SWE",
            "type": "physical",
            "quantity": 2,
            "unit_price": 29900,
            "tax_rate": 2500,
            "total_discount_amount": 0,
            "total_price_including_tax": 59800,
            "total_tax_amount": 11960,
            "attributes": {
                "weight": 850,
                "dimensions": {"height": 100, "width": 200, "length": 300},
                "tags": ["bulky"],
            },
        }
    ],
}


def session(**overrides: Any) -> dict[str, Any]:
    """The contract's worked example (§8.2) with a fresh session id."""
    body: dict[str, Any] = {
        "session_id": str(uuid.uuid4()),
        "currency": "SEK",
        "locale": "sv-SE",
        "order": copy.deepcopy(ORDER),
        "recipient": dict(FULL_RECIPIENT),
    }
    body.update(overrides)
    return body


def selection_body(option_id: str, **chosen: Any) -> dict[str, Any]:
    body = session()
    body["selected_shipping_option"] = {"id": option_id, **chosen}
    return body
