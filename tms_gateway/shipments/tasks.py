"""Celery tasks: thin, take ids, call one service. The row is the truth, so each is safe to
run twice (a redelivered message finds the work done or in flight)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from tms_gateway.ops import metrics

from . import booking, queue, services
from .models import ConfirmSource


@shared_task(name="tms_gateway.shipments.tasks.shipment_expire_stale")
def shipment_expire_stale() -> int:
    expired = services.shipment_expire_stale()
    metrics.reservation_expired_observe(attention=True, count=expired)
    return expired


@shared_task(
    bind=True,
    name="tms_gateway.shipments.tasks.shipment_book",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def shipment_book(self: Task[Any, Any], shipment_id: int) -> str:
    outcome = booking.shipment_book(shipment_id=shipment_id)
    metrics.booking_outcome_observe(outcome=outcome.outcome.value)
    if outcome.retry_in is not None:
        queue.booking_queued_mark(shipment_id=shipment_id, countdown=outcome.retry_in)
        raise self.retry(countdown=outcome.retry_in)
    return outcome.outcome.value


@shared_task(name="tms_gateway.shipments.tasks.shipments_requeue")
def shipments_requeue() -> int:
    from . import confirms

    replayed = confirms.confirms_replay()  # confirms noted while the database was down, first
    metrics.shipment_confirmed_observe(source=ConfirmSource.KLARNA, count=replayed.confirmed)
    for reason, count in replayed.refused.items():
        metrics.confirm_refused_observe(reason=reason, count=count)
    return booking.shipments_requeue()


@shared_task(name="tms_gateway.shipments.tasks.shipments_track")
def shipments_track() -> int:
    from . import tracking

    return tracking.shipments_track()


@shared_task(name="tms_gateway.shipments.tasks.shipments_reconcile")
def shipments_reconcile() -> dict[str, int]:
    from . import reconcile

    report = reconcile.shipments_reconcile()
    # "confirmed" is a confirm of this run's own, as Checkout API (the row locked, still waiting)
    metrics.shipment_confirmed_observe(source=ConfirmSource.CHECKOUT_API, count=report.confirmed)
    for result, count in report.reads.items():
        metrics.checkout_order_read_observe(result=result, count=count)
    for attention, count in report.expired.items():
        metrics.reservation_expired_observe(attention=attention, count=count)
    return report.as_dict()
