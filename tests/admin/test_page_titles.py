"""Issue 15 item 12: the admin's own pages of a merchant keep Django admin's skip link, and their
<title> names the page, then the gateway's admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_the_merchants_own_admin_pages_name_themselves(staff: Client) -> None:
    merchant = MerchantFactory.create(name="Title Shop")
    for name in ("change", "credential_issue", "invite", "preview"):
        url = reverse(f"admin:merchants_merchant_{name}", args=[merchant.pk])
        html = staff.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title, name
        page, _, site = title.group(1).strip().rpartition(" | ")
        assert site == "TMS gateway admin", (name, title.group(1))
        assert page.strip(" |"), (name, title.group(1))
        assert 'class="skip-to-content-link"' in html, name
        assert 'id="content-start"' in html, name
