"""The labels of a day's bookings as one PDF: the day is the shop's (its time zone), every
stored PDF label of a booking booked that day and still booked is a page of it in booking order,
and what cannot be merged (ZPL, a label kept at the carrier's address, a broken file) is
listed instead. A day without labels says so; it never sends an empty PDF. Only the shop's own
labels."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from carriers.sandbox.core import label_pdf
from merchants.models import Merchant
from tests.carriers.labels import drawn_lines
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentLabel, ShipmentStatus

pytestmark = pytest.mark.django_db

S = ShipmentStatus
#: Noon of a fixed day in Stockholm: the same day whatever the hour the test runs at.
DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int, minute: int = 0, zone: str = "Europe/Stockholm") -> dt.datetime:
    import zoneinfo

    return dt.datetime.combine(day, dt.time(hour, minute), zoneinfo.ZoneInfo(zone))


def booked(
    merchant: Merchant, order_id: str, booked_at: dt.datetime, *, status: str = S.BOOKED
) -> Shipment:
    return ShipmentFactory.create(
        merchant=merchant,
        option_id="postnord-home" if merchant.slug != "other-shop" else "b-courier",
        confirmed=True,
        order_id=order_id,
        status=status,
        booked_at=booked_at,
    )


def label(shipment: Shipment, *, content: bytes = b"", fmt: str = "pdf", url: str = "") -> None:
    ShipmentLabel.objects.create(
        merchant=shipment.merchant, shipment=shipment, format=fmt, content=content, url=url
    )


def pdf_of(number: str) -> bytes:
    return label_pdf(
        "PostNord", number, recipient=f"Shopper {number}", address=["Gatan 1"], lines=[number]
    )


def day_labels(client: Client, day: dt.date, **query: str) -> tuple[int, bytes, str]:
    response = client.get(reverse("portal:day_labels"), {"day": day.isoformat(), **query})
    return response.status_code, response.content, response.get("Content-Type", "")


def test_the_days_pdf_labels_are_merged_in_booking_order_and_the_rest_listed(
    client_a: Client, shop_a: Merchant, shop_b: Merchant
) -> None:
    # Booked just after midnight in Stockholm: still the day before in UTC.
    first = booked(shop_a, "KO-1", at(DAY, 0, 10))
    second = booked(shop_a, "KO-2", at(DAY, 23, 50))
    zpl = booked(shop_a, "KO-3", at(DAY, 12))
    remote = booked(shop_a, "KO-4", at(DAY, 13))
    broken = booked(shop_a, "KO-5", at(DAY, 14))
    label(second, content=pdf_of("222"))
    label(first, content=pdf_of("111"))
    label(zpl, content=b"^XA^FO50,50^FDZPL^FS^XZ", fmt="zpl")
    label(remote, url="https://carrier.example/label/4.pdf")
    label(broken, content=b"%PDF-1.4 not really")
    # not of this day (in Stockholm), cancelled since, or another shop's: never in it
    label(booked(shop_a, "KO-6", at(DAY, 23, 59, zone="UTC")), content=pdf_of("666"))
    label(booked(shop_a, "KO-7", at(DAY, 12), status=S.CANCELLED), content=pdf_of("777"))
    label(booked(shop_b, "KO-8", at(DAY, 12)), content=pdf_of("888"))

    status, page, _ = day_labels(client_a, DAY)
    status_pdf, pdf, content_type = day_labels(client_a, DAY, download="1")

    assert status == 200
    html = page.decode()
    assert "2 labels of bookings booked on 2026-03-10 are in one PDF." in html
    assert "KO-3</a>: not a PDF (ZPL)" in html
    assert "KO-4</a>: kept at the carrier&#x27;s address" in html
    assert "KO-5</a>: the stored PDF cannot be read" in html
    assert "KO-6" not in html and "KO-7" not in html and "KO-8" not in html
    assert (status_pdf, content_type) == (200, "application/pdf")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    assert [p.extract_text().splitlines() for p in pages] == [
        drawn_lines(pdf_of("111")),
        drawn_lines(pdf_of("222")),
    ]


def test_a_day_without_labels_says_so_instead_of_an_empty_pdf(
    client_a: Client, shop_a: Merchant
) -> None:
    label(booked(shop_a, "KO-1", at(DAY, 12)), content=b"^XA^XZ", fmt="zpl")

    status, page, _ = day_labels(client_a, DAY)
    status_pdf, body, content_type = day_labels(client_a, DAY, download="1")

    assert status == 200
    assert "No label of a booking booked on 2026-03-10 can be printed from here." in page.decode()
    assert status_pdf == 404
    assert content_type.startswith("text/html")
    assert b"%PDF" not in body


def test_the_day_defaults_to_today_in_the_shops_time_zone(
    client_a: Client, shop_a: Merchant
) -> None:
    with timezone.override(shop_a.zone):
        today = timezone.localdate()

    response = client_a.get(reverse("portal:day_labels"))
    bookings = client_a.get(reverse("portal:bookings")).content.decode()

    assert response.status_code == 200
    assert response.context["day"] == today
    assert f'name="day" id="id_labels_day" value="{today.isoformat()}"' in bookings


def test_a_bad_day_is_a_clear_400(client_a: Client, shop_a: Merchant) -> None:
    response = client_a.get(reverse("portal:day_labels"), {"day": "2026-13-45", "download": "1"})

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_the_labels_page_needs_a_shop_user(client: Client) -> None:
    response = client.get(reverse("portal:day_labels"), {"day": DAY.isoformat()})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
