"""Klarna's Checkout API v3, faked: served by the carrier sandbox under ``/klarna``.

Not a carrier: it is listed in the SANDBOX_EXTRA_SERVICES setting, and a fault for every
carrier (``"carrier": "*"``) leaves it alone; a fault for ``"klarna"`` reaches it.

Speaks Klarna's wire format (SOURCES.md): HTTP Basic auth (any non-empty username and
password; 401 otherwise), JSON, errors as ``{"error_code", "error_messages", "correlation_id"}``.
In memory, per username (another store's order is not found), forgotten on reset:

* ``POST /checkout/v3/orders``: create an order from Klarna's create-order body
  (``purchase_country``, ``purchase_currency``, ``locale``, ``order_amount``,
  ``order_tax_amount``, ``order_lines`` required; ``merchant_reference1/2``, ``merchant_urls``
  kept); 201 with the order (``order_id`` a UUID, ``status`` ``checkout_incomplete``,
  ``started_at``) and its URL in ``Location``;
* ``GET /checkout/v3/orders/{order_id}``: the order; 404 ``NO_SUCH_ORDER``.

Controls of the fake, not Klarna's (the simulator plays the shopper with them):

* ``POST /_fake/orders/{order_id}/complete`` ``{"tms_reference": ..., "merchant_reference1":
  ..., "shipping_option": {...}}``: the shopper finished the purchase: ``checkout_complete``,
  ``completed_at``, ``selected_shipping_option.tms_reference``; 409 ``CONFLICT`` when the order
  is not incomplete.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import threading
import uuid
from typing import Any

from carriers.sandbox.core import CarrierSandbox, SandboxRequest, SandboxResponse

from .units import STATUS_COMPLETE, STATUS_INCOMPLETE

SLUG = "klarna"

#: error_code per HTTP status: Klarna's own where its docs give one (SOURCES.md), else ours.
ERROR_CODES = {
    400: "BAD_VALUE",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "TEMPORARILY_UNAVAILABLE",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "TEMPORARILY_UNAVAILABLE",
}
REQUIRED = (
    "purchase_country",
    "purchase_currency",
    "locale",
    "order_amount",
    "order_tax_amount",
    "order_lines",
)
_ORDER_ID = r"(?P<order_id>[^/]+)"

_lock = threading.Lock()
#: order_id → (username that created it, the order as Klarna would answer it)
_orders: dict[str, tuple[str, dict[str, Any]]] = {}


def klarna_error(status: int, message: str, *, code: str = "") -> SandboxResponse:
    return SandboxResponse(
        status,
        {
            "error_code": code or ERROR_CODES.get(status, "ERROR"),
            "error_messages": [message],
            "correlation_id": str(uuid.uuid4()),
        },
    )


def _username(request: SandboxRequest) -> str:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return username if username and password else ""


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if _username(request):
        return None
    refusal = klarna_error(401, "Bad credentials: a username and a password are required")
    refusal.headers["WWW-Authenticate"] = 'Basic realm="Klarna API"'
    return refusal


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=klarna_error)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _copy(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "order_lines": [dict(line) for line in order.get("order_lines", [])]}


def _find(request: SandboxRequest, order_id: str) -> dict[str, Any] | None:
    """The caller's order (another username's is not found, as for another store)."""
    found = _orders.get(order_id)
    return found[1] if found is not None and found[0] == _username(request) else None


def _not_found(order_id: str) -> SandboxResponse:
    return klarna_error(404, f"No such order: {order_id}", code="NO_SUCH_ORDER")


@sandbox.route("POST", r"/checkout/v3/orders")
def _create(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    if not isinstance(body, dict):
        return klarna_error(400, "The body must be a JSON object")
    missing = [key for key in REQUIRED if body.get(key) in (None, "", [])]
    if missing:
        return klarna_error(400, f"Missing required fields: {', '.join(missing)}")
    if not isinstance(body["order_lines"], list):
        return klarna_error(400, "order_lines must be a list")
    now = _now()
    order_id = str(uuid.uuid4())
    order: dict[str, Any] = {
        "order_id": order_id,
        "status": STATUS_INCOMPLETE,
        "purchase_country": body["purchase_country"],
        "purchase_currency": body["purchase_currency"],
        "locale": body["locale"],
        "order_amount": body["order_amount"],
        "order_tax_amount": body["order_tax_amount"],
        "order_lines": [dict(line) for line in body["order_lines"] if isinstance(line, dict)],
        "merchant_urls": body.get("merchant_urls") or {},
        "html_snippet": f'<div id="klarna-checkout-container" data-order="{order_id}"></div>',
        "started_at": now,
        "last_modified_at": now,
    }
    for key in ("merchant_reference1", "merchant_reference2", "merchant_data"):
        if isinstance(body.get(key), str) and body[key]:
            order[key] = body[key]
    with _lock:
        _orders[order_id] = (_username(request), order)
        answer = _copy(order)
    host = request.headers.get("host", "")
    location = f"/klarna/checkout/v3/orders/{order_id}"
    return SandboxResponse(
        201, answer, headers={"Location": f"http://{host}{location}" if host else location}
    )


@sandbox.route("GET", rf"/checkout/v3/orders/{_ORDER_ID}")
def _read(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    order_id = match["order_id"]
    with _lock:
        order = _find(request, order_id)
        answer = _copy(order) if order is not None else None
    return SandboxResponse(200, answer) if answer is not None else _not_found(order_id)


@sandbox.route("POST", rf"/_fake/orders/{_ORDER_ID}/complete")
def _complete(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    """Not Klarna's: the shopper finishes the purchase (the fake's control)."""
    order_id = match["order_id"]
    body = request.json() or {}
    if not isinstance(body, dict):
        return klarna_error(400, "The body must be a JSON object")
    with _lock:
        order = _find(request, order_id)
        if order is None:
            return _not_found(order_id)
        if order["status"] != STATUS_INCOMPLETE:
            return klarna_error(409, f"The order is {order['status']}, not {STATUS_INCOMPLETE}")
        now = _now()
        option = dict(body.get("shipping_option") or {})
        if body.get("tms_reference"):
            option["tms_reference"] = str(body["tms_reference"])
        order.update(status=STATUS_COMPLETE, completed_at=now, last_modified_at=now)
        if option:
            order["selected_shipping_option"] = option
        for key in ("merchant_reference1", "merchant_reference2"):
            if isinstance(body.get(key), str) and body[key]:
                order[key] = body[key]
        answer = _copy(order)
    return SandboxResponse(200, answer)


@sandbox.on_reset
def _forget() -> None:
    """A reset sandbox knows no checkout orders."""
    with _lock:
        _orders.clear()
