"""The shop edits a delivery option's name and price in the portal, in a real browser, at
1280 px and at phone width (390 px: no page wider than the screen). Screenshots in
var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from merchants.models import AuditLog, DeliveryOption

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

OPTION = "postnord-service-point"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def row_input(page: Any, field: str, key: str) -> Any:
    """The value input of the row of ``field`` (names, prices …) whose key is ``key``."""
    index = page.evaluate(
        """([field, key]) => {
            for (let i = 0; document.getElementById(`id_${field}_key_${i}`); i++) {
                if (document.getElementById(`id_${field}_key_${i}`).value === key) return i;
            }
            return -1;
        }""",
        [field, key],
    )
    assert index >= 0, f"no {key} row in {field}"
    return page.locator(f"#id_{field}_value_{index}")


def edit_name_and_price(page: Any, live_server: Any, *, name: str, price: str, shot: str) -> None:
    option = DeliveryOption.objects.get(code=OPTION)
    page.goto(f"{live_server.url}/portal/options/")
    page.click(f"#option-{option.pk} a.option-link")
    page.wait_for_url(f"**/portal/options/{option.pk}/")
    assert page.locator("#id_names_key_0").is_visible()  # the admin's row-per-language control
    screenshot(page, f"{shot}-edit")
    if shot.endswith("390"):
        no_horizontal_scroll(page)

    row_input(page, "names", "en").fill(name)
    row_input(page, "prices", "SEK").fill(price)
    page.click("form.shop-form button[type=submit]")
    page.wait_for_url("**/portal/options/")


def test_a_shop_edits_an_options_name_and_price_at_1280(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    sign_in(page, live_server)
    page.click("nav a[href='/portal/options/']")
    page.wait_for_url("**/portal/options/")
    assert page.title().startswith("Delivery options · ")
    row = page.locator("table.options-table tbody tr").first
    assert row.evaluate("e => getComputedStyle(e).display") == "table-row"  # not cards
    screenshot(page, "portal-options-1280")

    edit_name_and_price(
        page, live_server, name="Service point nearby", price="45,50", shot="portal-options-1280"
    )

    row = page.locator(f"#option-{DeliveryOption.objects.get(code=OPTION).pk}")
    assert "Service point nearby" in row.inner_text()
    assert "45.50 SEK" in row.inner_text()
    assert "Saved. The checkout shows the change now." in page.content()
    screenshot(page, "portal-options-1280-saved")
    option = DeliveryOption.objects.get(code=OPTION)
    assert option.names["en"] == "Service point nearby" and option.prices["SEK"] == 4550
    assert AuditLog.objects.filter(object_id=str(option.pk), action="update").count() == 1


def test_a_shop_edits_an_options_name_and_price_at_390(
    phone: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/portal/options/")
    no_horizontal_scroll(phone)
    card = phone.locator("table.options-table tbody tr").first
    assert card.evaluate("e => getComputedStyle(e).display") == "block"  # a card, not a row
    screenshot(phone, "portal-options-390")

    edit_name_and_price(
        phone, live_server, name="Ombud nära dig", price="39", shot="portal-options-390"
    )

    no_horizontal_scroll(phone)
    screenshot(phone, "portal-options-390-saved")
    option = DeliveryOption.objects.get(code=OPTION)
    assert option.names["en"] == "Ombud nära dig" and option.prices["SEK"] == 3900

    phone.goto(f"{live_server.url}/portal/settings/")
    no_horizontal_scroll(phone)
    screenshot(phone, "portal-settings-390")
