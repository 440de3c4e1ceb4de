"""Daily roll-ups on PostgreSQL: per shop, day, market and option; carrier health per hour;
idempotent; and retention of the raw events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories import MerchantFactory
from tms_gateway.insights import services
from tms_gateway.insights.models import (
    BreakerOpening,
    CarrierHour,
    CheckoutEvent,
    OptionDay,
)
from tms_gateway.insights.services import (
    carrier_hours_rollup,
    insights_forget,
    insights_rollup_day,
    option_days_rollup,
)

DAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True, params=["sql", "python"])
def _rollup_in(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each roll-up test runs in PostgreSQL and counted in Python (SQLite's way): the same."""
    monkeypatch.setattr(services, "_in_sql", lambda: request.param == "sql")


NOON = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm


def answer(
    merchant: Any, ref: str, *, at: dt.datetime = NOON, country: str = "SE", **kw: Any
) -> None:
    options = kw.pop(
        "options",
        [
            {
                "id": "pickup",
                "carrier": "postnord",
                "price": 4900,
                "preselected": True,
                "position": 0,
            },
            {"id": "home", "carrier": "budbee", "price": 6900, "preselected": False, "position": 1},
        ],
    )
    CheckoutEvent.objects.create(
        merchant=merchant,
        at=at,
        kind="answer",
        session_ref=ref,
        country=country,
        currency="SEK",
        options=options,
        **kw,
    )


def choice(
    merchant: Any, kind: str, ref: str, option_id: str, price: int, *, at: dt.datetime = NOON
) -> None:
    CheckoutEvent.objects.create(
        merchant=merchant,
        at=at,
        kind=kind,
        session_ref=ref,
        country="SE",
        currency="SEK",
        option_id=option_id,
        price=price,
    )


def test_a_day_of_one_shop_rolls_up_per_option(db: None) -> None:
    shop = MerchantFactory.create(time_zone="Europe/Stockholm")
    for ref in ("s1", "s2", "s3"):
        answer(shop, ref)
        answer(shop, ref, at=NOON + dt.timedelta(minutes=1))  # Klarna asks again: one session
    choice(shop, "reservation", "s1", "pickup", 4900)
    choice(shop, "reservation", "s1", "home", 6900, at=NOON + dt.timedelta(minutes=2))  # changed
    choice(shop, "reservation", "s2", "pickup", 4900)
    choice(shop, "confirm", "s1", "home", 6900, at=NOON + dt.timedelta(minutes=3))
    choice(shop, "confirm", "s2", "pickup", 0, at=NOON + dt.timedelta(minutes=3))

    assert option_days_rollup(merchant=shop, day=DAY) == 2

    rows = {
        r.option_id: (r.carrier, r.offered, r.preselected, r.chosen, r.confirmed, r.fee_sum)
        for r in OptionDay.objects.filter(merchant=shop, day=DAY, country="SE", currency="SEK")
    }
    assert rows == {
        "pickup": ("postnord", 3, 3, 1, 1, 0),
        "home": ("budbee", 3, 0, 1, 1, 6900),
    }


def test_the_day_is_the_shops_own_and_the_rollup_is_idempotent(db: None) -> None:
    shop = MerchantFactory.create(time_zone="Europe/Helsinki")
    # 22:30 UTC on the 9th is 00:30 on the 10th in Helsinki; 22:30 UTC on the 10th is the 11th.
    answer(shop, "early", at=dt.datetime(2026, 3, 9, 22, 30, tzinfo=dt.UTC))
    answer(shop, "late", at=dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC))
    other = MerchantFactory.create()
    answer(other, "elsewhere")

    insights_rollup_day(day=DAY)
    insights_rollup_day(day=DAY)  # again: the same rows, not twice as many

    assert list(
        OptionDay.objects.filter(merchant=shop)
        .values_list("day", "option_id", "offered")
        .order_by("option_id")
    ) == [(DAY, "home", 1), (DAY, "pickup", 1)]
    assert OptionDay.objects.filter(merchant=other, day=DAY).count() == 2


def test_carrier_health_per_hour(db: None) -> None:
    shop = MerchantFactory.create()
    durations = [100, 200, 300, 400, 1500]
    for i, ms in enumerate(durations):
        late = ms == 1500
        answer(
            shop,
            f"s{i}",
            at=NOON + dt.timedelta(minutes=i),
            carriers=[
                {
                    "carrier": "budbee",
                    "ok": not late,
                    "duration_ms": ms,
                    "error": "deadline exceeded" if late else "",
                },
                {"carrier": "postnord", "ok": False, "duration_ms": 0, "error": "circuit open"},
            ],
        )
    answer(
        shop,
        "x",
        at=NOON + dt.timedelta(minutes=5),
        carriers=[
            {
                "carrier": "postnord",
                "ok": False,
                "duration_ms": 80,
                "error": "CarrierUnavailable: 503",
            },
        ],
    )
    BreakerOpening.objects.create(
        at=NOON + dt.timedelta(minutes=7), carrier="postnord", key="postnord:3"
    )
    answer(
        shop,
        "next-hour",
        at=NOON + dt.timedelta(hours=1),
        carriers=[
            {"carrier": "budbee", "ok": True, "duration_ms": 50, "error": ""},
        ],
    )

    carrier_hours_rollup(start=NOON, end=NOON + dt.timedelta(hours=1))
    carrier_hours_rollup(start=NOON, end=NOON + dt.timedelta(hours=1))

    rows = {
        r.carrier: (r.calls, r.failures, r.deadline_misses, r.breaker_openings, r.p50_ms, r.p95_ms)
        for r in CarrierHour.objects.filter(hour=NOON)
    }
    # p95 of 100..400 and 1500: 400 + 0.8 * 1100 = 1280 (linear interpolation).
    assert rows == {"budbee": (5, 1, 1, 0, 300, 1280), "postnord": (1, 1, 0, 1, 80, 80)}
    assert CarrierHour.objects.count() == 2  # the next hour is not in the range


def test_retention_deletes_raw_events_past_the_period_and_keeps_rollups(
    db: None, settings: Any
) -> None:
    settings.INSIGHTS_RAW_DAYS = 30
    shop = MerchantFactory.create()
    now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    answer(shop, "old", at=now - dt.timedelta(days=31))
    answer(shop, "kept", at=now - dt.timedelta(days=29))
    BreakerOpening.objects.create(at=now - dt.timedelta(days=31), carrier="budbee")
    OptionDay.objects.create(merchant=shop, day=DAY, option_id="pickup", offered=1)

    insights_forget(now=now)

    assert list(CheckoutEvent.objects.values_list("session_ref", flat=True)) == ["kept"]
    assert BreakerOpening.objects.count() == 0
    assert OptionDay.objects.count() == 1


def test_the_beat_runs_the_drain_the_rollup_and_the_retention(settings: Any) -> None:
    from tms_gateway.insights import tasks

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "tms_gateway.insights.tasks.insights_drain",
        "tms_gateway.insights.tasks.insights_rollup",
        "tms_gateway.insights.tasks.insights_forget",
    } <= schedule
    assert tasks.insights_drain.name == "tms_gateway.insights.tasks.insights_drain"


def test_the_recent_rollup_covers_the_shops_today_at_any_hour(db: None) -> None:
    shop = MerchantFactory.create(time_zone="Europe/Helsinki")
    # 23:30 UTC is already tomorrow in Helsinki: the task rolls that day up too.
    late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
    answer(shop, "late", at=late)

    services.insights_rollup_recent(now=late)

    assert set(OptionDay.objects.filter(merchant=shop).values_list("day", flat=True)) == {
        dt.date(2026, 3, 11)
    }


def test_retention_never_cuts_into_the_days_the_rollup_rebuilds(db: None, settings: Any) -> None:
    settings.INSIGHTS_RAW_DAYS = 0
    shop = MerchantFactory.create()
    now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    answer(shop, "yesterday", at=now - dt.timedelta(days=1))
    answer(shop, "old", at=now - dt.timedelta(days=4))

    insights_forget(now=now)

    assert list(CheckoutEvent.objects.values_list("session_ref", flat=True)) == ["yesterday"]
