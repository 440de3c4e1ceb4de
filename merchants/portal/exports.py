"""The bookings list as CSV or as an Excel workbook (every page of the filtered list), read in
chunks from the database so that a month of a big shop is never in memory at once.

Columns are stable English names so spreadsheets and scripts can rely on them (new ones are
added at the end): ``created_at`` is ISO 8601 in UTC, ``created_local`` the same moment in the
shop's time zone ("2026-12-05 23:37"); ``confirmed_by`` says who confirmed the order (klarna,
shop, checkout_api or staff; empty while unconfirmed); then the recipient's address and contact
(care of, street lines, e-mail, phone), which every member of the shop also sees on a booking's
page: the portal has one level of access per shop (its members see all of its bookings and
nothing of another shop's), and the export shows no more than that.

CSV: the separator follows the user's language as Excel's does in the Nordics: ``;`` with a
decimal comma in the price for Swedish, Norwegian, Danish and Finnish (the portal's language,
else the browser's first language), ``,`` and a dot otherwise. The file starts with a UTF-8 byte
order mark so that Excel reads å, ä and ö right. Cells a shopper typed are neutralised when a
spreadsheet would read them as a formula.

Excel (.xlsx, openpyxl in write-only mode: rows go to a temporary file, not to memory): tracking
numbers, postal codes, phones and every other text are text cells (a postal code "0150" keeps
its 0, a phone its +), the local time is a real date cell, the price a number with two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from tms_gateway.shipments.models import Shipment

HEADER = (
    "created_at",
    "shipment_id",
    "klarna_order_id",
    "status",
    "recipient",
    "postal_code",
    "city",
    "country",
    "option_id",
    "option_name",
    "carrier",
    "carrier_product",
    "price",
    "currency",
    "tracking_number",
    "tracking_url",
    "confirmed_by",
    "merchant_reference",
    "created_local",
    "care_of",
    "street_address",
    "street_address2",
    "email",
    "phone",
    "tracking_numbers",
)
#: Languages whose Excel expects ";" between fields and "," before decimals.
NORDIC_LANGUAGES = frozenset({"sv", "nb", "nn", "no", "da", "fi"})
CHUNK_SIZE = 500
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back to the csv writer's caller."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def recipient_name(recipient: dict[str, str]) -> str:
    name = " ".join(p for p in (recipient.get("given_name"), recipient.get("family_name")) if p)
    company = recipient.get("company_name") or ""
    if company:
        return f"{name} ({company})" if name else company
    return name


def uses_semicolons(*, language: str | None, accept_language: str = "") -> bool:
    """Whether a spreadsheet of this user expects ";": the portal's language when it is a
    Nordic one, else the browser's first choice (the portal speaks English to a Norwegian, but
    their Excel still reads ";")."""
    primary = (language or "").split("-")[0].lower()
    if primary in NORDIC_LANGUAGES:
        return True
    first = accept_language.split(",")[0].split(";")[0].strip()
    return first.split("-")[0].lower() in NORDIC_LANGUAGES


def _values(shipment: Shipment, zone: dt.tzinfo) -> dict[str, Any]:
    """The row's typed values, by column."""
    chosen = shipment.snapshot
    recipient = shipment.recipient or {}
    return {
        "created_at": shipment.created_at.isoformat(timespec="seconds"),
        "shipment_id": str(shipment.public_id),
        "klarna_order_id": shipment.klarna_order_id,
        "status": shipment.status,
        "recipient": recipient_name(recipient),
        "postal_code": recipient.get("postal_code"),
        "city": recipient.get("city"),
        "country": recipient.get("country"),
        "option_id": chosen.option_id,
        "option_name": chosen.name,
        "carrier": chosen.carrier,
        "carrier_product": chosen.carrier_product,
        "price": Decimal(shipment.price) / 100,
        "currency": shipment.currency,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "confirmed_by": shipment.confirmed_by,
        "merchant_reference": shipment.merchant_reference,
        "created_local": shipment.created_at.astimezone(zone).replace(tzinfo=None),
        "care_of": recipient.get("care_of"),
        "street_address": recipient.get("street_address"),
        "street_address2": recipient.get("street_address2"),
        "email": recipient.get("email"),
        "phone": recipient.get("phone"),
        "tracking_numbers": " ".join(str(n) for n in shipment.tracking_numbers or ()),
    }


def booking_row(
    shipment: Shipment, *, zone: dt.tzinfo = dt.UTC, decimal_comma: bool = False
) -> list[str]:
    values = _values(shipment, zone)
    price = f"{values['price']:.2f}"
    values["price"] = price.replace(".", ",") if decimal_comma else price
    values["created_local"] = values["created_local"].strftime(LOCAL_FORMAT)
    return [_cell(values[column]) for column in HEADER]


def _shipments(shipments: QuerySet[Shipment]) -> Iterator[Shipment]:
    return shipments.iterator(chunk_size=CHUNK_SIZE)


def bookings_csv(
    shipments: QuerySet[Shipment], *, zone: dt.tzinfo = dt.UTC, semicolons: bool = False
) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";" if semicolons else ",")
    yield "\ufeff" + writer.writerow(HEADER)
    for shipment in _shipments(shipments):
        yield writer.writerow(booking_row(shipment, zone=zone, decimal_comma=semicolons))


#: Excel's column widths (characters) where the default is too narrow.
_WIDTHS = {
    "created_at": 22,
    "shipment_id": 38,
    "klarna_order_id": 24,
    "recipient": 24,
    "option_name": 24,
    "tracking_number": 22,
    "tracking_url": 30,
    "merchant_reference": 20,
    "created_local": 17,
    "street_address": 26,
    "email": 28,
    "phone": 16,
}


def bookings_xlsx(
    shipments: QuerySet[Shipment], *, zone: zoneinfo.ZoneInfo | dt.tzinfo
) -> IO[bytes]:
    """The workbook in a temporary file (rewound), for a FileResponse to stream and close."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Bookings")
    for index, column in enumerate(HEADER):
        if column in _WIDTHS:
            sheet.column_dimensions[_column_letter(index)].width = _WIDTHS[column]
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADER))
    formats: dict[str, Callable[[Any], WriteOnlyCell]] = {
        "price": lambda v: _typed(sheet, v, "0.00"),
        "created_local": lambda v: _typed(sheet, v, "yyyy-mm-dd hh:mm"),
    }
    for shipment in _shipments(shipments):
        values = _values(shipment, zone)
        sheet.append(
            [formats.get(column, lambda v: _text(sheet, v))(values[column]) for column in HEADER]
        )
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    workbook.save(output)
    output.seek(0)
    return output


def _typed(sheet: Any, value: object, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _text(sheet: Any, value: object) -> WriteOnlyCell:
    """A text cell that Excel keeps as typed (``@``): no formula, no number, no date."""
    cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def _column_letter(index: int) -> str:
    return str(get_column_letter(index + 1))
