"""Reservations Klarna has not confirmed: the gateway reads Klarna's checkout order (the
sandbox's fake Checkout API, with the demo shop's checkout credential) and acts on it."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import requests
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY
from pytest_django.fixtures import Settings

from carriers.models import CarrierTrace
from merchants.demo import DEMO_CHECKOUT_PASSWORD, DEMO_CHECKOUT_USERNAME
from merchants.models import KlarnaCheckoutCredential, Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments import tasks
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.reconcile import (
    ATTENTION_REFUSED,
    ATTENTION_UNKNOWN_ORDER,
    ATTENTION_UNREADABLE,
    ReconcileReport,
    shipments_reconcile,
)
from tms_gateway.shipments.services import (
    ATTENTION_CHECKING,
    ATTENTION_NO_CONFIRM,
    shipment_confirm,
    shipment_expire_stale,
)

from .helpers import history, queue_clear, queued_bookings, shipment_force

pytestmark = pytest.mark.django_db(transaction=True)

AUTH = (DEMO_CHECKOUT_USERNAME, DEMO_CHECKOUT_PASSWORD)
LIFETIME = dt.timedelta(hours=1)
RESERVED_EVENT = ("", "reserved", "klarna", "reserved postnord-home")


# --- Playing the shop and the shopper at the fake Checkout API ---------------------------------


def order_create(sandbox: Sandbox) -> str:
    response = requests.post(
        f"{sandbox.url('klarna')}/checkout/v3/orders",
        json={
            "purchase_country": "SE",
            "purchase_currency": "SEK",
            "locale": "sv-SE",
            "order_amount": 59800,
            "order_tax_amount": 11960,
            "order_lines": [{"type": "physical", "name": "Mug", "quantity": 2}],
        },
        auth=AUTH,
        timeout=5,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


def order_complete(
    sandbox: Sandbox, order_id: str, *, tms_reference: str, merchant_reference1: str = ""
) -> None:
    response = requests.post(
        f"{sandbox.url('klarna')}/_fake/orders/{order_id}/complete",
        json={"tms_reference": tms_reference, "merchant_reference1": merchant_reference1},
        auth=AUTH,
        timeout=5,
    )
    assert response.status_code == 200, response.text


def reads() -> int:
    """Order reads the gateway made (each is a trace)."""
    return CarrierTrace.objects.filter(carrier="klarna-checkout").count()


def report(**counts: int) -> ReconcileReport:
    return ReconcileReport(**counts)


def counted(name: str, **labels: str) -> float:
    """A counter's value in this process (tests read how much it grows)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def fresh(shipment: Shipment) -> Shipment:
    """The row as stored now (a new object: earlier reads stay as they were)."""
    return Shipment.objects.get(pk=shipment.pk)


# --- A paid order ----------------------------------------------------------------------------------


def test_a_complete_order_confirms_the_reservation_once_and_queues_its_booking(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: the shopper paid; Klarna's confirm never came
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(
        sandbox, order_id, tms_reference=str(shipment.public_id), merchant_reference1="WEB-1001"
    )
    queue_clear()
    now = shipment.selection_changed_at + dt.timedelta(minutes=5)

    # when
    first = shipments_reconcile(now=now)
    second = shipments_reconcile(now=now + dt.timedelta(minutes=10))

    # then
    assert first == report(confirmed=1)
    assert second == report()
    shipment = fresh(shipment)
    assert (shipment.status, shipment.confirmed_by, shipment.confirmed_at) == (
        "confirmed",
        "checkout_api",
        now,
    )
    assert shipment.merchant_reference == "WEB-1001"
    assert (shipment.klarna_order_status, shipment.reconciled_at) == ("checkout_complete", now)
    assert shipment.reconcile_next_at is None
    assert history(shipment) == [
        RESERVED_EVENT,
        (
            "reserved",
            "confirmed",
            "klarna checkout api",
            "Klarna's checkout order is complete (order WEB-1001)",
        ),
    ]
    assert queued_bookings() == [shipment.pk]
    assert reads() == 1
    assert (first.reads, first.expired) == (Counter(complete=1), Counter())


def test_a_reservation_younger_than_reconcile_after_is_not_read(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )

    result = shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(minutes=4))

    assert result == report()
    assert reads() == 0
    assert fresh(shipment).reconcile_next_at is None


def test_an_order_without_tms_reference_is_taken_as_this_reservations(
    demo: Merchant, sandbox: Sandbox
) -> None:
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(sandbox, order_id, tms_reference="")

    result = shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(minutes=6))

    assert result == report(confirmed=1)
    assert fresh(shipment).status == "confirmed"


def test_an_expired_reservation_whose_order_was_paid_is_confirmed_and_needs_no_attention(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: expired at its lifetime, marked as being checked
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    expired_at = shipment.selection_changed_at + LIFETIME
    assert shipment_expire_stale(now=expired_at) == 1
    assert fresh(shipment).attention_reason == ATTENTION_CHECKING
    order_complete(sandbox, order_id, tms_reference=shipment.public_id.hex)
    queue_clear()
    now = expired_at + dt.timedelta(minutes=1)

    # when
    result = shipments_reconcile(now=now)

    # then
    assert result == report(confirmed=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since, shipment.attention_reason) == (
        "confirmed",
        None,
        "",
    )
    assert history(shipment)[-1] == (
        "expired",
        "confirmed",
        "klarna checkout api",
        "Klarna's checkout order is complete, after the reservation lifetime",
    )
    assert queued_bookings() == [shipment.pk]


def test_an_order_completed_with_another_shipment_abandons_this_one(
    demo: Merchant, sandbox: Sandbox
) -> None:
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    other = str(uuid.uuid4())
    order_complete(sandbox, order_id, tms_reference=other)
    queue_clear()
    now = shipment.selection_changed_at + dt.timedelta(minutes=6)

    result = shipments_reconcile(now=now)

    assert result == report(abandoned=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since) == ("expired", None)
    assert shipment.klarna_order_status == "checkout_complete"
    assert history(shipment)[-1] == (
        "reserved",
        "expired",
        "system",
        f"not this reservation: Klarna's order {order_id} was completed with shipment {other}",
    )
    assert queued_bookings() == []


# --- An unpaid order ------------------------------------------------------------------------------


def test_an_incomplete_order_of_a_live_reservation_is_read_again_later(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    start = shipment.selection_changed_at
    now = start + dt.timedelta(minutes=5)

    # when: read, then too early, then due (5, 10, at most 20 min; no later than its end)
    first = shipments_reconcile(now=now)
    untouched = fresh(shipment)
    too_early = shipments_reconcile(now=now + dt.timedelta(minutes=4))
    second = shipments_reconcile(now=now + dt.timedelta(minutes=5))
    after_second = fresh(shipment)
    third = shipments_reconcile(now=now + dt.timedelta(minutes=15))

    # then
    assert (first, too_early, second, third) == (
        report(pending=1),
        report(),
        report(pending=1),
        report(pending=1),
    )
    assert untouched.status == "reserved"
    assert untouched.klarna_order_status == "checkout_incomplete"
    assert (untouched.reconciled_at, untouched.reconcile_attempts) == (now, 1)
    assert untouched.reconcile_next_at == now + dt.timedelta(minutes=5)
    assert after_second.reconcile_next_at == now + dt.timedelta(minutes=15)
    shipment = fresh(shipment)
    assert shipment.reconcile_attempts == 3
    assert shipment.reconcile_next_at == now + dt.timedelta(minutes=35)
    assert history(shipment) == [RESERVED_EVENT]
    assert reads() == 3


def test_an_incomplete_order_is_read_once_more_when_the_reservation_ends(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    now = shipment.selection_changed_at + dt.timedelta(minutes=50)
    shipment_force(shipment, reconcile_attempts=3)

    shipments_reconcile(now=now)

    assert fresh(shipment).reconcile_next_at == shipment.selection_changed_at + LIFETIME


def test_an_incomplete_order_past_the_lifetime_expires_without_attention(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    queue_clear()

    result = shipments_reconcile(now=shipment.selection_changed_at + LIFETIME)

    assert result == report(abandoned=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since, shipment.attention_reason) == (
        "expired",
        None,
        "",
    )
    assert history(shipment) == [
        RESERVED_EVENT,
        (
            "reserved",
            "expired",
            "system",
            "checkout abandoned: Klarna's order is checkout_incomplete",
        ),
    ]
    assert queued_bookings() == []
    assert (result.reads, result.expired) == (Counter(incomplete=1), Counter({False: 1}))


def test_an_expired_reservation_of_an_abandoned_checkout_stops_needing_attention(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    expired_at = shipment.selection_changed_at + LIFETIME
    shipment_expire_stale(now=expired_at)
    now = expired_at + dt.timedelta(seconds=30)

    result = shipments_reconcile(now=now)

    assert result == report(abandoned=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since, shipment.attention_reason) == (
        "expired",
        None,
        "",
    )
    assert history(shipment)[-1] == (
        "expired",
        "expired",
        "klarna checkout api",
        "checkout abandoned: Klarna's order is checkout_incomplete",
    )
    assert shipments_reconcile(now=now + dt.timedelta(hours=1)) == report()
    assert reads() == 1


def test_an_order_klarna_does_not_know_is_read_again_then_needs_a_person(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # Klarna knows every order whose checkout reached us; not knowing it says the credentials
    # may be another store's, not that the shopper left: a paid order must not vanish.
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id="an-order-klarna-never-had"
    )

    live = shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(minutes=10))
    ended_at = shipment.selection_changed_at + LIFETIME
    ended = shipments_reconcile(now=ended_at)

    assert (live, ended) == (report(pending=1), report(unknown=1))
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_reason) == ("expired", ATTENTION_UNKNOWN_ORDER)
    assert shipment.attention_since == ended_at
    assert shipment.klarna_order_status == "not found"
    assert shipment.reconcile_next_at == ended_at + dt.timedelta(hours=1)
    assert history(shipment)[-1] == (
        "reserved",
        "expired",
        "system",
        "not confirmed within the reservation lifetime",
    )
    assert (live.reads, ended.reads) == (Counter(not_found=1), Counter(not_found=1))
    assert (live.expired, ended.expired) == (Counter(), Counter({True: 1}))
    # not read again before the hour is up
    assert shipments_reconcile(now=ended_at + dt.timedelta(minutes=30)) == report()


# --- Klarna refuses or fails -----------------------------------------------------------------------


def test_refused_credentials_need_attention_and_are_tried_again_an_hour_later(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: an expired reservation being checked; the shop's password is wrong
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    expired_at = shipment.selection_changed_at + LIFETIME
    shipment_expire_stale(now=expired_at)
    KlarnaCheckoutCredential.objects.filter(merchant=demo).update(password="")
    now = expired_at + dt.timedelta(minutes=1)

    # when
    result = shipments_reconcile(now=now)

    # then
    assert result == report(refused=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since) == ("expired", expired_at)
    assert shipment.attention_reason == ATTENTION_REFUSED
    assert ATTENTION_REFUSED == "Klarna's checkout API refused the shop's credentials"
    assert shipment.reconcile_next_at == now + dt.timedelta(hours=1)
    assert (shipment.reconciled_at, shipment.klarna_order_status) == (None, "")
    assert shipments_reconcile(now=now + dt.timedelta(minutes=59)) == report()
    assert CarrierTrace.objects.get(carrier="klarna-checkout").status_code == 401


def test_refused_credentials_leave_a_live_reservation_reserved_until_its_end(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    KlarnaCheckoutCredential.objects.filter(merchant=demo).update(password="")
    now = shipment.selection_changed_at + dt.timedelta(minutes=10)

    assert shipments_reconcile(now=now) == report(refused=1)

    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_since) == ("reserved", None)
    assert shipment.reconcile_next_at == shipment.selection_changed_at + LIFETIME


def test_an_unavailable_checkout_api_is_read_again_with_backoff_and_jitter(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    sandbox.fault("klarna", status=503, path="/checkout/v3/orders/")
    now = shipment.selection_changed_at + dt.timedelta(minutes=6)

    first = shipments_reconcile(now=now)
    after_first = fresh(shipment)
    second = shipments_reconcile(now=after_first.reconcile_next_at)

    assert (first, second) == (report(unavailable=1), report(unavailable=1))
    assert after_first.reconcile_attempts == 1
    assert after_first.reconcile_next_at is not None
    assert (
        now + dt.timedelta(seconds=30)
        <= after_first.reconcile_next_at
        <= now + dt.timedelta(seconds=60)
    )
    shipment = fresh(shipment)
    assert shipment.reconcile_attempts == 2
    assert shipment.reconcile_next_at is not None
    waited = shipment.reconcile_next_at - after_first.reconcile_next_at
    assert dt.timedelta(seconds=60) <= waited <= dt.timedelta(seconds=120)
    assert (shipment.status, shipment.attention_since, shipment.reconciled_at) == (
        "reserved",
        None,
        None,
    )
    assert history(shipment) == [RESERVED_EVENT]


def test_an_order_that_could_not_be_read_by_the_give_up_time_needs_a_person(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    # given: expired and being checked, 47 h 59 min after its last change
    settings.KLARNA_CHECKOUT_RECONCILE_GIVE_UP = dt.timedelta(hours=48)
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    start = shipment.selection_changed_at
    shipment_expire_stale(now=start + LIFETIME)
    sandbox.fault("klarna", status=503)
    now = start + dt.timedelta(hours=47, minutes=59, seconds=59)

    # when
    result = shipments_reconcile(now=now)

    # then
    assert result == report(given_up=1)
    shipment = fresh(shipment)
    assert (shipment.status, shipment.attention_reason) == ("expired", ATTENTION_UNREADABLE)
    assert shipment.reconcile_next_at is None
    assert shipments_reconcile(now=now + dt.timedelta(hours=1)) == report()
    assert reads() == 1


def test_reservations_past_the_give_up_time_are_not_read_and_say_so(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    start = shipment.selection_changed_at
    shipment_expire_stale(now=start + LIFETIME)

    result = shipments_reconcile(now=start + dt.timedelta(hours=48, seconds=1))

    assert result == report(given_up=1)
    assert fresh(shipment).attention_reason == ATTENTION_UNREADABLE
    assert reads() == 0


# --- Per shop: who is read, how often ---------------------------------------------------------------


def test_a_shop_without_an_active_checkout_credential_is_never_read(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: an expired and a live reservation; the shop's checkout API is switched off
    expired = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox), session_id="s-2"
    )
    shipment_expire_stale(now=expired.selection_changed_at + LIFETIME)
    assert fresh(expired).attention_reason == ATTENTION_CHECKING
    live = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox), session_id="s-1"
    )
    shipment_force(live, selection_changed_at=timezone.now() - dt.timedelta(minutes=30))
    KlarnaCheckoutCredential.objects.filter(merchant=demo).update(is_active=False)

    # when
    result = shipments_reconcile(now=expired.selection_changed_at + LIFETIME)

    # then: nothing read; the expired one no longer claims to be checked
    assert result == report()
    assert reads() == 0
    assert sandbox.requests("klarna") == 2  # the two orders created above
    assert fresh(live).status == "reserved"
    assert fresh(expired).attention_reason == ATTENTION_NO_CONFIRM


def test_reads_are_limited_per_shop_and_minute(
    demo: Merchant, sandbox: Sandbox, settings: Settings
) -> None:
    settings.KLARNA_CHECKOUT_READS_PER_MINUTE = 2
    shipments = [
        ShipmentFactory.create(
            merchant=demo,
            option_id="postnord-home",
            order_id=order_create(sandbox),
            session_id=f"s-{i}",
        )
        for i in range(3)
    ]
    start = max(s.selection_changed_at for s in shipments) + dt.timedelta(minutes=6)
    now = start.replace(second=10, microsecond=0)

    result = shipments_reconcile(now=now)

    assert result == report(pending=2, deferred=1)
    assert reads() == 2
    waiting = [fresh(s) for s in shipments]
    deferred = [s for s in waiting if s.reconciled_at is None]
    assert len(deferred) == 1
    assert deferred[0].reconcile_next_at == now.replace(second=0) + dt.timedelta(minutes=1)
    assert deferred[0].reconcile_attempts == 0


def test_klarnas_429_pauses_the_shops_reads_for_its_retry_after(
    demo: Merchant, sandbox: Sandbox
) -> None:
    shipments = [
        ShipmentFactory.create(
            merchant=demo,
            option_id="postnord-home",
            order_id=order_create(sandbox),
            session_id=f"s-{i}",
        )
        for i in range(3)
    ]
    sandbox.fault("klarna", status=429, times=1)
    now = max(s.selection_changed_at for s in shipments) + dt.timedelta(minutes=6)

    result = shipments_reconcile(now=now)

    assert result == report(rate_limited=1, deferred=2)
    assert reads() == 1
    assert {fresh(s).reconcile_next_at for s in shipments} == {now + dt.timedelta(seconds=1)}
    assert result.reads == Counter(rate_limited=1)
    assert shipments_reconcile(now=now + dt.timedelta(seconds=1)) == report(pending=3)


# --- Concurrency ----------------------------------------------------------------------------------


def _in_thread(target: Any, results: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_klarna_confirm_racing_the_read_confirms_once_and_books_once(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: a paid order, read slowly
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(sandbox, order_id, tms_reference=str(shipment.public_id))
    sandbox.fault("klarna", latency_ms=800, path="/checkout/v3/orders/")
    queue_clear()
    now = shipment.selection_changed_at + dt.timedelta(minutes=6)
    results: list[Any] = []

    # when: Klarna's confirm arrives while the order is being read
    reading = _in_thread(lambda: shipments_reconcile(now=now), results)
    claimed = time.monotonic() + 5
    while fresh(shipment).reconcile_next_at is None and time.monotonic() < claimed:
        time.sleep(0.02)
    started = time.monotonic()
    shipment_confirm(merchant=demo, shipment=shipment)
    confirm_took = time.monotonic() - started
    reading.join(timeout=10)

    # then
    assert results == [report(skipped=1)]
    assert confirm_took < 0.5  # the read holds no row lock
    shipment = fresh(shipment)
    assert (shipment.status, shipment.confirmed_by) == ("confirmed", "klarna")
    assert shipment.klarna_order_status == "checkout_complete"
    assert history(shipment) == [
        RESERVED_EVENT,
        ("reserved", "confirmed", "klarna", "purchase completed"),
    ]
    assert queued_bookings() == [shipment.pk]


def test_a_klarna_confirm_after_the_reconcile_changes_nothing(
    demo: Merchant, sandbox: Sandbox
) -> None:
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(sandbox, order_id, tms_reference=str(shipment.public_id))
    queue_clear()

    shipments_reconcile(now=shipment.selection_changed_at + dt.timedelta(minutes=6))
    shipment_confirm(merchant=demo, shipment=shipment)

    shipment = fresh(shipment)
    assert shipment.confirmed_by == "checkout_api"
    assert [e[:2] for e in history(shipment)] == [("", "reserved"), ("reserved", "confirmed")]
    assert queued_bookings() == [shipment.pk]


def test_two_workers_never_read_the_same_order(demo: Merchant, sandbox: Sandbox) -> None:
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(sandbox, order_id, tms_reference=str(shipment.public_id))
    sandbox.fault("klarna", latency_ms=500, path="/checkout/v3/orders/")
    queue_clear()
    now = shipment.selection_changed_at + dt.timedelta(minutes=6)
    results: list[Any] = []

    workers = [_in_thread(lambda: shipments_reconcile(now=now), results) for _ in range(2)]
    for worker in workers:
        worker.join(timeout=10)

    # The second finds the row claimed: skipped, or not among the reservations to read at all.
    assert sorted(r.confirmed for r in results) == [0, 1]
    assert sum(r.as_dict() != report().as_dict() for r in results if not r.confirmed) <= 1
    assert reads() == 1
    assert queued_bookings() == [shipment.pk]


def test_the_celery_task_runs_the_reconcile(demo: Merchant, sandbox: Sandbox) -> None:
    order_id = order_create(sandbox)
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home", order_id=order_id)
    order_complete(sandbox, order_id, tms_reference=str(shipment.public_id))
    shipment_force(shipment, selection_changed_at=timezone.now() - dt.timedelta(minutes=6))
    reads_before = counted("tms_klarna_checkout_reads_total", result="complete")
    confirms_before = counted("tms_shipment_confirms_total", source="checkout_api")

    assert tasks.shipments_reconcile() == report(confirmed=1).as_dict()
    assert fresh(shipment).status == "confirmed"
    # the task counts what the run reports
    assert counted("tms_klarna_checkout_reads_total", result="complete") == reads_before + 1
    assert counted("tms_shipment_confirms_total", source="checkout_api") == confirms_before + 1


def test_the_celery_task_counts_the_reservations_the_run_expired(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: an incomplete order past the reservation's lifetime: abandoned, no attention
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", order_id=order_create(sandbox)
    )
    shipment_force(shipment, selection_changed_at=timezone.now() - LIFETIME)
    before = counted("tms_reservations_expired_total", attention="no")

    assert tasks.shipments_reconcile() == report(abandoned=1).as_dict()
    assert counted("tms_reservations_expired_total", attention="no") == before + 1
