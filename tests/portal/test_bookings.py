"""The bookings list, its CSV export, the detail page and label downloads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tms_gateway.checkout.types import AddonSelection
from tms_gateway.shipments.models import (
    Shipment,
    ShipmentEvent,
    ShipmentLabel,
    ShipmentStatus,
    ShipmentTrackingEvent,
)

from .conftest import days_ago

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def listed(client: Client, **query: str) -> list[str]:
    """The Klarna order ids of the bookings page, in order."""
    response = client.get(reverse("portal:bookings"), query)
    assert response.status_code == 200
    return [row["shipment"].klarna_order_id for row in response.context["rows"]]


def exported(client: Client, **query: str) -> list[dict[str, str]]:
    response = client.get(reverse("portal:bookings_export"), query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def bookings(shop_a: Merchant) -> dict[str, Shipment]:
    """Shop A: a booked home delivery, a failed pickup-point booking, a confirmed locker, a
    reservation never confirmed, an old booked store pickup."""
    return {
        "home": ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-home",
            small_order=True,
            confirmed=True,
            order_id="KO-1001",
            given_name="Anna",
            family_name="Andersson",
            status=ShipmentStatus.BOOKED,
            tracking_number="PN123456789SE",
        ),
        "point": ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-service-point",
            small_order=True,
            confirmed=True,
            order_id="KO-1002",
            given_name="Bo",
            family_name="Berg",
            status=ShipmentStatus.FAILED,
            booking_error="Invalid service point",
        ),
        "locker": ShipmentFactory.create(
            merchant=shop_a,
            option_id="instabox-locker",
            small_order=True,
            confirmed=True,
            order_id="KO-1003",
            given_name="Cilla",
            family_name="Ek",
        ),
        "reserved": ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-home",
            small_order=True,
            order_id="KO-1004",
            given_name="Dan",
        ),
        "store": ShipmentFactory.create(
            merchant=shop_a,
            option_id="store-pickup",
            small_order=True,
            confirmed=True,
            order_id="KO-1005",
            given_name="Eva",
            family_name="Falk",
            status=ShipmentStatus.BOOKED,
            created_at=days_ago(40),
        ),
    }


def test_the_list_shows_orders_newest_first_and_leaves_out_unconfirmed_checkouts(
    client_a: Client, bookings: dict[str, Shipment]
) -> None:
    response = client_a.get(reverse("portal:bookings"))

    assert [r["shipment"].klarna_order_id for r in response.context["rows"]] == [
        "KO-1003",
        "KO-1002",
        "KO-1001",
        "KO-1005",
    ]
    html = response.content.decode()
    assert "Anna Andersson" in html
    # the option in the portal's language (the shopper saw it in Swedish)
    assert "Home delivery with PostNord" in html
    assert "Hemleverans med PostNord" not in html
    assert "PN123456789SE" in html
    assert "Booked" in html and "Failed" in html
    assert "4 bookings" in html


def test_status_all_and_one_status(client_a: Client, bookings: dict[str, Shipment]) -> None:
    assert "KO-1004" in listed(client_a, status="all")
    assert listed(client_a, status="reserved") == ["KO-1004"]
    assert listed(client_a, status="booked") == ["KO-1001", "KO-1005"]
    assert listed(client_a, status="failed") == ["KO-1002"]


def test_search_by_order_id_tracking_number_and_recipient(
    client_a: Client, bookings: dict[str, Shipment]
) -> None:
    assert listed(client_a, q="KO-1002") == ["KO-1002"]
    assert listed(client_a, q="pn1234") == ["KO-1001"]
    assert listed(client_a, q="cilla") == ["KO-1003"]
    assert listed(client_a, q="Bo Berg") == ["KO-1002"]
    assert listed(client_a, q="Bo Andersson") == []


def test_filters_by_carrier_option_and_date(
    client_a: Client, bookings: dict[str, Shipment]
) -> None:
    assert listed(client_a, carrier="instabox") == ["KO-1003"]
    assert listed(client_a, carrier="generic") == ["KO-1005"]
    assert listed(client_a, option="postnord-service-point") == ["KO-1002"]
    today = timezone.now().date()
    assert listed(client_a, created_from=today.isoformat()) == ["KO-1003", "KO-1002", "KO-1001"]
    forty = days_ago(40).date().isoformat()
    assert listed(client_a, created_from=forty, created_to=forty) == ["KO-1005"]
    assert listed(client_a, carrier="postnord", status="booked") == ["KO-1001"]


def test_an_invalid_filter_value_shows_an_error_and_filters_nothing(
    client_a: Client, bookings: dict[str, Shipment]
) -> None:
    response = client_a.get(reverse("portal:bookings"), {"created_from": "yesterday"})

    assert response.status_code == 200
    assert response.context["form"].errors["created_from"]
    assert len(response.context["rows"]) == 4


def test_pagination_25_per_page_keeps_the_filters(shop_a: Merchant, client_a: Client) -> None:
    for n in range(27):
        ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-service-point",
            small_order=True,
            confirmed=True,
            order_id=f"P-{n:02d}",
        )
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        small_order=True,
        confirmed=True,
        order_id="OTHER",
    )

    first = client_a.get(reverse("portal:bookings"), {"option": "postnord-service-point"})
    second = client_a.get(
        reverse("portal:bookings"), {"option": "postnord-service-point", "page": "2"}
    )

    assert len(first.context["rows"]) == 25
    assert [r["shipment"].klarna_order_id for r in second.context["rows"]] == ["P-01", "P-00"]
    assert "?option=postnord-service-point&amp;page=2" in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()
    assert client_a.get(reverse("portal:bookings"), {"page": "99"}).status_code == 200


def test_csv_export_has_a_header_and_every_page_of_the_filtered_list(
    shop_a: Merchant, client_a: Client, bookings: dict[str, Shipment]
) -> None:
    for n in range(26):
        ShipmentFactory.create(
            merchant=shop_a,
            option_id="instabox-locker",
            small_order=True,
            confirmed=True,
            order_id=f"L-{n:02d}",
        )

    response = client_a.get(reverse("portal:bookings_export"), {"carrier": "instabox"})

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="bookings-demo-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    rows = exported(client_a, carrier="instabox")
    assert len(rows) == 27
    assert {r["carrier"] for r in rows} == {"instabox"}


def test_csv_export_content(client_a: Client, bookings: dict[str, Shipment]) -> None:
    rows = exported(client_a, q="KO-1001")

    home = bookings["home"]
    shop_zone = home.merchant.zone
    assert rows == [
        {
            "created_at": home.created_at.isoformat(timespec="seconds"),
            "shipment_id": str(home.public_id),
            "klarna_order_id": "KO-1001",
            "status": "booked",
            "recipient": "Anna Andersson",
            "postal_code": "11151",
            "city": "Stockholm",
            "country": "SE",
            "option_id": "postnord-home",
            "option_name": home.selection["name"],
            "carrier": "postnord",
            "carrier_product": "17",
            "price": "69.00",
            "currency": "SEK",
            "tracking_number": "PN123456789SE",
            "tracking_url": "",
            "confirmed_by": "klarna",
            "merchant_reference": "",
            # Then (exports.py) the shop's local time and the recipient's address and contact.
            "created_local": timezone.localtime(home.created_at, shop_zone).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "care_of": "",
            "street_address": "Drottninggatan 53",
            "street_address2": "",
            "email": "test@example.com",
            "phone": "'+46701234567",  # a leading "+" is neutralised like a formula
            "tracking_numbers": "",
        }
    ]


def test_csv_export_follows_the_default_and_status_filters(
    client_a: Client, bookings: dict[str, Shipment]
) -> None:
    assert [r["klarna_order_id"] for r in exported(client_a)] == [
        "KO-1003",
        "KO-1002",
        "KO-1001",
        "KO-1005",
    ]
    assert [r["klarna_order_id"] for r in exported(client_a, status="reserved")] == ["KO-1004"]


def test_csv_export_neutralises_formulas(shop_a: Merchant, client_a: Client) -> None:
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        small_order=True,
        confirmed=True,
        order_id="F-1",
        given_name="=HYPERLINK(1)",
    )

    assert exported(client_a)[0]["recipient"] == "'=HYPERLINK(1) Person"


def test_detail_shows_the_choice_history_tracking_and_labels(
    shop_a: Merchant, client_a: Client
) -> None:
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id="KO-2001",
        given_name="Anna",
        family_name="Andersson",
        addons=(AddonSelection(id="door-code", text="4711"),),
        status=ShipmentStatus.BOOKED,
        tracking_number="PN999SE",
        tracking_url="https://tracking.example/PN999SE",
    )
    ShipmentEvent.objects.create(
        merchant=shop_a,
        shipment=shipment,
        at=timezone.now(),
        from_status="booking",
        to_status="booked",
        actor="system",
        reason="booked with postnord",
    )
    ShipmentTrackingEvent.objects.create(
        merchant=shop_a,
        shipment=shipment,
        at=timezone.now(),
        status="in_transit",
        description="The parcel is on its way",
        location="Stockholm terminal",
    )
    label = ShipmentLabel.objects.create(merchant=shop_a, shipment=shipment, content=PDF)

    response = client_a.get(reverse("portal:booking", kwargs={"public_id": shipment.public_id}))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Home delivery with PostNord" in html
    assert "The shopper saw: Hemleverans med PostNord" in html
    assert "Door code" in html and "4711" in html  # the add-on's name and the shopper's input
    assert "69,00 SEK" in html or "69.00 SEK" in html
    assert "Reserved → Confirmed" in html
    assert "Booking → Booked" in html
    assert "purchase completed" in html and "klarna" in html
    assert "The parcel is on its way" in html and "Stockholm terminal" in html
    assert 'href="https://tracking.example/PN999SE"' in html
    assert reverse("portal:booking_label", kwargs={"label_id": label.pk}) in html
    assert "Drottninggatan 53" in html


def test_detail_shows_the_pickup_point_and_the_time_slot(
    shop_a: Merchant, client_a: Client
) -> None:
    point = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-service-point",
        small_order=True,
        confirmed=True,
        order_id="KO-3001",
    )
    slot = ShipmentFactory.create(
        merchant=shop_a,
        option_id="budbee-home",
        small_order=True,
        confirmed=True,
        order_id="KO-3002",
    )

    point_html = client_a.get(
        reverse("portal:booking", kwargs={"public_id": point.public_id})
    ).content.decode()
    slot_html = client_a.get(
        reverse("portal:booking", kwargs={"public_id": slot.public_id})
    ).content.decode()

    location = point.selection["location"]
    assert location["name"] in point_html
    assert location["address"]["street_address"] in point_html
    assert location["id"] in point_html
    start = slot.selection["timeslot"]["start"]  # e.g. 2026-11-30T17:00:00+01:00
    end = slot.selection["timeslot"]["end"]
    # in the shopper's own time, with its offset
    assert f"{start[:10]} {start[11:16]}-{end[11:16]} ({start[19:]})" in slot_html


def test_label_download_serves_the_pdf(shop_a: Merchant, client_a: Client) -> None:
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        status=ShipmentStatus.BOOKED,
    )
    label = ShipmentLabel.objects.create(merchant=shop_a, shipment=shipment, content=PDF)

    response = client_a.get(reverse("portal:booking_label", kwargs={"label_id": label.pk}))

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="label-{shipment.public_id}-{label.pk}.pdf"'
    )


def test_a_label_kept_at_the_carrier_redirects_to_it(shop_a: Merchant, client_a: Client) -> None:
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        status=ShipmentStatus.BOOKED,
    )
    label = ShipmentLabel.objects.create(
        merchant=shop_a, shipment=shipment, url="https://labels.example/1.pdf"
    )

    response = client_a.get(reverse("portal:booking_label", kwargs={"label_id": label.pk}))

    assert response.status_code == 302
    assert response["Location"] == "https://labels.example/1.pdf"


def test_unknown_booking_and_label_are_404(shop_a: Merchant, client_a: Client) -> None:
    missing = "8d5f0c52-5a53-4c53-9d3c-5d2f2f3f9a11"
    assert client_a.get(reverse("portal:booking", kwargs={"public_id": missing})).status_code == 404
    assert (
        client_a.get(reverse("portal:booking_label", kwargs={"label_id": 999})).status_code == 404
    )


def test_detail_times_are_the_shops_and_say_so(shop_a: Merchant, client_a: Client) -> None:
    """The page renders times in the shop's zone; its headings name that zone, not UTC."""
    import datetime as dt

    shop_a.time_zone = "Europe/Helsinki"
    shop_a.save(update_fields=["time_zone"])
    shipment = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", status=ShipmentStatus.BOOKED
    )
    ShipmentEvent.objects.create(
        merchant=shop_a,
        shipment=shipment,
        at=dt.datetime(2026, 1, 15, 10, 30, tzinfo=dt.UTC),
        from_status="booking",
        to_status="booked",
        actor="system",
        reason="booked with postnord",
    )

    html = client_a.get(
        reverse("portal:booking", kwargs={"public_id": shipment.public_id})
    ).content.decode()

    assert "2026-01-15 12:30" in html  # 10:30 UTC is 12:30 in Helsinki in winter
    assert "(UTC)" not in html
    assert "(Europe/Helsinki)" in html
