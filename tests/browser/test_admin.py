"""Partner staff onboard the demo shop and preview its checkout in the admin, in a browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from merchants.demo import demo_merchant_seed
from tests.checkout.conftest import STATIC_ADAPTERS

from .conftest import screenshot
from .preview_map import preview_map_shown

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_open_the_merchant_and_preview_its_checkout_on_the_map(
    page: Any, live_server: Any, settings: Settings
) -> None:
    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-ops-123456")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

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
