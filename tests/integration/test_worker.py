"""From Klarna's /auth to a booked shipment, with a real Celery worker and beat.

The worker is a subprocess (``tests/integration/worker.py``) on the real Redis broker and the
test database; the carriers are the sandbox of this process. Tests commit (``transaction=True``)
so the worker sees their rows, and poll the database for the outcome.
"""

from __future__ import annotations

import logging
import re

import pytest
import redis

from carriers.sandbox.core import ledger
from tests.conftest import Sandbox
from tms_gateway.celery import app
from tms_gateway.shipments.tasks import shipment_book

from .worker import (
    POSTNORD_BOOKING_PATH,
    CeleryWorker,
    CeleryWorkers,
    Klarna,
    broker_unreachable,
    shipment_by_public_id,
    transitions,
    wait_for,
    wait_for_status,
)

pytestmark = pytest.mark.django_db(transaction=True)

BOOKED_EVENTS = [
    ("", "reserved", "klarna"),
    ("reserved", "confirmed", "klarna"),
    ("confirmed", "booking", "system"),
    ("booking", "booked", "system"),
]


def test_klarna_checkout_ends_booked_with_tracking(
    live_worker: CeleryWorker, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    reserved = demo_klarna.reserve_preselected()
    assert reserved["selected_shipping_option"]["id"] == "postnord-service-point"
    shipment_id = reserved["shipment_id"]

    confirmed = demo_klarna.confirm(shipment_id)

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    answer = demo_klarna.shipment(shipment_id)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "booked"
    assert body["tracking_number"] == shipment.tracking_number != ""
    assert body["tracking_uri"] == shipment.tracking_url
    assert body["tracking_uri"].startswith("https://tracking.postnord.com/se/?id=")
    assert body["shipping_company"] == "PostNord"
    record = ledger.find("postnord", shipment.booking_reference)
    assert record is not None
    assert shipment.carrier_shipment_id == record["shipment_id"]
    assert shipment.tracking_number == record["item_ids"][0]
    assert shipment.labels.count() == len(record["item_ids"])
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert transitions(shipment) == BOOKED_EVENTS
    assert shipment.booking_attempts == 1


def test_an_unavailable_carrier_is_retried_with_backoff_until_booked(
    live_worker: CeleryWorker, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    sandbox.fault("postnord", status=503, times=2, path=POSTNORD_BOOKING_PATH)
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]

    assert demo_klarna.confirm(shipment_id).status_code == 200

    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert shipment.booking_attempts == 3
    assert shipment.booking_error == ""
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    assert transitions(shipment) == [
        ("", "reserved", "klarna"),
        ("reserved", "confirmed", "klarna"),
        ("confirmed", "booking", "system"),
        ("booking", "confirmed", "system"),
        ("confirmed", "booking", "system"),
        ("booking", "confirmed", "system"),
        ("confirmed", "booking", "system"),
        ("booking", "booked", "system"),
    ]
    events = list(shipment.events.order_by("id"))
    retries = [
        e.reason for e in events if e.from_status == "booking" and e.to_status == "confirmed"
    ]
    assert len(retries) == 2
    for reason in retries:
        assert re.fullmatch(
            r"carrier unavailable \(Injected fault: HTTP 503\); retry in \d+ s", reason
        ), reason
    assert [e.reason for e in events if e.to_status == "booking"] == [
        "attempt 1",
        "attempt 2",
        "attempt 3",
    ]


def test_a_refused_booking_fails_at_once_with_the_carriers_words(
    live_worker: CeleryWorker, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    sandbox.fault("postnord", status=400, times=5, path=POSTNORD_BOOKING_PATH)
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]

    assert demo_klarna.confirm(shipment_id).status_code == 200

    shipment = wait_for_status(shipment_id, "failed")
    assert shipment.status == "failed"
    # PostNord's fault body carries the text twice (its message and its one fault), verbatim.
    assert shipment.booking_error == (
        "refused by PostNord: Injected fault: HTTP 400; Injected fault: HTTP 400"
    )
    assert transitions(shipment) == [
        ("", "reserved", "klarna"),
        ("reserved", "confirmed", "klarna"),
        ("confirmed", "booking", "system"),
        ("booking", "failed", "system"),
    ]
    # Exactly one booking request reached the carrier (the fault served one of its five).
    assert sandbox.server.state.stats()["faults"]["postnord"]["times"] == 4
    assert sandbox.bookings("postnord") == {}
    assert shipment.booking_attempts == 1
    assert shipment.next_booking_at is None


def test_a_booking_delivered_many_times_books_once(
    live_worker: CeleryWorker, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    # The carrier takes a while, so that the copies arrive while the first attempt is in flight.
    sandbox.fault("postnord", latency_ms=500, path=POSTNORD_BOOKING_PATH)
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]
    assert demo_klarna.confirm(shipment_id).status_code == 200
    pk = shipment_by_public_id(shipment_id).pk

    for _ in range(3):
        shipment_book.delay(pk)

    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    # Every copy has been handled (the busy ones come back after the lease) before we count.
    broker = redis.Redis.from_url(app.conf.broker_url)
    wait_for(
        lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0,
        what="the queue to drain",
    )
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    assert shipment.booking_attempts == 1
    assert transitions(shipment) == BOOKED_EVENTS
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}


def test_a_confirm_while_the_broker_is_down_is_booked_by_the_requeue(
    live_worker: CeleryWorker,
    demo_klarna: Klarna,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]
    log_start = len(live_worker.log())

    with broker_unreachable(), caplog.at_level(logging.WARNING, "tms_gateway.shipments.booking"):
        confirmed = demo_klarna.confirm(shipment_id)

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    pk = shipment_by_public_id(shipment_id).pk
    assert f"booking of shipment {pk} not queued (broker unreachable)" in caplog.messages
    shipment = wait_for_status(shipment_id, "booked")
    assert shipment.status == "booked", shipment.booking_error
    assert transitions(shipment) == BOOKED_EVENTS
    assert sandbox.bookings("postnord") == {shipment.booking_reference: 1}
    # Every booking message of this test came from the beat's requeue (this test's shipment
    # is the only one in the database): the confirm queued nothing.
    log = live_worker.log()[log_start:]
    requeued = [
        int(n)
        for n in re.findall(
            r"Task tms_gateway\.shipments\.tasks\.shipments_requeue\[[0-9a-f-]+\] "
            r"succeeded in \S+s: (\d+)",
            log,
        )
    ]
    received = set(
        re.findall(
            r"Task tms_gateway\.shipments\.tasks\.shipment_book\[([0-9a-f-]+)\] received", log
        )
    )
    assert sum(requeued) >= 1, log
    assert len(received) == sum(requeued), log


def test_a_booking_cut_short_by_a_killed_worker_is_found_by_reference(
    live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    worker = live_workers.ensure()
    sandbox.fault("postnord", latency_ms=3000, path=POSTNORD_BOOKING_PATH)
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]
    before = sandbox.requests("postnord")

    assert demo_klarna.confirm(shipment_id).status_code == 200
    wait_for(lambda: sandbox.requests("postnord") > before, what="the booking request")
    worker.kill()
    sandbox.clear_faults()

    shipment = shipment_by_public_id(shipment_id)
    assert shipment.status == "booking"
    assert shipment.booking_started_at is not None
    # The carrier finishes what it received: the shipment is booked there, the answer lost.
    reference = shipment.booking_reference
    wait_for(lambda: sandbox.bookings("postnord") == {reference: 1}, what="the sandbox booking")
    record = ledger.find("postnord", reference)
    assert record is not None

    live_workers.start()
    shipment = wait_for_status(shipment_id, "booked")

    assert shipment.status == "booked", shipment.booking_error
    assert shipment.carrier_shipment_id == record["shipment_id"]
    assert shipment.tracking_number == record["item_ids"][0]
    assert shipment.booking_attempts == 2
    assert transitions(shipment) == BOOKED_EVENTS
    assert shipment.events.order_by("id").last().reason == (  # type: ignore[union-attr]
        f"found by reference: {record['shipment_id']}"
    )
    assert sandbox.bookings("postnord") == {reference: 1}


def test_a_reservation_never_confirmed_is_expired_by_the_beat_and_a_late_confirm_books_it(
    live_workers: CeleryWorkers, demo_klarna: Klarna, sandbox: Sandbox
) -> None:
    live_workers.ensure(KSA_RESERVATION_LIFETIME_SECONDS="2")
    shipment_id = demo_klarna.reserve_preselected()["shipment_id"]

    shipment = wait_for_status(shipment_id, "expired")

    assert shipment.status == "expired"
    assert transitions(shipment) == [
        ("", "reserved", "klarna"),
        ("reserved", "expired", "system"),
    ]
    assert shipment.events.order_by("id").last().reason == (  # type: ignore[union-attr]
        "not confirmed within the reservation lifetime"
    )
    assert demo_klarna.shipment(shipment_id).json()["status"] == "expired"
    assert sandbox.bookings("postnord") == {}
    # A confirm is proof of purchase: arriving after the expiry, it still books the order.
    late = demo_klarna.confirm(shipment_id)
    assert late.status_code == 200, late.content
    booked = wait_for_status(shipment_id, "booked")
    assert booked.confirmed_by == "klarna"
    assert sandbox.bookings("postnord") == {booked.booking_reference: 1}
