"""The checkout preview for staff: the shared preview (merchants.preview) on the merchant's
admin page, a POSTed form (a GET with a query still previews), the carriers asked through the demo shop's sandbox agreements."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import Merchant

pytestmark = pytest.mark.django_db


def test_the_empty_preview_shows_the_form(staff: Client, demo: Merchant) -> None:
    # when
    response = staff.get(f"/admin/merchants/merchant/{demo.pk}/preview/")

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post"' in page
    assert 'name="postal_code"' in page
    assert "merchants/preview.js" in page  # the assets, in the head
    assert "preview-options" not in page  # nothing built yet


def test_a_preview_shows_the_options_for_an_address(staff: Client, demo: Merchant) -> None:
    # when
    response = staff.get(
        f"/admin/merchants/merchant/{demo.pk}/preview/",
        {"country": "SE", "postal_code": "11151", "city": "Stockholm"},
    )

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="preview-options"' in page
    for option in ("postnord-home", "budbee-home", "store-pickup"):
        assert f'data-option-id="{option}"' in page


def test_support_may_preview(support: Client, demo: Merchant) -> None:
    response = support.get(f"/admin/merchants/merchant/{demo.pk}/preview/")
    assert response.status_code == 200


def test_an_unknown_merchant_is_not_found(staff: Client) -> None:
    assert staff.get("/admin/merchants/merchant/999999/preview/").status_code == 404
