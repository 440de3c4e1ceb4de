"""Reservation lifecycle: reserve, update, confirm, expire — and the transitions they record."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carriers.types import Location, Timeslot
from merchants.models import Merchant
from tms_gateway.checkout.recipient import mobile_number_normalize
from tms_gateway.checkout.services import selection_validate
from tms_gateway.checkout.types import Selection, Session, ValidatedSelection
from tms_gateway.common.errors import ApplicationError, Conflict, Gone

from .models import Shipment, ShipmentEvent, ShipmentStatus

S = ShipmentStatus
TRANSITIONS: dict[str, set[str]] = {
    S.RESERVED: {S.CONFIRMED, S.EXPIRED, S.CANCELLED},
    S.CONFIRMED: {S.BOOKING, S.FAILED, S.CANCELLED},
    S.BOOKING: {S.BOOKED, S.FAILED, S.CONFIRMED},
    S.FAILED: {S.CONFIRMED, S.CANCELLED},
    S.BOOKED: {S.CANCELLED},
    S.EXPIRED: {S.RESERVED},
    S.CANCELLED: set(),
}
CONFIRMED_OR_LATER = {S.CONFIRMED, S.BOOKING, S.BOOKED, S.FAILED}


class InvalidTransition(ApplicationError):
    status_code = 409
    code = "invalid_transition"


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


def _location_snapshot(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {
        "id": location.id,
        "name": location.name,
        "kind": str(location.kind),
        "address": asdict(location.address),
        "coordinates": asdict(location.coordinates) if location.coordinates else None,
        "extra": dict(location.extra),
    }


def _timeslot_snapshot(timeslot: Timeslot | None) -> dict[str, Any] | None:
    if timeslot is None:
        return None
    return {
        "id": timeslot.id,
        "start": timeslot.start.isoformat(),
        "end": timeslot.end.isoformat(),
        "extra": dict(timeslot.extra),
    }


def _snapshot_fields(
    *, session: Session, validated: ValidatedSelection, now: dt.datetime
) -> dict[str, Any]:
    option = validated.option
    recipient = session.recipient
    phone = mobile_number_normalize(phone=recipient.phone, country=recipient.address.country)
    return {
        "option_id": option.option_pk,
        "selection": {
            "option_id": option.id,
            "name": option.name,
            "kind": option.kind,
            "carrier": option.carrier,
            "carrier_product": option.carrier_product,
            "carrier_product_name": option.carrier_product_name,
            "service_class": option.service_class,
            "option_price": option.price,
            "location": _location_snapshot(validated.location),
            "timeslot": _timeslot_snapshot(validated.timeslot),
            "addons": [
                {"id": a.id, "type": a.type, "price": a.price, "text": text}
                for a, text in validated.addons
            ],
        },
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


def _expire_if_stale(*, shipment: Shipment, now: dt.datetime) -> bool:
    """Expire a stale reservation in its own transaction (so it sticks when we then refuse)."""
    if not shipment_is_stale(shipment=shipment, now=now):
        return False
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment_is_stale(shipment=locked, now=now):
            shipment_transition(
                shipment=locked,
                to=S.EXPIRED,
                actor="system",
                reason="not confirmed within the reservation lifetime",
                now=now,
            )
            locked.save(update_fields=["status", "updated_at"])
    shipment.refresh_from_db()
    return shipment.status == S.EXPIRED


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
        ShipmentEvent.objects.create(
            merchant_id=shipment.merchant_id,
            shipment=shipment,
            at=now,
            from_status=shipment.status,
            to_status=shipment.status,
            actor="klarna",
            reason=f"selection replaced by {fields['selection']['option_id']} ({reason})",
        )
    for name, value in fields.items():
        setattr(shipment, name, value)
    shipment.save()


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
    if shipment.status == S.EXPIRED or _expire_if_stale(shipment=shipment, now=now):
        raise Gone("The reservation has expired.", code="reservation_expired")
    if shipment.status != S.RESERVED:
        raise Conflict(
            f"The shipment is already {shipment.status}.", code="shipment_not_modifiable"
        )


def shipment_confirm(
    *, merchant: Merchant, shipment: Shipment, now: dt.datetime | None = None
) -> Shipment:
    """Klarna's confirm: the purchase went through. Idempotent."""
    now = now or timezone.now()
    if shipment.status in CONFIRMED_OR_LATER:
        return shipment
    if shipment.status == S.EXPIRED or _expire_if_stale(shipment=shipment, now=now):
        raise Gone("The reservation has expired.", code="reservation_expired")
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk, merchant=merchant)
        if locked.status in CONFIRMED_OR_LATER:
            return locked
        if locked.status != S.RESERVED:
            raise Conflict(f"The shipment is {locked.status}.", code="shipment_not_modifiable")
        shipment_transition(
            shipment=locked, to=S.CONFIRMED, actor="klarna", reason="purchase completed", now=now
        )
        locked.confirmed_at = now
        locked.booking_since = now
        locked.save(update_fields=["status", "confirmed_at", "booking_since", "updated_at"])
        shipment_pk = locked.pk
        transaction.on_commit(lambda: _booking_enqueue(shipment_pk))
    return locked


def _booking_enqueue(shipment_id: int) -> None:
    from .booking import booking_enqueue

    booking_enqueue(shipment_id=shipment_id)


def shipment_refresh_expiry(*, shipment: Shipment, now: dt.datetime | None = None) -> Shipment:
    """Make a read show the truth: a stale reservation is expired before it is shown."""
    _expire_if_stale(shipment=shipment, now=now or timezone.now())
    return shipment


def shipment_expire_stale(*, now: dt.datetime | None = None) -> int:
    """Expire every reservation not confirmed within the lifetime; returns how many."""
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
        if _expire_if_stale(shipment=shipment, now=now):
            expired += 1
    return expired
