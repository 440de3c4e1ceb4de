"""Security review (issue 13) of the portal's sign-in: the lockout holds for every spelling of
an account's name (item 2), a deactivated shop's users neither sign in nor keep their sessions
(item 8), password-reset mails are limited per address and per account (item 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from merchants.models import Merchant, MerchantApiToken
from merchants.services import merchant_api_token_issue
from tests.factories import ShipmentFactory

from .conftest import PASSWORD, shop_user

pytestmark = pytest.mark.django_db

WRONG_PASSWORD_ERROR = b"Please enter a correct username and password"


def login(client: Client, username: str, password: str, address: str = "127.0.0.1") -> int:
    response = client.post(
        reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def full_width(text: str) -> str:
    """The look-alike of an ASCII text in full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def limits(settings: Settings) -> Settings:
    settings.PORTAL_LOGIN_ATTEMPTS = 5
    settings.PORTAL_LOGIN_WINDOW_SECONDS = 900
    return settings


# --- item 2: one lockout per account, whatever the spelling ---------------------------------


def test_a_full_width_spelling_reaches_the_account(user_a: User) -> None:
    # The attack's premise: Django's sign-in form normalises (NFKC) before authenticating.
    client = Client()

    assert login(client, full_width("anna"), PASSWORD) == 302
    assert client.session["_auth_user_id"] == str(user_a.pk)


def test_after_five_failures_the_full_width_spelling_is_refused_too(
    user_a: User, limits: Settings
) -> None:
    # given: five wrong passwords for "anna", each from its own address
    for n in range(5):
        assert login(Client(), "anna", "wrong", address=f"10.1.0.{n}") == 200

    # when: the right password under a look-alike spelling, from a fresh address
    client = Client()
    response = client.post(
        reverse("portal:login"),
        {"username": full_width("anna"), "password": PASSWORD},
        REMOTE_ADDR="10.1.1.1",
    )

    # then: refused without checking the password, nobody signed in
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_failures_under_every_spelling_add_up_on_the_account(
    user_a: User, limits: Settings
) -> None:
    spellings = ["anna", full_width("anna"), " anna ", "ANNA", full_width("Anna")]
    for n, spelling in enumerate(spellings):
        assert login(Client(), spelling, "wrong", address=f"10.2.0.{n}") == 200

    assert login(Client(), "anna", PASSWORD, address="10.2.1.1") == 429
    assert login(Client(), full_width("ANNA"), PASSWORD, address="10.2.1.2") == 429


def test_an_e_mail_user_name_is_locked_under_its_look_alikes(
    shop_a: Merchant, limits: Settings
) -> None:
    user = shop_user(shop_a, "eva@shop.example")
    spellings = [
        "eva@shop.example",
        "EVA@SHOP.EXAMPLE",
        full_width("eva@shop.example"),
        "eva\uff20shop.example",  # a full-width @ only
        "\u00a0eva@shop.example\u3000",  # spaces NFKC makes ASCII, then stripped
    ]
    for n, spelling in enumerate(spellings):
        assert login(Client(), spelling, "wrong", address=f"10.3.0.{n}") == 200

    client = Client()
    assert login(client, "eva@shop.example", PASSWORD, address="10.3.1.1") == 429
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=user.pk).last_login is None


def test_the_count_of_an_unknown_name_is_shared_by_its_spellings(
    user_a: User, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 2
    assert login(Client(), "ghost", "wrong", address="10.4.0.1") == 200
    assert login(Client(), full_width("GHOST"), "wrong", address="10.4.0.2") == 200

    assert login(Client(), "ghost", "wrong", address="10.4.0.3") == 429
    # another account is not affected
    assert login(Client(), "anna", PASSWORD, address="10.4.0.4") == 302


def test_a_success_under_a_look_alike_spelling_clears_the_account_count(
    user_a: User, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 3
    for n in range(2):
        assert login(Client(), "anna", "wrong", address=f"10.5.0.{n}") == 200
    assert login(Client(), full_width("anna"), PASSWORD, address="10.5.0.9") == 302

    for n in range(2):
        assert login(Client(), "anna", "wrong", address=f"10.5.1.{n}") == 200

    assert login(Client(), "anna", PASSWORD, address="10.5.2.1") == 302


def test_a_name_with_a_nul_byte_is_a_failed_attempt_not_an_error(
    user_a: User, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 2
    client = Client(raise_request_exception=False)

    assert login(client, "an\x00na", PASSWORD, address="10.6.0.1") == 200
    assert login(client, "an\x00na", PASSWORD, address="10.6.0.1") == 200
    assert login(client, "anna", PASSWORD, address="10.6.0.1") == 429  # the address's count
    assert "_auth_user_id" not in client.session


# --- item 8: a deactivated shop is deactivated in the portal ---------------------------------


def _deactivate(merchant: Merchant) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(is_active=False)


def test_a_user_of_a_deactivated_shop_cannot_sign_in(user_a: User, shop_a: Merchant) -> None:
    _deactivate(shop_a)
    client = Client()

    response = client.post(reverse("portal:login"), {"username": "anna", "password": PASSWORD})

    # the same answer as a wrong password: it does not tell that the password was right
    assert response.status_code == 200
    assert WRONG_PASSWORD_ERROR in response.content
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=user_a.pk).last_login is None


def test_the_failed_sign_ins_of_a_deactivated_shop_count_like_wrong_passwords(
    user_a: User, shop_a: Merchant, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ATTEMPTS = 2
    _deactivate(shop_a)
    for n in range(2):
        assert login(Client(), "anna", PASSWORD, address=f"10.7.0.{n}") == 200

    assert login(Client(), "anna", PASSWORD, address="10.7.1.1") == 429


@pytest.mark.parametrize(
    "page",
    [
        "portal:bookings",
        "portal:bookings_export",
        "portal:dashboard",
        "portal:fallback",
        "portal:preview",
        "portal:api_tokens",
    ],
)
def test_an_open_session_of_a_deactivated_shop_ends_on_its_next_request(
    page: str, client_a: Client, shop_a: Merchant
) -> None:
    assert client_a.get(reverse("portal:bookings")).status_code == 200
    _deactivate(shop_a)

    response = client_a.get(reverse(page))

    assert response.status_code == 403
    assert b"This shop's portal has been deactivated" in response.content
    assert "_auth_user_id" not in client_a.session
    after = client_a.get(reverse("portal:bookings"))
    assert after.status_code == 302
    assert after["Location"] == f"{reverse('portal:login')}?next={reverse('portal:bookings')}"


def test_a_deactivated_shop_cannot_issue_an_api_token(client_a: Client, shop_a: Merchant) -> None:
    _deactivate(shop_a)

    response = client_a.post(reverse("portal:api_tokens"), {"name": "order system"})

    assert response.status_code == 403
    assert MerchantApiToken.objects.count() == 0


def test_a_deactivated_shop_cannot_revoke_an_api_token(
    client_a: Client, shop_a: Merchant, user_a: User
) -> None:
    api_token, _secret = merchant_api_token_issue(merchant=shop_a, name="erp", actor=user_a)
    _deactivate(shop_a)

    response = client_a.post(reverse("portal:api_token_revoke", kwargs={"token_id": api_token.pk}))

    assert response.status_code == 403
    api_token.refresh_from_db()
    assert api_token.revoked_at is None
    assert api_token.revoked_by is None


def test_a_deactivated_shop_cannot_act_on_a_booking(client_a: Client, shop_a: Merchant) -> None:
    from tms_gateway.shipments.models import Shipment, ShipmentStatus

    shipment = ShipmentFactory.create(merchant=shop_a, option_id="postnord-home")
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.EXPIRED)
    events_before = shipment.events.count()
    _deactivate(shop_a)

    response = client_a.post(
        reverse("portal:booking_confirm", kwargs={"public_id": shipment.public_id})
    )

    assert response.status_code == 403
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.EXPIRED
    assert shipment.events.count() == events_before


def test_an_active_shop_is_not_affected_by_another_shops_deactivation(
    client_a: Client, client_b: Client, shop_b: Merchant
) -> None:
    _deactivate(shop_b)

    assert client_a.get(reverse("portal:bookings")).status_code == 200
    assert client_b.get(reverse("portal:bookings")).status_code == 403


def test_no_password_reset_mail_for_a_user_of_a_deactivated_shop(
    user_a: User, shop_a: Merchant
) -> None:
    _deactivate(shop_a)

    response = Client().post(reverse("portal:password_reset"), {"email": "anna@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_done")
    assert mail.outbox == []


# --- item 9: password-reset mails limited per account and per address -----------------------


@pytest.fixture
def reset_limits(settings: Settings) -> Settings:
    settings.PORTAL_PASSWORD_RESET_PER_ACCOUNT = 2
    settings.PORTAL_PASSWORD_RESET_PER_ADDRESS = 3
    settings.PORTAL_PASSWORD_RESET_WINDOW_SECONDS = 3600
    return settings


def reset(email: str, address: str) -> tuple[int, str]:
    response = Client().post(
        reverse("portal:password_reset"), {"email": email}, REMOTE_ADDR=address
    )
    return response.status_code, response["Location"]


SENT = (302, "/portal/password-reset/sent/")


def test_an_account_gets_at_most_its_reset_mails_per_window_from_any_address(
    user_a: User, reset_limits: Settings
) -> None:
    # when: four requests for one account, each from its own address and spelling
    answers = [
        reset(email, address=f"10.8.0.{n}")
        for n, email in enumerate(
            ["anna@example.com", "ANNA@example.com", "Anna@Example.com", "anna@example.com"]
        )
    ]

    # then: every answer says "sent", but only two mails went out
    assert answers == [SENT, SENT, SENT, SENT]
    assert len(mail.outbox) == 2
    assert [m.to for m in mail.outbox] == [["anna@example.com"], ["anna@example.com"]]

    # when the window has passed (the counters are gone)
    cache.clear()
    assert reset("anna@example.com", address="10.8.1.1") == SENT
    assert len(mail.outbox) == 3


def test_an_address_gets_at_most_its_reset_requests_per_window(
    shop_a: Merchant, reset_limits: Settings
) -> None:
    for name in ("u1", "u2", "u3", "u4"):
        shop_user(shop_a, name)

    answers = [reset(f"{name}@example.com", address="10.9.0.1") for name in ("u1", "u2", "u3")]
    throttled = reset("u4@example.com", address="10.9.0.1")

    assert answers == [SENT, SENT, SENT]
    assert throttled == SENT  # the same answer: it tells nothing
    assert [m.to for m in mail.outbox] == [
        ["u1@example.com"],
        ["u2@example.com"],
        ["u3@example.com"],
    ]
    # another address is not affected
    assert reset("u4@example.com", address="10.9.0.2") == SENT
    assert [m.to for m in mail.outbox][-1] == ["u4@example.com"]
    assert len(mail.outbox) == 4


def test_requests_for_unknown_addresses_use_up_the_address_count(
    user_a: User, reset_limits: Settings
) -> None:
    for n in range(3):
        assert reset(f"nobody-{n}@example.com", address="10.10.0.1") == SENT

    assert reset("anna@example.com", address="10.10.0.1") == SENT

    assert mail.outbox == []
