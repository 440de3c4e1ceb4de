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

Rows are read as ``values()`` of the columns below (no model instances), through a server-side
cursor in chunks: a month of a shop with a million bookings (some 45,000 rows) streams in well
under a second of database time.

Excel (.xlsx, written as it streams by xlsx.py: the first bytes leave at once): tracking
numbers, postal codes, phones and every other text are text cells (a postal code "0150" keeps
its 0, a phone its +), the local time is a real date cell, the price a number with two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KT

from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.snapshot import selection_export_values

from .xlsx import Kind, xlsx_stream

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
CHUNK_SIZE = 2000
#: The columns an export reads as they are; the selection's and the recipient's keys it needs
#: are read as text by the database (:func:`export_rows`), so no row's JSON is parsed here.
FIELDS = (
    "created_at",
    "public_id",
    "klarna_order_id",
    "status",
    "price",
    "currency",
    "tracking_number",
    "tracking_url",
    "confirmed_by",
    "merchant_reference",
    "tracking_numbers",
)
RECIPIENT_KEYS = (
    "given_name",
    "family_name",
    "company_name",
    "care_of",
    "street_address",
    "street_address2",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
)
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


def recipient_name(recipient: Mapping[str, str | None]) -> str:
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


def export_rows(shipments: QuerySet[Shipment]) -> QuerySet[Shipment, dict[str, Any]]:
    """The shipments as the export reads them: :data:`FIELDS`, the selection's option,
    carrier and product, and the recipient's :data:`RECIPIENT_KEYS` (``recipient_<key>``)."""
    return shipments.values(
        *FIELDS,
        **selection_export_values(),
        **{f"recipient_{key}": KT(f"recipient__{key}") for key in RECIPIENT_KEYS},
    )


def _values(shipment: Mapping[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    """The row's typed values, by column, from a row of :func:`export_rows`."""
    recipient = {key: shipment[f"recipient_{key}"] for key in RECIPIENT_KEYS}
    created_at: dt.datetime = shipment["created_at"]
    return {
        "created_at": created_at.isoformat(timespec="seconds"),
        "shipment_id": str(shipment["public_id"]),
        "klarna_order_id": shipment["klarna_order_id"],
        "status": shipment["status"],
        "recipient": recipient_name(recipient),
        "postal_code": recipient["postal_code"],
        "city": recipient["city"],
        "country": recipient["country"],
        "option_id": shipment["selection_option_code"] or "",
        "option_name": shipment["selection_option_name"] or "",
        "carrier": shipment["selection_carrier_slug"] or "",
        "carrier_product": shipment["selection_carrier_product"] or "",
        "price": Decimal(shipment["price"]) / 100,
        "currency": shipment["currency"],
        "tracking_number": shipment["tracking_number"],
        "tracking_url": shipment["tracking_url"],
        "confirmed_by": shipment["confirmed_by"],
        "merchant_reference": shipment["merchant_reference"],
        "created_local": created_at.astimezone(zone).replace(tzinfo=None),
        "care_of": recipient["care_of"],
        "street_address": recipient["street_address"],
        "street_address2": recipient["street_address2"],
        "email": recipient["email"],
        "phone": recipient["phone"],
        "tracking_numbers": " ".join(str(n) for n in shipment["tracking_numbers"] or ()),
    }


def booking_row(
    shipment: Mapping[str, Any], *, zone: dt.tzinfo = dt.UTC, decimal_comma: bool = False
) -> list[str]:
    values = _values(shipment, zone)
    price = f"{values['price']:.2f}"
    values["price"] = price.replace(".", ",") if decimal_comma else price
    values["created_local"] = values["created_local"].strftime(LOCAL_FORMAT)
    return [_cell(values[column]) for column in HEADER]


def _shipments(shipments: QuerySet[Shipment]) -> Iterator[dict[str, Any]]:
    return export_rows(shipments).iterator(chunk_size=CHUNK_SIZE)


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
) -> Iterator[bytes]:
    """The workbook's bytes as they are written (xlsx.py), for a StreamingHttpResponse."""
    return xlsx_stream(
        sheet_name="Bookings",
        header=HEADER,
        kinds={"price": Kind.NUMBER, "created_local": Kind.DATETIME},
        rows=(_values(shipment, zone) for shipment in _shipments(shipments)),
        widths=_WIDTHS,
    )
