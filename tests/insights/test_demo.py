"""The demo's analytics: some weeks of events for the demo shop's options, rolled up, so the
page shows data; seeding again replaces them (the same count, not twice)."""

from __future__ import annotations

import datetime as dt

from merchants.demo import demo_merchant_seed
from tms_gateway.insights.demo import insights_demo_seed
from tms_gateway.insights.models import CarrierHour, CheckoutEvent, OptionDay
from tms_gateway.insights.selectors import analytics_options

TODAY = dt.date(2026, 3, 10)


def test_the_demo_has_weeks_of_analytics_for_its_options(db: None) -> None:
    shop = demo_merchant_seed(identifier="demo", key="demo-key")

    first = insights_demo_seed(merchant=shop, weeks=2, today=TODAY)
    again = insights_demo_seed(merchant=shop, weeks=2, today=TODAY)

    assert first == again == CheckoutEvent.objects.filter(merchant=shop).count() > 100
    codes = set(shop.options.values_list("code", flat=True))
    figures = analytics_options(merchant=shop, since=TODAY - dt.timedelta(days=13), until=TODAY)
    assert {f.option_id for f in figures} <= codes and len(figures) > 5
    confirms = CheckoutEvent.objects.filter(merchant=shop, kind="confirm").count()
    assert sum(f.confirmed for f in figures) == confirms
    assert OptionDay.objects.filter(merchant=shop).values("day").distinct().count() == 14
    assert CarrierHour.objects.filter(calls__gt=0).exists()
