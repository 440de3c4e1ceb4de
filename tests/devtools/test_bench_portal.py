"""``make bench``'s portal part: its report becomes checks against 1,000 ms and a table; the
scenario name is accepted alone; the page list covers every search, filter and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from merchants.demo import demo_merchant_seed
from tms_gateway.devtools import bench
from tms_gateway.devtools.bench_portal import BENCH_SHOP, bench_shop_ensure, cases_build
from tms_gateway.shipments.management.commands.seed_bookings import bookings_seed


def page(median: float, worst: float, *, status: list[int] | None = None) -> dict[str, Any]:
    status = status or [200]
    return {
        "title": "bookings, first page",
        "runs": 5,
        "median_ms": median,
        "max_ms": worst,
        "complete_median_ms": median,
        "complete_max_ms": worst,
        "status": status,
        "bytes": 1000,
        "passed": status == [200] and worst <= 1000,
    }


def test_each_page_is_a_check_against_a_second() -> None:
    report = {
        "shop": "bench-portal",
        "bookings": 1_000_000,
        "limit_ms": 1000.0,
        "client": "django.test.Client",
        "pages": {
            "list": page(20, 30),
            "dashboard_year": page(900, 1200),
            "search_name": page(10, 20, status=[500]),
        },
    }

    checks = {c.name: c for c in bench.portal_checks_evaluate(report)}

    assert checks["portal_list"].passed
    assert checks["portal_list"].measured == 30
    assert checks["portal_list"].target == 1000
    assert not checks["portal_dashboard_year"].passed
    assert not checks["portal_search_name"].passed
    assert checks["portal_search_name"].notes == ["answered [500]"]
    table = bench.portal_table_format(report)
    assert "1,000,000 bookings in bench-portal" in table
    assert "dashboard_year" in table


def test_portal_alone_is_a_known_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(bench, "services_check", lambda: seen.append("services"))
    monkeypatch.setattr(bench, "database_ensure", lambda: None)
    monkeypatch.setattr(bench, "redis_flush", lambda: None)

    def stop(*args: Any, **kwargs: Any) -> str:
        raise bench.BenchError("stopped here")

    monkeypatch.setattr(bench, "manage", stop)
    args = bench.args_parse(["--scenarios", "portal"])

    with pytest.raises(bench.BenchError, match="stopped here"):
        bench.run(args)
    assert seen == ["services"]
    with pytest.raises(bench.BenchError, match="unknown scenarios: nope"):
        bench.run(bench.args_parse(["--scenarios", "portal,nope"]))


@pytest.mark.django_db
def test_the_pages_cover_every_search_filter_and_export(settings: Any) -> None:
    demo_merchant_seed(identifier="demo", key="demo-key")
    shop = bench_shop_ensure()
    assert shop.slug == BENCH_SHOP
    assert shop.options.count() > 5
    bookings_seed(merchant=shop, count=500)

    cases = {c.name: c for c in cases_build(shop, today=dt.date(2026, 12, 6))}

    assert set(cases) == {
        *("list", "list_deep"),
        *("search_order", "search_order_part", "search_email", "search_phone"),
        *("search_tracking", "search_name"),
        *("filter_status", "filter_attention", "filter_carrier", "filter_option"),
        "filter_month",
        *("dashboard", "dashboard_year", "export_csv_month", "export_xlsx_month"),
    }
    assert cases["filter_month"].params == {
        "created_from": "2026-11-01",
        "created_to": "2026-11-30",
    }
    assert cases["export_xlsx_month"].params == cases["filter_month"].params
    assert cases["search_phone"].params["q"].startswith("070-")
