"""Browser tests: Playwright for Python driving Debian's chromium against a live server.

Screenshots of every page land in var/screenshots/. The map tiles are off in tests
(MAP_TILE_URL empty), so no page reaches outside 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from merchants.demo import demo_merchant_seed
from merchants.models import MerchantUser
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import ShipmentFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    # From here on this thread runs Playwright's event loop; Django's session-wide test
    # database set-up may come after it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _sync_database_calls_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API keeps an event loop running in this thread; the browser tests'
    own database calls (fixtures, set-up, flush) are ordinary synchronous code all the same.
    Set for these tests only: `check --deploy` refuses the variable anywhere else."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- a shop with a booked and a failed booking, and its user (the portal tests) --------------

PASSWORD = "browser-test-password-1"


@pytest.fixture
def shop(settings: Settings) -> dict[str, Any]:
    """The demo shop (static carriers), its user anna@, a booked and a failed booking."""
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    breaker.reset()
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    user = User.objects.create_user("anna@demo-shop.example", "anna@demo-shop.example", PASSWORD)
    MerchantUser.objects.create(user=user, merchant=merchant)
    booked = ShipmentFactory.create(
        merchant=merchant,
        option_id="postnord-service-point",
        confirmed=True,
        order_id="KL-1001",
        given_name="Astrid",
        family_name="Lindgren",
        status="booked",
        tracking_number="00373500400000010014",
        tracking_url="https://tracking.postnord.com/se/?id=00373500400000010014",
        carrier_shipment_id="PN-1",
    )
    failed = ShipmentFactory.create(
        merchant=merchant,
        option_id="budbee-box",
        confirmed=True,
        order_id="KL-1002",
        given_name="Selma",
        family_name="Lagerlöf",
        status="failed",
        booking_error="refused by Budbee: Postal code not served",
    )
    return {"merchant": merchant, "booked": booked, "failed": failed}


def sign_in(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/portal/")
    screenshot(page, "portal-login")
    page.fill("input[name=username]", "anna@demo-shop.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action*='login'] button[type=submit]")
    page.wait_for_url("**/portal/bookings/**")


@pytest.fixture
def staff_signed_in(page: Any, live_server: Any, settings: Settings) -> Any:
    """The demo shop (static carriers) and partner staff signed in to the admin: the merchant."""
    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-ops-123456")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return merchant
