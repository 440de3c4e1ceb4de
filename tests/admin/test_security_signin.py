"""Security review (issue 13) of the staff admin: its sign-in is throttled like the portal's,
counted apart from it (item 3), and a NUL byte in an admin address is a 400, not a 500 from
PostgreSQL (item 4, admin part)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings

from merchants.models import Merchant
from tests.portal.conftest import shop_user

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def admin_login(client: Client, username: str, password: str, address: str = "127.0.0.1") -> int:
    response = client.post(
        f"{LOGIN}?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )
    return response.status_code


def portal_login(client: Client, username: str, password: str, address: str) -> int:
    response = client.post(
        "/portal/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def limits(settings: Settings) -> Settings:
    settings.ADMIN_LOGIN_ATTEMPTS = 5
    settings.ADMIN_LOGIN_WINDOW_SECONDS = 900
    settings.PORTAL_LOGIN_ATTEMPTS = 5
    settings.PORTAL_LOGIN_WINDOW_SECONDS = 900
    return settings


# --- item 3: the admin's sign-in lockout ----------------------------------------------------


def test_the_admin_sign_in_page_and_a_sign_in_still_work(superuser: User, limits: Settings) -> None:
    client = Client()

    page = client.get(LOGIN)
    signed_in = admin_login(client, "root", PASSWORD)

    assert page.status_code == 200
    assert b'name="username"' in page.content
    assert signed_in == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)
    assert client.get("/admin/").status_code == 200
    assert client.get(LOGIN).status_code == 302  # signed in: on to the index


def test_thirty_wrong_passwords_then_the_right_one_is_refused(
    superuser: User, limits: Settings
) -> None:
    client = Client()

    # when: thirty wrong passwords (the sixth on is refused unchecked), then the right one
    answers = [admin_login(client, "root", f"guess-{n}") for n in range(30)]
    response = client.post(LOGIN, {"username": "root", "password": PASSWORD})

    # then
    assert answers == [200] * 5 + [429] * 25
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "Try again in 15 minutes." in page
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=superuser.pk).last_login is None
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"

    # when the window has passed (the counters are gone)
    cache.clear()
    assert admin_login(client, "root", PASSWORD) == 302


def test_the_admin_account_is_locked_under_every_spelling_of_its_name(
    superuser: User, limits: Settings
) -> None:
    spellings = ["root", "ROOT", full_width("root"), " root", full_width("Root")]
    for n, spelling in enumerate(spellings):
        assert admin_login(Client(), spelling, "wrong", address=f"10.20.0.{n}") == 200

    client = Client()
    assert admin_login(client, full_width("root"), PASSWORD, address="10.20.1.1") == 429
    assert admin_login(client, "root", PASSWORD, address="10.20.1.2") == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_address_is_throttled_for_every_account(
    superuser: User, limits: Settings
) -> None:
    for n in range(5):
        assert admin_login(Client(), f"staff-guess-{n}", "wrong", address="10.21.0.1") == 200

    assert admin_login(Client(), "root", PASSWORD, address="10.21.0.1") == 429
    assert admin_login(Client(), "root", PASSWORD, address="10.21.0.2") == 302


def test_a_successful_admin_sign_in_clears_the_account_count(
    superuser: User, limits: Settings
) -> None:
    for n in range(4):
        assert admin_login(Client(), "root", "wrong", address=f"10.22.0.{n}") == 200
    assert admin_login(Client(), "root", PASSWORD, address="10.22.0.9") == 302

    for n in range(4):
        assert admin_login(Client(), "root", "wrong", address=f"10.22.1.{n}") == 200

    assert admin_login(Client(), "root", PASSWORD, address="10.22.2.1") == 302


def test_a_non_staff_account_in_the_admin_is_a_failed_attempt(
    superuser: User, limits: Settings
) -> None:
    User.objects.create_user("shopper", "shopper@example.com", PASSWORD)
    for n in range(5):
        assert admin_login(Client(), "shopper", PASSWORD, address=f"10.23.0.{n}") == 200

    assert admin_login(Client(), "shopper", PASSWORD, address="10.23.1.1") == 429


def test_portal_failures_do_not_lock_the_admin(superuser: User, limits: Settings) -> None:
    for n in range(5):
        assert portal_login(Client(), "root", "wrong", address=f"10.24.0.{n}") == 200
    assert portal_login(Client(), "root", PASSWORD, address="10.24.0.9") == 429

    assert admin_login(Client(), "root", PASSWORD, address="10.24.0.9") == 302


def test_admin_failures_do_not_lock_the_portal(superuser: User, limits: Settings, db: None) -> None:
    from merchants.demo import demo_merchant_seed

    shop = demo_merchant_seed(identifier="demo", key="demo-key")
    shop_user(shop, "anna")
    for n in range(5):
        assert admin_login(Client(), "anna", "wrong", address=f"10.25.0.{n}") == 200
    assert admin_login(Client(), "anna", "wrong", address="10.25.0.9") == 429

    assert portal_login(Client(), "anna", "correct horse battery staple", "10.25.0.9") == 302


def test_the_admin_limits_are_its_own_settings(superuser: User, settings: Settings) -> None:
    settings.ADMIN_LOGIN_ATTEMPTS = 2
    settings.ADMIN_LOGIN_WINDOW_SECONDS = 120
    settings.PORTAL_LOGIN_ATTEMPTS = 50
    for n in range(2):
        assert admin_login(Client(), "root", "wrong", address=f"10.26.0.{n}") == 200

    response = Client().post(LOGIN, {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "120"
    assert "Try again in 2 minutes." in response.content.decode()


# --- item 4 (admin): a NUL byte in an admin address is 400 -----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/shipments/shipment/?status=%00",
        "/admin/shipments/shipment/?status__exact=%00",
        "/admin/shipments/shipment/?q=%00",
        "/admin/shipments/shipment/?q=a%00b",
        "/admin/merchants/merchant/?q=%00",
        "/admin/merchants/merchant/?slug=%00",
        "/admin/merchants/auditlog/?action__exact=%00",
        "/admin/merchants/deliveryoption/?kind__exact=%00",
        "/admin/shipments/shipment/?%00=1",
        "/admin/merchants/merchant/%00/change/",
    ],
)
def test_a_nul_byte_in_an_admin_address_is_400_not_500(
    url: str, superuser: User, demo_shop: Merchant, settings: Settings
) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(superuser)

    response = client.get(url)

    assert response.status_code == 400
    assert response.content == b"Bad request: the address holds a NUL byte."


@pytest.mark.parametrize(
    "url",
    [
        "/admin/shipments/shipment/?status=reserved",
        "/admin/shipments/shipment/?q=Lindqvist",
        "/admin/merchants/merchant/?q=Demo",
        "/admin/merchants/auditlog/?action__exact=update",
    ],
)
def test_ordinary_admin_filters_are_unaffected(
    url: str, superuser: User, demo_shop: Merchant, settings: Settings
) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(superuser)

    assert client.get(url).status_code == 200


def test_a_nul_byte_in_the_sign_in_pages_next_is_harmless(settings: Settings) -> None:
    # The sign-in page runs no query with its parameters: it answers as for any unsafe next.
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    assert client.get("/admin/login/?next=%00").status_code == 200


@pytest.fixture
def demo_shop(db: None) -> Merchant:
    from merchants.demo import demo_merchant_seed

    return demo_merchant_seed(identifier="demo", key="demo-key")
