"""English by default; Swedish through the language switch, its cookie or the browser."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(shop_a: Merchant) -> Shipment:
    return ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id="SV-1",
        status=ShipmentStatus.BOOKED,
    )


def test_english_by_default(client_a: Client, booked: Shipment) -> None:
    html = client_a.get(reverse("portal:bookings")).content.decode()

    assert '<html lang="en">' in html
    assert "Bookings" in html and "Tracking number" in html and "Booked" in html


def test_the_language_switch_sets_swedish(client_a: Client, booked: Shipment) -> None:
    response = client_a.post(
        reverse("portal:set_language"), {"language": "sv", "next": reverse("portal:bookings")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:bookings")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    html = client_a.get(reverse("portal:bookings")).content.decode()
    assert '<html lang="sv">' in html
    assert "Bokningar" in html and "Spårningsnummer" in html and "Bokad" in html
    assert "Tracking number" not in html


def test_every_page_in_swedish(client_a: Client, booked: Shipment) -> None:
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    pages = {
        reverse("portal:dashboard"): "Bokningar per dag",
        reverse("portal:fallback"): "Reservalternativ",
        reverse("portal:preview"): "Förhandsgranskning av kassan",
        reverse("portal:booking", kwargs={"public_id": booked.public_id}): "Statushistorik",
    }
    for url, text in pages.items():
        assert text in client_a.get(url).content.decode(), url


def test_sign_in_pages_in_swedish_from_the_browser_language() -> None:
    client = Client(headers={"accept-language": "sv-SE,sv;q=0.9"})

    assert "Logga in" in client.get(reverse("portal:login")).content.decode()
    assert (
        "Återställ ditt lösenord" in client.get(reverse("portal:password_reset")).content.decode()
    )


def test_swedish_money_and_status_on_the_detail(client_a: Client, booked: Shipment) -> None:
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    html = client_a.get(reverse("portal:booking", kwargs={"public_id": booked.public_id})).content
    text = html.decode()

    assert "69,00 SEK" in text
    assert "Reserverad → Bekräftad" in text


def test_charts_keep_svg_numbers_in_swedish(shop_a: Merchant, client_a: Client) -> None:
    for n in range(3):
        ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-home",
            small_order=True,
            confirmed=True,
            order_id=f"C-{n}",
        )
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        small_order=True,
        confirmed=True,
        order_id="C-9",
    )
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    html = client_a.get(reverse("portal:dashboard")).content.decode()

    assert html.count("<svg") == 3
    numbers = re.findall(r'\b(?:x|y|width|height|viewBox)="([^"]*)"', html)
    assert numbers
    assert all(re.fullmatch(r"[-0-9. ]+", value) for value in numbers), numbers


def test_the_language_switch_names_each_language_in_itself(client_a: Client) -> None:
    for language in ("en", "sv"):
        client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client_a.get(reverse("portal:bookings")).content.decode()
        assert 'lang="en">English</button>' in html
        assert 'lang="sv">Svenska</button>' in html


def test_money_uses_the_currencys_own_decimals() -> None:
    from django.utils import translation

    from merchants.portal.labels import money

    with translation.override("en"):
        assert money(4900, "SEK") == "49.00 SEK"
        assert money(1500, "ISK") == "1500 ISK"  # the króna has no minor unit
        assert money(None, "SEK") == ""
