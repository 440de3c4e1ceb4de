"""Partner staff onboard the demo shop and preview its checkout in the admin, in a browser."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import screenshot
from .preview_map import preview_map_shown

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_open_the_merchant_and_preview_its_checkout_on_the_map(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in

    page.goto(f"{live_server.url}/admin/merchants/merchant/{merchant.pk}/change/")
    assert "Demo Shop" in page.inner_text("body")
    assert "demo-key" not in page.content()
    screenshot(page, "admin-merchant")

    page.goto(
        f"{live_server.url}/admin/merchants/merchant/{merchant.pk}/preview/"
        "?country=SE&postal_code=11151&city=Stockholm"
    )
    shown = preview_map_shown(page)  # each location a carrier's pin or in a cluster, a legend
    assert len(shown["markers"]) > 10
    assert len(shown["legend"]) >= 3
    screenshot(page, "admin-preview-map")

    page.goto(f"{live_server.url}/admin/shipments/shipment/")
    screenshot(page, "admin-shipments")
    page.goto(f"{live_server.url}/admin/carriers/carriertrace/")
    screenshot(page, "admin-carrier-traces")
