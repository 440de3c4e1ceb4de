"""The portal's queries at a big shop's size read through their indexes (issue 15 item 11).

For each query the portal makes of a shop's bookings (the list, each kind of search, each
filter, the dashboard, the export of a month), PostgreSQL's plan of the real queryset's SQL
(with sequential scans priced out: ``SET LOCAL enable_seqscan = off``, so a small test table
plans like a big one) names the index meant for it; and, with that index dropped (inside the
test's transaction), no longer does: the assertion is not one any plan passes. The pages still
answer the right rows. The timings themselves are ``make bench``'s (its portal part).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from merchants.portal import pagination
from merchants.portal.exports import FIELDS
from merchants.portal.selectors import BookingFilters, portal_bookings, portal_dashboard
from tms_gateway.shipments.management.commands.seed_bookings import bookings_seed
from tms_gateway.shipments.models import Shipment, ShipmentStatus

pytestmark = pytest.mark.django_db

COUNT = 3000


@pytest.fixture
def big_shop(shop_a: Merchant, shop_b: Merchant) -> Iterator[Merchant]:
    """Shop A with 3,000 seeded bookings among shop B's 6,000 (a shop is a part of the table,
    as in production), the planner's statistics fresh."""
    bookings_seed(merchant=shop_a, count=COUNT)
    bookings_seed(merchant=shop_b, count=2 * COUNT)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shipments_shipment")
    yield shop_a


def plan(sql: str, params: Any = ()) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def queryset_plan(queryset: QuerySet[Any]) -> str:
    sql, params = queryset.query.sql_with_params()
    return plan(sql, params)


def uses(text: str, index: str) -> bool:
    return re.search(rf"\b{index}\b", text) is not None


def assert_reads_through(index: str, explain: Any) -> None:
    """The plan names ``index``; without the index, it does not (in this transaction)."""
    before = explain()
    assert uses(before, index), before
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {index}")
        after = explain()
        transaction.set_rollback(True)  # the index stays for the next test
    assert not uses(after, index), after


def sample(shop: Merchant) -> Shipment:
    shipment = (
        Shipment.objects.filter(merchant=shop, status=ShipmentStatus.BOOKED)
        .exclude(tracking_number="")
        .order_by("-created_at")[100]
    )
    return shipment


def page_of(shop: Merchant, **filters: Any) -> QuerySet[Shipment]:
    return portal_bookings(merchant=shop, filters=BookingFilters(**filters))[:25]


# --- the list and its filters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "shipment_merchant_created"),
        ({"status": "all"}, "shipment_merchant_created"),
        ({"status": ShipmentStatus.FAILED}, "shipment_merchant_status"),
        ({"status": "attention"}, "shipment_merchant_attention"),
        ({"carrier": "dhl"}, "shipment_merchant_carrier"),
        ({"option": "store-pickup"}, "shipment_merchant_option"),
    ],
)
def test_the_list_and_each_filter_read_their_index(
    big_shop: Merchant, filters: dict[str, str], index: str
) -> None:
    assert_reads_through(index, lambda: queryset_plan(page_of(big_shop, **filters)))


def test_a_date_range_reads_the_shops_index(big_shop: Merchant) -> None:
    today = timezone.localdate()
    month = {"created_from": today - dt.timedelta(days=60), "created_to": today}
    explain = lambda: queryset_plan(page_of(big_shop, **month))  # noqa: E731
    text = explain()
    assert "shipment_merchant_created" in text, text
    # The range is an index condition on the timestamp, not a filter of every row.
    assert re.search(r"Index Cond: .*created_at >=", text), text
    assert_reads_through("shipment_merchant_created", explain)


# --- the search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["order_number", "order_number_part", "email", "tracking_number", "klarna_order_id"]
)
def test_each_search_reads_the_trigram_index(big_shop: Merchant, kind: str) -> None:
    shipment = sample(big_shop)
    term = {
        "order_number": shipment.merchant_reference,
        "order_number_part": shipment.merchant_reference[5:],
        "email": shipment.recipient["email"],
        "tracking_number": shipment.tracking_number,
        "klarna_order_id": shipment.klarna_order_id,
    }[kind]
    query = portal_bookings(merchant=big_shop, filters=BookingFilters(q=term))

    assert shipment in list(query[:25])
    assert_reads_through("shipment_search_trgm", lambda: queryset_plan(query[:25]))


def test_a_phone_search_reads_the_phone_index(big_shop: Merchant) -> None:
    shipment = sample(big_shop)
    stored = shipment.recipient["phone"]  # +4670xxxxxxx
    national = f"0{stored[3:6]}-{stored[6:9]} {stored[9:11]} {stored[11:]}"
    query = portal_bookings(merchant=big_shop, filters=BookingFilters(q=national))

    assert shipment in list(query.all())
    assert_reads_through("shipment_phone_trgm", lambda: queryset_plan(query.all()[:25]))


def test_the_list_pages_answer_the_right_rows(big_shop: Merchant, client_a: Client) -> None:
    shipment = sample(big_shop)

    def ids(**query: str) -> list[int]:
        response = client_a.get(reverse("portal:bookings"), query)
        assert response.status_code == 200
        return [row["shipment"].pk for row in response.context["rows"]]

    assert ids(q=shipment.merchant_reference) == [shipment.pk]
    assert ids(q=shipment.tracking_number) == [shipment.pk]
    assert shipment.pk in ids(q=shipment.recipient["email"])
    newest = list(
        Shipment.objects.filter(merchant=big_shop)
        .exclude(status__in=["reserved", "expired"])
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:25]
    )
    assert ids() == newest
    carrier = ids(carrier="dhl")
    assert carrier
    assert set(
        Shipment.objects.filter(pk__in=carrier).values_list("selection_carrier", flat=True)
    ) == {"dhl"}
    failed = ids(status="failed")
    assert failed
    assert set(Shipment.objects.filter(pk__in=failed).values_list("status", flat=True)) == {
        "failed"
    }


def test_a_long_list_counts_up_to_the_cap(
    big_shop: Merchant, client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 100)

    with CaptureQueriesContext(connection) as queries:
        response = client_a.get(reverse("portal:bookings"))

    page = response.context["page_obj"]
    assert page.paginator.capped
    assert page.paginator.num_pages == 4
    assert "More than 100 bookings" in response.content.decode()
    count_sql = next(q["sql"] for q in queries if "COUNT(*)" in q["sql"])
    assert "LIMIT 101" in count_sql
    # The last page counted is the deepest; a page past it shows the last one.
    last = client_a.get(reverse("portal:bookings"), {"page": "99"}).context["page_obj"]
    assert last.number == 4
    # A narrow search is counted exactly.
    shipment = sample(big_shop)
    narrow = client_a.get(reverse("portal:bookings"), {"q": shipment.merchant_reference})
    assert narrow.context["page_obj"].paginator.count == 1
    assert not narrow.context["page_obj"].paginator.capped


def test_a_count_that_takes_too_long_is_given_up_and_the_limit_restored(
    big_shop: Merchant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_TIMEOUT_MS", 20)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()
    slow = Shipment.objects.filter(merchant=big_shop).extra(where=["pg_sleep(0.01) IS NOT NULL"])

    paginator = pagination.CappedPaginator(slow.order_by("-created_at"), 25)

    assert paginator.capped
    assert paginator.count == pagination.COUNT_CAP + 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == before
        cursor.execute("SELECT pg_sleep(0.05)")  # the transaction goes on, without the limit
    quick = pagination.CappedPaginator(Shipment.objects.filter(merchant=big_shop)[:0], 25)
    assert quick.count == 0


# --- the dashboard and the export ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_counts_from_the_shops_index(big_shop: Merchant) -> None:
    # Outside a transaction, so that VACUUM can mark the rows all-visible as autovacuum does in
    # production: then the covering index is read alone (an index-only scan).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE shipments_shipment")
    with timezone.override(big_shop.zone), CaptureQueriesContext(connection) as queries:
        data = portal_dashboard(merchant=big_shop, today=timezone.localdate(), days=366)

    grouped = [q["sql"] for q in queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 1  # days, carriers and options in one pass
    explain = lambda: plan(grouped[0])  # noqa: E731
    text = explain()
    assert "Index Only Scan using shipment_merchant_created" in text, text
    assert_reads_through("shipment_merchant_created", explain)
    # And the numbers are right.
    since = timezone.localdate() - dt.timedelta(days=365)
    with timezone.override(big_shop.zone):
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    orders = Shipment.objects.filter(merchant=big_shop, created_at__gte=start).exclude(
        status__in=["reserved", "expired"]
    )
    assert data.total == orders.count()
    assert dict(data.per_carrier)["dhl"] == orders.filter(selection_carrier="dhl").count()
    assert sum(n for _, n in data.per_option) == data.total


def test_the_failed_bookings_of_the_dashboard_read_the_status_index(big_shop: Merchant) -> None:
    failed = Shipment.objects.filter(merchant=big_shop, status=ShipmentStatus.FAILED)
    assert_reads_through(
        "shipment_merchant_status",
        lambda: queryset_plan(failed.order_by("-created_at", "-id")[:50]),
    )


def test_the_export_of_a_month_reads_the_range_and_only_the_columns_it_needs(
    big_shop: Merchant, client_a: Client
) -> None:
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last = today.replace(day=1) - dt.timedelta(days=1)
    month = BookingFilters(created_from=first, created_to=last)
    rows = portal_bookings(merchant=big_shop, filters=month).values(*FIELDS)

    sql = str(rows.query)
    assert '"selection_changed_at"' not in sql and '"order"' not in sql
    assert_reads_through("shipment_merchant_created", lambda: queryset_plan(rows))

    response = client_a.get(
        reverse("portal:bookings_export"),
        {"created_from": first.isoformat(), "created_to": last.isoformat()},
    )
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    lines = content.decode("utf-8-sig").splitlines()
    with timezone.override(big_shop.zone):
        start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    expected = (
        Shipment.objects.filter(merchant=big_shop, created_at__gte=start, created_at__lt=end)
        .exclude(status__in=["reserved", "expired"])
        .count()
    )
    assert expected > 0
    assert len(lines) == 1 + expected
