"""Reservations Klarna has not confirmed: read Klarna's checkout order and act on it.

Klarna sends ``/confirm`` once, best effort; a lost one is a paid order never booked. For a shop
with an active checkout API credential (``KlarnaCheckoutCredential``) the gateway reads the
order (Checkout API v3, ``tms_gateway.klarna_checkout``) of every reservation not confirmed
KLARNA_CHECKOUT_RECONCILE_AFTER after Klarna's last POST/PUT, and of every expired one that
needs attention, until KLARNA_CHECKOUT_RECONCILE_GIVE_UP after it:

* complete, for this shipment (``tms_reference`` ours or absent) → confirmed, as Klarna's
  confirm would have (``shipment_confirm``, source ``checkout_api``): the booking is queued;
* complete for another shipment (another session of the same order) → this one was abandoned;
* incomplete, or no such order → read again later while the reservation lives (every
  RECONCILE_AFTER, doubling, at most 20 min, and once more when it ends); after its lifetime
  an incomplete order means the checkout was abandoned: a reservation expires without
  attention, an expired one stops needing it (an event says why). An order Klarna does not
  know is not proof of anything (the credentials may be another store's): it needs attention,
  and is read again hourly;
* credentials refused (401/403) → needs attention with that reason; read again in an hour;
* Klarna's rate limit (429) → the shop's reads pause for Retry-After;
* unavailable (timeout, 5xx, a body that is not an order) → read again with backoff and jitter;
  at the give-up time a person decides ("could not be read").

Two workers never read the same order at once: a reservation is claimed under
``SELECT … FOR UPDATE SKIP LOCKED`` by moving ``reconcile_next_at`` past the read (a lease),
and the answer is applied under the row lock, where a confirm that came meanwhile wins. Reads
are limited per shop (KLARNA_CHECKOUT_READS_PER_MINUTE, a fixed window in the cache).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from merchants.models import KlarnaCheckoutCredential
from tms_gateway.common.cache import cache_count
from tms_gateway.klarna_checkout.client import (
    CheckoutRateLimited,
    CheckoutRefused,
    checkout_order_read,
)
from tms_gateway.klarna_checkout.mappers import CheckoutOrder, tms_reference_matches
from tms_gateway.klarna_checkout.units import NOT_FOUND

from .models import ConfirmSource, Shipment, ShipmentEvent, ShipmentStatus
from .services import (
    ATTENTION_CHECKING,
    ATTENTION_NO_CONFIRM,
    shipment_confirm,
    shipment_expire,
    shipment_is_stale,
)

logger = logging.getLogger(__name__)

S = ShipmentStatus
ACTOR = "klarna checkout api"

ATTENTION_REFUSED = "Klarna's checkout API refused the shop's credentials"
ATTENTION_UNKNOWN_ORDER = (
    "Klarna's checkout API does not know this order with the shop's credentials (another "
    "store's?): the order may have been paid. Confirm it by hand if it was, or dismiss this."
)
ATTENTION_UNREADABLE = (
    "Klarna's checkout API could not be read: the order may have been paid. "
    "Confirm it by hand if it was, or dismiss this."
)

#: An incomplete order of a live reservation is read again after at most this long.
RECHECK_MAX = dt.timedelta(minutes=20)
#: After a failed read: base * 2**(attempt - 1), at most max, times a jitter of 0.5 to 1.
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(minutes=30)
#: Refused credentials are tried again this much later (someone has to correct them).
REFUSED_RETRY = dt.timedelta(hours=1)
#: A 429 without Retry-After pauses the shop's reads this long.
RATE_LIMIT_PAUSE = dt.timedelta(minutes=1)
WINDOW_SECONDS = 60


@dataclass
class ReconcileReport:
    """What one run did, by outcome."""

    confirmed: int = 0
    abandoned: int = 0
    #: Past its lifetime, and Klarna does not know the order: a person decides.
    unknown: int = 0
    pending: int = 0
    refused: int = 0
    unavailable: int = 0
    rate_limited: int = 0
    given_up: int = 0
    #: Not read: the shop's reads this minute are used up, or Klarna asked it to pause.
    deferred: int = 0
    #: Not acted on: claimed by another worker, or no longer waiting once read.
    skipped: int = 0
    #: Not outcomes but what the task counts besides them: the orders read, by result
    #: (complete, incomplete, not_found, refused, unavailable, rate_limited), and the
    #: reservations this run expired, by whether they need attention.
    reads: Counter[str] = field(default_factory=Counter, init=False, compare=False)
    expired: Counter[bool] = field(default_factory=Counter, init=False, compare=False)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.compare}


def _shops_with_checkout_api() -> QuerySet[KlarnaCheckoutCredential, int]:
    return KlarnaCheckoutCredential.objects.filter(is_active=True).values_list(
        "merchant_id", flat=True
    )


def _waiting(now: dt.datetime) -> QuerySet[Shipment]:
    """Reservations whose order is to be read now."""
    return Shipment.objects.filter(
        Q(
            status=S.RESERVED,
            selection_changed_at__lte=now - settings.KLARNA_CHECKOUT_RECONCILE_AFTER,
        )
        | Q(status=S.EXPIRED, attention_since__isnull=False),
        Q(reconcile_next_at__isnull=True) | Q(reconcile_next_at__lte=now),
        merchant_id__in=_shops_with_checkout_api(),
        selection_changed_at__gte=now - settings.KLARNA_CHECKOUT_RECONCILE_GIVE_UP,
    ).exclude(klarna_order_id="")


def _still_waiting(shipment: Shipment, order_id: str) -> bool:
    """Whether the answer read for ``order_id`` still concerns the (locked) shipment."""
    return shipment.klarna_order_id == order_id and (
        shipment.status == S.RESERVED
        or (shipment.status == S.EXPIRED and shipment.attention_since is not None)
    )


def shipments_reconcile(
    *, now: dt.datetime | None = None, limit: int | None = None
) -> ReconcileReport:
    """Read the checkout order of up to ``limit`` waiting reservations and act on each."""
    now = now or timezone.now()
    limit = settings.KLARNA_CHECKOUT_RECONCILE_BATCH if limit is None else limit
    report = ReconcileReport()
    report.given_up += _attention_reasons_correct(now=now)
    pks = list(
        _waiting(now)
        .order_by(F("reconcile_next_at").asc(nulls_first=True), "selection_changed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    credentials: dict[int, KlarnaCheckoutCredential | None] = {}
    for pk in pks:
        _reconcile_one(pk=pk, now=now, credentials=credentials, report=report)
    return report


def _attention_reasons_correct(*, now: dt.datetime) -> int:
    """Expired reservations said to be "checked" that no read will reach any more: past the
    give-up time (could not be read), or of a shop whose checkout API is off. Returns how many
    were given up."""
    checking = Shipment.objects.filter(
        attention_since__isnull=False, attention_reason=ATTENTION_CHECKING
    )
    checking.exclude(merchant_id__in=_shops_with_checkout_api()).update(
        attention_reason=ATTENTION_NO_CONFIRM
    )
    return checking.filter(
        selection_changed_at__lt=now - settings.KLARNA_CHECKOUT_RECONCILE_GIVE_UP
    ).update(attention_reason=ATTENTION_UNREADABLE)


def _lease() -> dt.timedelta:
    """Longer than one read can take: a worker that dies mid-read frees the row after it."""
    return dt.timedelta(
        seconds=settings.CARRIER_CONNECT_TIMEOUT + settings.KLARNA_CHECKOUT_TIMEOUT + 60
    )


def _claim(*, pk: int, now: dt.datetime) -> Shipment | None:
    """The reservation, if it still waits and no other worker holds it; held for the read."""
    with transaction.atomic():
        shipment = (
            _waiting(now).select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
        )
        if shipment is None:
            return None
        Shipment.objects.filter(pk=pk).update(reconcile_next_at=now + _lease())
    return shipment


def _credential(
    merchant_id: int, credentials: dict[int, KlarnaCheckoutCredential | None]
) -> KlarnaCheckoutCredential | None:
    if merchant_id not in credentials:
        credentials[merchant_id] = KlarnaCheckoutCredential.objects.filter(
            merchant_id=merchant_id, is_active=True
        ).first()
    return credentials[merchant_id]


def _reconcile_one(
    *,
    pk: int,
    now: dt.datetime,
    credentials: dict[int, KlarnaCheckoutCredential | None],
    report: ReconcileReport,
) -> None:
    shipment = _claim(pk=pk, now=now)
    credential = _credential(shipment.merchant_id, credentials) if shipment else None
    if shipment is None or credential is None:
        report.skipped += 1
        return
    order_id = shipment.klarna_order_id
    wait_until = _read_slot(merchant_id=shipment.merchant_id, now=now)
    if wait_until is not None:
        Shipment.objects.filter(pk=pk).update(reconcile_next_at=wait_until)
        report.deferred += 1
        return
    try:
        order = checkout_order_read(credential=credential, order_id=order_id)
    except CheckoutRefused as exc:
        report.reads["refused"] += 1
        logger.warning("checkout order %s of shipment %s: %s", order_id, shipment.public_id, exc)
        _refused(pk=pk, now=now, report=report)
        report.refused += 1
    except CheckoutRateLimited as exc:
        report.reads["rate_limited"] += 1
        pause = dt.timedelta(seconds=exc.retry_after) if exc.retry_after else RATE_LIMIT_PAUSE
        _pause(merchant_id=shipment.merchant_id, until=now + pause)
        Shipment.objects.filter(pk=pk).update(reconcile_next_at=now + pause)
        report.rate_limited += 1
    except Exception as exc:  # timeouts, 5xx, a body that is not an order, another 4xx
        report.reads["unavailable"] += 1
        logger.warning(
            "checkout order %s of shipment %s not read: %s", order_id, shipment.public_id, exc
        )
        if _unavailable(pk=pk, now=now, report=report):
            report.given_up += 1
        else:
            report.unavailable += 1
    else:
        if order is None:
            report.reads["not_found"] += 1
        else:
            report.reads["complete" if order.complete else "incomplete"] += 1
        outcome = _apply(pk=pk, order_id=order_id, order=order, now=now, report=report)
        setattr(report, outcome, getattr(report, outcome) + 1)


def _apply(
    *,
    pk: int,
    order_id: str,
    order: CheckoutOrder | None,
    now: dt.datetime,
    report: ReconcileReport,
) -> str:
    """Act on the order read (None: Klarna has no such order); returns the outcome's name
    ("confirmed" only when this run confirmed it: the row is locked and still waiting)."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("merchant").get(pk=pk)
        bookkeeping: dict[str, Any] = {
            "klarna_order_status": (order.status if order is not None else NOT_FOUND)[:40],
            "reconciled_at": now,
            "reconcile_next_at": None,
        }
        if not _still_waiting(locked, order_id):
            # Confirmed, cancelled or dismissed while we read (or the order id changed: the
            # next run reads the new one).
            outcome = "skipped"
        elif order is not None and order.complete:
            if not order.tms_reference or tms_reference_matches(
                order.tms_reference, locked.public_id
            ):
                shipment_confirm(
                    merchant=locked.merchant,
                    shipment=locked,
                    now=now,
                    source=ConfirmSource.CHECKOUT_API,
                    actor=ACTOR,
                    merchant_reference=order.merchant_reference,
                )
                outcome = "confirmed"
            else:
                _abandon(
                    locked,
                    now=now,
                    report=report,
                    reason=f"not this reservation: Klarna's order {order_id} was completed "
                    f"with shipment {order.tms_reference}",
                )
                outcome = "abandoned"
        elif locked.status == S.RESERVED and not shipment_is_stale(shipment=locked, now=now):
            bookkeeping["reconcile_next_at"] = _recheck_at(locked, now=now)
            bookkeeping["reconcile_attempts"] = locked.reconcile_attempts + 1
            outcome = "pending"
        elif order is None:
            _needs_a_person(locked, now=now, reason=ATTENTION_UNKNOWN_ORDER, report=report)
            bookkeeping["reconcile_next_at"] = now + REFUSED_RETRY
            outcome = "unknown"
        else:
            _abandon(
                locked,
                now=now,
                reason=f"checkout abandoned: Klarna's order is {order.status}",
                report=report,
            )
            outcome = "abandoned"
        Shipment.objects.filter(pk=pk).update(**bookkeeping)
    logger.info("checkout order %s of shipment %s: %s", order_id, locked.public_id, outcome)
    return outcome


def _recheck_at(shipment: Shipment, *, now: dt.datetime) -> dt.datetime:
    """When to read an incomplete order of a live reservation again: RECONCILE_AFTER, doubling
    with each read, at most RECHECK_MAX, and no later than the end of the reservation's life."""
    step = settings.KLARNA_CHECKOUT_RECONCILE_AFTER * 2 ** min(shipment.reconcile_attempts, 10)
    ends = shipment.selection_changed_at + settings.KSA_RESERVATION_LIFETIME
    return min(now + min(step, RECHECK_MAX), ends)


def _abandon(shipment: Shipment, *, now: dt.datetime, reason: str, report: ReconcileReport) -> None:
    """The (locked) reservation's checkout was not paid: a live one expires without attention,
    an expired one stops needing it."""
    if shipment.status == S.RESERVED:
        shipment_expire(shipment=shipment, now=now, reason=reason, abandoned=True)
        report.expired[False] += 1
        return
    ShipmentEvent.objects.create(
        merchant_id=shipment.merchant_id,
        shipment=shipment,
        at=now,
        from_status=shipment.status,
        to_status=shipment.status,
        actor=ACTOR,
        reason=reason,
    )
    shipment.attention_since = None
    shipment.attention_reason = ""
    shipment.save(update_fields=["attention_since", "attention_reason", "updated_at"])


def _needs_a_person(
    shipment: Shipment, *, now: dt.datetime, reason: str, report: ReconcileReport
) -> None:
    """Nobody can tell from here whether the order was paid: an expired (or outlived)
    reservation needs attention, saying why."""
    if shipment.status == S.RESERVED and shipment_is_stale(shipment=shipment, now=now):
        shipment_expire(shipment=shipment, now=now)
        report.expired[True] += 1
    if shipment.status == S.EXPIRED:
        shipment.attention_since = shipment.attention_since or now
        shipment.attention_reason = reason
        shipment.save(update_fields=["attention_since", "attention_reason", "updated_at"])


def _refused(*, pk: int, now: dt.datetime, report: ReconcileReport) -> None:
    """Klarna refused the shop's credentials: say so where attention is needed, and try again
    much later (a live reservation: when its life ends, so that its reason is right at once)."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=pk)
        _needs_a_person(locked, now=now, reason=ATTENTION_REFUSED, report=report)
        next_at = now + REFUSED_RETRY
        if locked.status == S.RESERVED:
            next_at = min(next_at, locked.selection_changed_at + settings.KSA_RESERVATION_LIFETIME)
        Shipment.objects.filter(pk=pk).update(reconcile_next_at=next_at)


def _unavailable(*, pk: int, now: dt.datetime, report: ReconcileReport) -> bool:
    """The order could not be read: read again with backoff and jitter, or, when that would be
    past the give-up time, leave it to a person. Returns whether it was given up."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=pk)
        attempts = locked.reconcile_attempts + 1
        delay = min(RETRY_BASE * 2 ** min(attempts - 1, 16), RETRY_MAX)
        next_at: dt.datetime | None = now + delay * random.uniform(0.5, 1.0)  # noqa: S311
        give_up_at = locked.selection_changed_at + settings.KLARNA_CHECKOUT_RECONCILE_GIVE_UP
        given_up = next_at is not None and next_at >= give_up_at
        if given_up:
            _needs_a_person(locked, now=now, reason=ATTENTION_UNREADABLE, report=report)
            next_at = None
        Shipment.objects.filter(pk=pk).update(
            reconcile_attempts=min(attempts, 32767), reconcile_next_at=next_at
        )
    return given_up


# --- Reads per shop -----------------------------------------------------------------------


def _pause_key(merchant_id: int) -> str:
    return f"kco:pause:{merchant_id}"


def _pause(*, merchant_id: int, until: dt.datetime) -> None:
    """Klarna said "too many requests": no reads for this shop until ``until``."""
    seconds = max(1, int((until - timezone.now()).total_seconds()) + WINDOW_SECONDS)
    cache.set(_pause_key(merchant_id), until.timestamp(), timeout=seconds)  # best effort


def _read_slot(*, merchant_id: int, now: dt.datetime) -> dt.datetime | None:
    """None when the shop may read an order now (the read is counted); else when it may next.

    A fixed window of a minute per shop, counted in the cache; if the cache cannot be reached
    the read is allowed (a booking matters more than Klarna's limit)."""
    paused = cache.get(_pause_key(merchant_id))
    if isinstance(paused, int | float) and paused > now.timestamp():
        return dt.datetime.fromtimestamp(paused, tz=dt.UTC)
    limit = settings.KLARNA_CHECKOUT_READS_PER_MINUTE
    if limit <= 0:
        return None
    window = int(now.timestamp() // WINDOW_SECONDS)
    count = cache_count(f"kco:reads:{merchant_id}:{window}", timeout=2 * WINDOW_SECONDS)
    if count is None:
        logger.warning(
            "checkout API reads of merchant %s not counted: cache unreachable", merchant_id
        )
        return None
    if count > limit:
        return dt.datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, tz=dt.UTC)
    return None
