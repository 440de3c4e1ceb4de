"""The shop's own settings in the portal: its time zone (the portal's times follow it) and
the e-mails about failed bookings. Audited; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import AuditLog, Merchant
from merchants.portal.shop_settings import time_zone_choices
from tests.factories import MerchantFactory, ShipmentFactory

from .conftest import shop_user

pytestmark = pytest.mark.django_db

URL = "/portal/settings/"


@pytest.fixture
def merchant(db: None) -> Merchant:
    return MerchantFactory.create(name="Nordic Shoes", slug="nordic-shoes")


@pytest.fixture
def user(merchant: Merchant) -> User:
    return shop_user(merchant, "sara")


@pytest.fixture
def shop_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_post(client: Client, data: dict[str, Any], **extra: Any) -> Any:
    client.get(URL)
    return client.post(
        URL, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **data}, **extra
    )


def test_the_url_is_the_settings_page() -> None:
    assert reverse("portal:settings") == URL


def test_the_page_shows_the_current_settings(shop_client: Client, merchant: Merchant) -> None:
    response = shop_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert response.status_code == 200
    assert "<title>Settings · Nordic Shoes · TMS portal</title>" in page
    assert '<option value="Europe/Stockholm" selected>Europe/Stockholm</option>' in page
    assert 'name="notify_booking_failures" id="id_notify_booking_failures" checked' in page
    assert 'href="/portal/settings/" aria-current="page"' in page


def test_the_page_is_in_swedish(shop_client: Client) -> None:
    shop_client.cookies["django_language"] = "sv"
    page = shop_client.get(URL).content.decode()

    assert "<title>Inställningar · Nordic Shoes · TMS-portal</title>" in page
    assert "Tidszon" in page and "Leveranssätt" in page


def test_nordic_and_european_zones_come_first() -> None:
    groups = time_zone_choices()
    first = [name for name, _label in groups[0][1]]

    assert first[:4] == ["Europe/Stockholm", "Europe/Helsinki", "Europe/Oslo", "Europe/Copenhagen"]
    assert all(name.startswith("Europe/") for name, _label in groups[1][1])
    every = [name for _group, zones in groups for name, _label in zones]
    assert "America/New_York" in every and "UTC" in every
    assert len(every) == len(set(every))
    assert "EST5EDT" not in every and "posixrules" not in every


def test_a_zone_the_list_leaves_out_is_kept_when_other_settings_change(
    shop_client: Client, merchant: Merchant
) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(time_zone="Etc/GMT-1")
    page = shop_client.get(URL).content.decode()
    assert '<option value="Etc/GMT-1" selected>Etc/GMT-1</option>' in page

    response = csrf_post(shop_client, {"time_zone": "Etc/GMT-1"})

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert (merchant.time_zone, merchant.notify_booking_failures) == ("Etc/GMT-1", False)


def test_settings_are_saved_and_audited(
    shop_client: Client, merchant: Merchant, user: User
) -> None:
    response = csrf_post(
        shop_client,
        {"time_zone": "Europe/Helsinki", "notification_email": "lager@nordic-shoes.example"},
    )

    assert response.status_code == 302 and response["Location"] == URL
    merchant.refresh_from_db()
    assert merchant.time_zone == "Europe/Helsinki"
    assert merchant.notify_booking_failures is False  # the box was not ticked
    assert merchant.notification_email == "lager@nordic-shoes.example"
    row = AuditLog.objects.get(merchant=merchant)
    assert (row.actor, row.action, row.object_type) == (user, "update", "Merchant")
    assert row.changes == {
        "time_zone": ["Europe/Stockholm", "Europe/Helsinki"],
        "notify_booking_failures": [True, False],
        "notification_email": ["", "lager@nordic-shoes.example"],
    }


def test_saving_the_same_settings_writes_no_audit_row(
    shop_client: Client, merchant: Merchant
) -> None:
    response = csrf_post(
        shop_client, {"time_zone": "Europe/Stockholm", "notify_booking_failures": "on"}
    )

    assert response.status_code == 302
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons", "notify_booking_failures": "on"}, "time_zone"),
        ({"time_zone": "", "notify_booking_failures": "on"}, "time_zone"),
        ({"time_zone": "EST5EDT", "notify_booking_failures": "on"}, "time_zone"),
        (
            {"time_zone": "Europe/Oslo", "notification_email": "not an address"},
            "notification_email",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(
    shop_client: Client, merchant: Merchant, data: dict[str, str], field: str
) -> None:
    response = csrf_post(shop_client, data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    merchant.refresh_from_db()
    assert (merchant.time_zone, merchant.notify_booking_failures) == ("Europe/Stockholm", True)
    assert merchant.notification_email == ""
    assert not AuditLog.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(shop_client: Client, merchant: Merchant) -> None:
    response = shop_client.post(URL, {"time_zone": "Europe/Helsinki"})

    assert response.status_code == 403
    merchant.refresh_from_db()
    assert merchant.time_zone == "Europe/Stockholm"


def test_only_the_signed_in_users_shop_changes(shop_client: Client, merchant: Merchant) -> None:
    other = MerchantFactory.create(slug="other", time_zone="Europe/Stockholm")

    csrf_post(shop_client, {"time_zone": "Europe/Helsinki", "merchant": str(other.pk)})

    other.refresh_from_db()
    assert other.time_zone == "Europe/Stockholm"
    assert not AuditLog.objects.filter(merchant=other).exists()


def test_the_portal_shows_times_in_the_new_zone(shop_a: Merchant, client_a: Client) -> None:
    # A booking made two days ago at 12:00 UTC: an hour later in Helsinki than in Stockholm.
    Merchant.objects.filter(pk=shop_a.pk).update(time_zone="Europe/Stockholm")
    shipment = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-service-point", order_id="KL-77", confirmed=True
    )
    at = (timezone.now() - dt.timedelta(days=2)).replace(hour=12, minute=0, second=0)
    type(shipment).objects.filter(pk=shipment.pk).update(created_at=at)
    stockholm = f"{at.astimezone(zoneinfo.ZoneInfo('Europe/Stockholm')):%Y-%m-%d %H:%M}"
    helsinki = f"{at.astimezone(zoneinfo.ZoneInfo('Europe/Helsinki')):%Y-%m-%d %H:%M}"
    bookings = reverse("portal:bookings")
    assert stockholm in client_a.get(bookings).content.decode()

    response = csrf_post(
        client_a, {"time_zone": "Europe/Helsinki", "notify_booking_failures": "on"}
    )

    assert response.status_code == 302
    page = client_a.get(bookings).content.decode()
    assert helsinki in page and stockholm not in page
