"""Security review (issue 13), item 4: no 5xx from broken Unicode.

JSON can carry a lone UTF-16 surrogate (``"\\ud800"``), which is not Unicode: it cannot be
encoded, hashed, stored or sent on. Anywhere in a body, in a field name or in a value, it is a
400 ``malformed_request`` naming the field, in Klarna's error shape, not a 500 HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tms_gateway.shipments.models import Shipment

from .conftest import AUTH_TYPE, SELECT_TYPE, Klarna, selection_body, session

pytestmark = pytest.mark.django_db

LONE = "\ud800"
KEY_PROBLEM = "the field name is not valid Unicode (it holds a lone surrogate)."
VALUE_PROBLEM = "the text is not valid Unicode (it holds a lone surrogate)."


@pytest.fixture(autouse=True)
def _production_like(settings: Any) -> None:
    settings.DEBUG = False


def wire(body: dict[str, Any]) -> str:
    text = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \ud800
    assert "\\ud800" in text or "\\udc00" in text
    return text


def in_key(body: dict[str, Any]) -> dict[str, Any]:
    body["order"]["lines"][0]["attributes"][f"colour{LONE}"] = "red"
    return body


def in_value(body: dict[str, Any]) -> dict[str, Any]:
    body["order"]["lines"][0]["reference"] = "19-402\udc00"
    return body


KEY_MESSAGE = f"order.lines[0].attributes.colour\\ud800: {KEY_PROBLEM}"
VALUE_MESSAGE = f"order.lines[0].reference: {VALUE_PROBLEM}"
PLACES = [(in_key, KEY_MESSAGE), (in_value, VALUE_MESSAGE)]


def assert_malformed(response: Any, message: str) -> None:
    assert response.status_code == 400, response.content[:300]
    # JSON (application/json or one of Klarna's vdn JSON types), never an HTML error page
    content_type = response["Content-Type"]
    assert content_type.startswith("application/") and content_type.endswith("json")
    assert response.json() == {"failure_reason": "malformed_request", "message": message}


@pytest.mark.parametrize("place, message", PLACES)
def test_shippingoptions(klarna: Klarna, place: Callable[..., Any], message: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=wire(place(session())),
        content_type="application/json",
        **klarna.headers(),
    )
    assert_malformed(response, message)


def test_shippingoptions_with_the_answer_cache_on(klarna: Klarna, settings: Any) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10  # the cache key hashes the body
    client = Client(raise_request_exception=False)
    for place, message in PLACES:
        response = client.post(
            "/ksa/v1/shippingoptions",
            data=wire(place(session())),
            content_type="application/json",
            **klarna.headers(),
        )
        assert_malformed(response, message)


@pytest.mark.parametrize("place, message", PLACES)
def test_shipment_create(klarna: Klarna, place: Callable[..., Any], message: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        "/ksa/v1/shipment",
        data=wire(place(selection_body("pn-pickup"))),
        content_type=SELECT_TYPE,
        **klarna.headers(),
    )
    assert_malformed(response, message)
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize("place, message", PLACES)
def test_shipment_update(klarna: Klarna, place: Callable[..., Any], message: str) -> None:
    created = klarna.reserve(selection_body("pn-pickup"))
    assert created.status_code == 201
    shipment_id = created.json()["shipment_id"]
    client = Client(raise_request_exception=False)

    response = client.put(
        f"/ksa/v1/shipment/{shipment_id}",
        data=wire(place(selection_body("store", location={"id": "sthlm"}))),
        content_type=SELECT_TYPE,
        **klarna.headers(),
    )

    assert_malformed(response, message)
    assert Shipment.objects.get().selection["option_id"] == "pn-pickup"


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"identifier": "shop-a", "secret": {"nonce": "n", "digest": "d"}, LONE: 1},
            f"\\ud800: {KEY_PROBLEM}",
        ),
        (
            {"identifier": "shop-a", "secret": {"nonce": "n", "digest": "d", f"x{LONE}": 1}},
            f"secret.x\\ud800: {KEY_PROBLEM}",
        ),
        (
            {"identifier": f"shop-{LONE}", "secret": {"nonce": "n", "digest": "d"}},
            f"identifier: {VALUE_PROBLEM}",
        ),
        (
            {"identifier": "shop-a", "secret": {"nonce": f"n{LONE}", "digest": "d"}},
            f"secret.nonce: {VALUE_PROBLEM}",
        ),
        (
            {"identifier": "shop-a", "secret": {"nonce": "n", "digest": LONE}},
            f"secret.digest: {VALUE_PROBLEM}",
        ),
        (
            {"identifier": "shop-a", "secret": {"nonce": "n", "digest": "d"}, "x": [1, LONE]},
            f"x[1]: {VALUE_PROBLEM}",
        ),
    ],
)
def test_auth(shop: Any, body: dict[str, Any], message: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.post("/ksa/v1/auth", data=wire(body), content_type=AUTH_TYPE)
    assert_malformed(response, message)


def test_a_surrogate_pair_is_ordinary_unicode(klarna: Klarna) -> None:
    # Given an emoji sent as its escaped surrogate pair, in a field name and in a value
    body = session()
    body["order"]["lines"][0]["reference"] = "gift \U0001f381"
    body["order"]["lines"][0]["attributes"]["\U0001f381"] = "yes"
    text = json.dumps(body)
    assert "\\ud83c\\udf81" in text

    # Then it is answered as usual
    response = klarna.post("shippingoptions", text)
    assert response.status_code == 200
    assert response.json()["shipping_options"]


def test_a_long_field_name_is_named_shortly(klarna: Klarna) -> None:
    body = session()
    body["y" * 500 + LONE] = 1
    client = Client(raise_request_exception=False)
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=wire(body),
        content_type="application/json",
        **klarna.headers(),
    )
    assert_malformed(response, f"{'y' * 40}: {KEY_PROBLEM}")


def test_without_a_token_it_is_401_first(shop: Any) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        "/ksa/v1/shippingoptions", data=wire(in_key(session())), content_type="application/json"
    )
    assert (response.status_code, response.content) == (401, b"")
