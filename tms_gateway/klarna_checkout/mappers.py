"""Pure translation of the Checkout API's answers: a checkout order, an error body.

Read leniently with the project's one JSON reader (``carriers.reader.JsonReader``): ids given as
numbers read as text, missing optional fields as empty; a body that is not an order raises
``CarrierResponseInvalid``. Only the fields the gateway acts on are read.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from carriers.http import HttpResponse
from carriers.reader import JsonReader
from carriers.types import CarrierMessage

from .units import INCOMPLETE_STATUSES, SLUG

read = JsonReader(SLUG)


@dataclass(frozen=True)
class CheckoutOrder:
    """What the gateway needs of Klarna's checkout order."""

    order_id: str
    status: str
    #: The shopper was authorized: any status but an incomplete one (SOURCES.md: INFERRED for
    #: statuses other than checkout_complete).
    complete: bool
    #: ``selected_shipping_option.tms_reference``: the shipment id the gateway answered
    #: Klarna's Shipping Assistant ("" when Klarna sent none).
    tms_reference: str
    #: ``merchant_reference1``: the shop's own order number, if it set one.
    merchant_reference: str
    completed_at: dt.datetime | None


def order_path(order_id: str) -> str:
    """``/checkout/v3/orders/{order_id}``, the id quoted as one path segment."""
    return f"/checkout/v3/orders/{quote(order_id, safe='')}"


def _datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 time (``2030-01-31T12:00:00Z``); naive is UTC. Unreadable reads as unknown:
    the time is informative, and must not stop a complete order from being confirmed."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def order_parse(data: Any) -> CheckoutOrder:
    """A checkout order from its parsed JSON."""
    order = read.object(data, "the order")
    status = read.field(order, "status", required=True).strip()
    option = read.optional_object(order.get("selected_shipping_option"), "selected_shipping_option")
    return CheckoutOrder(
        order_id=read.field(order, "order_id", required=True),
        status=status,
        complete=status.lower() not in INCOMPLETE_STATUSES,
        tms_reference=read.field(option, "tms_reference").strip(),
        merchant_reference=read.field(order, "merchant_reference1").strip(),
        completed_at=_datetime(order.get("completed_at")),
    )


def parse_order(body: bytes | str) -> CheckoutOrder:
    """A checkout order from the body of ``GET /checkout/v3/orders/{order_id}``."""
    return order_parse(read.load(body))


def tms_reference_matches(reference: str, public_id: uuid.UUID) -> bool:
    """Whether Klarna's ``tms_reference`` names this shipment: as we sent it (hyphenated), as
    hex, in any case or with braces; anything that is not a UUID does not."""
    try:
        return uuid.UUID(reference.strip()) == public_id
    except ValueError:
        return False


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Klarna's error ``{"error_code", "error_messages": [...], "correlation_id"}``: one message
    per text, coded with ``error_code`` (the HTTP status when there is none); the correlation id
    is kept, Klarna's support asks for it. Another body is kept as text."""
    fallback = str(status) if status else ""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return (CarrierMessage(code=fallback, text=text[:2000]),) if text else ()
    if not isinstance(data, dict):
        return (CarrierMessage(code=fallback, text=text[:2000]),) if text else ()
    code = data.get("error_code") if isinstance(data.get("error_code"), str) else ""
    code = code or fallback
    listed = data.get("error_messages")
    texts = [m for m in listed if isinstance(m, str) and m] if isinstance(listed, list) else []
    if not texts and isinstance(data.get("error_message"), str) and data["error_message"]:
        texts = [data["error_message"]]
    correlation = data.get("correlation_id")
    suffix = (
        f" (correlation id {correlation})" if isinstance(correlation, str) and correlation else ""
    )
    if not texts:
        return (CarrierMessage(code=code, text=(code or text) + suffix),) if code or text else ()
    return tuple(CarrierMessage(code=code, text=t + suffix) for t in texts)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """The error parser of the transport (``CarrierHttp(error_parser=...)``)."""
    return parse_error_body(response.body, response.status)
