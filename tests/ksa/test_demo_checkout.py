"""The demo shop through the callback API: what a shopper in each situation is offered."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from merchants.demo import demo_merchant_seed
from merchants.models import KlarnaCredential

from .conftest import Klarna, Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client: Client) -> Klarna:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    credential = KlarnaCredential.objects.get(identifier="demo")
    return Klarna(client, Shop(merchant=merchant, credential=credential, key="demo-key")).login()


def _order(*, length: int, width: int, height: int, weight: int) -> dict[str, Any]:
    return {
        "total_amount": 29900,
        "lines": [
            {
                "reference": "item",
                "quantity": 1,
                "attributes": {
                    "weight": weight,
                    "dimensions": {"length": length, "width": width, "height": height},
                },
            }
        ],
    }


def _ids(klarna: Klarna, postal_code: str, order: dict[str, Any]) -> list[str]:
    body = {
        "currency": "SEK",
        "locale": "sv-SE",
        "order": order,
        "recipient": {"country": "SE", "postal_code": postal_code},
    }
    return [o["id"] for o in klarna.options(body)]


def test_a_flat_small_item_can_go_as_a_letter(demo: Klarna) -> None:
    small = _order(length=200, width=150, height=20, weight=300)
    box = _order(length=400, width=300, height=200, weight=300)

    assert "postnord-letter" in _ids(demo, "11151", small)
    assert "postnord-letter" not in _ids(demo, "11151", box)


def test_the_own_courier_serves_stockholm_only(demo: Klarna) -> None:
    order = _order(length=400, width=300, height=200, weight=1000)

    assert "own-courier" in _ids(demo, "11151", order)
    assert "own-courier" not in _ids(demo, "41301", order)


def test_the_demo_answer_has_one_preselected_option_with_locations(demo: Klarna) -> None:
    body = {
        "currency": "SEK",
        "locale": "sv-SE",
        "recipient": {"country": "SE", "postal_code": "11151"},
    }
    options = demo.options(body)

    assert [o["id"] for o in options if o["preselected"]] == ["postnord-service-point"]
    kinds = {o["type"] for o in options}
    assert kinds == {"delivery-address", "pickup-point", "pickup-box"}
    assert all(o.get("locations") for o in options if o["type"] != "delivery-address")
