"""A shop retries a failed booking from its page in a real browser (Debian's chromium): the
page says why it failed and that nobody needs to fix it, the retry button queues the booking
again and the page comes back confirmed, with the retry in its history. Screenshots of before
and after land in var/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentStatus

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shop_retries_a_failed_booking_from_its_page(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    failed = ShipmentFactory.create(
        merchant=shop["merchant"],
        option_id="postnord-home",
        confirmed=True,
        order_id="KL-1003",
        given_name="Nils",
        family_name="Holgersson",
        status=ShipmentStatus.FAILED,
        booking_error="carrier unavailable for too long: Injected fault: HTTP 503",
    )
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/portal/bookings/{failed.public_id}/")
    failure = page.locator("#failure")
    assert "Why the booking failed" in failure.inner_text()
    assert "Nobody needs to fix this" in failure.inner_text()
    assert "Injected fault: HTTP 503" in failure.inner_text()
    screenshot(page, "portal-booking-failed")

    page.click("#retry-booking")
    page.wait_for_load_state()

    body = page.inner_text("body")
    assert "Retry queued" in body
    assert page.locator(".status.status-confirmed").first.inner_text() == "Confirmed"
    assert page.locator("#retry-booking").count() == 0
    assert "retry requested" in page.locator("table").first.inner_text()
    screenshot(page, "portal-booking-retried")
    failed.refresh_from_db()
    assert failed.status == ShipmentStatus.CONFIRMED
    assert Shipment.objects.get(pk=failed.pk).events.order_by("-id")[0].actor == (
        "anna@demo-shop.example (portal)"
    )
