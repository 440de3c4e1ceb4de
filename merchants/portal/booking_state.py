"""What the booking page says about a booking's state and what the shop can do with it: the
failure explained (tms_gateway.shipments.explain), the history in the portal's language, and
which actions apply (retry, ask partner staff, cancel). The action views (actions.py) check the
same rules before they change anything, so a button that is not shown is refused too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from carriers.exceptions import CarrierError
from tms_gateway.shipments.booking import shipment_cancel_refusal
from tms_gateway.shipments.explain import (
    PARTNER_REQUESTED,
    FailureExplanation,
    actor_explain,
    failure_explain,
    reason_explain,
)
from tms_gateway.shipments.models import Shipment, ShipmentStatus

from . import labels

S = ShipmentStatus
#: What a shop may cancel: before booking it is the gateway's to cancel; once booked, the
#: carrier's (where its API allows it). A reservation is Klarna's checkout, still open.
CANCELLABLE = (S.CONFIRMED, S.FAILED, S.BOOKED)


@dataclass(frozen=True)
class BookingActions:
    explanation: FailureExplanation | None
    can_retry: bool
    can_ask_partner: bool
    #: When the shop asked partner staff (and the booking has not changed since); else None.
    partner_asked_at: dt.datetime | None
    can_cancel: bool
    #: Why the shop cannot cancel, in its language ("" when it can, or nothing to say).
    cancel_refusal: str
    #: The carrier's or the gateway's own words behind ``cancel_refusal``.
    cancel_refusal_original: str


def partner_asked_at(shipment: Shipment) -> dt.datetime | None:
    """The time of the shop's request to partner staff, when it is the booking's last event."""
    events = list(shipment.events.all())  # prefetched by the booking page
    last = max(events, key=lambda e: (e.at, e.pk), default=None)
    return last.at if last is not None and last.reason == PARTNER_REQUESTED else None


def cancel_refusal(shipment: Shipment) -> tuple[str, str]:
    """(why the shop cannot cancel, in its language; the carrier's words) — ("", "") when it
    can."""
    if shipment.status not in CANCELLABLE:
        return (
            _("This booking cannot be cancelled: it is %(status)s.")
            % {"status": labels.label(labels.STATUS, shipment.status).lower()},
            "",
        )
    if shipment.status != S.BOOKED:
        return "", ""
    try:
        refusal = shipment_cancel_refusal(shipment=shipment)
    except CarrierError as exc:
        refusal = str(exc)
    if not refusal:
        return "", ""
    return (
        _(
            "The carrier does not let the gateway cancel this booking; cancel it with the "
            "carrier directly."
        ),
        refusal,
    )


def booking_actions(shipment: Shipment) -> BookingActions:
    explanation = failure_explain(shipment)
    failed = shipment.status == S.FAILED and explanation is not None
    asked = partner_asked_at(shipment) if failed else None
    refusal, original = cancel_refusal(shipment)
    return BookingActions(
        explanation=explanation,
        can_retry=failed and explanation is not None and explanation.retry_helps,
        can_ask_partner=(
            failed and explanation is not None and explanation.partner_needed and asked is None
        ),
        partner_asked_at=asked,
        can_cancel=not refusal,
        cancel_refusal=refusal,
        cancel_refusal_original=original,
    )


def history_rows(shipment: Shipment) -> list[dict[str, Any]]:
    """The status history as the shop reads it: statuses, who and why in its language, the
    stored note (a carrier's words) beside an explanation."""
    rows = []
    for event in shipment.events.all():
        reason = reason_explain(reason=event.reason, to_status=event.to_status)
        rows.append(
            {
                "event": event,
                # A note without a change of status (a request, a dismissal) names the status once.
                "from": (
                    labels.label(labels.STATUS, event.from_status)
                    if event.from_status and event.from_status != event.to_status
                    else ""
                ),
                "to": labels.label(labels.STATUS, event.to_status),
                "actor": actor_explain(event.actor),
                "reason": reason.text,
                "original": reason.original,
            }
        )
    return rows
