"""The invitation to the portal is written in the shop's language: its default locale's language
when the portal speaks it (Swedish or English), else English; the staff member's own language
(the admin's) does not matter, and the link works the same."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import translation

from merchants.admin.users import merchant_invitation_language
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def _invite(staff: Client, merchant_pk: int, email: str, *, accept_language: str) -> None:
    response = staff.post(
        f"/admin/merchants/merchant/{merchant_pk}/invite/",
        {"email": email},
        headers={"accept-language": accept_language},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("locale", "language"),
    [("sv", "sv"), ("sv-SE", "sv"), ("sv_FI", "sv"), ("en-GB", "en"), ("fi-FI", "en"), ("", "en")],
)
def test_the_invitation_language_is_the_shops_when_the_portal_speaks_it(
    locale: str, language: str
) -> None:
    assert merchant_invitation_language(MerchantFactory.build(default_locale=locale)) == language


def test_a_swedish_shop_is_invited_in_swedish(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(name="Kaffe AB", default_locale="sv-SE")

    # when: the staff member's browser asks for English
    _invite(staff, merchant.pk, "anna@kaffe.example", accept_language="en")

    # then
    (message,) = mail.outbox
    assert message.subject == "Du är inbjuden till leveransportalen för Kaffe AB"
    body = str(message.body)
    assert body.startswith("Hej,\n\nDu har bjudits in till leveransportalen för Kaffe AB, där du")
    assert "Välj ditt lösenord och logga in här:\nhttp://testserver/portal/reset/" in body
    assert "Ditt användarnamn är anna@kaffe.example. Länken fungerar en gång" in body
    assert "invited" not in body and "password" not in body
    # the link is the portal's, as in English
    user = User.objects.get(username="anna@kaffe.example")
    assert re.search(r"http://testserver/portal/reset/[^/\s]+/[^/\s]+/\n", body)
    assert not user.has_usable_password()
    # the admin's own answer stays in English and the thread is left in its language
    assert translation.get_language() in (None, "en", "en-us")


def test_a_shop_in_a_language_the_portal_does_not_speak_is_invited_in_english(
    staff: Client,
) -> None:
    merchant = MerchantFactory.create(name="Kahvi Oy", default_locale="fi-FI")

    _invite(staff, merchant.pk, "aino@kahvi.example", accept_language="sv")

    (message,) = mail.outbox
    assert message.subject == "You are invited to the delivery portal of Kahvi Oy"
    assert str(message.body).startswith(
        "Hello,\n\nYou have been invited to the delivery portal of Kahvi Oy, where you follow"
    )
    assert "Your username is aino@kahvi.example." in str(message.body)
