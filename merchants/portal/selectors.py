"""Reads of the merchant portal. Every function takes ``merchant=`` and sees only its rows:
another shop's shipment or label is not found (None), never forbidden."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from merchants.models import DeliveryOption, Merchant, MerchantUser
from tms_gateway.shipments.models import Shipment, ShipmentLabel, ShipmentStatus
from tms_gateway.shipments.search import phone_digits as stored_phone_digits
from tms_gateway.shipments.search import search_text

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
    # The selection's carrier and option code as the database keeps them (indexed columns).
    if filters.carrier:
        shipments = shipments.filter(selection_carrier=filters.carrier)
    if filters.option:
        shipments = shipments.filter(selection_option_id=filters.option)
    if filters.created_from:
        shipments = shipments.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        shipments = shipments.filter(
            created_at__lt=_day_start(filters.created_to + dt.timedelta(days=1))
        )
    # Part of any order number, e-mail, name or tracking number (every word must match one:
    # "anna 1234" finds Anna's order 1234), or the phone however it is written: read through
    # the trigram indexes of tms_gateway/shipments/search.py.
    phone = phone_digits(filters.q)
    if phone:
        # "070-123 45 67", "+46 70 123 45 67" and "0046701234567" are one phone number.
        shipments = shipments.alias(search_text=search_text(), phone_digits=stored_phone_digits())
        shipments = shipments.filter(
            Q(search_text__icontains=filters.q.strip()) | Q(phone_digits__contains=phone)
        )
    elif filters.q.strip():
        shipments = shipments.alias(search_text=search_text())
        for term in filters.q.split()[:10]:
            shipments = shipments.filter(search_text__icontains=term)
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


def _most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


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

    # One pass over the range, read from the index shipment_merchant_created alone (it holds
    # the status, carrier and option): a year of a big shop is half a million rows.
    days_count: Counter[dt.date] = Counter()
    carriers: Counter[str] = Counter()
    option_codes: Counter[str] = Counter()
    for row in (
        orders.annotate(day=TruncDate("created_at"))
        .values("day", "selection_carrier", "selection_option_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        days_count[row["day"]] += row["n"]
        carriers[row["selection_carrier"] or ""] += row["n"]
        option_codes[row["selection_option_id"] or ""] += row["n"]
    per_day = [
        (since + dt.timedelta(days=i), days_count[since + dt.timedelta(days=i)])
        for i in range(days)
    ]
    failed = Shipment.objects.filter(merchant=merchant, status=ShipmentStatus.FAILED)
    return Dashboard(
        since=since,
        until=today,
        total=sum(n for _, n in per_day),
        per_day=per_day,
        per_carrier=_most_first(carriers),
        per_option=_most_first(option_codes),
        failed_total=failed.count(),
        failed=list(failed.order_by("-created_at", "-id")[:failed_limit]),
    )
