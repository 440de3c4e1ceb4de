"""Reads of the analytics: only the daily roll-ups (never the raw events), so a shop with a
million checkouts a month reads a few thousand rows for a quarter, through the roll-ups'
unique index that starts with (merchant, day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import TruncWeek

from merchants.models import Merchant

from .models import CarrierHour, OptionDay


@dataclass(frozen=True, slots=True)
class OptionFigures:
    """One option (in one currency) over a period: sessions it was offered to and preselected
    in, sessions that chose it, confirmed checkouts and the fees they were charged."""

    option_id: str
    currency: str
    carrier: str
    offered: int
    preselected: int
    chosen: int
    confirmed: int
    fee_sum: int
    #: Chosen / every choice of the period (all options, all currencies), 0..1.
    share: float

    @property
    def average_fee(self) -> int | None:
        """The average fee charged per confirmed checkout (minor units), None without any."""
        return round(self.fee_sum / self.confirmed) if self.confirmed else None


@dataclass(frozen=True, slots=True)
class WeekFigures:
    week: dt.date  # its Monday
    option_id: str
    country: str
    currency: str
    offered: int
    chosen: int
    confirmed: int
    fee_sum: int


@dataclass(frozen=True, slots=True)
class MarketFigures:
    country: str
    offered: int
    chosen: int
    confirmed: int


def analytics_countries(*, merchant: Merchant) -> list[str]:
    """The markets the shop has analytics for (the market filter's choices)."""
    return list(
        OptionDay.objects.filter(merchant=merchant)
        .exclude(country="")
        .values_list("country", flat=True)
        .distinct()
        .order_by("country")
    )


def analytics_options(
    *, merchant: Merchant, since: dt.date, until: dt.date, country: str = ""
) -> list[OptionFigures]:
    """Per option and currency over the days (the shop's own calendar), most chosen first."""
    rows = OptionDay.objects.filter(merchant=merchant, day__gte=since, day__lte=until)
    if country:
        rows = rows.filter(country=country)
    sums = list(
        rows.values("option_id", "currency")
        .annotate(
            offered=Sum("offered"),
            preselected=Sum("preselected"),
            chosen=Sum("chosen"),
            confirmed=Sum("confirmed"),
            fee_sum=Sum("fee_sum"),
        )
        .order_by()
    )
    carriers = dict(
        rows.exclude(carrier="").values_list("option_id", "carrier").distinct().order_by()
    )
    total = sum(r["chosen"] for r in sums)
    figures = [
        OptionFigures(
            option_id=r["option_id"],
            currency=r["currency"],
            carrier=carriers.get(r["option_id"], ""),
            offered=r["offered"],
            preselected=r["preselected"],
            chosen=r["chosen"],
            confirmed=r["confirmed"],
            fee_sum=int(r["fee_sum"]),
            share=r["chosen"] / total if total else 0.0,
        )
        for r in sums
    ]
    figures.sort(key=lambda f: (-f.chosen, -f.offered, f.option_id, f.currency))
    return figures


def analytics_weeks(
    *, merchant: Merchant, since: dt.date, until: dt.date, country: str = ""
) -> list[WeekFigures]:
    """Per week (Monday), market, currency and option, in order of weeks."""
    rows = OptionDay.objects.filter(merchant=merchant, day__gte=since, day__lte=until)
    if country:
        rows = rows.filter(country=country)
    sums = (
        rows.annotate(week=TruncWeek("day"))
        .values("week", "country", "currency", "option_id")
        .annotate(
            offered=Sum("offered"),
            chosen=Sum("chosen"),
            confirmed=Sum("confirmed"),
            fee_sum=Sum("fee_sum"),
        )
        .order_by("week", "country", "currency", "option_id")
    )
    return [
        WeekFigures(
            week=r["week"] if isinstance(r["week"], dt.date) else r["week"].date(),
            option_id=r["option_id"],
            country=r["country"],
            currency=r["currency"],
            offered=r["offered"],
            chosen=r["chosen"],
            confirmed=r["confirmed"],
            fee_sum=int(r["fee_sum"]),
        )
        for r in sums
    ]


def analytics_markets(*, merchant: Merchant, since: dt.date, until: dt.date) -> list[MarketFigures]:
    """Per market (the recipient's country) over the days: offered counts each option shown."""
    sums = (
        OptionDay.objects.filter(merchant=merchant, day__gte=since, day__lte=until)
        .values("country")
        .annotate(offered=Sum("offered"), chosen=Sum("chosen"), confirmed=Sum("confirmed"))
        .order_by("country")
    )
    return [
        MarketFigures(
            country=r["country"], offered=r["offered"], chosen=r["chosen"], confirmed=r["confirmed"]
        )
        for r in sums
    ]


def carrier_health(
    *, since: dt.datetime, until: dt.datetime, carrier: str = ""
) -> list[CarrierHour]:
    """Carrier health per hour in [since, until), newest first (partner staff)."""
    rows = CarrierHour.objects.filter(hour__gte=since, hour__lt=until)
    if carrier:
        rows = rows.filter(carrier=carrier)
    return list(rows.order_by("-hour", "carrier")[:2000])


def carrier_health_carriers() -> list[str]:
    return list(
        CarrierHour.objects.values_list("carrier", flat=True).distinct().order_by("carrier")
    )
