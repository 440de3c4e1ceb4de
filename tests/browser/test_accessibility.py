"""Issue 15 item 12: axe-core (bundled by the axe-playwright-python package, injected into the
page; nothing leaves 127.0.0.1) finds no contrast, title, bypass, label or image-alt problems on
the portal's sign-in page, bookings, a booking's detail and the dashboard. Other rules' findings
are printed as notes. The skip link is the first thing the keyboard reaches on a page, and shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ShipmentFactory

from .conftest import PASSWORD, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

RULES = ("color-contrast", "document-title", "bypass", "label", "image-alt")


@pytest.fixture
def shop_every_status(shop: dict[str, Any]) -> dict[str, Any]:
    """The portal tests' shop with a booking of every status, so every badge is checked."""
    ShipmentFactory.create(
        merchant=shop["merchant"], option_id="budbee-box", order_id="KL-1003", status="confirmed"
    )
    return shop


def axe_violations(page: Any, name: str) -> list[str]:
    """The violations of RULES on the page as "rule: target" lines; other rules' are printed."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    screenshot(page, f"a11y-{name}")
    found = []
    for violation in results["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"])
        if violation["id"] in RULES:
            found.append(f"{violation['id']}: {targets} ({violation['help']})")
        else:
            print(f"note, {name}: {violation['id']} ({violation['impact']}): {targets}")
    return found


def test_axe_finds_no_violations_on_the_portal_pages(
    page: Any, live_server: Any, shop_every_status: dict[str, Any]
) -> None:
    shop = shop_every_status
    page.goto(f"{live_server.url}/portal/login/")
    assert page.title() == "Sign in · TMS portal"
    assert axe_violations(page, "login") == []

    page.fill("input[name=username]", "anna@demo-shop.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action*='login'] button[type=submit]")
    page.wait_for_url("**/portal/bookings/**")
    assert page.title().startswith("Bookings · ")
    assert axe_violations(page, "bookings") == []

    # the skip link (the sign-in page's own focus starts in its e-mail field): first on Tab, visible then, and it moves focus to the main element
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    screenshot(page, "a11y-skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.goto(f"{live_server.url}/portal/bookings/{shop['booked'].public_id}/")
    assert page.title().startswith("Booking KL-1001 · ")
    assert axe_violations(page, "booking-detail") == []

    page.goto(f"{live_server.url}/portal/dashboard/")
    assert page.title().startswith("Dashboard · ")
    assert axe_violations(page, "dashboard") == []
