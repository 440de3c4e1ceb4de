"""The shop's merchant API tokens on its admin page: listed for partner staff, read-only, never
the token itself (shop staff issue and revoke them in the portal)."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import MerchantApiToken
from merchants.services import merchant_api_token_issue, merchant_api_token_revoke
from tests.factories import MerchantFactory

from .helpers import form_data

pytestmark = pytest.mark.django_db


def test_staff_see_the_shops_tokens_by_name_and_prefix_but_never_the_token(staff: Client) -> None:
    shop, other = MerchantFactory.create(), MerchantFactory.create()
    live, token = merchant_api_token_issue(merchant=shop, name="order system", actor=None)
    revoked, _ = merchant_api_token_issue(merchant=shop, name="old ERP", actor=None)
    merchant_api_token_revoke(merchant=shop, token_id=revoked.pk, actor=None)
    merchant_api_token_issue(merchant=other, name="other shop's ERP", actor=None)

    html = staff.get(f"/admin/merchants/merchant/{shop.pk}/change/").content.decode()

    assert "Merchant API tokens (issued and revoked by the shop in the portal)" in html
    assert "order system" in html and "old ERP" in html
    assert f"{live.prefix}…" in html
    assert "other shop&#x27;s ERP" not in html and "other shop's ERP" not in html
    assert token not in html
    assert token.split("_", 2)[2] not in html


def test_saving_the_shop_page_leaves_its_tokens_alone(staff: Client) -> None:
    shop = MerchantFactory.create()
    issued, _ = merchant_api_token_issue(merchant=shop, name="order system", actor=None)
    url = f"/admin/merchants/merchant/{shop.pk}/change/"

    response = staff.post(url, form_data(staff, url, "merchant_form"))

    assert response.status_code == 302
    assert list(MerchantApiToken.objects.values_list("pk", "revoked_at")) == [(issued.pk, None)]
