"""Where carrier call traces are stored: the CarrierTrace table, read in the admin.

Calls made on the options fan-out's worker threads are buffered and written in bulk: those
threads never hold database connections, and one INSERT serves many answers. With
CARRIER_TRACE_BACKGROUND (the default outside tests) a writer thread of the process flushes the
buffer every CARRIER_TRACE_FLUSH_SECONDS, so no shopper waits for traces to be written; without
it the checkout flushes after each fan-out (``trace_flush``). Calls made anywhere else
(bookings, tracking, support tools) are written at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from .http import TraceRecord
from .models import CarrierTrace

logger = logging.getLogger(__name__)

BUFFERED_THREAD_PREFIX = "carrier-quote"
MAX_BUFFERED = 10_000

_buffer: deque[TraceRecord] = deque(maxlen=MAX_BUFFERED)
_lock = threading.Lock()
_writer: threading.Thread | None = None


def _row(record: TraceRecord) -> CarrierTrace:
    return CarrierTrace(
        merchant_id=record.merchant_id,
        agreement_id=record.agreement_id,
        carrier=record.carrier,
        operation=record.operation,
        method=record.method,
        url=_text(record.url),
        request_headers=record.request_headers,
        request_body=_text(record.request_body),
        status_code=record.status,
        duration_ms=record.duration_ms,
        response_body=_text(record.response_body),
        error=_text(record.error[:500]),
        carrier_messages=[{"code": m.code, "text": m.text} for m in record.messages],
    )


_COLUMNS = (
    "merchant_id",
    "agreement_id",
    "created_at",
    "carrier",
    "operation",
    "method",
    "url",
    "request_headers",
    "request_body",
    "status_code",
    "duration_ms",
    "response_body",
    "error",
    "carrier_messages",
)


def _text(value: str) -> str:
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _copy(records: list[TraceRecord]) -> None:
    """COPY the rows in: bulk INSERT's client-side quoting of large bodies costs far more."""
    now = timezone.now()
    table = CarrierTrace._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(
                    (
                        r.merchant_id,
                        r.agreement_id,
                        now,
                        r.carrier,
                        r.operation,
                        r.method,
                        _text(r.url),
                        json.dumps(r.request_headers),
                        _text(r.request_body),
                        r.status,
                        r.duration_ms,
                        _text(r.response_body),
                        _text(r.error[:500]),
                        json.dumps([{"code": m.code, "text": m.text} for m in r.messages]),
                    )
                )


def trace_store(record: TraceRecord) -> None:
    if not record.merchant_id:
        return  # calls outside any merchant (support tools on files) are not traced
    if threading.current_thread().name.startswith(BUFFERED_THREAD_PREFIX):
        with _lock:
            _buffer.append(record)
        if settings.CARRIER_TRACE_BACKGROUND:
            _writer_ensure()
        return
    _row(record).save()


def trace_flush_after_fanout() -> None:
    """The checkout's hook after a fan-out: write now, unless the background writer will."""
    if not settings.CARRIER_TRACE_BACKGROUND:
        trace_flush()


def _writer_ensure() -> None:
    global _writer  # one writer per process, started with the first buffered trace
    with _lock:
        if _writer is not None and _writer.is_alive():
            return
        _writer = threading.Thread(target=_writer_loop, name="carrier-trace-writer", daemon=True)
        _writer.start()


def _writer_loop() -> None:
    while True:
        time.sleep(settings.CARRIER_TRACE_FLUSH_SECONDS)
        try:
            trace_flush()
        finally:
            close_old_connections()


def trace_flush() -> int:
    """Write the buffered traces; returns how many."""
    with _lock:
        records = list(_buffer)
        _buffer.clear()
    if not records:
        return 0
    try:
        if connection.vendor == "postgresql":
            _copy(records)
        else:
            CarrierTrace.objects.bulk_create([_row(r) for r in records])
    except Exception:
        logger.exception("%d carrier traces could not be stored", len(records))
        return 0
    return len(records)


def trace_discard(record: TraceRecord) -> None:
    """A sink for benchmarks that measure the gateway without the trace table."""


def trace_buffer_clear() -> None:
    """Forget buffered traces (tests: rows of a rolled-back test must not reach the next)."""
    with _lock:
        _buffer.clear()
