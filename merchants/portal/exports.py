"""The bookings list as CSV, streamed row by row (every page of the filtered list).

Columns are stable English names so spreadsheets and scripts can rely on them (new ones are
added at the end); prices are in major units with a dot ("49.00"), times ISO 8601 in UTC;
``confirmed_by`` says who confirmed the order (klarna, shop, checkout_api or staff; empty while
unconfirmed). The file starts with a UTF-8 byte order mark so that Excel reads å, ä and ö right.
Cells a shopper typed are neutralised when a spreadsheet would read them as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import QuerySet

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
)
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


def booking_row(shipment: Shipment) -> list[str]:
    chosen = shipment.snapshot
    recipient = shipment.recipient or {}
    return [
        _cell(value)
        for value in (
            shipment.created_at.isoformat(timespec="seconds"),
            shipment.public_id,
            shipment.klarna_order_id,
            shipment.status,
            recipient_name(recipient),
            recipient.get("postal_code"),
            recipient.get("city"),
            recipient.get("country"),
            chosen.option_id,
            chosen.name,
            chosen.carrier,
            chosen.carrier_product,
            f"{Decimal(shipment.price) / 100:.2f}",
            shipment.currency,
            shipment.tracking_number,
            shipment.tracking_url,
            shipment.confirmed_by,
            shipment.merchant_reference,
        )
    ]


def bookings_csv(shipments: QuerySet[Shipment]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    for shipment in shipments.iterator(chunk_size=500):
        yield writer.writerow(booking_row(shipment))
