"""Exports for Nordic Excel (issue 15 item 7): the CSV uses ";" and a decimal comma for a
Swedish, Norwegian, Danish or Finnish user, "," and a dot for anyone else, with a byte order
mark; the .xlsx keeps tracking numbers, postal codes and phones as text, has the shop's local
time as a date and the address and contact columns; both only for the shop's own members and
only with the shop's own bookings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from merchants.models import Merchant
from merchants.portal import exports
from merchants.portal.exports import HEADER, uses_semicolons
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentStatus


def csv_body(response: object) -> str:
    raw = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert raw.startswith("\ufeff".encode())  # Excel reads å, ä and ö
    return raw.decode("utf-8-sig")


@pytest.fixture
def order(shop_a: Merchant) -> Shipment:
    """A Norwegian order booked late on the last day of January (UTC), 1 February locally."""
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id="KO-3001",
        given_name="Åsa",
        family_name="Øberg",
        email="asa@example.no",
        phone="+47 412 34 567",
        country="NO",
        postal_code="0150",
        city="Oslo",
        street_address="Karl Johans gate 1",
        merchant_reference="WEB-7",
        status=ShipmentStatus.BOOKED,
        tracking_number="00370712345678901234",
        tracking_numbers=["00370712345678901234", "00370712345678901241"],
    )
    Shipment.objects.filter(pk=shipment.pk).update(
        created_at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    )
    shipment.refresh_from_db()
    return shipment


@pytest.mark.parametrize(
    ("language", "accept", "expected"),
    [
        ("sv", "", True),
        ("en", "nb-NO,nb;q=0.9,en;q=0.8", True),
        ("en", "da", True),
        ("en", "fi-FI", True),
        ("en", "en-GB,sv;q=0.5", False),  # the first choice counts
        ("en", "", False),
        ("de", "de-DE", False),
    ],
)
def test_who_gets_semicolons(language: str, accept: str, expected: bool) -> None:
    assert uses_semicolons(language=language, accept_language=accept) is expected


def test_csv_in_swedish_uses_semicolons_and_a_decimal_comma(
    client_a: Client, order: Shipment
) -> None:
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    body = csv_body(client_a.get(reverse("portal:bookings_export")))

    assert body.splitlines()[0] == ";".join(HEADER)
    (row,) = csv.DictReader(io.StringIO(body), delimiter=";")
    assert row["price"] == "89,00"
    assert row["recipient"] == "Åsa Øberg"
    assert row["postal_code"] == "0150"
    assert row["created_local"] == "2026-02-01 00:30"  # Europe/Stockholm
    assert row["created_at"] == "2026-01-31T23:30:00+00:00"


def test_csv_for_a_norwegian_browser_uses_semicolons(order: Shipment, user_a: object) -> None:
    client = Client(headers={"accept-language": "nb-NO,nb;q=0.9"})
    client.force_login(user_a)  # type: ignore[arg-type]

    body = csv_body(client.get(reverse("portal:bookings_export")))

    assert body.splitlines()[0].startswith("created_at;shipment_id;")


def test_csv_in_english_uses_commas_and_a_dot(client_a: Client, order: Shipment) -> None:
    body = csv_body(client_a.get(reverse("portal:bookings_export")))

    (row,) = csv.DictReader(io.StringIO(body))
    assert row["price"] == "89.00"  # Norway's price
    assert row == row | {
        "klarna_order_id": "KO-3001",
        "merchant_reference": "WEB-7",
        "street_address": "Karl Johans gate 1",
        "postal_code": "0150",
        "city": "Oslo",
        "country": "NO",
        "email": "asa@example.no",
        "phone": "'+4741234567",
        "tracking_number": "00370712345678901234",
        "tracking_numbers": "00370712345678901234 00370712345678901241",
    }


def test_csv_local_time_follows_the_shops_time_zone(
    client_a: Client, shop_a: Merchant, order: Shipment
) -> None:
    shop_a.time_zone = "Europe/Helsinki"
    shop_a.save(update_fields=["time_zone"])

    (row,) = csv.DictReader(io.StringIO(csv_body(client_a.get(reverse("portal:bookings_export")))))

    assert row["created_local"] == "2026-02-01 01:30"


def test_xlsx_keeps_text_as_text_and_has_local_dates(client_a: Client, order: Shipment) -> None:
    response = client_a.get(reverse("portal:bookings_export_xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert re.fullmatch(
        r'attachment; filename="bookings-demo-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"]
    )
    assert response["Cache-Control"] == "private, no-store"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(HEADER)
    assert len(rows) == 2
    cells = dict(zip(HEADER, rows[1], strict=True))
    for column, value in {
        "postal_code": "0150",
        "tracking_number": "00370712345678901234",
        "phone": "+4741234567",  # as the checkout stored it (E.164)
        "email": "asa@example.no",
        "street_address": "Karl Johans gate 1",
        "merchant_reference": "WEB-7",
        "recipient": "Åsa Øberg",
    }.items():
        assert cells[column].value == value, column
        assert cells[column].data_type == "s", column
        assert cells[column].number_format == "@", column
    assert cells["created_local"].value == dt.datetime(2026, 2, 1, 0, 30)
    assert cells["created_local"].is_date
    assert float(cells["price"].value) == 89.0
    assert cells["price"].number_format == "0.00"


def test_xlsx_does_not_run_a_shoppers_formula(shop_a: Merchant, client_a: Client) -> None:
    ShipmentFactory.create(
        merchant=shop_a,
        option_id="instabox-locker",
        small_order=True,
        confirmed=True,
        order_id="F-1",
        given_name='=HYPERLINK("http://evil")',
    )

    response = client_a.get(reverse("portal:bookings_export_xlsx"))

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    cell = sheet.cell(row=2, column=HEADER.index("recipient") + 1)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil") Person'


def test_exports_follow_the_filter_and_hold_only_the_shops_bookings(
    client_a: Client, client_b: Client, order: Shipment
) -> None:
    sheet = load_workbook(
        io.BytesIO(b"".join(client_b.get(reverse("portal:bookings_export_xlsx")).streaming_content))  # type: ignore[attr-defined]
    ).active
    assert sheet is not None
    assert sheet.max_row == 1  # the header only: shop B sees nothing of shop A

    filtered = client_a.get(reverse("portal:bookings_export_xlsx"), {"q": "no-such-order"})
    sheet = load_workbook(io.BytesIO(b"".join(filtered.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    assert sheet.max_row == 1


@pytest.mark.parametrize("name", ["portal:bookings_export", "portal:bookings_export_xlsx"])
def test_exports_need_a_shop_member(
    name: str, order: Shipment, admin_client: Client, client: Client
) -> None:
    assert client.get(reverse(name)).status_code == 302  # to sign-in
    assert admin_client.get(reverse(name)).status_code == 403  # partner staff have no shop


@pytest.mark.parametrize("name", ["portal:bookings_export", "portal:bookings_export_xlsx"])
def test_exports_read_in_chunks(
    name: str, shop_a: Merchant, client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big shop's month is read a chunk at a time (a server-side cursor on PostgreSQL), never
    all at once: the query is iterated with the export's chunk size."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for n in range(5):
        ShipmentFactory.create(
            merchant=shop_a, option_id="postnord-home", confirmed=True, order_id=f"C-{n}"
        )
    fetched: list[int] = []
    original = Shipment.objects.none().iterator

    def spy(self: object, chunk_size: int | None = None) -> object:
        fetched.append(chunk_size or 0)
        return original.__func__(self, chunk_size=chunk_size)  # type: ignore[attr-defined]

    monkeypatch.setattr(type(Shipment.objects.none()), "iterator", spy)

    response = client_a.get(reverse(name))
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]

    assert fetched == [2]
    assert content
