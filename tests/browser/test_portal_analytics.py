"""Issue 16 item 2: the portal's analytics page in a real browser, in Swedish at 390 px: the
demo's options with the roll-ups' counts, the charts, the CSV link; nothing wider than the
phone. Screenshot var/screenshots/portal-analytics.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tms_gateway.insights.demo import insights_demo_seed
from tms_gateway.insights.selectors import analytics_options

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="sv-SE"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_the_analytics_page_shows_the_demos_options_at_390(
    phone: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    merchant = shop["merchant"]
    today = dt.datetime.now(tz=merchant.zone).date()
    insights_demo_seed(merchant=merchant, weeks=2, today=today)
    figures = analytics_options(merchant=merchant, since=today - dt.timedelta(days=55), until=today)
    top = figures[0]

    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/portal/analytics/")

    assert phone.locator("h1").inner_text() == "Analys"
    row = phone.locator(f"tr[data-option='{top.option_id}']").first
    assert row.locator("td[data-label='Valda']").inner_text() == str(top.chosen)
    assert row.locator("td[data-label='Bekräftade']").inner_text() == str(top.confirmed)
    assert phone.locator("table.analytics-options tbody tr").count() == len(figures)
    assert phone.locator("svg.chart").count() == 2
    csv_link = phone.get_by_role("link", name="Ladda ner CSV")
    assert csv_link.get_attribute("href").startswith("/portal/analytics/export.csv")
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    screenshot(phone, "portal-analytics")

    phone.select_option("select[name=country]", "NO")
    phone.get_by_role("button", name="Visa").click()
    phone.wait_for_url("**country=NO**")
    norway = analytics_options(
        merchant=merchant, since=today - dt.timedelta(days=55), until=today, country="NO"
    )
    assert phone.locator("table.analytics-options tbody tr").count() == len(norway)
    assert "NOK" in phone.locator("table.analytics-options").inner_text()
