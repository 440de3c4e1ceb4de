"""Where carrier call traces are stored: the CarrierTrace table, read in the admin."""

from __future__ import annotations

from .http import TraceRecord
from .models import CarrierTrace


def trace_store(record: TraceRecord) -> None:
    if not record.merchant_id:
        return  # calls outside any merchant (support tools on files) are not traced
    CarrierTrace.objects.create(
        merchant_id=record.merchant_id,
        agreement_id=record.agreement_id,
        carrier=record.carrier,
        operation=record.operation,
        method=record.method,
        url=record.url,
        request_headers=record.request_headers,
        request_body=record.request_body,
        status_code=record.status,
        duration_ms=record.duration_ms,
        response_body=record.response_body,
        error=record.error,
        carrier_messages=[{"code": m.code, "text": m.text} for m in record.messages],
    )


def trace_discard(record: TraceRecord) -> None:
    """A sink for benchmarks that measure the gateway without the trace table."""
