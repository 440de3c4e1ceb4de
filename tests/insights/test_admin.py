"""Carrier health in the admin: per carrier and hour, filtered by carrier and date; partner
staff of the Support role see it and change nothing; a shop user never reaches it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tms_gateway.insights.models import CarrierHour

pytestmark = pytest.mark.django_db

URL = "/admin/insights/carrierhour/"
HOUR = dt.datetime(2026, 3, 10, 11, tzinfo=dt.UTC)


def rows() -> None:
    CarrierHour.objects.create(
        hour=HOUR,
        carrier="budbee",
        calls=5,
        failures=1,
        deadline_misses=1,
        breaker_openings=0,
        p50_ms=300,
        p95_ms=1280,
    )
    CarrierHour.objects.create(
        hour=HOUR - dt.timedelta(days=2),
        carrier="postnord",
        calls=7,
        failures=2,
        deadline_misses=0,
        breaker_openings=1,
        p50_ms=80,
        p95_ms=95,
    )


def listed(content: bytes) -> str:
    return content.decode().split('id="result_list"')[1].split("</table>")[0]


def test_support_sees_carrier_health_per_hour_and_filters_it(support: Client) -> None:
    rows()

    page = support.get(URL)
    budbee = support.get(URL, {"carrier": "budbee"})
    day = support.get(URL, {"hour__year": "2026", "hour__month": "3", "hour__day": "8"})

    assert page.status_code == 200
    text = page.content.decode()
    for cell in ("2026-03-10 11:00", "budbee", "1280", "postnord", "2026-03-08 11:00"):
        assert cell in text
    assert "postnord" not in listed(budbee.content) and "budbee" in listed(budbee.content)
    assert "budbee" not in listed(day.content) and "postnord" in listed(day.content)
    assert 'name="action"' not in text  # nothing to change


def test_nobody_changes_or_adds_carrier_health(staff: Client) -> None:
    rows()
    row = CarrierHour.objects.get(carrier="budbee")

    assert staff.get(f"{URL}add/").status_code == 403
    assert staff.post(f"{URL}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CarrierHour.objects.count() == 2


def test_a_shop_user_is_sent_to_the_admin_login(client: Client) -> None:
    assert client.get(URL).status_code == 302
