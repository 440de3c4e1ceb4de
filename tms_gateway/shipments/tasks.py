"""Celery tasks: thin, take ids, call one service."""

from celery import shared_task

from .services import shipment_expire_stale as _shipment_expire_stale


@shared_task(name="tms_gateway.shipments.tasks.shipment_expire_stale")
def shipment_expire_stale() -> int:
    return _shipment_expire_stale()
