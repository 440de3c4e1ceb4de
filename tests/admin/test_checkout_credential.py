"""The shop's Klarna checkout API credential on the merchant's page: a write-only password,
every change audited with the secret masked, nothing shown to support staff."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import KlarnaCheckoutCredential, Merchant
from tests.factories import MerchantFactory

from .helpers import audit_rows, form_data

pytestmark = pytest.mark.django_db

PREFIX = "checkout_credential"
SECRET = "kco-shared-secret-9f8e7d"


def page_url(merchant: Merchant) -> str:
    return f"/admin/merchants/merchant/{merchant.pk}/change/"


def credential_row(**fields: str) -> dict[str, str]:
    row = {
        "provider": "kustom",
        "region": "eu",
        "test_mode": "on",
        "username": "PK4711_store",
        "password": SECRET,
        "api_base_url": "",
        "is_active": "on",
        **fields,
    }
    return {f"{PREFIX}-0-{k}": v for k, v in row.items() if v is not None}


def test_staff_store_the_credential_and_its_password_is_never_shown_back(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = form_data(staff, page_url(merchant), "merchant_form")
    assert data[f"{PREFIX}-TOTAL_FORMS"] == "0"
    data.update({f"{PREFIX}-TOTAL_FORMS": "1", **credential_row()})

    # when
    response = staff.post(page_url(merchant), data)

    # then
    assert response.status_code == 302, response.content.decode()
    stored = KlarnaCheckoutCredential.objects.get(merchant=merchant)
    assert (stored.provider, stored.region, stored.test_mode, stored.username) == (
        "kustom",
        "eu",
        True,
        "PK4711_store",
    )
    assert stored.password == SECRET
    assert audit_rows(merchant=merchant) == [
        (
            "create",
            "KlarnaCheckoutCredential",
            {
                "merchant": [None, str(merchant)],
                "provider": [None, "kustom"],
                "region": [None, "eu"],
                "test_mode": [None, True],
                "username": [None, "PK4711_store"],
                "password": "(changed)",
                "api_base_url": [None, ""],
                "is_active": [None, True],
            },
        )
    ]
    page = staff.get(page_url(merchant)).content.decode()
    assert SECRET not in page
    assert f'name="{PREFIX}-0-password"' in page
    assert "Set: leave blank to keep it." in page


def test_a_blank_password_keeps_the_stored_one(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(merchant=merchant, username="old", password=SECRET)
    data = form_data(staff, page_url(merchant), "merchant_form")
    assert data[f"{PREFIX}-0-password"] == ""
    data[f"{PREFIX}-0-username"] = "new"

    # when
    response = staff.post(page_url(merchant), data)

    # then
    assert response.status_code == 302, response.content.decode()
    stored = KlarnaCheckoutCredential.objects.get(merchant=merchant)
    assert (stored.username, stored.password) == ("new", SECRET)
    assert audit_rows(merchant=merchant) == [
        ("update", "KlarnaCheckoutCredential", {"username": ["old", "new"]})
    ]


def test_a_new_password_replaces_the_old_and_is_audited_masked(staff: Client) -> None:
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(merchant=merchant, username="u", password=SECRET)
    data = form_data(staff, page_url(merchant), "merchant_form")
    data[f"{PREFIX}-0-password"] = "a-new-secret-1234"

    response = staff.post(page_url(merchant), data)

    assert response.status_code == 302, response.content.decode()
    assert KlarnaCheckoutCredential.objects.get(merchant=merchant).password == "a-new-secret-1234"
    assert audit_rows(merchant=merchant) == [
        ("update", "KlarnaCheckoutCredential", {"password": "(changed)"})
    ]


def test_saving_the_page_untouched_changes_nothing(staff: Client) -> None:
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(merchant=merchant, username="u", password=SECRET)
    before = KlarnaCheckoutCredential.objects.get(merchant=merchant).updated_at

    response = staff.post(page_url(merchant), form_data(staff, page_url(merchant), "merchant_form"))

    assert response.status_code == 302, response.content.decode()
    assert KlarnaCheckoutCredential.objects.get(merchant=merchant).updated_at == before
    assert audit_rows(merchant=merchant) == []


def test_a_new_credential_needs_a_password(staff: Client) -> None:
    merchant = MerchantFactory.create()
    data = form_data(staff, page_url(merchant), "merchant_form")
    data.update({f"{PREFIX}-TOTAL_FORMS": "1", **credential_row(password="")})

    response = staff.post(page_url(merchant), data)

    assert response.status_code == 200
    assert "Enter the API password (shared secret)." in response.content.decode()
    assert not KlarnaCheckoutCredential.objects.exists()
    assert audit_rows(merchant=merchant) == []


def test_support_staff_see_whether_a_password_is_set_never_the_password(support: Client) -> None:
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(merchant=merchant, username="u", password=SECRET)

    page = support.get(page_url(merchant)).content.decode()

    assert SECRET not in page
    assert f'name="{PREFIX}-0-password"' not in page
    assert "API password:</label>" in page
    assert '<div class="readonly">set</div>' in page
