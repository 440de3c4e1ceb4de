"""Tracking: refresh booked shipments from their carriers until they are delivered or returned.

Celery beat runs ``shipments_track`` (SCHEDULE_TRACK_SECONDS). Each run asks the carriers about
the booked shipments that are due — never checked first, then the oldest check — and stores
what they answer as ShipmentTrackingEvent rows (deduplicated by the table's unique constraint).
The shipment keeps the normalized status of its latest event in ``tracking_status``.

How each answer is recorded:

* events → the new ones stored, ``tracking_status`` (and ``delivered_at``) updated, checked;
* the carrier cannot be asked (OperationNotSupported: Instabox pushes webhooks instead) or
  refuses (CarrierRejected: number not known yet, no agreement) → checked, nothing stored;
* the carrier is unavailable (timeout, 5xx, 429) → not marked checked, so the next run asks
  again first; the rest of this run leaves that shop's carrier alone and asks others instead.

The shop's own deliveries (carrier ``generic``) have nobody to ask and are never selected.

Carriers that cannot be asked push their events instead (Budbee, Instabox): each agreement
gets a webhook URL, ``/webhooks/<carrier>/<token>``, and ``tracking_webhook_receive`` stores
what arrives there the same way, for the shipments of that agreement's shop only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from carriers.exceptions import (
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.registry import UnknownCarrier, get_adapter
from carriers.types import TrackingEvent, TrackingStatus
from merchants.models import Carrier, CarrierAgreement
from merchants.services import webhook_token_hash
from tms_gateway.common.errors import ApplicationError

from .models import Shipment, ShipmentStatus, ShipmentTrackingEvent
from .selectors import agreement_credentials, shipment_agreement_get
from .snapshot import carrier_is

logger = logging.getLogger(__name__)

#: A shipment checked less than this long ago is not asked again.
RECHECK_AFTER = dt.timedelta(minutes=15)
#: Shipments booked longer ago than this are no longer asked: a parcel that has not arrived by
#: then is a case for the carrier's support, and without a limit they would be asked forever.
TRACK_FOR = dt.timedelta(days=60)
#: Events stamped later than now (beyond clock skew) have not happened yet: some carriers list
#: planned steps. They are stored once their time has come.
CLOCK_SKEW = dt.timedelta(minutes=10)
#: Statuses after which a shipment is not asked again.
FINAL_STATUSES = (TrackingStatus.DELIVERED, TrackingStatus.RETURNED)

_EventKey = tuple[dt.datetime, str, str]


def _shipments_due(*, now: dt.datetime) -> QuerySet[Shipment]:
    """Booked carrier shipments whose tracking is not final and not checked lately; never
    checked first, then the oldest check."""
    return (
        Shipment.objects.filter(
            status=ShipmentStatus.BOOKED,
            booked_at__gte=now - TRACK_FOR,
        )
        .filter(
            Q(tracking_checked_at__isnull=True) | Q(tracking_checked_at__lte=now - RECHECK_AFTER)
        )
        .exclude(tracking_status__in=FINAL_STATUSES)
        .exclude(tracking_number="")
        .exclude(carrier_is(Carrier.GENERIC))
        .order_by(F("tracking_checked_at").asc(nulls_first=True), "pk")
    )


def shipments_track(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Ask the carriers about up to ``batch`` due shipments; returns how many were asked.

    A shipment whose carrier is unavailable (or fails unexpectedly) stays due; the shop's other
    shipments with that carrier wait for the next run and the batch is filled with the rest.
    """
    now = now or timezone.now()
    asked = 0
    seen: list[int] = []
    failing: set[tuple[int, str]] = set()  # (merchant, carrier): roughly one agreement
    while asked < batch:
        due = _shipments_due(now=now).exclude(pk__in=seen)
        for merchant_id, carrier in failing:
            due = due.exclude(carrier_is(carrier), merchant_id=merchant_id)
        page = list(due.select_related("merchant")[: batch - asked])
        if not page:
            break
        for shipment in page:
            seen.append(shipment.pk)
            key = (shipment.merchant_id, shipment.snapshot.carrier)
            if key in failing:
                continue
            asked += 1
            try:
                _, checked = _track(shipment=shipment, now=now)
            except Exception:
                logger.exception("tracking shipment %s (%s) failed", shipment.pk, key[1])
                checked = False
            if not checked:
                failing.add(key)
    return asked


def shipment_track(
    *, shipment: Shipment, now: dt.datetime | None = None
) -> list[ShipmentTrackingEvent]:
    """Ask the carrier about every tracking number of the shipment; returns the events that
    were new (oldest first). See the module docstring for what each answer records."""
    events, _ = _track(shipment=shipment, now=now or timezone.now())
    return events


def _track(*, shipment: Shipment, now: dt.datetime) -> tuple[list[ShipmentTrackingEvent], bool]:
    """The new events, and whether the shipment counts as checked."""
    chosen = shipment.snapshot
    if chosen.own_delivery:
        return [], False
    carrier = chosen.carrier
    numbers = [str(n) for n in shipment.tracking_numbers or [shipment.tracking_number] if n]
    try:
        adapter = get_adapter(carrier)
        agreement = agreement_credentials(
            agreement=shipment_agreement_get(shipment=shipment), merchant=shipment.merchant
        )
    except (UnknownCarrier, CarrierRejected) as exc:
        logger.warning("shipment %s cannot be tracked: %s", shipment.pk, exc)
        return _record(shipment=shipment, received=[], now=now, checked=True), True

    received: list[TrackingEvent] = []
    checked = True
    for number in numbers:
        try:
            received.extend(adapter.track(agreement=agreement, tracking_number=number))
        except OperationNotSupported as exc:
            logger.info("shipment %s: %s does not track (%s)", shipment.pk, carrier, exc)
            break
        except CarrierUnavailable as exc:
            # Not checked: the next run asks this shipment first.
            logger.warning(
                "shipment %s: %s unavailable for tracking %s: %s", shipment.pk, carrier, number, exc
            )
            checked = False
            break
        except CarrierRejected as exc:
            logger.info(
                "shipment %s: %s refused tracking %s: %s", shipment.pk, carrier, number, exc
            )
    return _record(shipment=shipment, received=received, now=now, checked=checked), checked


def _status(value: str) -> TrackingStatus:
    try:
        return TrackingStatus(value)
    except ValueError:
        logger.warning("unknown tracking status %r", value)
        return TrackingStatus.UNKNOWN


def _record(
    *, shipment: Shipment, received: list[TrackingEvent], now: dt.datetime, checked: bool
) -> list[ShipmentTrackingEvent]:
    """Store the events not stored yet, then set the shipment's status from all of them."""
    fresh: dict[_EventKey, ShipmentTrackingEvent] = {}
    for event in sorted(received, key=lambda e: e.at):
        if event.at > now + CLOCK_SKEW:
            continue
        row = ShipmentTrackingEvent(
            merchant_id=shipment.merchant_id,
            shipment=shipment,
            at=event.at,
            status=_status(event.status).value,
            carrier_code=event.carrier_code[:100],
            description=event.description,
            location=event.location[:255],
        )
        fresh.setdefault((row.at, row.carrier_code, row.status), row)

    with transaction.atomic():
        # Locked so that two runs tracking this shipment at once do not interleave their writes.
        Shipment.objects.select_for_update().filter(pk=shipment.pk).first()
        stored = {
            (at, code, status): pk
            for pk, at, code, status in shipment.tracking_events.values_list(
                "pk", "at", "carrier_code", "status"
            )
        }
        ShipmentTrackingEvent.objects.bulk_create(
            [row for key, row in fresh.items() if key not in stored], ignore_conflicts=True
        )
        events = list(shipment.tracking_events.order_by("at", "pk"))
        changes: dict[str, object] = {}
        if events:
            known = [e for e in events if e.status != TrackingStatus.UNKNOWN]
            latest = (known or events)[-1]
            changes["tracking_status"] = latest.status
            if latest.status == TrackingStatus.DELIVERED:
                changes["delivered_at"] = latest.at
        if checked:
            changes["tracking_checked_at"] = now
        if changes:
            Shipment.objects.filter(pk=shipment.pk).update(**changes)
            for field, value in changes.items():
                setattr(shipment, field, value)
    known_pks = set(stored.values())
    return [e for e in events if e.pk not in known_pks]


class WebhookUnknown(ApplicationError):
    """No agreement of that carrier has that webhook token (or the carrier pushes nothing)."""

    status_code = 404
    code = "not_found"


class WebhookMalformed(ApplicationError):
    code = "malformed_webhook"


@dataclass(frozen=True)
class WebhookReceipt:
    events: int
    shipments: int
    #: Tracking numbers of no shipment of the shop: answered all the same, so that the carrier
    #: does not send them again and again.
    unknown: list[str] = field(default_factory=list)


def tracking_webhook_receive(
    *,
    carrier: str,
    token: str,
    body: bytes,
    headers: Mapping[str, str],
    now: dt.datetime | None = None,
) -> WebhookReceipt:
    """Store the events a carrier pushed to an agreement's webhook URL, for the shipments of
    that agreement's shop only. Unknown token: ``WebhookUnknown``; unreadable body:
    ``WebhookMalformed``; nothing is stored in either case."""
    now = now or timezone.now()
    agreement = (
        CarrierAgreement.objects.filter(
            carrier=carrier, webhook_token_hash=webhook_token_hash(token)
        )
        .exclude(webhook_token_hash="")
        .first()
    )
    try:
        adapter = get_adapter(carrier)
    except UnknownCarrier:
        adapter = None
    if agreement is None or adapter is None or not adapter.pushes_tracking:
        raise WebhookUnknown("No webhook of that carrier has this address.")
    try:
        updates = adapter.parse_webhook(body=body, headers=headers)
    except CarrierResponseInvalid as exc:
        raise WebhookMalformed(str(exc)) from exc
    events = 0
    matched: set[int] = set()
    unknown: list[str] = []
    for update in updates:
        shipments = list(
            Shipment.objects.filter(
                carrier_is(carrier),
                merchant_id=agreement.merchant_id,
                status=ShipmentStatus.BOOKED,
            ).filter(
                Q(tracking_number=update.tracking_number)
                | Q(tracking_numbers__contains=[update.tracking_number])
            )
        )
        if not shipments:
            unknown.append(update.tracking_number)
            continue
        for shipment in shipments:
            new = _record(shipment=shipment, received=list(update.events), now=now, checked=False)
            events += len(new)
            matched.add(shipment.pk)
    if unknown:
        logger.info(
            "webhook of %s (agreement %s): unknown parcels %s", carrier, agreement.pk, unknown
        )
    return WebhookReceipt(events=events, shipments=len(matched), unknown=unknown)
