"""Celery tasks: thin, take ids, call one service. The row is the truth, so each is safe to
run twice (a redelivered message finds the work done or in flight)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from . import booking, queue, services


@shared_task(name="tms_gateway.shipments.tasks.shipment_expire_stale")
def shipment_expire_stale() -> int:
    return services.shipment_expire_stale()


@shared_task(
    bind=True,
    name="tms_gateway.shipments.tasks.shipment_book",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def shipment_book(self: Task[Any, Any], shipment_id: int) -> str:
    outcome = booking.shipment_book(shipment_id=shipment_id)
    if outcome.retry_in is not None:
        queue.booking_queued_mark(shipment_id=shipment_id, countdown=outcome.retry_in)
        raise self.retry(countdown=outcome.retry_in)
    return outcome.outcome.value


@shared_task(name="tms_gateway.shipments.tasks.shipments_requeue")
def shipments_requeue() -> int:
    from . import confirms

    confirms.confirms_replay()  # confirms noted while the database was down, first
    return booking.shipments_requeue()


@shared_task(name="tms_gateway.shipments.tasks.shipments_track")
def shipments_track() -> int:
    from . import tracking

    return tracking.shipments_track()


@shared_task(name="tms_gateway.shipments.tasks.shipments_reconcile")
def shipments_reconcile() -> dict[str, int]:
    from . import reconcile

    return reconcile.shipments_reconcile().as_dict()
