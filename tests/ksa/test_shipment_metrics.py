"""The Klarna views count what the shipment services say happened: a confirm that confirmed,
a reservation a read or a PUT found stale and expired (the services themselves count nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from tms_gateway.shipments.models import Shipment

from .conftest import Klarna, selection_body

pytestmark = pytest.mark.django_db


def counted(name: str, **labels: str) -> float:
    """A counter's value in this process (tests read how much it grows)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def reserved(klarna: Klarna, body: dict[str, Any], *, age_minutes: int = 0) -> str:
    response = klarna.reserve(body)
    assert response.status_code == 201, response.content
    shipment_id = str(response.json()["shipment_id"])
    Shipment.objects.filter(public_id=shipment_id).update(
        selection_changed_at=timezone.now() - dt.timedelta(minutes=age_minutes)
    )
    return shipment_id


def test_a_confirm_is_counted_once_however_often_klarna_sends_it(klarna: Klarna) -> None:
    shipment_id = reserved(klarna, selection_body("pn-pickup"))
    before = counted("tms_shipment_confirms_total", source="klarna")

    first = klarna.post(f"shipment/{shipment_id}/confirm")
    again = klarna.post(f"shipment/{shipment_id}/confirm")

    assert (first.status_code, again.status_code) == (200, 200)
    assert counted("tms_shipment_confirms_total", source="klarna") == before + 1


def test_a_read_that_expires_the_reservation_counts_it_once(klarna: Klarna) -> None:
    shipment_id = reserved(klarna, selection_body("pn-pickup"), age_minutes=61)
    before = counted("tms_reservations_expired_total", attention="yes")

    first = klarna.get(f"shipment/{shipment_id}")
    again = klarna.get(f"shipment/{shipment_id}")

    assert (first.json()["status"], again.json()["status"]) == ("expired", "expired")
    assert counted("tms_reservations_expired_total", attention="yes") == before + 1


def test_a_put_that_finds_the_reservation_stale_counts_its_expiry_once(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserved(klarna, body, age_minutes=61)
    before = counted("tms_reservations_expired_total", attention="yes")

    first = klarna.put(f"shipment/{shipment_id}", body)
    again = klarna.put(f"shipment/{shipment_id}", body)

    assert (first.status_code, again.status_code) == (410, 410)
    assert first.json()["failure_reason"] == "reservation_expired"
    assert counted("tms_reservations_expired_total", attention="yes") == before + 1
