"""``make bench``'s portal part: the merchant portal with a million bookings in one shop.

Run by the bench (scenario ``portal``) in a child process with the bench's settings and
database, or alone::

    .venv/bin/python -m tms_gateway.devtools.bench --scenarios portal
    BENCH_PORTAL_BOOKINGS=200000 .venv/bin/python -m tms_gateway.devtools.bench --scenarios portal

1. Makes the bench shop (slug ``bench-portal``, the demo shop's delivery options copied) and
   seeds it with ``BENCH_PORTAL_BOOKINGS`` bookings (default 1,000,000) by ``seed_bookings``
   (PostgreSQL's COPY); a shop that already has that many is reused as it is.
2. Signs in a user of that shop and asks each page through Django's test Client (the whole
   middleware, view, template and database path, no network and no gunicorn: the time is the
   server's own): the bookings list (first page, and page 400, the deepest the list pages to),
   each search (the shop's order number, part of it, e-mail, phone written nationally, tracking
   number, a common name), each filter (status, needing attention, carrier, option, a month), the
   dashboard (the default 30 days and a year) and the export of a month as CSV and .xlsx
   (every byte read).
3. Each page once to warm up, then ``BENCH_PORTAL_RUNS`` times (default 5): median and max in
   ms, checked against 1,000 ms. Printed as JSON on the last line of stdout, which the bench
   writes into var/bench.json under ``portal``.

Measured once (2 CPUs under other load, PostgreSQL 15 with its default 128 MB of shared
buffers, 1,000,000 bookings in the bench shop and 1,000,000 in another; ms, median / max of 5, to
the first rows; the exports' whole download after the arrow)::

    list 30 / 50              page 80 20 / 34           order number 141 / 219
    part of it 51 / 83        e-mail 179 / 228          phone 74 / 83
    tracking number 45 / 58   "anna" 332 / 337          status 20 / 29
    attention 25 / 28         carrier 25 / 29           option 28 / 31
    a month 25 / 31           dashboard 57 / 83         dashboard, a year 396 / 456
    CSV of a month 136 / 165 -> 1,774 (47,000 rows, 18 MB)
    .xlsx of a month 149 / 158 -> 3,085 (11 MB)

Seeding the million took 7 minutes (the trigram indexes are kept up row by row; 1 min 50 s
into a table without them).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BENCH_SHOP = "bench-portal"
BENCH_USER = "bench-portal@example.com"
DEFAULT_BOOKINGS = 1_000_000
DEFAULT_RUNS = 5
LIMIT_MS = 1000.0
#: The deepest page of the list (CappedPaginator: 2,000 rows of 25).
DEEP_PAGE = 80


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    title: str
    path: str
    params: dict[str, str]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise SystemExit(f"bench portal: {name}={raw!r} is not a whole number") from None
    if value < 1:
        raise SystemExit(f"bench portal: {name} must be at least 1")
    return value


def bench_shop_ensure() -> Any:
    """The bench shop with the demo shop's options (the demo shop is made when missing)."""
    from django.conf import settings

    from merchants.demo import demo_merchant_seed
    from merchants.models import DeliveryOption, Merchant

    shop, _ = Merchant.objects.get_or_create(
        slug=BENCH_SHOP,
        defaults={
            "name": "Bench shop",
            "time_zone": "Europe/Stockholm",
            "sender_country": "SE",
            "sender_name": "Bench shop",
        },
    )
    if not DeliveryOption.objects.filter(merchant=shop).exists():
        demo = Merchant.objects.filter(slug="demo").first() or demo_merchant_seed(
            identifier=settings.DEMO_KSA_IDENTIFIER, key=settings.DEMO_KSA_KEY
        )
        for option in DeliveryOption.objects.filter(merchant=demo).order_by("sort_order", "id"):
            option.pk = None
            option.id = None
            option.merchant = shop
            option.agreement = None
            option.save()
    return shop


def bench_user_ensure(shop: Any) -> Any:
    from django.contrib.auth.models import User

    from merchants.models import MerchantUser

    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"email": BENCH_USER})
    MerchantUser.objects.update_or_create(user=user, defaults={"merchant": shop})
    return user


def cases_build(shop: Any, *, today: dt.date) -> list[Case]:
    """The pages to time, their searches made of one real booking of the shop."""
    from django.urls import reverse

    from tms_gateway.shipments.models import Shipment, ShipmentStatus

    sample = (
        Shipment.objects.filter(
            merchant=shop, status=ShipmentStatus.BOOKED, created_at__lt=_days_ago(60)
        )
        .exclude(tracking_number="")
        .order_by("-created_at")
        .first()
    )
    if sample is None:
        raise SystemExit("bench portal: the bench shop has no booked booking to search for")
    recipient = sample.recipient or {}
    phone = str(recipient.get("phone", ""))
    national = "0" + phone[3:] if phone.startswith("+46") else phone
    national = f"{national[:3]}-{national[3:6]} {national[6:8]} {national[8:]}"
    carrier = sample.snapshot.carrier
    option = sample.snapshot.option_id
    first = today.replace(day=1)
    month_end = first - dt.timedelta(days=1)
    month = {"created_from": month_end.replace(day=1).isoformat(), "created_to": str(month_end)}
    bookings = reverse("portal:bookings")
    dashboard = reverse("portal:dashboard")

    def case(name: str, title: str, path: str = bookings, **params: str) -> Case:
        return Case(name, title, path, params)

    return [
        case("list", "bookings, first page"),
        case("list_deep", f"bookings, page {DEEP_PAGE}", page=str(DEEP_PAGE)),
        case("search_order", "search: the shop's order number", q=sample.merchant_reference),
        case("search_order_part", "search: part of it", q=sample.merchant_reference[5:]),
        case("search_email", "search: the shopper's e-mail", q=str(recipient.get("email", ""))),
        case("search_phone", "search: the phone, written nationally", q=national),
        case("search_tracking", "search: a tracking number", q=sample.tracking_number),
        case("search_name", "search: a common first name (many hits)", q="anna"),
        case("filter_status", "filter: failed", status=ShipmentStatus.FAILED),
        case("filter_attention", "filter: needs attention", status="attention"),
        case("filter_carrier", f"filter: carrier {carrier}", carrier=carrier),
        case("filter_option", f"filter: option {option}", option=option),
        case("filter_month", "filter: last month", **month),
        case("dashboard", "dashboard, last 30 days", dashboard),
        case(
            "dashboard_year",
            "dashboard, a year",
            dashboard,
            since=(today - dt.timedelta(days=365)).isoformat(),
            until=today.isoformat(),
        ),
        case(
            "export_csv_month", "export CSV, last month", reverse("portal:bookings_export"), **month
        ),
        case(
            "export_xlsx_month",
            "export .xlsx, last month",
            reverse("portal:bookings_export_xlsx"),
            **month,
        ),
    ]


def _days_ago(days: int) -> dt.datetime:
    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=days)


def _timed(get: Callable[[], Any]) -> tuple[float, float, int, int]:
    """(ms to the first rows, ms to the whole body, status, bytes) of one request. A page's
    first rows come with the whole page; a streamed export's with its second piece (the first
    is its header, written before the query runs)."""
    started = time.perf_counter()
    response = get()
    if getattr(response, "streaming", False):
        size = 0
        first = None
        for index, piece in enumerate(response.streaming_content):
            size += len(piece)
            if index == 1:
                first = time.perf_counter()
        total = time.perf_counter()
        first = first or total
    else:
        size = len(response.content)
        first = total = time.perf_counter()
    close = getattr(response, "close", None)
    if close is not None:
        close()
    return (first - started) * 1000, (total - started) * 1000, int(response.status_code), size


def measure(*, count: int, runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tms_gateway.shipments.management.commands.seed_bookings import (
        bookings_seed,
        seeded_bookings_count,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("bench portal: needs PostgreSQL (DATABASE_URL)")
    shop = bench_shop_ensure()
    had = seeded_bookings_count(merchant=shop)
    seed_seconds = None
    if had != count:
        print(f"Seeding {count:,} bookings into {BENCH_SHOP} (it had {had:,})", file=sys.stderr)
        result = bookings_seed(merchant=shop, count=count, replace=had > count)
        seed_seconds = round(result.seconds, 1)
        print(f"Seeded in {result.seconds:.0f} s", file=sys.stderr)
    user = bench_user_ensure(shop)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9")
    client.force_login(user)
    with timezone.override(shop.zone):
        today = timezone.localdate()
    pages: dict[str, Any] = {}
    for case in cases_build(shop, today=today):
        ask = functools.partial(client.get, case.path, case.params)
        _timed(ask)  # warm-up
        firsts: list[float] = []
        totals: list[float] = []
        statuses = set()
        size = 0
        for _ in range(runs):
            first, total, status, size = _timed(ask)
            firsts.append(first)
            totals.append(total)
            statuses.add(status)
        median, worst = statistics.median(firsts), max(firsts)
        pages[case.name] = {
            "title": case.title,
            "path": case.path,
            "params": case.params,
            "runs": runs,
            "median_ms": round(median, 1),
            "max_ms": round(worst, 1),
            "complete_median_ms": round(statistics.median(totals), 1),
            "complete_max_ms": round(max(totals), 1),
            "status": sorted(statuses),
            "bytes": size,
            "passed": statuses == {200} and worst <= LIMIT_MS,
        }
        print(
            f"  {case.name:<18} median {median:7.1f} ms  max {worst:7.1f} ms  "
            f"(complete: median {statistics.median(totals):7.1f}, max {max(totals):7.1f})  "
            f"{'/'.join(map(str, sorted(statuses)))}  {size:,} bytes",
            file=sys.stderr,
        )
    return {
        "shop": BENCH_SHOP,
        "bookings": count,
        "seed_seconds": seed_seconds,
        "limit_ms": LIMIT_MS,
        "client": "django.test.Client in one process (no network, no gunicorn)",
        "pages": pages,
    }


def main() -> int:
    count = _env_int("BENCH_PORTAL_BOOKINGS", DEFAULT_BOOKINGS)
    runs = _env_int("BENCH_PORTAL_RUNS", DEFAULT_RUNS)
    report = measure(count=count, runs=runs)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
