"""Booking a confirmed shipment with its carrier, exactly once.

The shipment row is the truth. An attempt first claims the row (status ``booking`` and a lease,
``booking_started_at``, committed before the carrier is called), then calls the carrier with
the shipment's stable reference, then records the outcome:

* booked → ``booked`` with ids, tracking numbers and labels;
* refused (4xx) → ``failed`` at once, with the carrier's words;
* unavailable (timeout, 5xx, 429) → retried with exponential backoff and jitter, honouring
  Retry-After, until BOOKING_GIVE_UP_SECONDS after confirmation, then ``failed``.

Exactly once: while a lease is fresh no other attempt touches the carrier (a task delivered
twice finds the row busy, or booked). An attempt whose outcome is unknown — a worker killed
mid-call, a timeout after the carrier may have booked — leaves the row in ``booking``; the
next attempt looks the booking up by reference first and sends it again only if the carrier
has none. A carrier that can neither be asked nor safely asked twice gets ``failed`` with a
note to check with the carrier, never a second shipment.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carriers.base import CarrierAdapter
from carriers.exceptions import (
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.registry import UnknownCarrier, get_adapter
from carriers.types import (
    AddonChoice,
    Address,
    AgreementCredentials,
    Booking,
    BookingRequest,
    Contact,
    Parcel,
)
from merchants.models import PRODUCT_KIND, OptionKind
from tms_gateway.checkout.services import order_parcels
from tms_gateway.checkout.types import Order, OrderLine, Session
from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.secrets import secrets_remember

from .models import Shipment, ShipmentLabel, ShipmentStatus
from .notifications import shipment_failure_notify
from .queue import booking_enqueue, booking_queued, booking_queued_clear
from .selectors import agreement_credentials, shipment_agreement_get
from .services import InvalidTransition, shipment_transition

logger = logging.getLogger(__name__)
S = ShipmentStatus


class Outcome(enum.StrEnum):
    BOOKED = "booked"
    FAILED = "failed"
    RETRY = "retry"
    BUSY = "busy"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class BookingOutcome:
    outcome: Outcome
    retry_in: float | None = None
    detail: str = ""


def booking_backoff(*, attempt: int, retry_after: float | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential with full jitter, at least what the
    carrier asked for (Retry-After)."""
    ceiling = min(
        settings.BOOKING_RETRY_MAX_SECONDS,
        settings.BOOKING_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1),
    )
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not security)
    return max(delay, retry_after or 0.0)


def _lease() -> dt.timedelta:
    """How long an attempt holds the shipment. Never shorter than one booking call can last,
    so that a call in flight always ends inside the lease it was sent under."""
    one_call = settings.CARRIER_CONNECT_TIMEOUT + settings.CARRIER_BOOKING_TIMEOUT + 1.0
    return dt.timedelta(seconds=max(settings.BOOKING_LEASE_SECONDS, one_call))


def _lease_renew(*, shipment: Shipment, now: dt.datetime) -> bool:
    """Just before the booking call: True when this attempt still holds the shipment, whose
    lease then starts again. False when the lease ran out meanwhile (a slow lookup, a busy
    machine) and another attempt took over: this one must not send, or both could book."""
    now = max(now, timezone.now())
    renewed = Shipment.objects.filter(
        pk=shipment.pk, status=S.BOOKING, booking_attempts=shipment.booking_attempts
    ).update(booking_started_at=now)
    if renewed:
        shipment.booking_started_at = now
    return bool(renewed)


def _parcels(shipment: Shipment) -> tuple[Parcel, ...]:
    order = shipment.order
    lines = tuple(
        OrderLine(**{**line, "tags": tuple(line.get("tags") or ())})
        for line in order.get("lines") or []
    )
    session = Session(
        currency=shipment.currency,
        locale=shipment.locale,
        order=Order(total_weight_g=order.get("total_weight_g"), lines=lines),
    )
    parcels = order_parcels(session)
    # A weight is what every carrier needs; an order without one ships as the default.
    return tuple(
        p
        if p.weight_g
        else Parcel(settings.BOOKING_DEFAULT_WEIGHT_G, p.length_mm, p.width_mm, p.height_mm)
        for p in parcels
    )


def booking_request_build(*, shipment: Shipment, agreement: AgreementCredentials) -> BookingRequest:
    """What the carrier receives: what the shopper chose, the shop's sender address and
    customer number, parcels from the order lines."""
    merchant = shipment.merchant
    chosen = shipment.snapshot
    recipient = shipment.recipient
    name = " ".join(p for p in (recipient.get("given_name"), recipient.get("family_name")) if p)
    return BookingRequest(
        reference=shipment.booking_reference,
        agreement=agreement,
        product=chosen.carrier_product,
        kind=PRODUCT_KIND[OptionKind(chosen.kind)],
        sender=Contact(
            name=merchant.sender_name or merchant.name,
            phone=merchant.sender_phone,
            email=merchant.sender_email,
            company=merchant.name,
        ),
        sender_address=Address(
            country=merchant.sender_country,
            postal_code=merchant.sender_postal_code,
            city=merchant.sender_city,
            street_address=merchant.sender_street_address,
        ),
        recipient=Contact(
            name=name or recipient.get("company_name", ""),
            phone=recipient.get("phone", ""),
            email=recipient.get("email", ""),
            company=recipient.get("company_name", ""),
        ),
        recipient_address=Address(
            country=recipient.get("country", ""),
            postal_code=recipient.get("postal_code", ""),
            city=recipient.get("city", ""),
            street_address=recipient.get("street_address", ""),
            street_address2=recipient.get("street_address2", ""),
            region=recipient.get("region", ""),
        ),
        parcels=_parcels(shipment),
        location=chosen.location.to_location() if chosen.location else None,
        timeslot=chosen.timeslot.to_timeslot() if chosen.timeslot else None,
        addons=tuple(AddonChoice(type=a.type, text=a.text) for a in chosen.addons),
        order_reference=shipment.klarna_order_id,
        shipping_date=timezone.localdate(),
    )


def _claim(
    *, shipment_id: int, now: dt.datetime
) -> tuple[Shipment | None, BookingOutcome | None, bool]:
    """Lock the row and start an attempt. Returns (shipment, early outcome, reconcile first)."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update()
            .select_related("merchant")
            .filter(pk=shipment_id)
            .first()
        )
        if shipment is None or shipment.status not in (S.CONFIRMED, S.BOOKING):
            state = shipment.status if shipment else "missing"
            return None, BookingOutcome(Outcome.SKIPPED, detail=f"shipment is {state}"), False
        if shipment.snapshot.own_delivery:
            # The shop's own delivery (store pickup, own courier): nothing to book at a carrier.
            shipment_transition(shipment=shipment, to=S.BOOKING, actor="system", now=now)
            shipment_transition(
                shipment=shipment,
                to=S.BOOKED,
                actor="system",
                reason="delivered by the shop",
                now=now,
            )
            shipment.booked_at = now
            shipment.save()
            return None, BookingOutcome(Outcome.BOOKED, detail="shop's own delivery"), False
        started = shipment.booking_started_at
        if shipment.status == S.BOOKING and started is not None and started + _lease() > now:
            wait = (started + _lease() - now).total_seconds()
            return (
                None,
                BookingOutcome(Outcome.BUSY, retry_in=wait, detail="attempt in flight"),
                False,
            )
        # A previous attempt's outcome is not known: it was cut off mid-call (still booking),
        # or its answer was lost before it gave up (a staff retry of such a failure).
        reconcile = shipment.status == S.BOOKING or shipment.booking_outcome_unknown
        if shipment.status == S.CONFIRMED:
            shipment_transition(
                shipment=shipment,
                to=S.BOOKING,
                actor="system",
                reason=f"attempt {shipment.booking_attempts + 1}",
                now=now,
            )
        shipment.booking_attempts += 1
        shipment.booking_started_at = now
        shipment.next_booking_at = None
        shipment.save()
    return shipment, None, reconcile


def _messages(exc: CarrierError) -> str:
    texts = [m.text for m in exc.messages if m.text]
    return "; ".join(texts) or str(exc)


def _fail(
    *, shipment: Shipment, reason: str, now: dt.datetime, unknown: bool = False
) -> BookingOutcome:
    """Fail the booking. ``unknown``: an attempt may have booked, so a staff retry must look
    the booking up before sending it again."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status not in (S.BOOKING, S.CONFIRMED):
            return BookingOutcome(Outcome.SKIPPED, detail=f"shipment is {locked.status}")
        shipment_transition(shipment=locked, to=S.FAILED, actor="system", reason=reason, now=now)
        locked.booking_error = reason
        locked.booking_started_at = None
        locked.next_booking_at = None
        locked.booking_outcome_unknown = unknown
        locked.save()
        # Once per failure (only the attempt that made it failed gets here), once committed.
        failed_pk = locked.pk
        transaction.on_commit(lambda: shipment_failure_notify(shipment_id=failed_pk), robust=True)
    return BookingOutcome(Outcome.FAILED, detail=reason)


def _retry(
    *, shipment: Shipment, exc: CarrierUnavailable, now: dt.datetime, unknown: bool
) -> BookingOutcome:
    reason = _messages(exc)
    since = shipment.booking_since or shipment.confirmed_at or now
    if (now - since).total_seconds() >= settings.BOOKING_GIVE_UP_SECONDS:
        note = (
            " (an attempt may have reached the carrier: check before retrying)" if unknown else ""
        )
        return _fail(
            shipment=shipment,
            reason=f"carrier unavailable for too long: {reason}{note}",
            now=now,
            unknown=unknown,
        )
    delay = booking_backoff(attempt=shipment.booking_attempts, retry_after=exc.retry_after)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status != S.BOOKING:
            return BookingOutcome(Outcome.SKIPPED, detail=f"shipment is {locked.status}")
        locked.booking_error = reason
        locked.booking_started_at = None
        locked.next_booking_at = now + dt.timedelta(seconds=delay)
        locked.booking_outcome_unknown = unknown
        if not unknown:
            # Nothing reached the carrier: back to confirmed, the next attempt books afresh.
            shipment_transition(
                shipment=locked,
                to=S.CONFIRMED,
                actor="system",
                reason=f"carrier unavailable ({reason}); retry in {delay:.0f} s",
                now=now,
            )
        locked.save()
    return BookingOutcome(Outcome.RETRY, retry_in=delay, detail=reason)


def _record(*, shipment: Shipment, booking: Booking, now: dt.datetime, how: str) -> BookingOutcome:
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status == S.BOOKED:
            return BookingOutcome(Outcome.BOOKED, detail="already booked")
        if locked.status != S.BOOKING:
            # Cancelled by staff while the carrier was booking: keep the ids, leave the status.
            logger.warning("shipment %s became %s during its booking", locked.pk, locked.status)
        locked.carrier_shipment_id = booking.carrier_shipment_id
        locked.carrier_data = dict(booking.extra)
        locked.tracking_numbers = list(booking.tracking_numbers)
        locked.tracking_number = booking.tracking_numbers[0] if booking.tracking_numbers else ""
        locked.tracking_url = booking.tracking_url[:1024]
        locked.booked_at = now
        locked.booking_started_at = None
        locked.booking_outcome_unknown = False
        locked.next_booking_at = None
        locked.booking_error = ""
        if locked.status == S.BOOKING:
            shipment_transition(
                shipment=locked,
                to=S.BOOKED,
                actor="system",
                reason=f"{how}: {booking.carrier_shipment_id}",
                now=now,
            )
        locked.save()
        for label in booking.labels:
            ShipmentLabel.objects.create(
                merchant_id=locked.merchant_id,
                shipment=locked,
                format=label.format,
                content=label.content,
                url=label.url[:2048],
            )
    return BookingOutcome(Outcome.BOOKED, detail=booking.carrier_shipment_id)


REQUEUE_BATCH = 1000


def shipments_requeue(*, now: dt.datetime | None = None) -> int:
    """Queue again what a lost message left behind: confirmed shipments not booked a while
    after confirmation (or after their planned retry), and attempts whose lease ran out.

    A shipment whose message is still queued (see :func:`booking_queued_mark`) is left alone:
    with a backlog behind a slow or stopped worker, sending every waiting shipment again on
    every run would bury the real work under copies.
    """
    now = now or timezone.now()
    late = now - dt.timedelta(seconds=settings.BOOKING_REQUEUE_AFTER_SECONDS)
    waiting = Shipment.objects.filter(status=S.CONFIRMED, confirmed_at__lte=late).exclude(
        next_booking_at__gt=late
    )
    stalled = (
        Shipment.objects.filter(status=S.BOOKING)
        .exclude(booking_started_at__gt=now - _lease())
        .exclude(next_booking_at__gt=late)
    )
    candidates = (waiting | stalled).order_by("pk").values_list("pk", flat=True)
    sent = 0
    after = 0
    while sent < REQUEUE_BATCH:
        chunk = list(candidates.filter(pk__gt=after)[:500])
        if not chunk:
            break
        after = chunk[-1]
        queued = booking_queued(chunk)
        for pk in chunk:
            if pk not in queued and sent < REQUEUE_BATCH:
                sent += booking_enqueue(shipment_id=pk)
    return sent


def shipment_book(*, shipment_id: int, now: dt.datetime | None = None) -> BookingOutcome:
    """One booking attempt for a confirmed shipment; safe to run any number of times. The
    outcome says what happened (the task counts it)."""
    now = now or timezone.now()
    booking_queued_clear(shipment_id)  # this message is the one queued: from here the row decides
    shipment, early, reconcile = _claim(shipment_id=shipment_id, now=now)
    if early is not None:
        return early
    assert shipment is not None
    try:
        adapter: CarrierAdapter = get_adapter(shipment.snapshot.carrier)
        agreement = agreement_credentials(
            agreement=shipment_agreement_get(shipment=shipment), merchant=shipment.merchant
        )
        secrets_remember(agreement.secret_values())  # redacted in logs
        request = booking_request_build(shipment=shipment, agreement=agreement)
    except (UnknownCarrier, CarrierRejected, KeyError, ValueError) as exc:
        return _fail(shipment=shipment, reason=f"cannot book: {exc}", now=now)

    try:
        if reconcile and not adapter.idempotent_booking:
            try:
                found = adapter.find_booking(agreement=agreement, reference=request.reference)
            except OperationNotSupported:
                return _fail(
                    shipment=shipment,
                    reason=(
                        f"an earlier attempt may have booked with {adapter.name}, which cannot "
                        f"be asked by reference ({request.reference}); check with the carrier "
                        "before retrying"
                    ),
                    now=now,
                )
            if found is not None:
                return _record(shipment=shipment, booking=found, now=now, how="found by reference")
        if not _lease_renew(shipment=shipment, now=now):
            return BookingOutcome(Outcome.SKIPPED, detail="another attempt took over")
        booking = adapter.book(request=request)
    except CarrierRejected as exc:
        return _fail(
            shipment=shipment, reason=f"refused by {adapter.name}: {_messages(exc)}", now=now
        )
    except OperationNotSupported as exc:
        return _fail(shipment=shipment, reason=str(exc), now=now)
    except CarrierUnavailable as exc:
        return _retry(shipment=shipment, exc=exc, now=now, unknown=reconcile or exc.maybe_processed)
    return _record(shipment=shipment, booking=booking, now=now, how="booked")


def shipment_retry(*, shipment: Shipment, actor: str, now: dt.datetime | None = None) -> Shipment:
    """Staff: book a failed shipment again (a new booking window), queued after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status != S.FAILED:
            raise InvalidTransition(
                f"Only a failed booking can be retried; this one is {locked.status}."
            )
        shipment_transition(
            shipment=locked, to=S.CONFIRMED, actor=actor, reason="retry requested", now=now
        )
        locked.booking_since = now
        locked.booking_error = ""
        locked.next_booking_at = None
        locked.save()
        shipment_pk = locked.pk
        transaction.on_commit(lambda: booking_enqueue(shipment_id=shipment_pk))
    return locked


def _booking_of(shipment: Shipment) -> Booking:
    return Booking(
        carrier_shipment_id=shipment.carrier_shipment_id,
        tracking_numbers=tuple(shipment.tracking_numbers),
        tracking_url=shipment.tracking_url,
        extra=dict(shipment.carrier_data),
    )


def shipment_cancel_refusal(*, shipment: Shipment) -> str:
    """Why staff cannot cancel this booked shipment through its carrier's API ("" when they
    can, or when it is not booked with a carrier): said on the shipment's page before any call."""
    chosen = shipment.snapshot
    if shipment.status != S.BOOKED or chosen.own_delivery:
        return ""
    try:
        adapter = get_adapter(chosen.carrier)
        agreement = agreement_credentials(
            agreement=shipment_agreement_get(shipment=shipment), merchant=shipment.merchant
        )
    except (UnknownCarrier, CarrierError) as exc:
        return str(exc)
    refusal = adapter.cancel_refusal(agreement=agreement, booking=_booking_of(shipment))
    return f"{refusal}; cancel it with the carrier." if refusal else ""


def shipment_cancel(
    *, shipment: Shipment, actor: str, reason: str = "", now: dt.datetime | None = None
) -> Shipment:
    """Staff: cancel. Before booking it is ours to cancel; a booked one is cancelled with the
    carrier first, where the carrier allows it; one being booked must wait for the outcome."""
    now = now or timezone.now()
    if shipment.status == S.BOOKING:
        raise InvalidTransition(
            "The booking is in progress; cancel it once it is booked or failed."
        )
    chosen = shipment.snapshot
    if shipment.status == S.BOOKED and not chosen.own_delivery:
        adapter = get_adapter(chosen.carrier)
        agreement = agreement_credentials(
            agreement=shipment_agreement_get(shipment=shipment), merchant=shipment.merchant
        )
        try:
            adapter.cancel(agreement=agreement, booking=_booking_of(shipment))
        except OperationNotSupported as exc:
            why = str(exc) or f"{adapter.name} offers no cancel through its API"
            raise ApplicationError(
                f"{why}; cancel it with the carrier.", code="cancel_not_supported"
            ) from exc
        except CarrierError as exc:
            raise ApplicationError(
                f"{adapter.name} refused to cancel: {_messages(exc)}", code="carrier_refused"
            ) from exc
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        shipment_transition(
            shipment=locked, to=S.CANCELLED, actor=actor, reason=reason or "cancelled", now=now
        )
        locked.next_booking_at = None
        locked.save()
    return locked
