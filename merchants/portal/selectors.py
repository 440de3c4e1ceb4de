"""Reads of the merchant portal. Every function takes ``merchant=`` and sees only its rows:
another shop's shipment or label is not found (None), never forbidden."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Replace, TruncDate
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
    phone = phone_digits(filters.q)
    if phone:
        # "070-123 45 67", "+46 70 123 45 67" and "0046701234567" are one phone number.
        shipments = shipments.annotate(recipient_phone_digits=_digits_of(KT("recipient__phone")))
        terms = [filters.q.strip()]
    else:
        # Every word must match one of the fields: "anna 1234" finds Anna's order 1234.
        terms = filters.q.split()[:10]
    for term in terms:
        match = (
            Q(klarna_order_id__icontains=term)
            | Q(merchant_reference__icontains=term)
            | Q(tracking_number__icontains=term)
            | Q(tracking_numbers__icontains=term)
            | Q(recipient__email__icontains=term)
            | Q(recipient__given_name__icontains=term)
            | Q(recipient__family_name__icontains=term)
            | Q(recipient__company_name__icontains=term)
        )
        if phone:
            match |= Q(recipient_phone_digits__contains=phone)
        shipments = shipments.filter(match)
    return shipments.order_by("-created_at", "-id")


#: Country calling codes of the shops' markets, longest first.
_CALLING_CODES = ("358", "46", "47", "45", "49")
_PHONE_CHARACTERS = frozenset("0123456789+-() ")
_PHONE_MIN_DIGITS = 6


def phone_digits(query: str) -> str:
    """The national number of ``query`` if it reads as a phone number (only digits, spaces,
    ``+``, ``-`` and brackets, at least 6 digits), without a country code or a leading 0:
    "+46 70-123 45 67", "0046701234567" and "070 123 45 67" all give "701234567"; else ""."""
    text = query.strip()
    if not text or not set(text) <= _PHONE_CHARACTERS:
        return ""
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < _PHONE_MIN_DIGITS:
        return ""
    international = text.startswith("+") or digits.startswith("00")
    digits = digits.removeprefix("00") if digits.startswith("00") else digits
    if international:
        for code in _CALLING_CODES:
            if digits.startswith(code):
                digits = digits[len(code) :]
                break
    return digits.lstrip("0")


def _digits_of(expression: Any) -> Any:
    """``expression`` without the separators people write in phone numbers (no regexp_replace
    on SQLite, so one REPLACE per character)."""
    result: Any = expression
    for character in (" ", "-", "(", ")", "+", "/", "."):
        result = Replace(result, Value(character), Value(""), output_field=TextField())
    return result


def portal_has_bookings(*, merchant: Merchant) -> bool:
    """Whether the shop has any shipment at all, even an unconfirmed checkout."""
    return Shipment.objects.filter(merchant=merchant).exists()


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
