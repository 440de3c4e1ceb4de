"""The shop's own tasks in a real browser (Debian's chromium), at 1280 and at 390 px: find a
booking by its order number, read why it failed and retry it, cancel a booking it has to fix
with the shopper, print the day's labels as one PDF and export the list for Excel, without the
page ever scrolling sideways. Screenshots of each step in var/screenshots/shop-<width>-*.png."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from carriers.sandbox.core import label_pdf
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentLabel, ShipmentStatus

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Any, int]]:
    width = request.param
    context = browser.new_context(
        accept_downloads=True,
        viewport={"width": width, "height": 900 if width > 600 else 844},
        is_mobile=width < 600,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, width
    context.close()


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the page is {width} px wide"


def find(page: Any, live_server: Any, order: str) -> None:
    """Search the bookings by the shop's order number and open the one row found."""
    page.goto(f"{live_server.url}/portal/bookings/")
    page.fill("input[name=q]", order)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    links = page.locator("a.order-link")
    assert links.count() == 1
    links.first.click()
    page.wait_for_load_state()


def test_the_shops_tasks(sized: tuple[Any, int], live_server: Any, shop: dict[str, Any]) -> None:
    page, width = sized
    merchant = shop["merchant"]
    unavailable = ShipmentFactory.create(
        merchant=merchant,
        option_id="postnord-home",
        confirmed=True,
        order_id="KL-2001",
        merchant_reference="WEB-77001",
        given_name="Nils",
        family_name="Holgersson",
        status=ShipmentStatus.FAILED,
        booking_error="carrier unavailable for too long: HTTP 503",
    )
    label = label_pdf("PostNord", "00373500400000010014", recipient="Astrid Lindgren")
    booked: Shipment = shop["booked"]
    Shipment.objects.filter(pk=booked.pk).update(booked_at=timezone.now())
    ShipmentLabel.objects.create(merchant=merchant, shipment=booked, content=label)

    sign_in(page, live_server)
    no_sideways_scroll(page)

    # 1. the carrier was down: the shop finds the order by its own number and retries it
    find(page, live_server, "WEB-77001")
    failure = page.locator("#failure").inner_text()
    assert "Nobody needs to fix this" in failure
    no_sideways_scroll(page)
    screenshot(page, f"shop-{width}-01-failed-carrier-down")
    page.click("#retry-booking")
    page.wait_for_load_state()
    assert "Retry queued" in page.inner_text("body")
    assert Shipment.objects.get(pk=unavailable.pk).status == ShipmentStatus.CONFIRMED
    screenshot(page, f"shop-{width}-02-retried")

    # 2. Budbee does not serve the postal code: the shop's to sort out, no retry offered; the
    # shop cancels the booking after confirming
    find(page, live_server, "KL-1002")
    failure = page.locator("#failure").inner_text()
    assert "Postal code not served" in failure
    assert page.locator("#retry-booking").count() == 0
    page.click("#cancel-booking")
    page.wait_for_load_state()
    no_sideways_scroll(page)
    page.check("input[name=confirm]")
    page.click("#confirm-cancel")
    page.wait_for_load_state()
    assert Shipment.objects.get(pk=shop["failed"].pk).status == ShipmentStatus.CANCELLED
    screenshot(page, f"shop-{width}-03-cancelled")

    # 3. today's labels as one PDF
    page.goto(f"{live_server.url}/portal/bookings/")
    page.click("form.day-labels button[type=submit]")
    page.wait_for_load_state()
    no_sideways_scroll(page)
    screenshot(page, f"shop-{width}-04-day-labels")
    with page.expect_download() as download_info:
        page.click("#download-day-labels")
    pdf = download_info.value.path().read_bytes()
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1
    assert "00373500400000010014" in pages[0].extract_text()

    # 4. the list for Excel
    page.goto(f"{live_server.url}/portal/bookings/")
    with page.expect_download() as download_info:
        page.click("text=Export Excel (.xlsx)")
    assert download_info.value.suggested_filename.endswith(".xlsx")
    assert download_info.value.path().read_bytes()[:2] == b"PK"
