"""A shop user follows bookings in the portal, in a real browser (Debian's chromium).

Sign in, search and filter, open a booking, download the CSV, run the checkout preview and
see the pickup points as map markers. Every page is saved under var/screenshots/.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from .conftest import screenshot, sign_in
from .preview_map import preview_map_shown

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_search_filter_open_a_booking_and_export(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    sign_in(page, live_server)
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    screenshot(page, "portal-bookings")

    # search by recipient name
    page.fill("input[name=q]", "Lindgren")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert rows.count() == 1
    assert "KL-1001" in rows.first.inner_text()
    screenshot(page, "portal-bookings-search")

    # filter by status
    page.goto(f"{live_server.url}/portal/bookings/")
    page.select_option("select[name=status]", "failed")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert rows.count() == 1
    assert "KL-1002" in rows.first.inner_text()
    screenshot(page, "portal-bookings-filtered")

    # the CSV of the filtered list
    with page.expect_download() as download_info:
        page.click("text=Export CSV")
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(content)))
    assert len(exported) == 2  # header and the one failed booking
    assert any("KL-1002" in cell for cell in exported[1])

    # a booking's detail
    page.goto(f"{live_server.url}/portal/bookings/")
    page.click(f"a[href*='{shop['booked'].public_id}']")
    page.wait_for_load_state()
    text = page.inner_text("body")
    assert "00373500400000010014" in text
    assert "Astrid" in text
    screenshot(page, "portal-booking-detail")


def test_dashboard_and_fallback_pages_render(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/portal/dashboard/")
    assert page.locator("svg").count() >= 1
    assert "Postal code not served" in page.inner_text("body")
    screenshot(page, "portal-dashboard")

    page.goto(f"{live_server.url}/portal/fallback/")
    screenshot(page, "portal-fallback")
    assert page.locator("form").count() >= 1


def test_the_checkout_preview_shows_pickup_points_on_the_map(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/portal/preview/")
    page.fill("input[name=postal_code]", "11151")
    page.fill("input[name=city]", "Stockholm")
    page.click("form[action*='preview'] button[type=submit]")
    # each location a pin of its carrier's colour or counted in a cluster; a legend of carriers
    shown = preview_map_shown(page)
    assert len(shown["markers"]) > 10
    assert len(shown["legend"]) >= 3
    assert page.locator("table.tms-preview-options tr[data-option-id]").count() >= 5
    screenshot(page, "portal-preview-map")

    # a click on the biggest cluster zooms in: fewer locations in each cluster, every one shown
    biggest = max(c["count"] for c in shown["clusters"])
    zoom = page.get_attribute("#preview-map", "data-drawn-zoom")
    page.click(f"#preview-map .tms-cluster[data-count='{biggest}']")
    page.wait_for_selector(f"#preview-map:not([data-drawn-zoom='{zoom}'])")  # no eval: the CSP
    assert len(preview_map_shown(page)["pins"]) > len(shown["pins"])
    page.locator("#preview-locations").screenshot(
        path=str(screenshot(page, "portal-preview-map-zoomed"))
    )


def test_swedish_is_offered(page: Any, live_server: Any, shop: dict[str, Any]) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/portal/bookings/")
    page.click("button[name=language][value=sv]")
    page.wait_for_load_state()
    assert "Bokningar" in page.inner_text("body")
    screenshot(page, "portal-bookings-sv")
