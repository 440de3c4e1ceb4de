"""Issue 15 item 12: every portal page starts with a skip link to its main element, and its
<title> names the page and the gateway, in the shop's language."""

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

FOCUSABLE = re.compile(r"<(a\s[^>]*href|button|input(?![^>]*type=\"hidden\")|select|textarea)\b")


@pytest.fixture
def booked(shop_a: Merchant) -> Shipment:
    return ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id="A11Y-1",
        status=ShipmentStatus.BOOKED,
    )


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def _pages(booked: Shipment) -> dict[str, str]:
    return {
        reverse("portal:bookings"): "Bookings",
        reverse("portal:booking", kwargs={"public_id": booked.public_id}): "Booking",
        reverse("portal:dashboard"): "Dashboard",
        reverse("portal:fallback"): "Fallback options",
        reverse("portal:preview"): "Checkout preview",
        reverse("portal:api_tokens"): "API tokens",
    }


def test_the_skip_link_is_the_first_focusable_element_and_targets_main(
    client_a: Client, booked: Shipment
) -> None:
    for url in [*_pages(booked), reverse("portal:login")]:
        client = client_a if url != reverse("portal:login") else Client()
        html = client.get(url).content.decode()
        body = html.split("<body", 1)[1]
        first = FOCUSABLE.search(body)
        assert first, url
        assert body[first.start() :].startswith('<a class="skip-link" href="#main">'), url
        assert '<main id="main" tabindex="-1">' in html, url


def test_every_title_names_the_page_and_the_gateway(client_a: Client, booked: Shipment) -> None:
    for url, name in _pages(booked).items():
        title = _title(client_a.get(url).content.decode())
        assert title.startswith(name), (url, title)
        assert title.endswith(" · TMS portal"), (url, title)
    assert _title(Client().get(reverse("portal:login")).content.decode()) == (
        "Sign in · TMS portal"
    )


def test_titles_and_skip_link_in_swedish(client_a: Client, booked: Shipment) -> None:
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    html = client_a.get(reverse("portal:bookings")).content.decode()
    assert _title(html).startswith("Bokningar · ")
    assert _title(html).endswith(" · TMS-portal")
    assert ">Hoppa till innehållet</a>" in html
