"""Sign-in, sign-out, throttling, password reset, and who may see the portal at all."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from merchants.models import Merchant

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

SHOP_PAGES = ["portal:bookings", "portal:bookings_export", "portal:dashboard", "portal:fallback"]


def login(client: Client, username: str, password: str, address: str = "127.0.0.1") -> int:
    response = client.post(
        reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def test_login_page_renders_the_form() -> None:
    response = Client().get(reverse("portal:login"))

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_the_login_field_asks_for_the_e_mail_address() -> None:
    response = Client().get(reverse("portal:login"))

    field = response.context["form"]["username"]
    assert str(field.label) == "E-mail"
    assert field.field.widget.attrs["autocomplete"] == "email"
    assert '<label for="id_username">E-mail</label>' in response.content.decode()
    swedish = Client()
    swedish.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert '<label for="id_username">E-post</label>' in swedish.get(
        reverse("portal:login")
    ).content.decode("utf-8")


def test_a_shop_user_signs_in_and_lands_on_the_bookings(user_a: User) -> None:
    client = Client()

    response = client.post(reverse("portal:login"), {"username": "anna", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:bookings")
    assert client.get(reverse("portal:bookings")).status_code == 200


def test_a_wrong_password_shows_the_form_again(user_a: User) -> None:
    client = Client()

    response = client.post(reverse("portal:login"), {"username": "anna", "password": "nope"})

    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(client_a: Client) -> None:
    assert client_a.get(reverse("portal:logout")).status_code == 405

    response = client_a.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    after = client_a.get(reverse("portal:bookings"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("portal:login") + "?next=")


@pytest.mark.parametrize("page", SHOP_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(page: str) -> None:
    response = Client().get(reverse(page))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={reverse(page)}"


@pytest.mark.parametrize("page", [*SHOP_PAGES, "portal:preview"])
def test_staff_without_a_shop_get_403(page: str, shop_a: Merchant) -> None:
    staff = User.objects.create_user("staff", "staff@example.com", PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)

    response = client.get(reverse(page))

    assert response.status_code == 403
    assert b"not linked to a shop" in response.content


def test_staff_without_a_shop_get_403_for_detail_and_label(shop_a: Merchant) -> None:
    staff = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(staff)

    detail = reverse("portal:booking", kwargs={"public_id": "8d5f0c52-5a53-4c53-9d3c-5d2f2f3f9a11"})
    assert client.get(detail).status_code == 403
    assert client.get(reverse("portal:booking_label", kwargs={"label_id": 1})).status_code == 403


def test_posts_need_the_csrf_token(user_a: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("portal:login"), {"username": "anna", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- throttling -----------------------------------------------------------------------------


def test_the_attempt_after_the_limit_is_refused_even_with_the_right_password(
    user_a: User, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 3
    settings.PORTAL_LOGIN_WINDOW_SECONDS = 600
    client = Client()
    for _ in range(3):
        assert login(client, "anna", "wrong") == 200

    response = client.post(reverse("portal:login"), {"username": "anna", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert b"Too many failed sign-in attempts" in response.content
    assert b"10 minutes" in response.content
    assert "_auth_user_id" not in client.session

    # when the window has passed (the counters are gone)
    cache.clear()

    assert login(client, "anna", PASSWORD) == 302
    assert "_auth_user_id" in client.session


def test_the_username_is_throttled_from_every_address(user_a: User, settings: Settings) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 2
    for address in ("10.0.0.1", "10.0.0.2"):
        assert login(Client(), "ANNA", "wrong", address=address) == 200

    assert login(Client(), "anna", PASSWORD, address="10.0.0.3") == 429


def test_the_address_is_throttled_for_every_username(user_a: User, settings: Settings) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 2
    for username in ("guess-1", "guess-2"):
        assert login(Client(), username, "wrong", address="10.0.0.9") == 200

    assert login(Client(), "anna", PASSWORD, address="10.0.0.9") == 429
    assert login(Client(), "anna", PASSWORD, address="10.0.0.10") == 302


def test_a_successful_sign_in_clears_the_username_count(user_a: User, settings: Settings) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 3
    for address in ("10.0.0.1", "10.0.0.2"):
        assert login(Client(), "anna", "wrong", address=address) == 200
    assert login(Client(), "anna", PASSWORD, address="10.0.0.3") == 302

    for address in ("10.0.0.4", "10.0.0.5"):
        assert login(Client(), "anna", "wrong", address=address) == 200

    assert login(Client(), "anna", PASSWORD, address="10.0.0.6") == 302


# --- password reset -------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(user_a: User) -> None:
    client = Client()

    response = client.post(reverse("portal:password_reset"), {"email": "anna@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert message.subject == "Your new shop portal password"
    match = re.search(r"https?://[^/\s]+(/portal/reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match, message.body
    assert "anna" in message.body

    # the link redirects to the form (Django keeps the token in the session)
    form_url = client.get(match.group(1))["Location"]
    assert client.get(form_url).status_code == 200
    done = client.post(
        form_url,
        {"new_password1": "a-brand-new-secret-42", "new_password2": "a-brand-new-secret-42"},
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("portal:password_reset_complete")
    assert client.get(done["Location"]).status_code == 200
    assert login(Client(), "anna", "a-brand-new-secret-42") == 302
    assert login(Client(), "anna", PASSWORD) == 200
    # the link works once
    assert b"has expired or has been used" in Client().get(match.group(1), follow=True).content


def test_password_reset_says_the_same_for_unknown_addresses_and_mails_nothing(
    user_a: User,
) -> None:
    response = Client().post(reverse("portal:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_done")
    assert mail.outbox == []


def test_password_reset_is_not_for_staff_accounts(shop_a: Merchant) -> None:
    User.objects.create_user("staff", "staff@example.com", PASSWORD, is_staff=True)

    response = Client().post(reverse("portal:password_reset"), {"email": "staff@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []
