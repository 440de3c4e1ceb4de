"""The analytics page reads the roll-ups only, through their (shop, day, ...) index: its work
grows with options, markets and days, never with the number of checkouts. Plans as in
tests/portal/test_query_plans.py (sequential scans priced out, and the index dropped inside the
test's transaction to show the assertion can fail)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import MerchantFactory
from tests.portal.conftest import shop_user
from tms_gateway.insights.models import OptionDay

pytestmark = pytest.mark.django_db

INDEX = "insights_optionday_unique"
TODAY = dt.date(2026, 3, 10)


def days_seed(merchant: Any, *, days: int) -> None:
    OptionDay.objects.bulk_create(
        [
            OptionDay(
                merchant=merchant,
                day=TODAY - dt.timedelta(days=d),
                country=country,
                currency=currency,
                option_id=f"option-{o}",
                offered=1000,
                chosen=100,
                confirmed=90,
                fee_sum=90 * 4900,
            )
            for d in range(days)
            for country, currency in (("SE", "SEK"), ("NO", "NOK"), ("FI", "EUR"))
            for o in range(8)
        ],
        batch_size=5000,
    )


def plan(sql: str, params: Any) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_page_reads_the_rollups_through_their_index(client: Any) -> None:
    shop = MerchantFactory.create()
    days_seed(shop, days=365)
    days_seed(MerchantFactory.create(), days=365)  # another shop's year in the same table
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insights_optionday")
    client.force_login(shop_user(shop, "anna"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/portal/analytics/", {"since": "2026-01-13", "until": TODAY.isoformat()}
        )

    assert response.status_code == 200
    assert response.context["total_chosen"] == 57 * 3 * 8 * 100
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "insights_checkoutevent" in s]
    rollups = [s for s in sql if "insights_optionday" in s]
    # markets for the filter, options and their carriers, weeks, per market
    assert len(rollups) == 5
    for query in rollups:
        explained = plan(query, ())
        assert re.search(rf"\b{INDEX}\b", explained), explained
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the seeded rows are checked first
        cursor.execute(f"ALTER TABLE insights_optionday DROP CONSTRAINT {INDEX}")
        assert not re.search(rf"\b{INDEX}\b", plan(rollups[1], ()))
        transaction.set_rollback(True)
