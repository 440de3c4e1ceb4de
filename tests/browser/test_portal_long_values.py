"""The portal at 1280 px with very long values: the dashboard's chart labels (option and carrier
names) wrap or end with an ellipsis and carry the whole name as a title, never clipped sideways;
the bookings list with 200-character order numbers, e-mails, names and option names does not
make the page scroll sideways. Screenshots in var/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from merchants.models import DeliveryOption
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LONG_OPTION = (
    "Hemleverans med bärhjälp upp till lägenheten, kvällstid mellan 17 och 22, med sms-avisering "
    "och kvittens, även till adresser utan hiss eller portkod, i Stockholm, Göteborg och Malmö"
)
LONG_WORD_OPTION = "Ombud" + "-Ombudsutlämning" * 8
LONG_CARRIER = "Regionala-Budfirman-Norrland-och-Svealand-Aktiebolag-Expressfrakt-Tunga-Kollin"


@pytest.fixture
def long_values(shop: dict[str, Any]) -> dict[str, Any]:
    merchant = shop["merchant"]
    DeliveryOption.objects.filter(merchant=merchant, code="postnord-service-point").update(
        names={"en": LONG_OPTION, "sv": LONG_OPTION}
    )
    DeliveryOption.objects.filter(merchant=merchant, code="budbee-box").update(
        names={"en": LONG_WORD_OPTION, "sv": LONG_WORD_OPTION}
    )
    for number in range(3):
        shipment = ShipmentFactory.create(
            merchant=merchant,
            option_id="postnord-service-point" if number else "budbee-box",
            confirmed=True,
            order_id=f"{number}" + "KLARNA-ORDER-" * 15 + "X" * 4,
            merchant_reference=f"{number}" + "ORDERNUMBER" * 18 + "9" * 1,
            given_name="Maximiliana-Fredrika-Charlotta-Augusta" * 3,
            family_name="Montgomery-Abercrombie-Lindqvist-Östergren-Wahlström" * 3,
            email="maximiliana.fredrika.charlotta." * 5 + "@example.com",
            status="booked",
            tracking_number="JJFI" + "6543210987" * 8,
        )
        if number == 2:  # a carrier no longer configured is named by its slug
            selection = {**shipment.selection, "carrier": LONG_CARRIER}
            Shipment.objects.filter(pk=shipment.pk).update(selection=selection)
    return shop


def no_horizontal_scroll(page: Any) -> None:
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""
    )
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide: {wide}"


def not_clipped(page: Any, selector: str) -> list[dict[str, Any]]:
    """Each element's text fits its width; a label cut short at its lines carries a title with
    the whole text."""
    labels = page.eval_on_selector_all(
        selector,
        """els => els.map(e => ({
            text: e.textContent.trim(), title: e.getAttribute('title') || '',
            scrollWidth: e.scrollWidth, clientWidth: e.clientWidth,
            scrollHeight: e.scrollHeight, clientHeight: e.clientHeight,
        }))""",
    )
    assert labels
    for label in labels:
        assert label["scrollWidth"] <= label["clientWidth"], label
        if label["scrollHeight"] > label["clientHeight"]:
            assert label["title"], label
    return labels


def test_the_dashboards_chart_labels_are_not_cut_off(
    page: Any, live_server: Any, long_values: dict[str, Any]
) -> None:
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/portal/dashboard/")

    options = not_clipped(page, "#per-option .chart-label")
    assert LONG_OPTION in [o["title"] for o in options]
    assert LONG_WORD_OPTION in [o["title"] for o in options]
    carriers = not_clipped(page, "#per-carrier .chart-label")
    assert LONG_CARRIER in [c["title"] for c in carriers]
    not_clipped(page, "#per-option td, #per-carrier td")
    no_horizontal_scroll(page)
    screenshot(page, "portal-dashboard-long-names")


def test_the_bookings_page_does_not_scroll_sideways_with_long_values(
    page: Any, live_server: Any, long_values: dict[str, Any]
) -> None:
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/portal/bookings/")

    assert page.locator("table.bookings-table tbody tr").count() == 5
    assert LONG_OPTION in page.inner_text("table.bookings-table")
    no_horizontal_scroll(page)
    not_clipped(page, "table.bookings-table td")
    screenshot(page, "portal-bookings-long-values")
