"""Issue 15 item 8: the portal at phone width (390 px), in a real browser.

The bookings list becomes cards (each cell a line named by its data-label), the booking's
detail wraps long values and the dashboard's charts and tables fit: no page is wider than
the viewport. At 1280 px the bookings list is still a table. Screenshots in var/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import ShipmentFactory

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LONG_TRACKING = "JJFI6543210987654321098765432109876543210SE"
LONG_FAMILY_NAME = "Montgomery-Abercrombie-Lindqvist-Östergren-Wahlström"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def many(shop: dict[str, Any]) -> dict[str, Any]:
    """Several more bookings, with long tracking numbers, names and order ids."""
    for number in range(4):
        ShipmentFactory.create(
            merchant=shop["merchant"],
            option_id="postnord-service-point",
            confirmed=True,
            order_id=f"KL-LONG-ORDER-ID-0000000000000000{number}",
            given_name="Maximiliana-Fredrika",
            family_name=LONG_FAMILY_NAME,
            street_address="Kungsträdgårdsgatan 1234567890 lägenhet 1101 uppgång B",
            status="booked",
            tracking_number=f"{LONG_TRACKING}{number}",
            carrier_shipment_id=f"PN-LONG-{number}",
        )
    return shop


def no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def test_bookings_are_cards_at_390(phone: Any, live_server: Any, many: dict[str, Any]) -> None:
    sign_in(phone, live_server)
    cards = phone.locator("table.bookings-table tbody tr")
    assert cards.count() == 6
    no_horizontal_scroll(phone)
    for index in range(cards.count()):
        card = cards.nth(index)
        assert card.locator("a.order-link").inner_text().strip()
        assert card.locator(".status").first.is_visible()
        assert card.locator(".status").first.inner_text().strip()
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shape = phone.evaluate(
        """() => {
            const cell = document.querySelector('table.bookings-table tbody td');
            return [getComputedStyle(cell).display,
                    getComputedStyle(cell, '::before').content,
                    getComputedStyle(document.querySelector('table.bookings-table thead')).position];
        }"""
    )
    assert shape == ["block", '"Order number"', "absolute"]
    assert LONG_TRACKING in phone.inner_text("table.bookings-table")
    screenshot(phone, "portal-bookings-390")

    # the filter form wraps within the width
    for selector in ("form.filters input[name=q]", "form.filters select[name=status]"):
        box = phone.locator(selector).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390


def test_booking_detail_at_390(phone: Any, live_server: Any, many: dict[str, Any]) -> None:
    sign_in(phone, live_server)
    phone.click("a.order-link:text('KL-LONG-ORDER-ID-00000000000000000')")
    phone.wait_for_load_state()
    text = phone.inner_text("body")
    assert f"{LONG_TRACKING}0" in text
    assert LONG_FAMILY_NAME in text
    no_horizontal_scroll(phone)
    screenshot(phone, "portal-booking-detail-390")

    # a failed booking: its error and the status history as cards
    phone.goto(f"{live_server.url}/portal/bookings/{many['failed'].public_id}/")
    assert "Postal code not served" in phone.inner_text("body")
    no_horizontal_scroll(phone)
    screenshot(phone, "portal-booking-detail-failed-390")


def test_dashboard_at_390(phone: Any, live_server: Any, many: dict[str, Any]) -> None:
    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/portal/dashboard/")
    assert phone.locator("svg.chart").count() >= 1
    no_horizontal_scroll(phone)
    for index in range(phone.locator("svg.chart").count()):
        box = phone.locator("svg.chart").nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "KL-1002" in phone.inner_text("table.failed-table")
    screenshot(phone, "portal-dashboard-390")


def test_bookings_table_unchanged_at_1280(
    page: Any, live_server: Any, many: dict[str, Any]
) -> None:
    sign_in(page, live_server)
    shape = page.evaluate(
        """() => {
            const table = document.querySelector('table.bookings-table');
            const cell = table.querySelector('tbody td');
            return [getComputedStyle(table).display, getComputedStyle(cell).display,
                    getComputedStyle(cell, '::before').content,
                    getComputedStyle(table.querySelector('thead')).display];
        }"""
    )
    assert shape == ["table", "table-cell", "none", "table-header-group"]
    screenshot(page, "portal-bookings-1280")
