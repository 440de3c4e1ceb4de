"""Prometheus metrics of the gateway (``/metrics``, text exposition format).

Metrics live in the process that records them: under gunicorn with several workers each scrape
sees one worker, unless ``PROMETHEUS_MULTIPROC_DIR`` is set (an empty directory, wiped before
gunicorn starts), in which case counters and histograms of every worker are aggregated. The
scrape-time gauges (breaker states, queue depth) always describe the answering process (breakers
are per process anyway) or the broker itself.

Labels carry carrier slugs, operation names, Django URL names and agreement ids only: never a
merchant name, a credential, a URL with a query, or anything from a request body.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tms_gateway.common.cache import redis_client

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from carriers.http import TraceRecord
    from tms_gateway.shipments.services import ConfirmOutcome

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUEST_SECONDS = Histogram(
    "tms_http_request_duration_seconds",
    "Time from a request's arrival to its response, per Django URL name, method and status class.",
    ["endpoint", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
CARRIER_CALL_SECONDS = Histogram(
    "tms_carrier_call_duration_seconds",
    "Duration of one HTTP call to a carrier, per carrier and operation.",
    ["carrier", "operation"],
    buckets=_LATENCY_BUCKETS,
)
CARRIER_CALL_ERRORS = Counter(
    "tms_carrier_call_errors",
    "Carrier HTTP calls that failed: timeout, connection, http_4xx, http_5xx, http_429.",
    ["carrier", "operation", "kind"],
)
CARRIER_CACHE = Counter(
    "tms_carrier_cache_requests",
    "Lookups in the carrier answer cache, per carrier, operation and result (hit or miss).",
    ["carrier", "operation", "result"],
)
BOOKING_OUTCOMES = Counter(
    "tms_booking_outcomes",
    "Booking attempts by outcome (booked, retry, failed, skipped).",
    ["outcome"],
)
SHIPMENT_CONFIRMS = Counter(
    "tms_shipment_confirms",
    "Shipments confirmed, by who said the purchase went through first: klarna (its confirm), "
    "shop (the merchant API), checkout_api (the order read from Klarna's checkout API), staff.",
    ["source"],
)
RESERVATIONS_EXPIRED = Counter(
    "tms_reservations_expired",
    "Reservations expired without a confirm; attention=yes when the order may have been paid "
    "(shown to the shop and staff as needing attention), no when the checkout was abandoned.",
    ["attention"],
)
CHECKOUT_ORDER_READS = Counter(
    "tms_klarna_checkout_reads",
    "Orders read from Klarna's checkout API for unconfirmed reservations, by what was found: "
    "complete, incomplete, not_found, refused (credentials), unavailable, rate_limited.",
    ["result"],
)
CONFIRMS_REFUSED = Counter(
    "tms_ksa_confirms_refused",
    "Confirms recorded during a database outage and refused at replay: credential_revoked "
    "(the Klarna credential the token names is revoked or gone), merchant_inactive.",
    ["reason"],
)
KSA_AUTH_FAILURES = Counter(
    "tms_ksa_auth_failures",
    "Refused POST /ksa/v1/auth calls by reason: unknown_identifier (or revoked, or the shop "
    "inactive), wrong_digest, nonce_reused. The identifier and address are in the log only.",
    ["reason"],
)

BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- Recording -------------------------------------------------------------------------------


def http_request_observe(*, endpoint: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(
        endpoint=endpoint or "unmatched",
        method=method if method in _METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(max(seconds, 0.0))


def _error_kind(status: int | None, error: str) -> str:
    if status is None:
        return "timeout" if error.startswith("timeout") else "connection"
    if status == 429:
        return "http_429"
    if status >= 500:
        return "http_5xx"
    return "http_4xx"


def carrier_call_observe(
    *, carrier: str, operation: str, status: int | None, error: str, seconds: float
) -> None:
    CARRIER_CALL_SECONDS.labels(carrier=carrier, operation=operation).observe(max(seconds, 0.0))
    if error or status is None:
        CARRIER_CALL_ERRORS.labels(
            carrier=carrier, operation=operation, kind=_error_kind(status, error)
        ).inc()


def carrier_cache_observe(carrier: str, operation: str, hit: bool) -> None:
    CARRIER_CACHE.labels(
        carrier=carrier, operation=operation, result="hit" if hit else "miss"
    ).inc()


def shipment_confirmed_observe(*, source: str, count: int = 1) -> None:
    if count:
        SHIPMENT_CONFIRMS.labels(source=source).inc(count)


def shipment_confirm_observe(outcome: ConfirmOutcome) -> None:
    """Counts a confirm that confirmed (not one that found the shipment confirmed already)."""
    if outcome.confirmed:
        shipment_confirmed_observe(source=outcome.source)


def reservation_expired_observe(*, attention: bool, count: int = 1) -> None:
    if count:
        RESERVATIONS_EXPIRED.labels(attention="yes" if attention else "no").inc(count)


def checkout_order_read_observe(*, result: str, count: int = 1) -> None:
    if count:
        CHECKOUT_ORDER_READS.labels(result=result).inc(count)


def confirm_refused_observe(*, reason: str, count: int = 1) -> None:
    if count:
        CONFIRMS_REFUSED.labels(reason=reason).inc(count)


def ksa_auth_failure_observe(*, reason: str) -> None:
    KSA_AUTH_FAILURES.labels(reason=reason).inc()


def booking_outcome_observe(*, outcome: str) -> None:
    BOOKING_OUTCOMES.labels(outcome=outcome).inc()


def trace_sink(record: TraceRecord) -> None:
    """The ``CARRIER_TRACE_SINK`` setting: observe the call, then hand the trace on to
    ``CARRIER_TRACE_SINK_NEXT`` (the ``CARRIER_TRACE_SINK`` variable; the trace table by default)."""
    try:
        carrier_call_observe(
            carrier=record.carrier,
            operation=record.operation,
            status=record.status,
            error=record.error,
            seconds=record.duration_ms / 1000,
        )
    except Exception:  # a metric must never cost a trace
        logger.exception("carrier call metric not recorded")
    import_string(settings.CARRIER_TRACE_SINK_NEXT)(record)


# --- Scrape-time collectors ------------------------------------------------------------------


class BreakerCollector(Collector):
    """``tms_carrier_breaker_state`` per carrier and agreement id: 0 closed, 1 half-open, 2 open."""

    def collect(self) -> Iterator[Metric]:
        from carriers.breaker import breaker

        family = GaugeMetricFamily(
            "tms_carrier_breaker_state",
            "Circuit breaker per carrier and agreement id in this process: "
            "0 closed, 1 half-open, 2 open.",
            labels=["carrier", "agreement"],
        )
        for (carrier, agreement_id), state in sorted(breaker.snapshot().items()):
            family.add_metric([carrier, str(agreement_id)], BREAKER_STATE_VALUES[str(state)])
        yield family


class QueueCollector(Collector):
    """``tms_celery_queue_length``: messages waiting in the "celery" queue (Redis broker only)."""

    def collect(self) -> Iterator[Metric]:
        url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
        if not url.startswith(("redis://", "rediss://")):
            return
        family = GaugeMetricFamily(
            "tms_celery_queue_length",
            "Messages waiting in a Celery queue on the Redis broker.",
            labels=["queue"],
        )
        queue = settings.OPS_CELERY_QUEUE
        try:
            family.add_metric([queue], float(redis_client(url, timeout=0.5).llen(queue)))  # type: ignore[arg-type]
        except Exception:
            logger.warning("queue depth not read: broker unreachable")
            return
        yield family


#: Read at scrape time. Apps add their own from ``AppConfig.ready()`` (``scrape_collector_add``),
#: so this module imports none of them.
_SCRAPE_COLLECTORS: list[Collector] = [BreakerCollector(), QueueCollector()]
_registered: list[Collector] = []


def scrape_collector_add(collector: Collector) -> None:
    """A collector read at every scrape (in this process, and with multiprocess metrics)."""
    if all(type(c) is not type(collector) for c in _SCRAPE_COLLECTORS):
        _SCRAPE_COLLECTORS.append(collector)


def _register_default() -> None:
    for collector in _SCRAPE_COLLECTORS:
        if collector not in _registered:
            REGISTRY.register(collector)
            _registered.append(collector)


def _registries() -> Iterable[CollectorRegistry]:
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
        for collector in _SCRAPE_COLLECTORS:
            registry.register(collector)
        return (registry,)
    _register_default()
    return (REGISTRY,)


def metrics_render() -> bytes:
    return b"".join(generate_latest(registry) for registry in _registries())
