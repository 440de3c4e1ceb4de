"""carriers/traces.py: buffered traces of the fan-out reach the table, odd bodies included."""

from __future__ import annotations

import threading

import pytest

from carriers.http import TraceRecord
from carriers.models import CarrierTrace
from carriers.traces import trace_flush, trace_store
from carriers.types import CarrierMessage
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def record(merchant_id: int, body: str = '{"ok": true}') -> TraceRecord:
    return TraceRecord(
        merchant_id=merchant_id,
        agreement_id=None,
        carrier="bring",
        operation="service_points",
        method="GET",
        url="https://api.bring.com/pickuppoint/api/pickuppoint/NO/postalCode/0150.json",
        request_headers={"X-Mybring-API-Key": "[redacted]"},
        request_body="",
        status=200,
        duration_ms=42,
        response_body=body,
        messages=(CarrierMessage(code="W1", text="Ærlig talt: «tekst»"),),
    )


def store_on_a_fanout_thread(r: TraceRecord) -> None:
    thread = threading.Thread(target=trace_store, args=(r,), name="carrier-quote_0")
    thread.start()
    thread.join()


def test_fanout_traces_wait_for_the_flush_then_are_written_in_one_go() -> None:
    merchant = MerchantFactory.create()
    store_on_a_fanout_thread(record(merchant.pk))
    store_on_a_fanout_thread(record(merchant.pk, body="nul\x00byte and 'quotes' \\ back"))
    assert CarrierTrace.objects.count() == 0

    assert trace_flush() == 2

    rows = list(CarrierTrace.objects.order_by("id"))
    assert [r.response_body for r in rows] == ['{"ok": true}', "nulbyte and 'quotes' \\ back"]
    assert rows[0].request_headers == {"X-Mybring-API-Key": "[redacted]"}
    assert rows[0].carrier_messages == [{"code": "W1", "text": "Ærlig talt: «tekst»"}]
    assert rows[0].created_at is not None
    assert trace_flush() == 0


def test_calls_outside_the_fanout_are_written_at_once() -> None:
    merchant = MerchantFactory.create()

    trace_store(record(merchant.pk))

    assert CarrierTrace.objects.count() == 1


def test_calls_without_a_merchant_are_not_traced() -> None:
    trace_store(record(0))
    assert CarrierTrace.objects.count() == 0
