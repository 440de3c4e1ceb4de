"""ksa_simulate --checkout-api: the shop's checkout order at the sandbox's fake Checkout API,
completed (or abandoned) by the simulated shopper, read back by the gateway's reconcile."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command

from merchants.demo import DEMO_CHECKOUT_PASSWORD, DEMO_CHECKOUT_USERNAME, demo_merchant_seed
from tests.conftest import Sandbox
from tms_gateway.ksa.simulator import (
    CHECKOUT_COMPLETE,
    CHECKOUT_CREATE,
    STEP_NAMES,
    SimulationSetupError,
    scenario_build,
)
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.reconcile import ReconcileReport, shipments_reconcile

KEY = "demo-key"
PLAN = [CHECKOUT_CREATE, *STEP_NAMES[:4], CHECKOUT_COMPLETE, *STEP_NAMES[4:]]


@pytest.fixture
def demo_shop(sandbox: Sandbox, settings: Any) -> None:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    demo_merchant_seed(identifier="demo", key=KEY)


def simulate(live_server: Any, sandbox: Sandbox, *args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command(
            "ksa_simulate",
            "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY,
            "--checkout-api", sandbox.url("klarna"),
            *args,
            stdout=out,
        )  # fmt: skip
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def checkout_order(sandbox: Sandbox, order_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{sandbox.url('klarna')}/checkout/v3/orders/{order_id}",
        auth=(DEMO_CHECKOUT_USERNAME, DEMO_CHECKOUT_PASSWORD),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.django_db(transaction=True)
def test_a_completed_checkout_without_confirm_is_booked_by_the_reconcile(
    live_server: Any, sandbox: Sandbox, demo_shop: None
) -> None:
    # when: the order is created and completed at the fake, Klarna's confirm is lost
    output, error = simulate(live_server, sandbox, "--no-confirm", "--json")

    # then
    assert error is None, output
    report = json.loads(output)
    assert report["ok"] is True
    assert [s["name"] for s in report["steps"]] == PLAN
    assert [s["number"] for s in report["steps"]] == list(range(1, 9))
    assert [s["status"] for s in report["steps"]] == [201, 201, 200, 200, 201, 200, None, 200]
    order_id = report["order_id"]
    assert report["checkout"] == {
        "api": sandbox.url("klarna"),
        "order_id": order_id,
        "completed": True,
        "abandoned": False,
    }
    assert report["confirm_sent"] is False
    assert report["outcome"] == (
        f"shipment {report['shipment_id']} reserved, no confirm sent; "
        f"Klarna order {order_id} completed"
    )
    shipment = Shipment.objects.get(public_id=report["shipment_id"])
    assert (shipment.status, shipment.klarna_order_id) == ("reserved", order_id)
    assert shipment.order["id"] == order_id
    order = checkout_order(sandbox, order_id)
    assert order["status"] == "checkout_complete"
    assert order["selected_shipping_option"]["tms_reference"] == report["shipment_id"]
    assert order["merchant_reference1"] == f"SIM-{order_id[:8].upper()}"

    # and the gateway's reconcile reads it and confirms the shipment
    result = shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(minutes=5))
    assert result == ReconcileReport(confirmed=1)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.confirmed_by) == ("confirmed", "checkout_api")
    assert shipment.merchant_reference == order["merchant_reference1"]


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_checkout_leaves_the_order_incomplete_and_sends_no_confirm(
    live_server: Any, sandbox: Sandbox, demo_shop: None
) -> None:
    output, error = simulate(live_server, sandbox, "--abandon")

    assert error is None, output
    assert "1. ✔ checkout order (create) — HTTP 201" in output
    order_id = output.split("order_id ", 1)[1].split()[0]
    shipment_id = output.split("shipment_id ", 1)[1].split()[0]
    assert f"not completed (--abandon): order {order_id} left incomplete" in output
    assert "not sent (--abandon): the purchase never went through" in output
    assert (
        f"shipment {shipment_id} reserved, the checkout abandoned (no confirm); "
        f"Klarna order {order_id} left incomplete"
    ) in output
    assert DEMO_CHECKOUT_PASSWORD not in output and KEY not in output
    assert checkout_order(sandbox, order_id)["status"] == "checkout_incomplete"
    shipment = Shipment.objects.get(public_id=shipment_id)
    assert (shipment.status, shipment.klarna_order_id) == ("reserved", order_id)

    # the reconcile, once the reservation has lived its hour, lets it expire quietly
    result = shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(hours=1))
    assert result == ReconcileReport(abandoned=1)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.attention_since) == ("expired", None)


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_checkout_completes_its_order_too(
    live_server: Any, sandbox: Sandbox, demo_shop: None
) -> None:
    output, error = simulate(live_server, sandbox)

    assert error is None, output
    assert "6. ✔ checkout order (complete) — HTTP 200" in output
    assert "7. ✔ confirm — HTTP 200" in output
    order_id = output.split("order_id ", 1)[1].split()[0]
    shipment_id = output.split("shipment_id ", 1)[1].split()[0]
    assert f"shipment {shipment_id} confirmed; Klarna order {order_id} completed" in output
    assert Shipment.objects.get(public_id=shipment_id).status == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_an_empty_checkout_password_is_refused_before_any_request(
    live_server: Any, sandbox: Sandbox, demo_shop: None
) -> None:
    _output, error = simulate(live_server, sandbox, "--checkout-password", "")

    assert error is not None
    assert "--checkout-api needs a username and a password" in str(error)
    assert not Shipment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_checkout_api_fails_step_1_and_skips_the_rest(
    live_server: Any, demo_shop: None
) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"step 1 \(checkout order \(create\)\) failed"):
        call_command(
            "ksa_simulate",
            "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY,
            "--checkout-api", "http://127.0.0.1:9/klarna", "--timeout", "2",
            stdout=out,
        )  # fmt: skip

    assert "1. ✘ checkout order (create) — no response" in out.getvalue()
    assert "2. - auth — skipped" in out.getvalue()
    assert not Shipment.objects.exists()


def test_abandon_needs_a_checkout_api_and_cannot_wait_for_a_booking() -> None:
    with pytest.raises(SimulationSetupError, match="--abandon needs --checkout-api"):
        scenario_build(base_url="http://gw", identifier="d", key=KEY, abandon=True)
    with pytest.raises(SimulationSetupError, match="--wait-booked cannot wait"):
        scenario_build(
            base_url="http://gw",
            identifier="d",
            key=KEY,
            checkout_api="http://sandbox/klarna",
            abandon=True,
            wait_booked_seconds=5,
        )


def test_waiting_for_a_booking_without_confirm_needs_the_checkout_api() -> None:
    built = scenario_build(
        base_url="http://gw",
        identifier="d",
        key=KEY,
        checkout_api="http://sandbox/klarna/",
        confirm=False,
        wait_booked_seconds=30,
    )

    assert (built.checkout_api, built.confirm, built.wait_booked_seconds) == (
        "http://sandbox/klarna",
        False,
        30,
    )
    assert "demo-checkout-secret" not in repr(built)
