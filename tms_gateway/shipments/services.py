"""Reservation lifecycle: reserve, update, confirm, expire — and the transitions they record."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from merchants.models import Merchant
from tms_gateway.checkout.recipient import mobile_number_normalize
from tms_gateway.checkout.services import selection_validate
from tms_gateway.checkout.types import Selection, Session, ValidatedSelection
from tms_gateway.common.errors import ApplicationError, Conflict, Gone, NotFound
from tms_gateway.insights.recorder import record_confirm, record_reservation
from tms_gateway.shoppers.services import choice_remember

from .models import ConfirmSource, Shipment, ShipmentEvent, ShipmentStatus
from .queue import booking_enqueue
from .snapshot import AddonSnapshot, LocationSnapshot, SelectionSnapshot, TimeslotSnapshot

S = ShipmentStatus
TRANSITIONS: dict[str, set[str]] = {
    S.RESERVED: {S.CONFIRMED, S.EXPIRED, S.CANCELLED},
    S.CONFIRMED: {S.BOOKING, S.FAILED, S.CANCELLED},
    S.BOOKING: {S.BOOKED, S.FAILED, S.CONFIRMED},
    S.FAILED: {S.CONFIRMED, S.CANCELLED},
    S.BOOKED: {S.CANCELLED},
    # A confirm is proof that the purchase went through: it books even a reservation that
    # expired before the confirm reached us.
    S.EXPIRED: {S.RESERVED, S.CONFIRMED},
    S.CANCELLED: set(),
}
CONFIRMED_OR_LATER = {S.CONFIRMED, S.BOOKING, S.BOOKED, S.FAILED}


class InvalidTransition(ApplicationError):
    status_code = 409
    code = "invalid_transition"


class ReservationExpired(Gone):
    """The reservation has expired; ``expired_now`` when this call expired it (the caller
    counts expiries)."""

    code = "reservation_expired"

    def __init__(self, *, expired_now: bool) -> None:
        super().__init__("The reservation has expired.")
        self.expired_now = expired_now


def shipment_transition(
    *, shipment: Shipment, to: str, actor: str, reason: str = "", now: dt.datetime | None = None
) -> ShipmentEvent:
    """Move a (locked) shipment to ``to`` and record it; impossible moves are refused."""
    if to not in TRANSITIONS[shipment.status]:
        raise InvalidTransition(f"A {shipment.status} shipment cannot become {to}.")
    now = now or timezone.now()
    event = ShipmentEvent.objects.create(
        merchant_id=shipment.merchant_id,
        shipment=shipment,
        at=now,
        from_status=shipment.status,
        to_status=to,
        actor=actor,
        reason=reason,
    )
    shipment.status = to
    return event


def _snapshot_fields(
    *, session: Session, validated: ValidatedSelection, now: dt.datetime
) -> dict[str, Any]:
    option = validated.option
    recipient = session.recipient
    phone = mobile_number_normalize(phone=recipient.phone, country=recipient.address.country)
    return {
        "option_id": option.option_pk,
        "selection": SelectionSnapshot(
            option_id=option.id,
            name=option.name,
            kind=option.kind,
            carrier=option.carrier,
            carrier_product=option.carrier_product,
            carrier_product_name=option.carrier_product_name,
            service_class=option.service_class,
            option_price=option.price,
            location=LocationSnapshot.from_location(validated.location)
            if validated.location
            else None,
            timeslot=TimeslotSnapshot.from_timeslot(validated.timeslot)
            if validated.timeslot
            else None,
            addons=tuple(
                AddonSnapshot(id=a.id, type=a.type, price=a.price, text=text)
                for a, text in validated.addons
            ),
        ).to_json(),
        "recipient": {
            **asdict(recipient.address),
            "given_name": recipient.given_name,
            "family_name": recipient.family_name,
            "company_name": recipient.company_name,
            "care_of": recipient.care_of,
            "email": recipient.email,
            "phone": phone or recipient.phone,
            "customer_type": recipient.customer_type,
        },
        "order": {
            "id": session.order.id,
            "tags": list(session.order.tags),
            "total_amount": session.order.total_amount,
            "total_weight_g": session.order.total_weight_g,
            "lines": [asdict(line) for line in session.order.lines],
        },
        "klarna_order_id": session.order.id,
        "currency": session.currency,
        "locale": session.locale,
        "price": validated.price,
        "tax_rate": option.tax_rate,
        "selection_changed_at": now,
    }


def shipment_is_stale(*, shipment: Shipment, now: dt.datetime) -> bool:
    return (
        shipment.status == S.RESERVED
        and shipment.selection_changed_at + settings.KSA_RESERVATION_LIFETIME <= now
    )


ATTENTION_NO_CONFIRM = (
    "Expired without a confirm from Klarna or the shop: the order may have been paid. "
    "Confirm it by hand if it was, or dismiss this."
)
ATTENTION_CHECKING = (
    "Expired without a confirm from Klarna or the shop; the gateway is reading the order "
    "from Klarna's checkout API."
)


def _attention_reason(shipment: Shipment) -> str:
    """Why an expiring reservation needs a person: without the shop's checkout API nobody can
    tell an abandoned checkout from a paid order whose confirm was lost."""
    from merchants.models import KlarnaCheckoutCredential

    has_checkout_api = KlarnaCheckoutCredential.objects.filter(
        merchant_id=shipment.merchant_id, is_active=True
    ).exists()
    return (
        ATTENTION_CHECKING
        if has_checkout_api and shipment.klarna_order_id
        else (ATTENTION_NO_CONFIRM)
    )


def shipment_expire(
    *,
    shipment: Shipment,
    now: dt.datetime,
    reason: str = "not confirmed within the reservation lifetime",
    abandoned: bool = False,
) -> None:
    """Expire a (locked) reservation. Unless the checkout is known to be abandoned it needs
    attention: the order may have been paid and its confirm lost."""
    shipment_transition(shipment=shipment, to=S.EXPIRED, actor="system", reason=reason, now=now)
    fields = ["status", "updated_at"]
    if not abandoned:
        shipment.attention_since = now
        shipment.attention_reason = _attention_reason(shipment)
        fields += ["attention_since", "attention_reason"]
    shipment.save(update_fields=fields)


def shipment_expire_if_stale(*, shipment: Shipment, now: dt.datetime | None = None) -> bool:
    """Make a read show the truth: a stale reservation is expired (needing attention) in its
    own transaction, so it sticks when the caller then refuses; ``shipment`` is read again.
    Returns whether this call expired it (the caller counts expiries)."""
    now = now or timezone.now()
    if not shipment_is_stale(shipment=shipment, now=now):
        return False
    expired = False
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment_is_stale(shipment=locked, now=now):
            shipment_expire(shipment=locked, now=now)
            expired = True
    shipment.refresh_from_db()
    return expired


def _require_session_id(session: Session) -> None:
    if not session.session_id:
        raise ApplicationError("session_id: This field is required.", code="malformed_request")


def shipment_reserve(
    *, merchant: Merchant, session: Session, selection: Selection, now: dt.datetime | None = None
) -> Shipment:
    """Reserve the choice for Klarna's session: one shipment per session, whatever the race.

    A repeated POST for the same session replaces the selection and keeps the shipment id.
    """
    _require_session_id(session)
    now = now or timezone.now()
    validated = selection_validate(merchant=merchant, session=session, selection=selection, now=now)
    fields = _snapshot_fields(session=session, validated=validated, now=now)
    with transaction.atomic():
        shipment, created = Shipment.objects.get_or_create(
            merchant=merchant, session_id=session.session_id, defaults=fields
        )
        if created:
            ShipmentEvent.objects.create(
                merchant=merchant,
                shipment=shipment,
                at=now,
                to_status=S.RESERVED,
                actor="klarna",
                reason=f"reserved {validated.option.id}",
            )
            transaction.on_commit(lambda: record_reservation(shipment))
            return shipment
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment.status in CONFIRMED_OR_LATER or shipment.status == S.CANCELLED:
            raise Conflict(
                f"The shipment is already {shipment.status}.", code="shipment_not_modifiable"
            )
        _selection_replace(shipment=shipment, fields=fields, now=now, reason="POST again")
        return shipment


def _selection_replace(
    *, shipment: Shipment, fields: dict[str, Any], now: dt.datetime, reason: str
) -> None:
    if shipment.status == S.EXPIRED:
        shipment_transition(
            shipment=shipment, to=S.RESERVED, actor="klarna", reason=f"reserved again ({reason})"
        )
    else:
        chosen = SelectionSnapshot.from_json(fields["selection"])
        ShipmentEvent.objects.create(
            merchant_id=shipment.merchant_id,
            shipment=shipment,
            at=now,
            from_status=shipment.status,
            to_status=shipment.status,
            actor="klarna",
            reason=f"selection replaced by {chosen.option_id} ({reason})",
        )
    for name, value in fields.items():
        setattr(shipment, name, value)
    # A live reservation again: whatever was concluded about the old one no longer holds.
    shipment.attention_since = None
    shipment.attention_reason = ""
    shipment.reconcile_attempts = 0
    shipment.reconcile_next_at = None
    shipment.save()
    transaction.on_commit(lambda: record_reservation(shipment))


def shipment_update(
    *,
    merchant: Merchant,
    shipment: Shipment,
    session: Session,
    selection: Selection,
    now: dt.datetime | None = None,
) -> Shipment:
    """PUT: replace the selection of a live reservation."""
    now = now or timezone.now()
    _refuse_unless_reserved(shipment=shipment, now=now)
    validated = selection_validate(merchant=merchant, session=session, selection=selection, now=now)
    fields = _snapshot_fields(session=session, validated=validated, now=now)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk, merchant=merchant)
        _refuse_unless_reserved(shipment=locked, now=now)
        _selection_replace(shipment=locked, fields=fields, now=now, reason="PUT")
    return locked


def _refuse_unless_reserved(*, shipment: Shipment, now: dt.datetime) -> None:
    expired_now = shipment_expire_if_stale(shipment=shipment, now=now)
    if shipment.status == S.EXPIRED:
        raise ReservationExpired(expired_now=expired_now)
    if shipment.status != S.RESERVED:
        raise Conflict(
            f"The shipment is already {shipment.status}.", code="shipment_not_modifiable"
        )


CONFIRM_REASONS: dict[str, str] = {
    ConfirmSource.KLARNA: "purchase completed",
    ConfirmSource.SHOP: "confirmed by the shop's order flow",
    ConfirmSource.CHECKOUT_API: "Klarna's checkout order is complete",
    ConfirmSource.STAFF: "confirmed by hand",
}


@dataclass(frozen=True)
class ConfirmOutcome:
    """What a confirm did: ``confirmed`` when this call confirmed the shipment, False when it
    already was (the caller counts confirms by ``source``)."""

    shipment: Shipment
    confirmed: bool
    source: str


def shipment_confirm(
    *,
    merchant: Merchant,
    shipment: Shipment,
    now: dt.datetime | None = None,
    source: str = ConfirmSource.KLARNA,
    actor: str = "",
    merchant_reference: str = "",
    reason: str = "",
) -> Shipment:
    """``shipment_confirm_outcome``'s shipment, for callers that count nothing."""
    return shipment_confirm_outcome(
        merchant=merchant,
        shipment=shipment,
        now=now,
        source=source,
        actor=actor,
        merchant_reference=merchant_reference,
        reason=reason,
    ).shipment


def shipment_confirm_outcome(
    *,
    merchant: Merchant,
    shipment: Shipment,
    now: dt.datetime | None = None,
    source: str = ConfirmSource.KLARNA,
    actor: str = "",
    merchant_reference: str = "",
    reason: str = "",
) -> ConfirmOutcome:
    """The purchase went through: book the shipment. Idempotent, whoever says it.

    Klarna's confirm, the shop's order flow, Klarna's checkout order read by the gateway and
    staff by hand all land here; the first confirms and queues the booking, the others find it
    confirmed and change nothing (a shop's order reference is kept if none was). A confirm is
    proof of purchase, so it books a reservation that has expired too.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk, merchant=merchant)
        if locked.status in CONFIRMED_OR_LATER:
            if merchant_reference and not locked.merchant_reference:
                locked.merchant_reference = merchant_reference
                locked.save(update_fields=["merchant_reference", "updated_at"])
            return ConfirmOutcome(shipment=locked, confirmed=False, source=source)
        if locked.status not in (S.RESERVED, S.EXPIRED):
            raise Conflict(f"The shipment is {locked.status}.", code="shipment_not_modifiable")
        late = locked.status == S.EXPIRED or shipment_is_stale(shipment=locked, now=now)
        text = reason or CONFIRM_REASONS.get(source, "confirmed")
        if merchant_reference:
            text += f" (order {merchant_reference})"
        if late:
            text += ", after the reservation lifetime"
        shipment_transition(
            shipment=locked, to=S.CONFIRMED, actor=actor or source, reason=text, now=now
        )
        locked.confirmed_at = now
        locked.confirmed_by = source
        locked.booking_since = now
        locked.attention_since = None
        locked.attention_reason = ""
        if merchant_reference:
            locked.merchant_reference = merchant_reference
        locked.save(
            update_fields=[
                "status",
                "confirmed_at",
                "confirmed_by",
                "booking_since",
                "attention_since",
                "attention_reason",
                "merchant_reference",
                "updated_at",
            ]
        )
        shipment_pk = locked.pk
        transaction.on_commit(lambda: _booking_enqueue(shipment_pk))
        transaction.on_commit(lambda: record_confirm(locked))
        transaction.on_commit(lambda: _choice_remember(merchant, locked, now))
    return ConfirmOutcome(shipment=locked, confirmed=True, source=source)


def shipment_get_by_order(*, merchant: Merchant, klarna_order_id: str) -> Shipment:
    """The shipment reserved for Klarna's order ``klarna_order_id``: the last one changed when
    the shopper went through several sessions. Another shop's order is not found."""
    shipment = (
        Shipment.objects.filter(merchant=merchant, klarna_order_id=klarna_order_id)
        .exclude(status=S.CANCELLED)
        .order_by("-selection_changed_at", "-pk")
        .first()
    )
    if shipment is None:
        raise NotFound(
            f"No shipment was reserved for Klarna order {klarna_order_id!r}.",
            code="order_not_found",
        )
    return shipment


def shipment_confirm_by_order(
    *,
    merchant: Merchant,
    klarna_order_id: str,
    source: str,
    actor: str = "",
    merchant_reference: str = "",
    now: dt.datetime | None = None,
) -> ConfirmOutcome:
    """Confirm the shipment of Klarna's order, as Klarna's own confirm would."""
    shipment = shipment_get_by_order(merchant=merchant, klarna_order_id=klarna_order_id)
    return shipment_confirm_outcome(
        merchant=merchant,
        shipment=shipment,
        now=now,
        source=source,
        actor=actor,
        merchant_reference=merchant_reference,
    )


def shipment_attention_dismiss(
    *, merchant: Merchant, shipment: Shipment, actor: str, now: dt.datetime | None = None
) -> Shipment:
    """A person says the expired reservation's order was not paid: it stops needing attention."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk, merchant=merchant)
        if locked.attention_since is None:
            return locked
        ShipmentEvent.objects.create(
            merchant_id=locked.merchant_id,
            shipment=locked,
            at=now,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor,
            reason="dismissed: the order was not paid",
        )
        locked.attention_since = None
        locked.attention_reason = ""
        locked.save(update_fields=["attention_since", "attention_reason", "updated_at"])
    return locked


def _booking_enqueue(shipment_id: int) -> None:
    booking_enqueue(shipment_id=shipment_id)


def _choice_remember(merchant: Merchant, shipment: Shipment, now: dt.datetime) -> None:
    """The shop remembers the confirmed choice for the shopper's next checkout (when it has
    remembered choices on; ``choice_remember`` never raises: the confirm is committed)."""
    if not merchant.remember_choices:
        return
    chosen = shipment.snapshot
    choice_remember(
        merchant=merchant,
        recipient=shipment.recipient,
        option_id=chosen.option_id,
        pickup_point_id=chosen.location.id if chosen.location else "",
        carrier=chosen.carrier,
        now=now,
    )


def shipment_expire_stale(*, now: dt.datetime | None = None) -> int:
    """Expire every reservation not confirmed within the lifetime; returns how many this call
    expired (each needs attention: the caller counts them)."""
    now = now or timezone.now()
    cutoff = now - settings.KSA_RESERVATION_LIFETIME
    expired = 0
    stale_ids = list(
        Shipment.objects.filter(status=S.RESERVED, selection_changed_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in stale_ids:
        shipment = Shipment(pk=pk)
        shipment.refresh_from_db()
        if shipment_expire_if_stale(shipment=shipment, now=now):
            expired += 1
    return expired
