"""Play Klarna's side of one checkout against a KSA gateway over HTTP.

Used by ``manage.py ksa_simulate`` so partner staff can check any deployment (local, staging,
production) end to end: /auth → /shippingoptions (preview, then with address) → POST /shipment
→ /confirm → GET /shipment. It speaks only the wire contract (Klarna's Shipping Assistant
callback API, https://docs.klarna.com/shipping-assistant/api) and knows nothing of the
gateway's internals, so it works against any implementation.

Each step returns a :class:`StepResult` with human-readable detail lines; the run stops at the
first failed step. The Klarna key and the full bearer token are never put into a result.

With a Checkout API (``checkout_api``: Klarna's, or the carrier sandbox's fake at ``/klarna``)
the run also plays the shop and the shopper there: it creates the checkout order first (its
``order_id`` is the session's ``order.id``), and after POST /shipment completes it with the
shipment id as ``tms_reference`` (the fake's control ``/_fake/orders/{id}/complete``), unless
``abandon`` (the shopper leaves: no completion, no confirm). The checkout password is never
put into a result either.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from tms_gateway.common.money import tax_amount

AUTH_MEDIA_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
SELECT_OPTION_MEDIA_TYPE = "application/vdn.klarna.shipping.select_option-v1+json"
JSON_MEDIA_TYPE = "application/json"

BODY_PREVIEW_CHARS = 500
TOKEN_PREVIEW_CHARS = 12
LOCATIONS_SHOWN = 3
ADDON_SAMPLE_TEXT = "1234"

# country → (currency, locale, standard VAT rate with two implied decimals)
COUNTRY_DEFAULTS: dict[str, tuple[str, str, int]] = {
    "SE": ("SEK", "sv-SE", 2500),
    "NO": ("NOK", "nb-NO", 2500),
    "DK": ("DKK", "da-DK", 2500),
    "FI": ("EUR", "fi-FI", 2550),
    "DE": ("EUR", "de-DE", 1900),
    "AT": ("EUR", "de-AT", 2000),
    "NL": ("EUR", "nl-NL", 2100),
    "CH": ("CHF", "de-CH", 810),
    "GB": ("GBP", "en-GB", 2000),
    "US": ("USD", "en-US", 0),
}

# country → a real-looking recipient address and mobile number (postal code, city, street, phone)
SAMPLE_ADDRESSES: dict[str, tuple[str, str, str, str]] = {
    "SE": ("11151", "Stockholm", "Drottninggatan 53", "+46701234567"),
    "NO": ("0150", "Oslo", "Karl Johans gate 22", "+4741234567"),
    "DK": ("1050", "København K", "Kongens Nytorv 13", "+4520123456"),
    "FI": ("00100", "Helsinki", "Mannerheimintie 10", "+358401234567"),
    "DE": ("10115", "Berlin", "Invalidenstraße 50", "+4915112345678"),
    "AT": ("1010", "Wien", "Kärntner Straße 21", "+436641234567"),
    "NL": ("1012 AB", "Amsterdam", "Damrak 70", "+31612345678"),
    "CH": ("8001", "Zürich", "Bahnhofstrasse 45", "+41791234567"),
    "GB": ("SW1A 1AA", "London", "10 Whitehall", "+447911123456"),
    "US": ("10001", "New York", "350 5th Ave", "+12125550123"),
}

#: The steps against the gateway alone; a run with a Checkout API adds CHECKOUT_CREATE first
#: and CHECKOUT_COMPLETE after "shipment" (see ``run_plan``).
STEP_NAMES: tuple[str, ...] = (
    "auth",
    "shippingoptions (preview)",
    "shippingoptions (address)",
    "shipment",
    "confirm",
    "get shipment",
)

CHECKOUT_CREATE = "checkout order (create)"
CHECKOUT_COMPLETE = "checkout order (complete)"
#: Credentials the sandbox's fake Checkout API and the demo shop's checkout credential share
#: (merchants/demo.py); any non-empty pair works with the fake.
DEMO_CHECKOUT_USERNAME = "demo-checkout"
DEMO_CHECKOUT_PASSWORD = "demo-checkout-secret"

Json = dict[str, Any]


class SimulationSetupError(ValueError):
    """The scenario cannot be built from the given arguments (nothing was sent)."""


# --------------------------------------------------------------------------------------------
# Scenario: what "Klarna" sends


@dataclass(frozen=True, slots=True)
class Scenario:
    base_url: str
    identifier: str
    key: str = field(repr=False)
    country: str
    postal_code: str
    city: str
    street_address: str
    phone: str
    currency: str
    locale: str
    given_name: str = "Test"
    family_name: str = "Person"
    email: str = "test.person@example.com"
    total_amount: int = 59800
    total_weight: int = 1200
    tax_rate: int = 2500
    tags: tuple[str, ...] = ()
    option_id: str | None = None
    quantity: int = 2
    dimensions_mm: tuple[int, int, int] = (100, 200, 300)  # height, width, length
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    order_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: After the confirm, read the shipment back until the carrier booking gives it a tracking
    #: number, for at most this many seconds (0: read it once).
    wait_booked_seconds: float = 0.0
    #: False plays a confirm Klarna never sent (it sends one, best effort): step 5 sends nothing.
    confirm: bool = True
    #: The Checkout API to create (and complete) the order at, e.g.
    #: ``http://127.0.0.1:8090/klarna``; "" plays the gateway's side only.
    checkout_api: str = ""
    checkout_username: str = DEMO_CHECKOUT_USERNAME
    checkout_password: str = field(default=DEMO_CHECKOUT_PASSWORD, repr=False)
    #: The shopper leaves the checkout: the order is never completed, no confirm is sent.
    abandon: bool = False


def scenario_build(
    *,
    base_url: str,
    identifier: str,
    key: str,
    country: str = "SE",
    postal_code: str | None = None,
    city: str | None = None,
    street_address: str | None = None,
    phone: str | None = None,
    currency: str | None = None,
    locale: str | None = None,
    total_amount: int = 59800,
    total_weight: int = 1200,
    tags: Sequence[str] = (),
    option_id: str | None = None,
    wait_booked_seconds: float = 0.0,
    confirm: bool = True,
    checkout_api: str = "",
    checkout_username: str = DEMO_CHECKOUT_USERNAME,
    checkout_password: str = DEMO_CHECKOUT_PASSWORD,
    abandon: bool = False,
) -> Scenario:
    """A scenario with address, currency, locale and VAT derived from the country unless given."""
    country = country.strip().upper()
    sample = SAMPLE_ADDRESSES.get(country, ("", "", "", ""))
    postal_code = sample[0] if postal_code is None else postal_code
    city = sample[1] if city is None else city
    street_address = sample[2] if street_address is None else street_address
    phone = sample[3] if phone is None else phone
    currency_default, locale_default, vat = COUNTRY_DEFAULTS.get(country, (None, None, 0))
    currency = (currency or currency_default or "").strip().upper()
    locale = (locale or locale_default or "").strip()
    if not currency or not locale:
        raise SimulationSetupError(
            f"no default currency/locale for country {country!r}: pass --currency and --locale"
        )
    if total_amount < 0 or total_weight < 0:
        raise SimulationSetupError("--total and --weight must not be negative")
    if wait_booked_seconds < 0:
        raise SimulationSetupError("--wait-booked must not be negative")
    if abandon and not checkout_api:
        raise SimulationSetupError("--abandon needs --checkout-api (the order the shopper leaves)")
    if wait_booked_seconds and abandon:
        raise SimulationSetupError("--wait-booked cannot wait for an abandoned checkout")
    if wait_booked_seconds and not confirm and not checkout_api:
        # With a completed checkout order the gateway's reconcile books it without a confirm.
        raise SimulationSetupError(
            "--wait-booked needs the confirm: drop --no-confirm (or give --checkout-api)"
        )
    if checkout_api and not (checkout_username and checkout_password):
        raise SimulationSetupError("--checkout-api needs a username and a password")
    return Scenario(
        base_url=base_url.rstrip("/"),
        identifier=identifier,
        key=key,
        country=country,
        postal_code=postal_code,
        city=city,
        street_address=street_address,
        phone=phone,
        currency=currency,
        locale=locale,
        total_amount=total_amount,
        total_weight=total_weight,
        tax_rate=vat,
        tags=tuple(t.strip() for t in tags if t.strip()),
        option_id=option_id,
        wait_booked_seconds=wait_booked_seconds,
        confirm=confirm and not abandon,
        checkout_api=checkout_api.rstrip("/"),
        checkout_username=checkout_username,
        checkout_password=checkout_password,
        abandon=abandon,
    )


def order_payload(scenario: Scenario) -> Json:
    """One physical line of ``quantity`` units sharing the total amount and weight."""
    qty = scenario.quantity
    height, width, length = scenario.dimensions_mm
    total_tax = tax_amount(price=scenario.total_amount, tax_rate=scenario.tax_rate)
    return {
        "id": scenario.order_id,
        "tags": list(scenario.tags),
        "total_amount": scenario.total_amount,
        "total_tax": total_tax,
        "total_weight": scenario.total_weight,
        "lines": [
            {
                "reference": "SIM-0001",
                "type": "physical",
                "quantity": qty,
                "unit_price": scenario.total_amount // qty,
                "tax_rate": scenario.tax_rate,
                "total_discount_amount": 0,
                "total_price_including_tax": scenario.total_amount,
                "total_tax_amount": total_tax,
                "attributes": {
                    "weight": round(scenario.total_weight / qty),
                    "dimensions": {"height": height, "width": width, "length": length},
                    "tags": [],
                },
            }
        ],
    }


def checkout_order_payload(scenario: Scenario) -> Json:
    """Klarna's create-order body (Checkout API v3) for the same cart as ``order_payload``."""
    qty = scenario.quantity
    total_tax = tax_amount(price=scenario.total_amount, tax_rate=scenario.tax_rate)
    shop = "https://shop.example"
    return {
        "purchase_country": scenario.country,
        "purchase_currency": scenario.currency,
        "locale": scenario.locale,
        "order_amount": scenario.total_amount,
        "order_tax_amount": total_tax,
        "order_lines": [
            {
                "type": "physical",
                "reference": "SIM-0001",
                "name": "Simulated article",
                "quantity": qty,
                "unit_price": scenario.total_amount // qty,
                "tax_rate": scenario.tax_rate,
                "total_amount": scenario.total_amount,
                "total_discount_amount": 0,
                "total_tax_amount": total_tax,
            }
        ],
        "merchant_urls": {
            "terms": f"{shop}/terms",
            "checkout": f"{shop}/checkout?order={{checkout.order.id}}",
            "confirmation": f"{shop}/thanks?order={{checkout.order.id}}",
            "push": f"{shop}/push?order={{checkout.order.id}}",
        },
    }


def recipient_payload(scenario: Scenario) -> Json:
    return {
        "given_name": scenario.given_name,
        "family_name": scenario.family_name,
        "email": scenario.email,
        "phone": scenario.phone,
        "street_address": scenario.street_address,
        "postal_code": scenario.postal_code,
        "city": scenario.city,
        "country": scenario.country,
        "customer_type": "person",
    }


def session_payload(scenario: Scenario, *, preview: bool) -> Json:
    """The session context: a preview carries only the recipient's country."""
    recipient = {"country": scenario.country} if preview else recipient_payload(scenario)
    return {
        "currency": scenario.currency,
        "locale": scenario.locale,
        "session_id": scenario.session_id,
        "order": order_payload(scenario),
        "recipient": recipient,
    }


def auth_payload(*, identifier: str, key: str, nonce: str) -> Json:
    digest = hashlib.sha256((nonce + key).encode()).hexdigest().upper()
    return {"identifier": identifier, "secret": {"nonce": nonce, "digest": digest}}


def option_choose(options: Sequence[Json], option_id: str | None) -> Json | None:
    """The option asked for, else the preselected one, else the first."""
    if option_id is not None:
        return next((o for o in options if o.get("id") == option_id), None)
    return next(
        (o for o in options if o.get("preselected") is True), options[0] if options else None
    )


def addon_selection(addon: Json) -> Json:
    required = bool(addon.get("required"))
    text = ""
    if required and isinstance(addon.get("max_length"), int) and addon["max_length"] > 0:
        text = ADDON_SAMPLE_TEXT[: addon["max_length"]]
    return {
        "id": addon.get("id"),
        "type": addon.get("type"),
        "price": addon.get("price", 0),
        "data": {"selected": bool(addon.get("preselected")) or required, "text": text},
    }


def selection_payload(option: Json) -> Json:
    """What Klarna sends back as ``selected_shipping_option`` for an offered option."""
    selected: Json = {
        key: option[key] for key in ("id", "type", "carrier", "class") if key in option
    }
    selected["price"] = option.get("price", 0)
    selected["tax_rate"] = option.get("tax_rate", 0)
    if option.get("locations"):
        selected["location"] = option["locations"][0]
    if option.get("timeslots"):
        selected["timeslot"] = option["timeslots"][0]
    selected["addons"] = [addon_selection(a) for a in option.get("addons") or []]
    return selected


# --------------------------------------------------------------------------------------------
# Transport


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP round trip as seen by the simulator."""

    method: str
    url: str
    ms: int
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    error: str | None = None  # connection error / timeout: no response at all

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON."""
        return json.loads(self.text)


class KsaClient:
    """A thin requests wrapper: always a timeout, never follows redirects, never raises."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        content_type: str = JSON_MEDIA_TYPE,
        token: str | None = None,
    ) -> Exchange:
        url = f"{self.base_url}{path}"
        headers = {"Accept": "application/json, application/*+json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return _exchange(
            self.session, method, url, body=body, headers=headers, timeout=self.timeout
        )


def _exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    body: Json | None,
    headers: dict[str, str],
    timeout: float,
    auth: tuple[str, str] | None = None,
) -> Exchange:
    """One request: always a timeout, never a redirect followed, never an exception."""
    started = time.perf_counter()
    try:
        response = session.request(
            method,
            url,
            data=json.dumps(body).encode() if body is not None else None,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Exchange(method, url, _ms_since(started), error=f"timeout after {timeout:g} s")
    except requests.RequestException as exc:
        return Exchange(method, url, _ms_since(started), error=connection_error_text(exc))
    return Exchange(
        method,
        url,
        _ms_since(started),
        status=response.status_code,
        headers=dict(response.headers),
        text=response.text,
    )


class CheckoutClient:
    """The Checkout API as the shop calls it: HTTP Basic auth, JSON; never raises."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = (username, password)
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, method: str, path: str, *, body: Json | None = None) -> Exchange:
        url = f"{self.base_url}{path}"
        headers = {"Accept": JSON_MEDIA_TYPE}
        if body is not None:
            headers["Content-Type"] = JSON_MEDIA_TYPE
        return _exchange(
            self.session,
            method,
            url,
            body=body,
            headers=headers,
            timeout=self.timeout,
            auth=self.auth,
        )


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def connection_error_text(exc: requests.RequestException) -> str:
    """'connection error: Connection refused' rather than urllib3's nested repr."""
    match = _ERRNO_RE.search(str(exc))
    reason = match.group(1).strip() if match else type(exc).__name__
    if not match and "Name or service not known" in str(exc):
        reason = "Name or service not known"
    return f"connection error: {reason}"


# --------------------------------------------------------------------------------------------
# Steps


@dataclass(slots=True)
class StepResult:
    number: int
    name: str
    ok: bool
    status: int | None = None
    ms: int = 0
    details: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False

    def as_dict(self) -> Json:
        data: Json = {
            "number": self.number,
            "name": self.name,
            "ok": self.ok,
            "status": self.status,
            "ms": self.ms,
        }
        if self.error:
            data["error"] = self.error
        if self.skipped:
            data["skipped"] = True
        return data


@dataclass(slots=True)
class RunState:
    """What later steps need from earlier ones."""

    token: str | None = None
    options: list[Json] = field(default_factory=list)
    shipment_id: str | None = None
    tracking_number: str | None = None
    selection: Json | None = None
    #: The Checkout API run only: its client and what was done there.
    checkout: CheckoutClient | None = None
    checkout_order_id: str | None = None
    checkout_completed: bool = False
    confirm_sent: bool = False


def truncate(text: str, limit: int = BODY_PREVIEW_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def format_money(amount: Any, currency: str) -> str:
    if not isinstance(amount, int) or isinstance(amount, bool):
        return f"{amount!r} {currency}"
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{major}.{minor:02d} {currency}"


def format_distance(location: Json) -> str:
    for key, unit in (("distance_m", "m"), ("distance", "m")):
        value = location.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value / 1000:.1f} km" if value >= 1000 else f"{value:.0f} {unit}"
        if value not in (None, ""):
            return str(value)
    return ""


def format_address(address: Any) -> str:
    if not isinstance(address, dict):
        return ""
    town = " ".join(str(address[k]) for k in ("postal_code", "city") if address.get(k))
    parts = [str(address.get("street_address") or ""), town]
    return ", ".join(p for p in parts if p)


def describe_option(option: Json, currency: str, *, with_locations: bool) -> list[str]:
    counts = ", ".join(
        f"{key} {len(option.get(key) or [])}" for key in ("locations", "timeslots", "addons")
    )
    marker = "  [preselected]" if option.get("preselected") is True else ""
    lines = [
        f"- {option.get('id')}  {option.get('name', '')!r}  {option.get('type', '?')}"
        f"  {option.get('carrier', '?')}  {format_money(option.get('price'), currency)}"
        f"{marker}  ({counts})"
    ]
    if with_locations:  # only pickup-like options carry locations
        for location in (option.get("locations") or [])[:LOCATIONS_SHOWN]:
            parts = [str(location.get("name", "")), format_address(location.get("address"))]
            parts.append(format_distance(location))
            lines.append("    · " + " — ".join(p for p in parts if p))
    return lines


def describe_failure(exchange: Exchange, problem: str) -> str:
    """The reason for a failed step plus what the server actually answered."""
    if exchange.error:
        return f"{exchange.error} ({exchange.method} {exchange.url})"
    body = truncate(exchange.text) if exchange.text.strip() else "(empty body)"
    return f"{problem}; body: {body}"


def _failed(number: int, exchange: Exchange, problem: str) -> StepResult:
    return StepResult(
        number=number,
        name=STEP_NAMES[number - 1],
        ok=False,
        status=exchange.status,
        ms=exchange.ms,
        error=describe_failure(exchange, problem),
    )


def _expect_json(
    number: int, exchange: Exchange, expected_status: int
) -> tuple[Json | None, StepResult | None]:
    """The JSON object body, or the failed StepResult explaining why there is none."""
    if exchange.error:
        return None, _failed(number, exchange, exchange.error)
    if exchange.status != expected_status:
        return None, _failed(number, exchange, f"expected HTTP {expected_status}")
    try:
        data = exchange.json()
    except ValueError:
        return None, _failed(number, exchange, "response body is not JSON")
    if not isinstance(data, dict):
        return None, _failed(number, exchange, "response body is not a JSON object")
    return data, None


def _ok(number: int, exchange: Exchange, details: list[str]) -> StepResult:
    return StepResult(
        number=number,
        name=STEP_NAMES[number - 1],
        ok=True,
        status=exchange.status,
        ms=exchange.ms,
        details=details,
    )


def step_auth(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    nonce = secrets.token_urlsafe(16)
    body = auth_payload(identifier=scenario.identifier, key=scenario.key, nonce=nonce)
    exchange = client.send("POST", "/auth", body=body, content_type=AUTH_MEDIA_TYPE)
    data, failure = _expect_json(1, exchange, 201)
    if failure:
        return failure
    assert data is not None
    token = data.get("token")
    if not isinstance(token, str) or not token:
        return _failed(1, exchange, 'no "token" in the response')
    state.token = token
    return _ok(1, exchange, [f"token {token[:TOKEN_PREVIEW_CHARS]}…"])


def _step_options(
    number: int, client: KsaClient, scenario: Scenario, state: RunState, *, preview: bool
) -> StepResult:
    body = session_payload(scenario, preview=preview)
    exchange = client.send("POST", "/shippingoptions", body=body, token=state.token)
    data, failure = _expect_json(number, exchange, 200)
    if failure:
        return failure
    assert data is not None
    options = data.get("shipping_options")
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        return _failed(number, exchange, '"shipping_options" is not a list of objects')
    if not options and not preview:
        return _failed(number, exchange, "no shipping options offered for the full address")
    state.options = options
    details = [f"{len(options)} option{'s' if len(options) != 1 else ''}"]
    for option in options:
        details += describe_option(option, scenario.currency, with_locations=not preview)
    return _ok(number, exchange, details)


def step_options_preview(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    return _step_options(2, client, scenario, state, preview=True)


def step_options_address(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    return _step_options(3, client, scenario, state, preview=False)


def step_shipment(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    option = option_choose(state.options, scenario.option_id)
    if option is None:
        offered = ", ".join(str(o.get("id")) for o in state.options) or "none"
        return StepResult(
            number=4,
            name=STEP_NAMES[3],
            ok=False,
            error=f"option {scenario.option_id!r} is not offered (offered: {offered})",
        )
    selection = selection_payload(option)
    body = session_payload(scenario, preview=False) | {"selected_shipping_option": selection}
    exchange = client.send(
        "POST", "/shipment", body=body, content_type=SELECT_OPTION_MEDIA_TYPE, token=state.token
    )
    data, failure = _expect_json(4, exchange, 201)
    if failure:
        return failure
    assert data is not None
    shipment_id = data.get("shipment_id")
    if not isinstance(shipment_id, str) or not shipment_id:
        return _failed(4, exchange, 'no "shipment_id" in the response')
    location_header = _header(exchange, "Location")
    if not location_header:
        return _failed(4, exchange, "no Location header")
    if not isinstance(data.get("selected_shipping_option"), dict):
        return _failed(4, exchange, 'no "selected_shipping_option" object in the response')
    state.shipment_id = shipment_id
    state.selection = selection
    chosen = (
        f"selected {selection.get('id')} ({format_money(selection['price'], scenario.currency)})"
    )
    if "location" in selection:
        chosen += f", location {selection['location'].get('id')}"
    if "timeslot" in selection:
        chosen += f", timeslot {selection['timeslot'].get('id')}"
    if selection["addons"]:
        picked = [a["id"] for a in selection["addons"] if a["data"]["selected"]]
        chosen += f", addons selected: {', '.join(map(str, picked)) or 'none'}"
    return _ok(4, exchange, [f"shipment_id {shipment_id}", chosen, f"Location: {location_header}"])


def step_checkout_create(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    """The shop creates Klarna's checkout order; its id is the session's ``order.id``."""
    assert state.checkout is not None
    exchange = state.checkout.send(
        "POST", "/checkout/v3/orders", body=checkout_order_payload(scenario)
    )
    data, failure = _expect_json(1, exchange, 201)
    if failure:
        return failure
    assert data is not None
    order_id = data.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        return _failed(1, exchange, 'no "order_id" in the response')
    state.checkout_order_id = order_id
    return _ok(1, exchange, [f"order_id {order_id} (status {data.get('status', '—')})"])


def step_checkout_complete(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    """The shopper finishes the purchase: the fake Checkout API completes the order with the
    shipment id as the selected option's ``tms_reference`` (as Klarna would)."""
    if scenario.abandon:
        return StepResult(
            number=0,
            name=CHECKOUT_COMPLETE,
            ok=True,
            details=[f"not completed (--abandon): order {state.checkout_order_id} left incomplete"],
        )
    assert state.checkout is not None
    selection = state.selection or {}
    option: Json = {k: selection[k] for k in ("id", "price", "tax_rate") if k in selection}
    option["tax_amount"] = tax_amount(
        price=int(selection.get("price") or 0), tax_rate=int(selection.get("tax_rate") or 0)
    )
    reference = f"SIM-{str(state.checkout_order_id)[:8].upper()}"
    exchange = state.checkout.send(
        "POST",
        f"/_fake/orders/{state.checkout_order_id}/complete",
        body={
            "tms_reference": state.shipment_id,
            "merchant_reference1": reference,
            "shipping_option": option,
        },
    )
    data, failure = _expect_json(1, exchange, 200)
    if failure:
        return failure
    assert data is not None
    if data.get("status") != "checkout_complete":
        return _failed(1, exchange, 'the order\'s "status" is not checkout_complete')
    state.checkout_completed = True
    return _ok(
        1,
        exchange,
        [
            f"order {state.checkout_order_id} checkout_complete, "
            f"tms_reference {state.shipment_id}, merchant_reference1 {reference}"
        ],
    )


def step_confirm(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    if scenario.abandon:
        return StepResult(
            number=5,
            name=STEP_NAMES[4],
            ok=True,
            details=["not sent (--abandon): the purchase never went through"],
        )
    if not scenario.confirm:
        return StepResult(
            number=5,
            name=STEP_NAMES[4],
            ok=True,
            details=["not sent (--no-confirm): a confirm Klarna never sent"],
        )
    exchange = client.send("POST", f"/shipment/{state.shipment_id}/confirm", token=state.token)
    if exchange.error or exchange.status != 200:
        return _failed(5, exchange, exchange.error or "expected HTTP 200")
    state.confirm_sent = True
    return _ok(5, exchange, [f"shipment {state.shipment_id} confirmed"])


#: How often a shipment is read back while waiting for its booking.
BOOKED_POLL_SECONDS = 0.5


def step_get_shipment(client: KsaClient, scenario: Scenario, state: RunState) -> StepResult:
    deadline = time.monotonic() + scenario.wait_booked_seconds
    while True:
        exchange = client.send("GET", f"/shipment/{state.shipment_id}", token=state.token)
        data, failure = _expect_json(6, exchange, 200)
        if failure:
            return failure
        assert data is not None
        if not scenario.wait_booked_seconds or data.get("tracking_number"):
            break
        if data.get("status") in ("failed", "cancelled", "expired"):
            return _failed(6, exchange, f"the shipment is {data['status']}, not booked")
        if time.monotonic() >= deadline:
            return _failed(
                6,
                exchange,
                f"not booked within {scenario.wait_booked_seconds:g} s "
                f"(status {data.get('status', '—')}): is a worker running?",
            )
        time.sleep(BOOKED_POLL_SECONDS)
    selected = data.get("selected_shipping_option")
    selected = selected if isinstance(selected, dict) else {}
    product = selected.get("carrier_product")
    if isinstance(product, dict):
        product_text = " ".join(str(product[k]) for k in ("identifier", "name") if product.get(k))
    else:
        product_text = str(product or "—")
    details = [
        f"status {data.get('status', '—')}, carrier {selected.get('carrier', '—')}, "
        f"carrier_product {product_text or '—'}"
    ]
    if data.get("tracking_number"):
        state.tracking_number = str(data["tracking_number"])
        details.append(f"tracking_number {data['tracking_number']}")
    return _ok(6, exchange, details)


def _header(exchange: Exchange, name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in exchange.headers.items() if k.lower() == wanted), "")


Step = Callable[[KsaClient, Scenario, RunState], StepResult]

STEPS: tuple[Step, ...] = (
    step_auth,
    step_options_preview,
    step_options_address,
    step_shipment,
    step_confirm,
    step_get_shipment,
)


def run_plan(scenario: Scenario) -> tuple[tuple[str, Step], ...]:
    """The steps of a run, named: the six against the gateway, and with a Checkout API the
    order's creation first and its completion right after POST /shipment."""
    plan = list(zip(STEP_NAMES, STEPS, strict=True))
    if scenario.checkout_api:
        plan.insert(0, (CHECKOUT_CREATE, step_checkout_create))
        plan.insert(5, (CHECKOUT_COMPLETE, step_checkout_complete))
    return tuple(plan)


@dataclass(slots=True)
class RunReport:
    steps: list[StepResult]
    shipment_id: str | None
    ms: int
    offered: list[str] = field(default_factory=list)
    tracking_number: str | None = None
    #: The session's ``order.id``: the Checkout API's order when one was created.
    order_id: str = ""
    checkout_api: str = ""
    checkout_completed: bool = False
    abandoned: bool = False
    confirm_sent: bool = False

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


def checkout_run(
    scenario: Scenario,
    *,
    client: KsaClient,
    on_step: Callable[[StepResult], None] | None = None,
    checkout: CheckoutClient | None = None,
) -> RunReport:
    """Run the steps in order; after a failure the remaining steps are reported as skipped.

    Each result is numbered and named by its place in the plan (``run_plan``). With a Checkout
    API the order is created there (``checkout``, by default over the client's session) and its
    id becomes the session's ``order.id``."""
    state = RunState()
    if scenario.checkout_api:
        state.checkout = checkout or CheckoutClient(
            scenario.checkout_api,
            username=scenario.checkout_username,
            password=scenario.checkout_password,
            timeout=client.timeout,
            session=client.session,
        )
    results: list[StepResult] = []
    started = time.perf_counter()
    failed = False
    for number, (name, step) in enumerate(run_plan(scenario), start=1):
        if failed:
            result = StepResult(number=number, name=name, ok=False, skipped=True)
        else:
            result = step(client, scenario, state)
            result.number, result.name = number, name
            failed = not result.ok
            if step is step_checkout_create and state.checkout_order_id:
                scenario = dataclasses.replace(scenario, order_id=state.checkout_order_id)
        results.append(result)
        if on_step is not None:
            on_step(result)
    return RunReport(
        steps=results,
        shipment_id=state.shipment_id,
        tracking_number=state.tracking_number,
        ms=_ms_since(started),
        offered=[str(o.get("id")) for o in state.options],
        order_id=scenario.order_id,
        checkout_api=scenario.checkout_api,
        checkout_completed=state.checkout_completed,
        abandoned=scenario.abandon,
        confirm_sent=state.confirm_sent,
    )
