"""Finding bookings the way shops do (issue 15 item 6): by the shop's own order number, the
shopper's e-mail or phone (however it is written), a tracking number; the row links from the
order number; times, dates and the dashboard in the shop's time zone; a brand-new shop is told
what will appear instead of "No bookings match"."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from merchants.models import Merchant
from merchants.portal.selectors import phone_digits
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentStatus

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def listed(client: Client, **query: str) -> list[str]:
    response = client.get(reverse("portal:bookings"), query)
    assert response.status_code == 200
    return [row["shipment"].klarna_order_id for row in response.context["rows"]]


@pytest.fixture
def orders(shop_a: Merchant) -> dict[str, Shipment]:
    """Anna's order with the shop's reference and a tracking number; Bo's with a phone written
    the Swedish way and a second parcel's tracking number."""
    anna = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id="KO-2001",
        given_name="Anna",
        email="anna.andersson@example.se",
        phone="+46 70-111 22 33",
        merchant_reference="WEB-10042",
        tracking_number="PN111SE",
    )
    bo = ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        small_order=True,
        confirmed=True,
        order_id="KO-2002",
        given_name="Bo",
        email="bo@example.com",
        phone="0709876543",
        merchant_reference="WEB-10043",
        tracking_number="IB-1",
        tracking_numbers=["IB-1", "IB-2-SECOND"],
    )
    return {"anna": anna, "bo": bo}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("WEB-10042", ["KO-2001"]),  # the shop's own order number
        ("web-1004", ["KO-2002", "KO-2001"]),  # part of it, any case
        ("anna.andersson@example.se", ["KO-2001"]),
        ("BO@EXAMPLE.COM", ["KO-2002"]),
        ("PN111SE", ["KO-2001"]),
        ("IB-2-SECOND", ["KO-2002"]),  # a second parcel's tracking number
        ("KO-2002", ["KO-2002"]),  # Klarna's order id still works
        ("070-111 22 33", ["KO-2001"]),  # the phone, written nationally
        ("+46701112233", ["KO-2001"]),
        ("0046 70 111 22 33", ["KO-2001"]),
        ("+46 70 987 65 43", ["KO-2002"]),  # stored as 0709876543
        ("070 987 65 43", ["KO-2002"]),
        ("anna WEB-10042", ["KO-2001"]),  # every word must match
        ("anna WEB-10043", []),
    ],
)
def test_search_finds_by_what_the_shop_knows(
    client_a: Client, orders: dict[str, Shipment], query: str, found: list[str]
) -> None:
    assert listed(client_a, q=query) == found


def test_phone_digits() -> None:
    assert phone_digits("+46 70-123 45 67") == "701234567"
    assert phone_digits("0046701234567") == "701234567"
    assert phone_digits("070 123 45 67") == "701234567"
    assert phone_digits("+358 40 123 4567") == "401234567"
    assert phone_digits("+47 412 34 567") == "41234567"
    assert phone_digits("12345") == ""  # too short to be a phone
    assert phone_digits("KO-123456") == ""
    assert phone_digits("") == ""


def test_search_does_not_find_another_shops_booking(
    client_b: Client, orders: dict[str, Shipment]
) -> None:
    assert listed(client_b, q="WEB-10042") == []
    assert listed(client_b, q="070-111 22 33") == []


def test_the_row_links_from_the_order_number(
    client_a: Client, orders: dict[str, Shipment], shop_a: Merchant
) -> None:
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="KO-NOREF"
    )
    page = client_a.get(reverse("portal:bookings")).content.decode()

    anna = reverse("portal:booking", kwargs={"public_id": orders["anna"].public_id})
    assert f'<a href="{anna}" class="order-link">WEB-10042</a>' in page
    # Without the shop's reference, Klarna's order id is the link.
    assert 'class="order-link">KO-NOREF</a>' in page


def test_times_are_in_the_shops_time_zone(
    client_a: Client, shop_a: Merchant, orders: dict[str, Shipment]
) -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Stockholm.
    moment = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    Shipment.objects.filter(pk=orders["anna"].pk).update(created_at=moment)
    assert shop_a.time_zone == "Europe/Stockholm"

    response = client_a.get(reverse("portal:bookings"), {"q": "WEB-10042"})
    page = response.content.decode()
    assert "2026-02-01 00:30" in page
    assert "Europe/Stockholm" in page
    # Dates filter by the shop's days: the booking is on 1 February there.
    assert listed(client_a, created_from="2026-02-01", created_to="2026-02-01") == ["KO-2001"]
    assert listed(client_a, created_from="2026-01-31", created_to="2026-01-31") == []

    detail = client_a.get(reverse("portal:booking", kwargs={"public_id": orders["anna"].public_id}))
    assert "2026-02-01 00:30" in detail.content.decode()

    shop_a.time_zone = "Europe/Helsinki"
    shop_a.save(update_fields=["time_zone"])
    assert "2026-02-01 01:30" in client_a.get(reverse("portal:bookings")).content.decode()


def test_an_unknown_time_zone_is_refused(shop_a: Merchant) -> None:
    shop_a.time_zone = "Europe/Atlantis"
    with pytest.raises(ValidationError) as error:
        shop_a.full_clean()
    assert "time_zone" in error.value.message_dict


def test_a_new_shop_is_told_what_to_expect(client_b: Client) -> None:
    response = client_b.get(reverse("portal:bookings"))

    page = response.content.decode()
    assert response.context["shop_is_new"] is True
    assert "No bookings yet" in page
    assert reverse("portal:preview") in page
    assert "No bookings match" not in page


def test_a_shop_with_bookings_is_told_none_match(
    client_a: Client, orders: dict[str, Shipment]
) -> None:
    response = client_a.get(reverse("portal:bookings"), {"q": "nothing-like-this"})

    page = response.content.decode()
    assert response.context["shop_is_new"] is False
    assert "No bookings match" in page
    assert "No bookings yet" not in page


def test_the_dashboard_takes_a_date_range_in_the_shops_days(
    client_a: Client, shop_a: Merchant, orders: dict[str, Shipment]
) -> None:
    Shipment.objects.filter(pk=orders["anna"].pk).update(
        created_at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)  # 1 February in Stockholm
    )
    Shipment.objects.filter(pk=orders["bo"].pk).update(
        created_at=dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC), status=ShipmentStatus.BOOKED
    )

    response = client_a.get(
        reverse("portal:dashboard"), {"since": "2026-01-01", "until": "2026-02-28"}
    )

    data = response.context["data"]
    assert (data.since, data.until) == (dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert len(data.per_day) == 59
    assert data.total == 2
    counts = dict(data.per_day)
    assert counts[dt.date(2026, 2, 1)] == 1
    assert counts[dt.date(2026, 1, 31)] == 0
    page = response.content.decode()
    assert 'name="since"' in page
    assert 'value="2026-01-01"' in page
    assert "2026-01-01 to 2026-02-28 (Europe/Stockholm)" in page


def test_the_dashboard_range_is_turned_round_and_bounded(client_a: Client) -> None:
    backwards = client_a.get(
        reverse("portal:dashboard"), {"since": "2026-03-01", "until": "2026-02-01"}
    ).context["data"]
    assert (backwards.since, backwards.until) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))

    years = client_a.get(
        reverse("portal:dashboard"), {"since": "2020-01-01", "until": "2026-02-01"}
    ).context["data"]
    assert len(years.per_day) == 366

    default = client_a.get(reverse("portal:dashboard")).context["data"]
    assert len(default.per_day) == 30


def test_the_new_pages_speak_swedish(client_b: Client) -> None:
    client_b.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    bookings = client_b.get(reverse("portal:bookings")).content.decode()
    dashboard = client_b.get(reverse("portal:dashboard")).content.decode()

    assert "Inga bokningar än" in bookings
    assert "förhandsvisningen av kassan" in bookings
    assert "Exportera Excel (.xlsx)" in bookings
    assert "Ordrar skapade" in dashboard
    assert "(Europe/Stockholm)" in dashboard
    assert "Senaste 30 dagarna" in dashboard
