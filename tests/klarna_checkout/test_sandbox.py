"""The sandbox's fake Checkout API: Klarna's wire format, the shopper's control, faults."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import requests

from tests.conftest import Sandbox

AUTH = ("store-1", "secret-1")
ORDER = {
    "purchase_country": "SE",
    "purchase_currency": "SEK",
    "locale": "sv-SE",
    "order_amount": 59800,
    "order_tax_amount": 11960,
    "order_lines": [{"type": "physical", "reference": "MUG", "name": "Mug", "quantity": 2}],
    "merchant_reference1": "WEB-1",
}


def call(
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    body: Any = None,
    auth: tuple[str, str] | None = AUTH,
) -> requests.Response:
    return requests.request(
        method, f"{sandbox.url('klarna')}{path}", json=body, auth=auth, timeout=5
    )


def test_create_answers_201_with_an_incomplete_order_and_its_location(sandbox: Sandbox) -> None:
    response = call(sandbox, "POST", "/checkout/v3/orders", body=ORDER)

    assert response.status_code == 201
    order = response.json()
    assert order["status"] == "checkout_incomplete"
    assert order["merchant_reference1"] == "WEB-1"
    assert order["order_lines"] == ORDER["order_lines"]
    assert order["started_at"] == order["last_modified_at"]
    assert order["started_at"].endswith("Z")
    assert "completed_at" not in order
    assert response.headers["Location"] == (
        f"{sandbox.url('klarna')}/checkout/v3/orders/{order['order_id']}"
    )
    read = call(sandbox, "GET", f"/checkout/v3/orders/{order['order_id']}")
    assert (read.status_code, read.json()) == (200, order)


def test_create_refuses_a_body_without_required_fields(sandbox: Sandbox) -> None:
    response = call(sandbox, "POST", "/checkout/v3/orders", body={"purchase_country": "SE"})

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BAD_VALUE"
    assert body["error_messages"] == [
        "Missing required fields: purchase_currency, locale, order_amount, order_tax_amount, "
        "order_lines"
    ]
    assert set(body) == {"error_code", "error_messages", "correlation_id"}


def test_basic_auth_is_required(sandbox: Sandbox) -> None:
    for auth in (None, ("store-1", ""), ("", "secret")):
        response = call(sandbox, "GET", "/checkout/v3/orders/x", auth=auth)

        assert response.status_code == 401
        assert response.json()["error_code"] == "UNAUTHORIZED"
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Klarna API"'


def test_an_unknown_or_another_stores_order_is_not_found(sandbox: Sandbox) -> None:
    order_id = call(sandbox, "POST", "/checkout/v3/orders", body=ORDER).json()["order_id"]

    for auth, unknown in ((AUTH, "nope"), (("store-2", "x"), order_id)):
        response = call(sandbox, "GET", f"/checkout/v3/orders/{unknown}", auth=auth)
        assert response.status_code == 404
        assert response.json()["error_code"] == "NO_SUCH_ORDER"


def test_the_shopper_completes_the_order_once(sandbox: Sandbox) -> None:
    order_id = call(sandbox, "POST", "/checkout/v3/orders", body=ORDER).json()["order_id"]

    done = call(
        sandbox,
        "POST",
        f"/_fake/orders/{order_id}/complete",
        body={
            "tms_reference": "7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07",
            "merchant_reference1": "WEB-2",
            "shipping_option": {"id": "pn-home", "price": 4900},
        },
    )
    again = call(sandbox, "POST", f"/_fake/orders/{order_id}/complete", body={})

    assert done.status_code == 200
    order = call(sandbox, "GET", f"/checkout/v3/orders/{order_id}").json()
    assert order == done.json()
    assert order["status"] == "checkout_complete"
    assert order["completed_at"] == order["last_modified_at"]
    assert order["merchant_reference1"] == "WEB-2"
    assert order["selected_shipping_option"] == {
        "id": "pn-home",
        "price": 4900,
        "tms_reference": "7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07",
    }
    assert again.status_code == 409
    assert again.json()["error_code"] == "CONFLICT"


def test_a_reset_forgets_every_order(sandbox: Sandbox) -> None:
    order_id = call(sandbox, "POST", "/checkout/v3/orders", body=ORDER).json()["order_id"]

    sandbox.server.state.reset()

    assert call(sandbox, "GET", f"/checkout/v3/orders/{order_id}").status_code == 404


def _control(sandbox: Sandbox, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{sandbox.server.url}/_sandbox{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_a_fault_for_every_carrier_leaves_the_checkout_api_alone(sandbox: Sandbox) -> None:
    health = _control(sandbox, "GET", "/health")
    assert health["services"] == ["klarna"]
    assert "klarna" not in health["carriers"]

    faults = _control(sandbox, "POST", "/faults", {"carrier": "*", "status": 503})["faults"]

    assert "klarna" not in faults and "postnord" in faults
    assert call(sandbox, "POST", "/checkout/v3/orders", body=ORDER).status_code == 201


def test_a_fault_named_klarna_answers_in_klarnas_error_shape(sandbox: Sandbox) -> None:
    _control(sandbox, "POST", "/faults", {"carrier": "klarna", "status": 503, "times": 1})

    response = call(sandbox, "GET", "/checkout/v3/orders/x")

    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert response.json()["error_messages"] == ["Injected fault: HTTP 503"]
    assert sandbox.requests("klarna") == 1
