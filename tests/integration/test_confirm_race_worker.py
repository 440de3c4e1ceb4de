"""Every way a paid order gets confirmed, with the real Celery worker: the shop's order flow
(merchant API), and each of them racing Klarna's late confirm. Whoever comes first books; the
carrier sees exactly one booking.

The requests go over HTTP to the live server, from threads released together by a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests

from merchants.models import Merchant
from merchants.services import merchant_api_token_issue
from tests.conftest import Sandbox
from tms_gateway.shipments.tasks import shipments_reconcile

from .test_reconcile_worker import RECONCILE_ENV, simulate
from .worker import CeleryWorkers, Klarna, shipment_by_public_id, transitions, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10.0


def shop_token() -> str:
    merchant = Merchant.objects.get(slug="demo")
    _, token = merchant_api_token_issue(merchant=merchant, name="order system", actor=None)
    return token


def shop_confirm(live_server: Any, token: str, order_id: str, reference: str) -> int:
    response = requests.post(
        f"{live_server.url}/api/v1/orders/{order_id}/confirm",
        json={"merchant_reference": reference},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    return response.status_code


def klarna_confirm(live_server: Any, klarna: Klarna, shipment_id: str) -> int:
    response = requests.post(
        f"{live_server.url}/ksa/v1/shipment/{shipment_id}/confirm",
        headers={"Authorization": f"Bearer {klarna.token}"},
        timeout=TIMEOUT,
    )
    return response.status_code


def race(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run the calls at once (a barrier releases them together); their results by name."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        barrier.wait(timeout=TIMEOUT)
        results[name] = call()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 3)
    return results


def confirm_events(shipment_id: str) -> list[tuple[str, str, str]]:
    return [t for t in transitions(shipment_by_public_id(shipment_id)) if t[1] == "confirmed"]


def test_the_shops_confirm_alone_books_the_order_once(
    live_server: Any, live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # given: the purchase went through and Klarna's confirm never came
    live_workers.ensure()
    report = simulate(live_server, sandbox, "--no-confirm")
    shipment_id = report["shipment_id"]

    # when: the shop's order flow confirms
    status = shop_confirm(live_server, shop_token(), report["order_id"], "10042")

    # then
    assert status == 200
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert (shipment.confirmed_by, shipment.merchant_reference) == ("shop", "10042")
    assert transitions(shipment) == [
        ("", "reserved", "klarna"),
        ("reserved", "confirmed", "shop api: order system"),
        ("confirmed", "booking", "system"),
        ("booking", "booked", "system"),
    ]
    assert sandbox.bookings(shipment.selection["carrier"]) == {shipment.booking_reference: 1}


def test_the_shops_confirm_racing_klarnas_late_confirm_books_once(
    live_server: Any, live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # given
    live_workers.ensure()
    report = simulate(live_server, sandbox, "--no-confirm")
    shipment_id, order_id = report["shipment_id"], report["order_id"]
    token = shop_token()

    # when: both confirm at the same moment
    answers = race(
        shop=lambda: shop_confirm(live_server, token, order_id, "10043"),
        klarna=lambda: klarna_confirm(live_server, demo_klarna, shipment_id),
    )

    # then: both are answered 200, one confirmed, one booking at the carrier
    assert answers == {"shop": 200, "klarna": 200}
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert shipment.confirmed_by in {"shop", "klarna"}
    assert shipment.merchant_reference == "10043"  # kept whichever came first
    assert len(confirm_events(shipment_id)) == 1
    assert sandbox.bookings(shipment.selection["carrier"]) == {shipment.booking_reference: 1}


def test_the_checkout_api_read_racing_klarnas_late_confirm_books_once(
    live_server: Any, live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # given: the order is complete at Klarna, no confirm yet; the worker reads orders at once
    live_workers.ensure(**RECONCILE_ENV)
    report = simulate(live_server, sandbox, "--no-confirm")
    shipment_id = report["shipment_id"]

    # when: the worker reconciles while Klarna's confirm arrives
    answers = race(
        reconcile=lambda: shipments_reconcile.delay().id,
        klarna=lambda: klarna_confirm(live_server, demo_klarna, shipment_id),
    )

    # then
    assert answers["klarna"] == 200
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert shipment.confirmed_by in {"checkout_api", "klarna"}
    assert len(confirm_events(shipment_id)) == 1
    assert sandbox.bookings(shipment.selection["carrier"]) == {shipment.booking_reference: 1}
    # a shop confirm afterwards finds it booked and books nothing more
    assert shop_confirm(live_server, shop_token(), report["order_id"], "10044") == 200
    assert sandbox.bookings(shipment.selection["carrier"]) == {shipment.booking_reference: 1}
    assert len(confirm_events(shipment_id)) == 1
