"""In a browser: the go-live checklist on the merchant's page follows a preview run, and a new
Klarna key is shown once — reloading its page shows no key and issues nothing."""

from __future__ import annotations

from typing import Any

import pytest

from merchants.models import KlarnaCredential

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_checklist_follows_a_preview_and_a_new_key_is_shown_once(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    change = f"{live_server.url}/admin/merchants/merchant/{merchant.pk}/change/"

    # the checklist: this gateway's endpoint, the preview not run yet
    page.goto(change)
    assert page.input_value("#golive-endpoint") == f"{live_server.url}/ksa/v1"
    assert "✗ to do" in page.inner_text("tr[data-step=preview]")

    # a preview run is recorded, and the step is done
    page.click("tr[data-step=preview] a")
    page.fill("#id_postal_code", "11151")
    page.fill("#id_city", "Stockholm")
    page.click("#content-main form [type=submit]")
    page.wait_for_selector("#preview-options")
    page.goto(change)
    assert "✓ done" in page.inner_text("tr[data-step=preview]")
    screenshot(page, "admin-golive")

    # a new key: shown once; a reload shows none and issues nothing
    page.goto(f"{live_server.url}/admin/merchants/merchant/{merchant.pk}/credentials/issue/")
    page.click("#content-main form [type=submit]")
    page.wait_for_selector("#ksa-key")
    key = page.input_value("#ksa-key")
    count = KlarnaCredential.objects.filter(merchant=merchant).count()
    page.reload()
    assert page.locator("#ksa-key").count() == 0
    assert key not in page.content()
    assert "was already shown" in page.inner_text("#content-main")
    assert KlarnaCredential.objects.filter(merchant=merchant).count() == count
