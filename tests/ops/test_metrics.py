"""/metrics: request latency, carrier calls, breaker states, cache, bookings, queue depth."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from carriers.breaker import breaker
from carriers.cache import cached
from carriers.http import CallContext, CarrierHttp
from carriers.types import AgreementCredentials
from merchants.demo import demo_merchant_seed
from tests.conftest import Sandbox
from tms_gateway.ops import metrics

pytestmark = pytest.mark.django_db


def scrape(client: Client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_request_latency_is_recorded_per_url_name(client: Client) -> None:
    client.get("/healthz")
    client.get("/no-such-page")

    text = scrape(client)

    count = sample(
        text,
        "tms_http_request_duration_seconds_count",
        endpoint="healthz",
        method="GET",
        status="2xx",
    )
    assert count is not None and count >= 1
    assert sample(text, "tms_http_request_duration_seconds_count", endpoint="unmatched") is not None
    assert "no-such-page" not in text


def test_carrier_calls_errors_and_breakers(client: Client, sandbox: Sandbox, settings: Any) -> None:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    http = CarrierHttp("postnord")
    agreement_id = merchant.agreements.get(carrier="postnord").pk
    agreement = AgreementCredentials(
        merchant_id=merchant.pk,
        agreement_id=agreement_id,
        customer_number="1",
        credentials={"api_key": "metric-test-key"},
    )
    ctx = CallContext(carrier="postnord", operation="service_points", agreement=agreement)
    sandbox.fault("postnord", status=503)
    with pytest.raises(Exception):  # noqa: B017  (CarrierUnavailable; the metric matters)
        http.request("GET", sandbox.url("postnord") + "/anything", ctx=ctx)
    breaker.record_failure(("postnord", agreement_id))
    for _ in range(settings.CARRIER_BREAKER_FAILURES):
        breaker.record_failure(("dhl", 8))

    text = scrape(client)

    assert sample(
        text,
        "tms_carrier_call_duration_seconds_count",
        carrier="postnord",
        operation="service_points",
    )
    assert sample(
        text,
        "tms_carrier_call_errors_total",
        carrier="postnord",
        operation="service_points",
        kind="http_5xx",
    )
    assert (
        sample(text, "tms_carrier_breaker_state", carrier="postnord", agreement=str(agreement_id))
        == 0
    )
    assert sample(text, "tms_carrier_breaker_state", carrier="dhl", agreement="8") == 2
    assert "metric-test-key" not in text
    assert merchant.name not in text


def test_cache_hits_and_misses(client: Client) -> None:
    for _ in range(2):
        cached(
            carrier="budbee",
            agreement_id=3,
            operation="timeslots",
            params={"postal_code": "11151"},
            compute=lambda: [1],
        )

    text = scrape(client)

    assert sample(text, "tms_carrier_cache_requests_total", carrier="budbee", result="hit")
    assert sample(text, "tms_carrier_cache_requests_total", carrier="budbee", result="miss")


def test_booking_outcomes_and_queue_depth(client: Client) -> None:
    # the booking task counts the outcome its service returns (tests/shipments/test_booking_smoke.py)
    metrics.booking_outcome_observe(outcome="booked")

    text = scrape(client)

    assert sample(text, "tms_booking_outcomes_total", outcome="booked")
    assert re.search(r'^tms_celery_queue_length\{queue="celery"\} \d', text, re.MULTILINE)


def test_confirms_waiting_for_the_database_are_a_gauge(client: Client) -> None:
    import redis
    from django.conf import settings

    from tms_gateway.shipments.confirms import JOURNAL_KEY

    journal = redis.Redis.from_url(settings.REDIS_URL)
    journal.delete(JOURNAL_KEY)
    journal.rpush(JOURNAL_KEY, "{}", "{}")
    try:
        text = scrape(client)
    finally:
        journal.delete(JOURNAL_KEY)

    assert re.search(r"^tms_ksa_confirms_pending 2\.0$", text, re.MULTILINE)
