"""Reads of the merchant portal. Every function takes ``merchant=`` and sees only its rows:
another shop's shipment or label is not found (None), never forbidden."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from merchants.models import DeliveryOption, Merchant, MerchantUser
from tms_gateway.shipments.models import Shipment, ShipmentLabel, ShipmentStatus
from tms_gateway.shipments.snapshot import (
    CARRIER_LOOKUP,
    OPTION_ID_LOOKUP,
    carrier_is,
    option_is,
)

#: Checkouts that never became orders: Klarna reserved an option but never confirmed it.
#: The bookings list and the dashboard leave them out unless asked for (status "all").
UNCONFIRMED_STATUSES = (ShipmentStatus.RESERVED, ShipmentStatus.EXPIRED)
STATUS_ALL = "all"
#: Not a status: reservations that expired without a confirm while their order may have been
#: paid, until someone confirms or dismisses them (whatever their status, so none is missed).
STATUS_ATTENTION = "attention"


def merchant_user_get(*, user: AbstractBaseUser | AnonymousUser) -> MerchantUser | None:
    """The portal membership of a signed-in user, with its merchant; None for anyone else."""
    if not user.is_authenticated:
        return None
    return MerchantUser.objects.select_related("merchant").filter(user_id=user.pk).first()


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the current time zone: a range on the indexed timestamp rather
    than on its date, which no index serves."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True, slots=True)
class BookingFilters:
    q: str = ""
    #: "" = orders (every status but reserved and expired); "all"; "attention"; or one status.
    status: str = ""
    carrier: str = ""
    option: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None


def portal_bookings(*, merchant: Merchant, filters: BookingFilters) -> QuerySet[Shipment]:
    """The merchant's shipments matching ``filters``, newest first."""
    shipments = Shipment.objects.filter(merchant=merchant)
    if filters.status == STATUS_ALL:
        pass
    elif filters.status == STATUS_ATTENTION:
        shipments = shipments.filter(attention_since__isnull=False)
    elif filters.status:
        shipments = shipments.filter(status=filters.status)
    else:
        shipments = shipments.exclude(status__in=UNCONFIRMED_STATUSES)
    if filters.carrier:
        shipments = shipments.filter(carrier_is(filters.carrier))
    if filters.option:
        shipments = shipments.filter(option_is(filters.option))
    if filters.created_from:
        shipments = shipments.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        shipments = shipments.filter(
            created_at__lt=_day_start(filters.created_to + dt.timedelta(days=1))
        )
    # Every word must match one of the fields: "anna 1234" finds Anna's order 1234.
    for term in filters.q.split()[:10]:
        shipments = shipments.filter(
            Q(klarna_order_id__icontains=term)
            | Q(tracking_number__icontains=term)
            | Q(recipient__given_name__icontains=term)
            | Q(recipient__family_name__icontains=term)
            | Q(recipient__company_name__icontains=term)
        )
    return shipments.order_by("-created_at", "-id")


def portal_booking_get(*, merchant: Merchant, public_id: uuid.UUID) -> Shipment | None:
    """One shipment with its history, tracking and labels (without their bytes)."""
    return (
        Shipment.objects.filter(merchant=merchant, public_id=public_id)
        .prefetch_related(
            "events",
            "tracking_events",
            Prefetch(
                "labels",
                queryset=ShipmentLabel.objects.filter(merchant=merchant)
                .defer("content")
                .order_by("created_at", "id"),
            ),
        )
        .first()
    )


def portal_label_get(*, merchant: Merchant, label_id: int) -> ShipmentLabel | None:
    return (
        ShipmentLabel.objects.select_related("shipment")
        .filter(merchant=merchant, shipment__merchant=merchant, pk=label_id)
        .first()
    )


def portal_options(*, merchant: Merchant) -> list[DeliveryOption]:
    """Every option of the merchant, inactive ones too (old bookings name them)."""
    return list(DeliveryOption.objects.filter(merchant=merchant).order_by("sort_order", "id"))


@dataclass(frozen=True, slots=True)
class Dashboard:
    since: dt.date
    until: dt.date
    total: int
    per_day: list[tuple[dt.date, int]]
    #: (carrier, count), most first.
    per_carrier: list[tuple[str, int]]
    #: (option code, count), most first.
    per_option: list[tuple[str, int]]
    failed_total: int
    failed: list[Shipment] = field(default_factory=list)


def portal_dashboard(
    *, merchant: Merchant, today: dt.date, days: int = 30, failed_limit: int = 50
) -> Dashboard:
    """Orders (not unconfirmed checkouts) created in the ``days`` days up to ``today``, per
    day, carrier and option; and the shipments whose booking failed (any age: they wait for
    someone to act)."""
    since = today - dt.timedelta(days=days - 1)
    orders = Shipment.objects.filter(
        merchant=merchant,
        created_at__gte=_day_start(since),
        created_at__lt=_day_start(today + dt.timedelta(days=1)),
    ).exclude(status__in=UNCONFIRMED_STATUSES)

    counts = {
        row["day"]: row["n"]
        for row in orders.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    per_day = [
        (since + dt.timedelta(days=i), counts.get(since + dt.timedelta(days=i), 0))
        for i in range(days)
    ]
    per_carrier = [
        (row["carrier_code"] or "", row["n"])
        for row in orders.values(carrier_code=KT(CARRIER_LOOKUP))
        .annotate(n=Count("id"))
        .order_by("-n", "carrier_code")
    ]
    per_option = [
        (row["option_code"] or "", row["n"])
        for row in orders.values(option_code=KT(OPTION_ID_LOOKUP))
        .annotate(n=Count("id"))
        .order_by("-n", "option_code")
    ]
    failed = Shipment.objects.filter(merchant=merchant, status=ShipmentStatus.FAILED)
    return Dashboard(
        since=since,
        until=today,
        total=sum(n for _, n in per_day),
        per_day=per_day,
        per_carrier=per_carrier,
        per_option=per_option,
        failed_total=failed.count(),
        failed=list(failed.order_by("-created_at", "-id")[:failed_limit]),
    )
