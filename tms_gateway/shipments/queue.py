"""Queueing a booking attempt, and the notes that say a message is already queued.

The task is sent by name (``SHIPMENT_BOOK_TASK``), so nothing here imports the tasks module:
tasks call services, services queue work, and no module reaches back up.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

SHIPMENT_BOOK_TASK = "tms_gateway.shipments.tasks.shipment_book"
QUEUED_KEY = "booking:queued:{}"


def booking_queued_mark(*, shipment_id: int, countdown: float | None = None) -> None:
    """Note that a message for this shipment is queued, so ``shipments_requeue`` leaves it.

    The note lives in the cache (the same Redis as the broker in production) and expires after
    BOOKING_QUEUED_SECONDS past the message's countdown: a message not started by then is
    presumed lost and queued again. When Redis restarts empty, queue and notes go together and
    the next requeue sends everything waiting at once. Best effort: without the cache, requeue
    sends as if nothing were queued (a duplicate message finds the work done).
    """
    timeout = (countdown or 0.0) + settings.BOOKING_QUEUED_SECONDS
    cache.set(QUEUED_KEY.format(shipment_id), 1, timeout=timeout)  # dropped if Redis is down


def booking_queued_clear(shipment_id: int) -> None:
    cache.delete(QUEUED_KEY.format(shipment_id))


def booking_queued(ids: list[int]) -> set[int]:
    """Which of ``ids`` have a message queued (as far as the notes tell)."""
    found = cache.get_many([QUEUED_KEY.format(pk) for pk in ids])  # {} if Redis is down
    return {pk for pk in ids if QUEUED_KEY.format(pk) in found}


def booking_enqueue(*, shipment_id: int, countdown: float | None = None) -> bool:
    """Queue a booking attempt. A broker that cannot be reached is logged, not raised: the row
    is the truth and ``shipments_requeue`` picks it up again.

    The note is written before the message is sent: a worker may start the task (and clear the
    note) before ``apply_async`` returns, and a note written after that would hide the
    shipment from ``shipments_requeue`` for BOOKING_QUEUED_SECONDS should that worker die."""
    booking_queued_mark(shipment_id=shipment_id, countdown=countdown)
    try:
        current_app.signature(SHIPMENT_BOOK_TASK, args=(shipment_id,)).apply_async(
            countdown=countdown
        )
    except Exception:
        booking_queued_clear(shipment_id)
        logger.warning("booking of shipment %s not queued (broker unreachable)", shipment_id)
        return False
    return True
