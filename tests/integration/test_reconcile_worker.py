"""A lost confirm, end to end: ksa_simulate plays Klarna, the shop and the shopper (the order at
the sandbox's fake Checkout API), the real Celery worker runs the reconcile and books.

The worker reads orders at once (KLARNA_CHECKOUT_RECONCILE_AFTER_SECONDS=0) but only when the
test queues the task: beat's own reconcile is an hour away.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.request
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import Sandbox
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.tasks import shipments_reconcile

from .worker import (
    CeleryWorkers,
    Klarna,
    shipment_by_public_id,
    transitions,
    wait_for,
    wait_for_status,
)

pytestmark = pytest.mark.django_db(transaction=True)

RECONCILE_ENV = {
    "KLARNA_CHECKOUT_RECONCILE_AFTER_SECONDS": "0",
    "KLARNA_CHECKOUT_RECONCILE_INTERVAL_SECONDS": "3600",
}


def simulate(live_server: Any, sandbox: Sandbox, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "ksa_simulate",
        "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", "demo-key",
        "--checkout-api", sandbox.url("klarna"), "--json",
        *args,
        stdout=out,
    )  # fmt: skip
    report = json.loads(out.getvalue())
    assert report["ok"] is True, report
    return dict(report)


def sandbox_stats(sandbox: Sandbox) -> dict[str, Any]:
    url = f"{sandbox.server.url}/_sandbox/stats"
    with urllib.request.urlopen(url, timeout=5) as response:
        return dict(json.loads(response.read()))


def test_a_paid_checkout_whose_confirm_was_lost_is_booked_once_by_the_reconcile(
    live_server: Any, live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # given: the shopper paid (the order is complete) and Klarna's confirm never came
    live_workers.ensure(**RECONCILE_ENV)
    report = simulate(live_server, sandbox, "--no-confirm")
    shipment_id = report["shipment_id"]
    assert shipment_by_public_id(shipment_id).status == "reserved"

    # when: the worker runs the reconcile
    shipments_reconcile.delay()

    # then: booked exactly once
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert (shipment.confirmed_by, shipment.klarna_order_status) == (
        "checkout_api",
        "checkout_complete",
    )
    assert shipment.klarna_order_id == report["order_id"]
    carrier = shipment.selection["carrier"]
    assert sandbox_stats(sandbox)["bookings"][carrier] == {shipment.booking_reference: 1}
    assert transitions(shipment) == [
        ("", "reserved", "klarna"),
        ("reserved", "confirmed", "klarna checkout api"),
        ("confirmed", "booking", "system"),
        ("booking", "booked", "system"),
    ]

    # and Klarna's confirm, arriving late after all, books nothing more
    late = demo_klarna.confirm(shipment_id)
    assert late.status_code == 200, late.content
    assert late.json()["status"] == "booked"
    assert sandbox.bookings(carrier) == {shipment.booking_reference: 1}
    assert len(transitions(shipment_by_public_id(shipment_id))) == 4


def test_an_abandoned_checkout_ends_expired_without_attention(
    live_server: Any, live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # given: the shopper left; the reservation has outlived its hour
    live_workers.ensure(**RECONCILE_ENV)
    report = simulate(live_server, sandbox, "--abandon")
    shipment_id = report["shipment_id"]
    lifetime = settings.KSA_RESERVATION_LIFETIME
    Shipment.objects.filter(public_id=shipment_id).update(
        selection_changed_at=timezone.now() - lifetime - dt.timedelta(minutes=1)
    )

    # when: the worker's expiry (beat, every second) and reconcile run, in whichever order
    shipments_reconcile.delay()

    # then
    def settled() -> Shipment | None:
        shipment = shipment_by_public_id(shipment_id)
        done = shipment.status == "expired" and shipment.attention_since is None
        return shipment if done and shipment.klarna_order_status else None

    shipment = wait_for(settled, what=f"shipment {shipment_id} to expire without attention")
    assert (shipment.klarna_order_status, shipment.attention_reason) == (
        "checkout_incomplete",
        "",
    )
    assert shipment.events.order_by("id").last().reason == (  # type: ignore[union-attr]
        "checkout abandoned: Klarna's order is checkout_incomplete"
    )
    assert sandbox_stats(sandbox)["bookings"] == {}
