"""The dashboard's numbers and charts, the fallback block, the checkout preview."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import ShipmentStatus

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def test_dashboard_counts_orders_per_day_carrier_and_option(
    shop_a: Merchant, client_a: Client
) -> None:
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="D-1"
    )
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id="D-2",
        created_at=days_ago(3),
    )
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-service-point",
        confirmed=True,
        order_id="D-3",
        created_at=days_ago(3),
    )
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        confirmed=True,
        order_id="D-4",
        status=ShipmentStatus.FAILED,
        booking_error="Locker full",
    )
    ShipmentFactory.create(
        merchant=shop_a, option_id="instabox-locker", order_id="D-5"
    )  # not an order
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="store-pickup",
        confirmed=True,
        order_id="D-6",
        created_at=days_ago(45),
    )  # too old
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        confirmed=True,
        order_id="D-7",
        status=ShipmentStatus.FAILED,
        booking_error="Old failure",
        created_at=days_ago(60),
    )

    response = client_a.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    data = response.context["data"]
    assert data.total == 4
    assert len(data.per_day) == 30
    per_day = dict(data.per_day)
    zone = ZoneInfo(shop_a.time_zone)  # the dashboard counts days in the shop's time zone

    def local_day(moment: dt.datetime) -> dt.date:
        return moment.astimezone(zone).date()

    assert per_day[local_day(timezone.now())] == 2  # D-1 and D-4, made just now
    assert per_day[local_day(days_ago(3))] == 2
    assert sum(per_day.values()) == 4
    assert data.per_carrier == [("postnord", 3), ("instabox", 1)]
    assert data.per_option == [
        ("postnord-home", 2),
        ("instabox-locker", 1),
        ("postnord-service-point", 1),
    ]
    assert response.context["options"][0] == (
        "Home delivery with PostNord",
        "postnord-home",
        2,
        "50 %",
    )
    assert data.failed_total == 2
    assert [s.klarna_order_id for s in data.failed] == ["D-4", "D-7"]
    html = response.content.decode()
    assert html.count("<svg") == 3
    assert "<rect" in html
    assert "Locker full" in html and "Old failure" in html
    assert '<td>PostNord</td><td class="number">3</td><td class="number">75 %</td>' in html


def test_dashboard_without_bookings(shop_a: Merchant, client_a: Client) -> None:
    response = client_a.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    assert response.context["data"].total == 0
    assert "No failed bookings." in response.content.decode()


def block(client: Client, **query: str) -> dict:
    """The block as the page shows it, to be copied."""
    response = client.get(reverse("portal:fallback"), query)
    assert response.status_code == 200
    assert response.context["fallback_json"], response.context["form"].errors
    shown = re.search(r'<pre id="fallback-block">(.*?)</pre>', response.content.decode(), re.S)
    assert shown
    return json.loads(html.unescape(shown.group(1)))


def test_the_fallback_block_is_klarna_checkout_shipping_options(client_a: Client) -> None:
    data = block(client_a, country="SE", currency="SEK", locale="sv-SE")

    options = data["shipping_options"]
    ids = [o["id"] for o in options]
    assert "store-pickup" in ids and "postnord-service-point" in ids
    assert "bring-pickup-point" not in ids  # Norway only
    assert "courier-international" not in ids  # outside the Nordics
    assert sum(o["preselected"] for o in options) == 1
    assert next(o for o in options if o["preselected"])["id"] == "postnord-service-point"
    point = next(o for o in options if o["id"] == "postnord-service-point")
    assert point == {
        "id": "postnord-service-point",
        "name": "PostNord ombud",
        "description": "Hämta paketet hos ett ombud nära dig.",
        "price": 4900,
        "tax_amount": 980,
        "tax_rate": 2500,
        "preselected": True,
        "shipping_method": "PickUpPoint",
    }
    methods = {o["id"]: o["shipping_method"] for o in options}
    assert methods["postnord-home"] == "Home"
    assert methods["instabox-locker"] == "BoxReg"
    assert methods["store-pickup"] == "PickUpStore"
    assert methods["postnord-letter"] == "Postal"


def test_the_fallback_block_of_another_market(client_a: Client) -> None:
    options = block(client_a, country="no", currency="NOK", locale="en-gb")["shipping_options"]

    ids = [o["id"] for o in options]
    assert "bring-pickup-point" in ids
    assert "store-pickup" not in ids and "budbee-box" not in ids
    assert next(o for o in options if o["id"] == "bring-pickup-point")["name"] == (
        "Bring pickup point"
    )
    assert sum(o["preselected"] for o in options) == 1


def test_the_fallback_page_names_postal_code_limited_options(client_a: Client) -> None:
    response = client_a.get(
        reverse("portal:fallback"), {"country": "SE", "currency": "SEK", "locale": "en-GB"}
    )

    assert response.context["postal_code_limited"] == ["Same-evening express courier (Stockholm)"]
    assert 'id="copy-block"' in response.content.decode()


def test_the_fallback_form_refuses_bad_input(client_a: Client) -> None:
    response = client_a.get(
        reverse("portal:fallback"), {"country": "Sweden", "currency": "XXX", "locale": "?"}
    )

    assert response.context["fallback_json"] is None
    assert set(response.context["form"].errors) == {"country", "currency", "locale"}


def test_the_fallback_page_starts_with_the_shops_market(client_a: Client) -> None:
    response = client_a.get(reverse("portal:fallback"))

    assert response.context["fallback_json"] is None
    assert response.context["form"].initial == {
        "country": "SE",
        "currency": "SEK",
        "locale": "sv-SE",
    }


def test_the_preview_shows_what_a_checkout_would_offer(client_a: Client) -> None:
    assert client_a.get(reverse("portal:preview")).status_code == 200

    response = client_a.post(
        reverse("portal:preview"), {"country": "SE", "postal_code": "11151", "city": "Stockholm"}
    )

    assert response.status_code == 200
    assert response.context["ran"] is True
    ids = [o["id"] for o in response.context["options"]]
    assert "postnord-service-point" in ids
    assert "bring-pickup-point" in [n["id"] for n in response.context["not_offered"]]
    assert "merchants/preview.js" in response.content.decode()


def test_the_fallback_block_of_a_market_without_options_is_empty(client_a: Client) -> None:
    response = client_a.get(
        reverse("portal:fallback"), {"country": "US", "currency": "SEK", "locale": "en-US"}
    )

    assert json.loads(response.context["fallback_json"]) == {"shipping_options": []}
    assert "No option is offered there" in response.content.decode()
