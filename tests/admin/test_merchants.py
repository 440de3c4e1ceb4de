"""The merchant's page: list and search, the onboarding steps with their links, inlines for
agreements, stores and shop users, audited changes, and inviting a shop user by e-mail."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from merchants.models import Merchant, MerchantUser, Store
from tests.factories import (
    CarrierAgreementFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)

from .helpers import audit_rows, form_data, messages_of

pytestmark = pytest.mark.django_db


def test_merchants_are_searched_by_name_slug_and_credential_identifier(staff: Client) -> None:
    # given
    KlarnaCredentialFactory.create(
        identifier="ksa-findme-01", merchant=MerchantFactory.create(name="Cykel AB")
    )
    MerchantFactory.create(name="Other Shop", is_active=False)

    # when
    by_identifier = staff.get("/admin/merchants/merchant/?q=ksa-findme")
    by_name = staff.get("/admin/merchants/merchant/?q=Cykel")
    inactive = staff.get("/admin/merchants/merchant/?is_active__exact=0")

    # then
    assert "Cykel AB" in by_identifier.content.decode()
    assert "Other Shop" not in by_identifier.content.decode()
    assert "ksa-findme-01" in by_name.content.decode()
    assert "Other Shop" in inactive.content.decode()
    assert "Cykel AB" not in inactive.content.decode()


def test_a_new_merchant_continues_on_its_page(staff: Client) -> None:
    # given
    data = form_data(staff, "/admin/merchants/merchant/add/", "merchant_form")
    data.update(name="Ny Butik", slug="ny-butik")

    # when
    response = staff.post("/admin/merchants/merchant/add/", data)

    # then
    merchant = Merchant.objects.get(slug="ny-butik")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/merchants/merchant/{merchant.pk}/change/"
    assert audit_rows(merchant=merchant)[0][:2] == ("create", "Merchant")


def test_the_sender_country_is_a_country_select_and_unknown_codes_are_refused(
    staff: Client,
) -> None:
    page = staff.get("/admin/merchants/merchant/add/").content.decode()
    assert '<select name="sender_country"' in page
    assert '<option value="SE">Sweden (SE)</option>' in page

    data = form_data(staff, "/admin/merchants/merchant/add/", "merchant_form")
    data.update(name="Ny Butik", slug="ny-butik", sender_country="XX")
    refused = staff.post("/admin/merchants/merchant/add/", data)
    assert refused.status_code == 200
    assert "sender_country" in refused.context["adminform"].form.errors
    assert not Merchant.objects.filter(slug="ny-butik").exists()

    data.update(sender_country="NO")
    assert staff.post("/admin/merchants/merchant/add/", data).status_code == 302
    assert Merchant.objects.get(slug="ny-butik").sender_country == "NO"


def test_the_change_page_leads_through_onboarding(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    CarrierAgreementFactory.create(
        merchant=merchant, carrier="budbee", credentials={"api_key": "x" * 8}
    )
    StoreFactory.create(merchant=merchant, name="Big Store")

    # when
    page = staff.get(f"/admin/merchants/merchant/{merchant.pk}/change/").content.decode()

    # then
    base = f"/admin/merchants/merchant/{merchant.pk}"
    for expected in (
        f"{base}/credentials/issue/",
        f"{base}/invite/",
        f"{base}/preview/",
        f"/admin/merchants/carrieragreement/add/?merchant={merchant.pk}&amp;carrier=postnord",
        f"/admin/merchants/deliveryoption/?merchant__id__exact={merchant.pk}",
        f"/admin/merchants/deliveryoption/add/?merchant={merchant.pk}",
        "Budbee: api_key set",
        "Big Store",
        "Shop users (portal accounts)",
    ):
        assert expected in page, expected
    assert "carrier=budbee" not in page  # it has that agreement already


def test_merchant_and_inline_store_changes_are_audited(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(name="Old Name")
    url = f"/admin/merchants/merchant/{merchant.pk}/change/"
    data = form_data(staff, url, "merchant_form")
    data.update(
        {
            "name": "New Name",
            "stores-TOTAL_FORMS": "1",
            "stores-0-code": "main",
            "stores-0-name": "Main Store",
            "stores-0-street_address": "Storgatan 1",
            "stores-0-postal_code": "11122",
            "stores-0-city": "Stockholm",
            "stores-0-country": "SE",
            "stores-0-latitude": "59.33",
            "stores-0-longitude": "18.06",
            "stores-0-is_active": "on",
        }
    )

    # when
    response = staff.post(url, data)

    # then
    assert response.status_code == 302, response.content.decode()
    assert Store.objects.get(merchant=merchant).name == "Main Store"
    rows = audit_rows(merchant=merchant)
    assert rows[0] == ("update", "Merchant", {"name": ["Old Name", "New Name"]})
    assert rows[1][:2] == ("create", "Store")
    assert rows[1][2]["latitude"] == [None, "59.330000"]


def test_inviting_a_shop_user_creates_the_account_and_mails_a_portal_link(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(name="Kaffe AB")
    url = f"/admin/merchants/merchant/{merchant.pk}/invite/"

    # when
    form = staff.get(url)
    response = staff.post(url, {"email": "Anna@Kaffe.example"}, follow=True)

    # then: the account, without a password yet
    assert form.status_code == 200
    assert messages_of(response) == [
        "Invitation sent to anna@kaffe.example: the link lets them choose a password and sign "
        "in to the portal."
    ]
    user = User.objects.get(username="anna@kaffe.example")
    assert user.email == "anna@kaffe.example"
    assert not user.has_usable_password()
    assert not user.is_staff
    assert MerchantUser.objects.get(user=user).merchant == merchant
    # then: the mail links to the portal's reset page with a valid token
    (message,) = mail.outbox
    assert message.to == ["anna@kaffe.example"]
    assert message.subject == "You are invited to the delivery portal of Kaffe AB"
    link = re.search(r"http://testserver/portal/reset/([^/]+)/([^/]+)/", str(message.body))
    assert link, message.body
    assert force_str(urlsafe_base64_decode(link.group(1))) == str(user.pk)
    assert default_token_generator.check_token(user, link.group(2))
    # then: listed on the merchant's page, audited
    page = staff.get(f"/admin/merchants/merchant/{merchant.pk}/change/").content.decode()
    assert "anna@kaffe.example" in page
    assert "invited (no password yet)" in page
    assert audit_rows(merchant=merchant) == [
        ("user_invite", "MerchantUser", {"email": [None, "anna@kaffe.example"]})
    ]


def test_inviting_again_resends_and_another_shops_user_is_refused(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    other = MerchantFactory.create(name="Other AB")
    staff.post(f"/admin/merchants/merchant/{other.pk}/invite/", {"email": "bo@x.example"})
    staff.post(f"/admin/merchants/merchant/{merchant.pk}/invite/", {"email": "cy@x.example"})
    mail.outbox.clear()

    # when
    again = staff.post(
        f"/admin/merchants/merchant/{merchant.pk}/invite/", {"email": "cy@x.example"}
    )
    refused = staff.post(
        f"/admin/merchants/merchant/{merchant.pk}/invite/", {"email": "bo@x.example"}
    )

    # then
    assert again.status_code == 302
    assert refused.status_code == 200
    assert "bo@x.example already has an account with Other AB." in refused.content.decode()
    assert [m.to for m in mail.outbox] == [["cy@x.example"]]
    assert MerchantUser.objects.filter(merchant=merchant).count() == 1
    assert User.objects.filter(username="cy@x.example").count() == 1
