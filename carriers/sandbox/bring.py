"""Bring's APIs, faked: Shipping Guide v2, Pickup Point, Booking (with labels), Tracking v2.

Wire formats follow Bring's published examples (carriers/FIDELITY.md, Bring, and
tests/carriers/bring/fixtures/SOURCES.md): field names, nesting, numbers sent as strings, errors
inside 200 answers. The data is deterministic:

* pickup points are ``carriers.static.BringStaticAdapter``'s points for the postal code, with
  Bring-style numeric ids and type codes, manned and lockers mixed unless ``pickupPointType``
  asks for one kind (the postal-code search filters in NO, SE, DK and FI);
* the Shipping Guide serves 5800, 5600, 3584 and 3570 to Norway only and PICKUP_PARCEL (0340)
  to Sweden and Denmark (a product that does not fit is left out of the answer, as Bring does),
  prices them from a small table (list price; a net price 15 % lower when a customer number is
  sent; in the sender country's currency, a guess), and computes expected delivery and
  5600's time slots from the shipping date, Monday to Friday;
* bookings are counted in ``ledger`` per ``correlationId``; consignment and package numbers come
  from its sequence; the label link redirects (302) to a small PDF; input errors are a 400 with
  ``consignments[].errors``, business-rule errors the same errors inside a 200; the chosen
  day of 5600 is ``customerSpecifiedDeliveryDateTime`` (a date-time at most 10 days ahead, as
  the Booking API RAML says), and ``customerSpecifiedDelivery`` (the large-item Home Delivery
  services' window) is refused on the products the sandbox serves; PICKUP_PARCEL is refused
  without ``EVARSLING`` (eAdvising, which Bring calls mandatory with a chosen pickup point) and
  from a Norwegian sender to a chosen pickup point;
* tracking knows the numbers and references it booked (events up to now: the booking is
  PRE_NOTIFIED at once, the rest follows over the next day) and Bring's test numbers
  ``TESTPACKAGEATPICKUPPOINT``, ``TESTPACKAGEEDI``, ``TESTPACKAGEDELIVERED``.

Requests without ``X-Mybring-API-Uid``, ``X-Mybring-API-Key`` and ``X-Bring-Client-URL`` get a
401. Error codes other than Bring's catalogued ``BOOK-*`` and ``FG_INPUT_010`` are the
sandbox's own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
import threading
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from carriers.bring.declaration import DECLARATION
from carriers.static import BringStaticAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    ProductQuery,
    QuoteRequest,
)

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, label_pdf, ledger

SLUG = "bring"
OSLO = ZoneInfo("Europe/Oslo")
_NAMESPACE = uuid.UUID("6f1c2b1e-5b7a-4c53-9d55-6a4f0d3b7e21")


# --- errors and auth ----------------------------------------------------------------------


def _unique_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def _error_item(code: str, message: str) -> dict[str, Any]:
    return {
        "uniqueId": _unique_id(code, message),
        "code": code,
        "messages": [{"lang": "en", "message": message}],
    }


def _error(status: int, message: str) -> SandboxResponse:
    """Bring's error item shape (``code`` + ``messages[]``) for errors outside any one API."""
    return SandboxResponse(status, {"errors": [_error_item(str(status), message)]})


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if request.path.startswith("/labels/storage/"):  # storage links carry their own token
        return None
    required = ("x-mybring-api-uid", "x-mybring-api-key", "x-bring-client-url")
    if all(request.headers.get(name, "").strip() for name in required):
        return None
    return _error(
        401,
        "Authentication failed: send X-Mybring-API-Uid, X-Mybring-API-Key and X-Bring-Client-URL",
    )


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=_error)


# --- shared helpers -----------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _business_days_after(day: dt.date, count: int) -> dt.date:
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _next_business_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _digits(postal_code: str) -> str:
    return "".join(char for char in postal_code.upper() if char.isalnum())


# A plausible town for a postal code, by its first digit (Bring writes place names upper case).
_TOWNS: dict[str, tuple[str, ...]] = {
    "NO": (
        "OSLO",
        "SKI",
        "HAMAR",
        "DRAMMEN",
        "STAVANGER",
        "BERGEN",
        "ÅLESUND",
        "TRONDHEIM",
        "BODØ",
        "TROMSØ",
    ),
    "SE": (
        "STOCKHOLM",
        "STOCKHOLM",
        "MALMÖ",
        "VÄXJÖ",
        "GÖTEBORG",
        "JÖNKÖPING",
        "NORRKÖPING",
        "UPPSALA",
        "SUNDSVALL",
        "UMEÅ",
    ),
    "DK": (
        "KØBENHAVN",
        "KØBENHAVN",
        "HVIDOVRE",
        "HILLERØD",
        "ROSKILDE",
        "ODENSE",
        "KOLDING",
        "VEJLE",
        "AARHUS",
        "AALBORG",
    ),
    "FI": (
        "HELSINKI",
        "LAHTI",
        "TURKU",
        "TAMPERE",
        "JYVÄSKYLÄ",
        "KOUVOLA",
        "VAASA",
        "KUOPIO",
        "JOENSUU",
        "OULU",
    ),
}


def _town(country: str, postal_code: str) -> str:
    towns = _TOWNS.get(country, ("",))
    first = postal_code[:1]
    return towns[int(first) % len(towns)] if first.isdigit() else towns[0]


# --- Pickup Point API ---------------------------------------------------------------------

_POINT_TYPES = {  # (manned, locker) type codes, Pickup Point API
    "NO": ("4", "37"),
    "SE": ("34", "39"),
    "DK": ("85", "86"),
    "FI": ("Posti", "LOCKER"),
}
_DAY_NAMES = {
    "English": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "Norwegian": ("Man", "Tir", "Ons", "Tor", "Fre", "Lør", "Søn"),
    "Swedish": ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"),
    "Danish": ("Man", "Tir", "Ons", "Tor", "Fre", "Lør", "Søn"),
    "Finnish": ("Maa", "Tii", "Kes", "Tor", "Per", "Lau", "Sun"),
}


def _hours_text(hours: tuple[OpeningHours, ...], names: tuple[str, ...]) -> str:
    """``"Mon - Fri: 0800-2200, Sat - Sun: 1000-1800"``: runs of days with equal hours."""
    runs: list[tuple[int, int, str]] = []
    for entry in sorted(hours, key=lambda h: h.weekday):
        window = f"{entry.opens:%H%M}-{entry.closes:%H%M}"
        if runs and runs[-1][2] == window and runs[-1][1] == entry.weekday - 1:
            runs[-1] = (runs[-1][0], entry.weekday, window)
        else:
            runs.append((entry.weekday, entry.weekday, window))
    return ", ".join(
        f"{names[first]}: {window}"
        if first == last
        else f"{names[first]} - {names[last]}: {window}"
        for first, last, window in runs
    )


def _point_id(location: Location) -> str:
    """Bring's ids are six digits; derive one from the static source's stable id."""
    digest = hashlib.sha256(location.id.encode()).digest()
    return str(100000 + int.from_bytes(digest[:4], "big") % 900000)


class _PointSource(BringStaticAdapter):
    """The static source's points in every country of the Pickup Point API: Bring's products
    deliver in Norway (PICKUP_PARCEL in SE and DK), but its pickup points are in NO, SE, DK and
    FI."""

    declaration = dataclasses.replace(
        BringStaticAdapter.declaration or DECLARATION,
        products=tuple(
            dataclasses.replace(product, countries=frozenset()) for product in DECLARATION.products
        ),
    )


def _static_points(
    country: str, postal_code: str, kind: LocationKind, count: int
) -> list[Location]:
    town = _town(country, postal_code)
    quote = _PointSource().quote(
        request=QuoteRequest(
            merchant_ref="sandbox",
            agreement=AgreementCredentials(agreement_id=0, customer_number=""),
            products=(
                ProductQuery(
                    code="5800",
                    kind=ProductKind.LOCKER
                    if kind is LocationKind.LOCKER
                    else ProductKind.PICKUP_POINT,
                    wants_locations=True,
                ),
            ),
            recipient=Address(country=country, postal_code=postal_code, city=town),
            parcels=(Parcel(weight_g=1000),),
            currency="NOK",
            now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            max_locations=count,
        )
    )[0]
    return list(quote.locations)


def _render_point(location: Location) -> dict[str, Any]:
    country = location.address.country
    manned, locker = _POINT_TYPES[country]
    is_locker = location.kind is LocationKind.LOCKER
    point_id = _point_id(location)
    distance_m = location.distance_m or 0
    street = location.address.street_address.upper()
    city = location.address.city.upper()
    lat = location.coordinates.lat if location.coordinates else 0.0
    lng = location.coordinates.lng if location.coordinates else 0.0
    point: dict[str, Any] = {
        "id": point_id,
        "unitId": point_id,
        "name": location.name,
        "address": street,
        "postalCode": location.address.postal_code,
        "city": city,
        "countryCode": country,
        "municipality": city,
        "county": "",
        "visitingAddress": street,
        "visitingPostalCode": location.address.postal_code,
        "visitingCity": city,
    }
    if is_locker:
        point["locationDescription"] = "Pakkeboksen står ved inngangen."
    for language, names in _DAY_NAMES.items():
        point[f"openingHours{language}"] = _hours_text(location.opening_hours, names)
    point.update(
        {
            "latitude": lat,
            "longitude": lng,
            "postenMapsLink": f"http://www.posten.no/kundeservice/kart?ID={point_id}",
            "googleMapsLink": f"http://maps.google.com/maps?f=q&hl=en&geocode=&q={lat},{lng}",
            "distanceInKm": f"{distance_m / 1000:.1f}",
            "distanceType": "DRIVING_DISTANCE",
            "durationInMinutes": str(max(1, round(distance_m / 1000 * 1.5))),
            "durationType": "DRIVING_TIME",
            "type": locker if is_locker else manned,
            "additionalServiceCode": "1036",
        }
    )
    return point


@sandbox.route(
    "GET",
    r"/pickuppoint/api/pickuppoint/(?P<country>[A-Za-z]{2})/postalCode/(?P<postal_code>[^/]+)\.json",
)
def pickup_points(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    country = match["country"].upper()
    if country not in _POINT_TYPES:
        return _error(400, f"Country code {country} is not supported. Use NO, DK, SE or FI")
    postal_code = _digits(match["postal_code"])
    try:
        count = int(request.param("numberOfResponses", "10"))
    except ValueError:
        return _error(400, "numberOfResponses must be a number between 1 and 100")
    if not 1 <= count <= 100:
        return _error(400, "numberOfResponses must be a number between 1 and 100")
    wanted = request.param("pickupPointType").lower()
    if wanted not in ("", "manned", "locker"):
        return _error(400, "pickupPointType must be manned or locker")
    if not postal_code.isdigit():
        return SandboxResponse(200, {"pickupPoint": []})
    kinds = [LocationKind.SERVICE_POINT, LocationKind.LOCKER]
    if wanted:  # the postal-code search filters by type in NO, SE, DK and FI (its RAML)
        kinds = [LocationKind.LOCKER if wanted == "locker" else LocationKind.SERVICE_POINT]
    points = [
        point for kind in kinds for point in _static_points(country, postal_code, kind, count)
    ]
    points.sort(key=lambda point: (point.distance_m or 0, point.id))
    return SandboxResponse(200, {"pickupPoint": [_render_point(p) for p in points[:count]]})


# --- Shipping Guide API v2 ----------------------------------------------------------------


@dataclass(frozen=True)
class _Product:
    name: str
    delivery_type: str
    list_price: Decimal  # without VAT, first kilo
    per_kilo: Decimal
    max_weight_g: int
    working_days: int
    mailbox: bool = False
    time_slots: bool = False
    countries: frozenset[str] = frozenset({"NO"})
    production_code: str = ""


_PRODUCTS = {
    "5800": _Product(
        "Pakke til hentested", "Hentested", Decimal("99.00"), Decimal("6.00"), 35000, 2
    ),
    "5600": _Product(
        "Pakke levert hjem", "Dør", Decimal("149.00"), Decimal("8.00"), 35000, 2, time_slots=True
    ),
    "3584": _Product(
        "Pakke i postkassen", "Postkasse", Decimal("59.00"), Decimal(0), 5000, 2, mailbox=True
    ),
    "3570": _Product(
        "Pakke i postkassen med RFID",
        "Postkasse",
        Decimal("59.00"),
        Decimal(0),
        5000,
        2,
        mailbox=True,
    ),
    # Bring's PickUp Parcel: at most 20 kg (data/service.json); prices are the sandbox's own.
    "PICKUP_PARCEL": _Product(
        "PickUp Parcel",
        "Hentested",
        Decimal("79.00"),
        Decimal("5.00"),
        20000,
        2,
        countries=frozenset({"SE", "DK"}),
        production_code="0340",
    ),
}
#: Prices in the sender country's currency (a guess: Bring's is the customer number's).
_CURRENCIES = {"NO": "NOK", "SE": "SEK", "DK": "DKK", "FI": "EUR"}
_VAT = Decimal("0.25")
_NET_FACTOR = Decimal("0.85")
_CUTOFF_HOUR = 16  # handed in later, a parcel leaves the next business day
_MAILBOX_MAX_SIDE_CM = 45
_MAILBOX_MAX_SUM_CM = 90


def _field_errors(*errors: tuple[str, str, str]) -> SandboxResponse:
    return SandboxResponse(
        400,
        {"fieldErrors": [{"code": c, "field": f, "message": m} for c, f, m in errors]},
    )


def _as_int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _shipping_moment(value: Any) -> dt.datetime:
    if not isinstance(value, dict):
        return dt.datetime.now(OSLO)
    today = dt.datetime.now(OSLO)
    return dt.datetime(
        _as_int(value.get("year"), today.year),
        _as_int(value.get("month"), today.month),
        _as_int(value.get("day"), today.day),
        _as_int(value.get("hour")),
        _as_int(value.get("minute")),
        tzinfo=OSLO,
    )


def _date_fields(day: dt.date) -> dict[str, str]:
    return {"year": str(day.year), "month": str(day.month), "day": str(day.day)}


def _slot(start: int, end: int) -> dict[str, Any]:
    return {
        "startTime": {"hour": str(start), "minute": "0"},
        "endTime": {"hour": str(end), "minute": "0"},
    }


def _price_block(amount: Decimal, currency: str = "NOK") -> dict[str, Any]:
    vat = (amount * _VAT).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    amounts = {
        "amountWithoutVAT": _money(amount),
        "vat": _money(vat),
        "amountWithVAT": _money(amount + vat),
    }
    return {
        "priceWithoutAdditionalServices": dict(amounts),
        "priceWithAdditionalServices": dict(amounts),
        "currencyCode": currency,
    }


def _fits(product: _Product, packages: list[dict[str, Any]]) -> bool:
    for package in packages:
        if _as_int(package.get("grossWeight")) > product.max_weight_g:
            return False
        sides = [_as_int(package.get(side)) for side in ("length", "width", "height")]
        if product.mailbox and (
            max(sides) > _MAILBOX_MAX_SIDE_CM or sum(sides) > _MAILBOX_MAX_SUM_CM
        ):
            return False
    return True


def _expected_delivery(
    product: _Product, shipped: dt.datetime, postal_code: str, alternatives: int
) -> dict[str, Any]:
    leaves = _next_business_day(shipped.date())
    if leaves == shipped.date() and shipped.hour >= _CUTOFF_HOUR:
        leaves = _business_days_after(leaves, 1)
    days = product.working_days + (1 if postal_code.startswith("9") else 0)  # the far north
    delivered = _business_days_after(leaves, days)
    # Home delivery runs in the evening around Oslo, in the daytime elsewhere.
    window = (15, 22) if postal_code[:1] in ("0", "1") else (8, 17)

    def delivery_date(day: dt.date) -> dict[str, Any]:
        fields: dict[str, Any] = _date_fields(day)
        if product.time_slots:
            fields["timeSlots"] = [_slot(*window)]
        return fields

    alternative_dates = []
    day = delivered
    for _ in range(alternatives):
        day = _business_days_after(day, 1)
        ships = day
        for _ in range(days):
            ships -= dt.timedelta(days=1)
            while ships.weekday() >= 5:
                ships -= dt.timedelta(days=1)
        alternative_dates.append(
            {
                "shippingDate": _date_fields(ships),
                "formattedExpectedDeliveryDate": f"{day:%d.%m.%Y}",
                "expectedDeliveryDate": delivery_date(day),
            }
        )
    return {
        "workingDays": str(days),
        "userMessage": "",
        "formattedExpectedDeliveryDate": f"{delivered:%d.%m.%Y}",
        "expectedDeliveryDate": delivery_date(delivered),
        "alternativeDeliveryDates": alternative_dates,
    }


def _answer_product(
    code: str,
    customer_number: str,
    consignment: dict[str, Any],
    packages: list[dict[str, Any]],
    alternatives: int,
    with_gui: bool,
) -> dict[str, Any] | None:
    product = _PRODUCTS.get(code)
    if (
        product is None
        or str(consignment.get("toCountryCode", "")).upper() not in product.countries
    ):
        return None
    if not _fits(product, packages):
        return None
    kilos = math.ceil(sum(_as_int(p.get("grossWeight")) for p in packages) / 1000)
    list_amount = product.list_price + product.per_kilo * max(0, kilos - 1)
    currency = _CURRENCIES.get(str(consignment.get("fromCountryCode", "")).upper(), "NOK")
    price: dict[str, Any] = {"listPrice": _price_block(list_amount, currency)}
    if customer_number:
        price["netPrice"] = _price_block(
            (list_amount * _NET_FACTOR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            currency,
        )
    answer: dict[str, Any] = {"id": code, "productionCode": product.production_code or code}
    if customer_number:
        answer["customerNumber"] = customer_number
    if with_gui:
        answer["guiInformation"] = {
            "displayName": product.name,
            "productName": product.name,
            "deliveryType": product.delivery_type,
            "maxWeightInKgs": str(product.max_weight_g // 1000),
        }
    answer["price"] = price
    answer["expectedDelivery"] = _expected_delivery(
        product,
        _shipping_moment(consignment.get("shippingDate")),
        _digits(str(consignment.get("toPostalCode", ""))),
        alternatives,
    )
    return answer


@sandbox.route("POST", r"/shippingguide/(?:api/)?v2/products")
def products(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    if not isinstance(body, dict):
        return _field_errors(("FG_INPUT_001", "body", "The request body must be a JSON object"))
    alternatives = body.get("numberOfAlternativeDeliveryDates", 0)
    if (
        not isinstance(alternatives, int)
        or isinstance(alternatives, bool)
        or not 0 <= alternatives <= 9
    ):
        return _field_errors(
            (
                "FG_INPUT_010",
                "numberOfAlternativeDeliveryDates",
                "Number of alternative delivery dates must be numeric and less than 10",
            )
        )
    consignments = body.get("consignments")
    if not isinstance(consignments, list) or not consignments:
        return _field_errors(
            ("FG_INPUT_002", "consignments", "At least one consignment is required")
        )
    answered = []
    for index, consignment in enumerate(consignments):
        if not isinstance(consignment, dict):
            return _field_errors(("FG_INPUT_002", f"consignments[{index}]", "Invalid consignment"))
        missing = [
            field
            for field in ("fromCountryCode", "fromPostalCode", "toCountryCode", "toPostalCode")
            if not str(consignment.get(field) or "").strip()
        ]
        asked = consignment.get("products")
        if not isinstance(asked, list) or not asked:
            missing.append("products")
            asked = []
        if missing:
            return _field_errors(
                *[
                    ("FG_INPUT_003", f"consignments[{index}].{field}", f"{field} is required")
                    for field in missing
                ]
            )
        packages = [p for p in consignment.get("packages") or [] if isinstance(p, dict)]
        answers = []
        for item in asked:
            if not isinstance(item, dict) or not item.get("id"):
                return _field_errors(
                    ("FG_INPUT_004", f"consignments[{index}].products", "Product id is required")
                )
            answer = _answer_product(
                str(item["id"]),
                str(item.get("customerNumber") or ""),
                consignment,
                packages,
                alternatives,
                bool(body.get("withGuiInformation")),
            )
            if answer is not None:
                answers.append(answer)
        answered.append({"products": answers})
    return SandboxResponse(
        200,
        {
            "traceMessages": [],
            "consignments": answered,
            "uniqueId": _unique_id("shippingguide", request.body.decode("utf-8", "replace")),
        },
    )


# --- Booking API and labels ---------------------------------------------------------------


@dataclass(frozen=True)
class _Shipment:
    consignment_number: str
    package_numbers: tuple[str, ...]
    sender_reference: str
    product: str
    booked_at: dt.datetime
    weight_kg: float
    sender_name: str
    recipient_postal_code: str
    recipient_city: str
    pickup_point: str
    recipient_name: str = ""
    recipient_street: str = ""


_lock = threading.Lock()
_shipments: dict[str, _Shipment] = {}  # consignment number -> shipment
_packages: dict[str, str] = {}  # package number -> consignment number
_labels: dict[str, str] = {}  # label id -> consignment number
# sender reference -> consignment number: what a Tracking API search by reference finds. Kept
# across ledger resets, as a carrier keeps old shipments; numbers never repeat.
_references: dict[str, str] = {}


def _booking_errors(
    status: int, errors: list[tuple[str, str]], correlation_id: Any
) -> SandboxResponse:
    return SandboxResponse(
        status,
        {
            "consignments": [
                {
                    "confirmation": None,
                    "errors": [_error_item(code, message) for code, message in errors],
                    "correlationId": correlation_id,
                }
            ]
        },
    )


def _party_errors(party: Any, role: str) -> list[tuple[str, str]]:
    if not isinstance(party, dict):
        return [
            (
                "BOOK-INPUT-006" if role == "sender" else "BOOK-INPUT-007",
                f"{role.title()} must be specified",
            )
        ]
    errors = []
    for field, code, message in (
        ("name", "BOOK-INPUT-014", "Name must be provided"),
        ("addressLine", "BOOK-INPUT-015", "Address must be provided"),
        ("city", "BOOK-INPUT-016", "City must be provided"),
        ("countryCode", "BOOK-INPUT-017", "ISO Country code must be provided"),
    ):
        if not str(party.get(field) or "").strip():
            errors.append((code, f"{message} for {role}"))
    return errors


def _input_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    """What Bring refuses with a 400: missing input (codes of its error catalogue)."""
    if "testIndicator" not in body:
        return [
            (
                "BOOK-INPUT-030",
                "Please set the testIndicator attribute on the request (true = test booking, false = production booking)",
            )
        ]
    if not body.get("schemaVersion"):
        return [("BOOK-INPUT-003", "Schema version must be present")]
    consignments = body.get("consignments")
    if not isinstance(consignments, list) or not consignments:
        return [("BOOK-INPUT-004", "At least one consignment must be specified")]
    if len(consignments) > 1:
        return [("BOOK-INPUT-005", "Multiple consignments in one booking is not supported")]
    consignment = consignments[0]
    if not isinstance(consignment, dict):
        return [("BOOK-INPUT-001", "Bad request")]
    errors: list[tuple[str, str]] = []
    if not consignment.get("shippingDateTime"):
        errors.append(("BOOK-INPUT-012", "Shipping date and time must be provided"))
    parties = consignment.get("parties")
    if not isinstance(parties, dict):
        parties = {}
    errors += _party_errors(parties.get("sender"), "sender")
    errors += _party_errors(parties.get("recipient"), "recipient")
    product = consignment.get("product")
    if not isinstance(product, dict):
        errors.append(("BOOK-INPUT-008", "Product must be set"))
    else:
        if not product.get("id"):
            errors.append(("BOOK-INPUT-018", "Product ID must be provided"))
        if not product.get("customerNumber"):
            errors.append(("BOOK-INPUT-019", "Customer number must be provided"))
    packages = consignment.get("packages")
    if not isinstance(packages, list) or not packages:
        errors.append(("BOOK-INPUT-009", "Package or Package Group must be specified"))
    elif any(
        not isinstance(p, dict)
        or not isinstance(p.get("weightInKg"), int | float)
        or p["weightInKg"] <= 0
        for p in packages
    ):
        errors.append(("BOOK-INPUT-002", "Weight is required"))
    return errors


#: Products that take ``customerSpecifiedDeliveryDateTime`` (Booking API RAML), and how far
#: ahead ("For 'PA_DOREN' and '5600' the date cannot be set to more than current date + 10").
_CUSTOMER_SPECIFIED_PRODUCTS = frozenset({"5600", "PA_DOREN", "OIL_EXPRESS"})
_CUSTOMER_SPECIFIED_MAX_DAYS = 10


def _delivery_time_errors(consignment: dict[str, Any], code: str) -> list[tuple[str, str]]:
    """The shopper's chosen delivery time, as 5600 takes it. The codes are the sandbox's own."""
    if consignment.get("customerSpecifiedDelivery") is not None:
        return [
            (
                "SANDBOX-CSD-001",
                f"customerSpecifiedDelivery is not applicable for product {code}; "
                "use customerSpecifiedDeliveryDateTime",
            )
        ]
    value = consignment.get("customerSpecifiedDeliveryDateTime")
    if value is None:
        return []
    if code not in _CUSTOMER_SPECIFIED_PRODUCTS:
        return [
            (
                "SANDBOX-CSD-002",
                f"customerSpecifiedDeliveryDateTime is not applicable for product {code}",
            )
        ]
    try:
        chosen = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return [("SANDBOX-CSD-003", f"customerSpecifiedDeliveryDateTime {value!r} is invalid")]
    today = dt.datetime.now(OSLO).date()
    chosen_day = (chosen.astimezone(OSLO) if chosen.tzinfo else chosen).date()
    if chosen_day > today + dt.timedelta(days=_CUSTOMER_SPECIFIED_MAX_DAYS):
        return [
            (
                "SANDBOX-CSD-004",
                "customerSpecifiedDeliveryDateTime cannot be set to more than current date + "
                f"{_CUSTOMER_SPECIFIED_MAX_DAYS} days",
            )
        ]
    return []


def _business_errors(consignment: dict[str, Any]) -> list[tuple[str, str]]:
    """What Bring refuses inside a 200: the product, coverage, size, notification."""
    product = consignment["product"]
    code = str(product["id"])
    known = _PRODUCTS.get(code)
    if known is None:
        return [("BOOK-INPUT-020", "Invalid product ID")]
    recipient = consignment["parties"]["recipient"]
    country = str(recipient.get("countryCode", "")).upper()
    if country not in known.countries:
        return [("BOOK-INPUT-022", f"Illegal product for country {country}")]
    errors = _pickup_parcel_errors(consignment, code)
    if errors:
        return errors
    if any(p["weightInKg"] * 1000 > known.max_weight_g for p in consignment["packages"]):
        return [("BOOK-INPUT-023", "The shipment is too big to send with the given product")]
    errors = _delivery_time_errors(consignment, code)
    if errors:
        return errors
    for service in product.get("additionalServices") or []:
        if (
            isinstance(service, dict)
            and service.get("id") == "EVARSLING"
            and not (service.get("mobile") or service.get("email"))
        ):
            return [
                (
                    "BOOK_VALIDATION-002",
                    "A valid mobile phone number or email address is required for eVarsling",
                )
            ]
    return []


def _pickup_parcel_errors(consignment: dict[str, Any], code: str) -> list[tuple[str, str]]:
    """PICKUP_PARCEL to a chosen pickup point: eAdvising is mandatory ("Service Code 0010 and
    0011 (BIG14) 1.7"; EVARSLING in the Booking API), and no chosen point from Norway
    (data/services_vas.json). The codes are the sandbox's own."""
    if code != "PICKUP_PARCEL":
        return []
    parties = consignment["parties"]
    if not isinstance(parties.get("pickupPoint"), dict):
        return []
    sender_country = str(parties["sender"].get("countryCode", "")).upper()
    if sender_country == "NO":
        return [
            (
                "SANDBOX-VAS-002",
                "Optional pickup point (Nordics) is not available for PICKUP_PARCEL sent from NO",
            )
        ]
    services = [
        service
        for service in consignment["product"].get("additionalServices") or []
        if isinstance(service, dict)
    ]
    if not any(service.get("id") == "EVARSLING" for service in services):
        return [
            (
                "SANDBOX-VAS-001",
                "Additional service EVARSLING (eAdvising) is mandatory for PICKUP_PARCEL "
                "to a pickup point",
            )
        ]
    return []


@sandbox.route("POST", r"/booking/api/booking")
def booking(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    if not isinstance(body, dict):
        return _booking_errors(
            400,
            [
                (
                    "BOOK_INPUT-059",
                    "Invalid input provided. Not able to parse the input successfully.",
                )
            ],
            None,
        )
    consignments = body.get("consignments")
    first = consignments[0] if isinstance(consignments, list) and consignments else {}
    correlation_id = first.get("correlationId") if isinstance(first, dict) else None
    errors = _input_errors(body)
    if errors:
        return _booking_errors(400, errors, correlation_id)
    errors = _business_errors(first)
    if errors:
        return _booking_errors(200, errors, correlation_id)

    reference = str(correlation_id or "")
    parties = first["parties"]
    pickup = parties.get("pickupPoint") if isinstance(parties.get("pickupPoint"), dict) else None
    packages = first["packages"]
    recorded: dict[str, Any] = {"testIndicator": body["testIndicator"], "consignment": first}
    sequence = ledger.record(SLUG, reference, recorded)
    consignment_number = f"70438101{sequence:09d}"
    package_numbers = tuple(
        f"370438101{sequence:06d}{index:03d}" for index in range(1, len(packages) + 1)
    )
    recorded["consignmentNumber"] = consignment_number
    now = dt.datetime.now(dt.UTC)
    shipment = _Shipment(
        consignment_number=consignment_number,
        package_numbers=package_numbers,
        sender_reference=str(parties["sender"].get("reference") or ""),
        product=str(first["product"]["id"]),
        booked_at=now,
        weight_kg=float(sum(p["weightInKg"] for p in packages)),
        sender_name=str(parties["sender"].get("name", "")),
        recipient_postal_code=str(parties["recipient"].get("postalCode", "")),
        recipient_city=str(parties["recipient"].get("city", "")).upper(),
        pickup_point=str(pickup.get("id", "")) if pickup else "",
        recipient_name=str(parties["recipient"].get("name", "")),
        recipient_street=str(parties["recipient"].get("addressLine", "")),
    )
    label_id = _unique_id("label", consignment_number)
    with _lock:
        _shipments[consignment_number] = shipment
        _labels[label_id] = consignment_number
        for number in package_numbers:
            _packages[number] = consignment_number
        if shipment.sender_reference:
            _references[shipment.sender_reference] = consignment_number
    host = request.headers.get("host", "127.0.0.1")
    expected = _business_days_after(
        now.astimezone(OSLO).date(), _PRODUCTS[shipment.product].working_days
    )
    return SandboxResponse(
        200,
        {
            "consignments": [
                {
                    "confirmation": {
                        "consignmentNumber": consignment_number,
                        "productSpecificData": None,
                        "links": {
                            "labels": f"http://{host}/{SLUG}/labels/id/{label_id}.pdf",
                            "waybill": None,
                            "tracking": f"https://sporing.bring.no/sporing.html?q={consignment_number}",
                        },
                        "dateAndTimes": {
                            "earliestPickup": None,
                            "expectedDelivery": dt.datetime.combine(
                                expected, dt.time(0, 0), tzinfo=OSLO
                            ).isoformat(),
                        },
                        "packages": [
                            {"packageNumber": number, "correlationId": package.get("correlationId")}
                            for number, package in zip(package_numbers, packages, strict=True)
                        ],
                    },
                    "errors": None,
                    "correlationId": correlation_id,
                }
            ]
        },
    )


@sandbox.route("GET", r"/labels/id/(?P<label>[0-9a-f-]+)\.pdf")
def label_link(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    with _lock:
        known = match["label"] in _labels
    if not known:
        return _error(404, "Label not found")
    host = request.headers.get("host", "127.0.0.1")
    return SandboxResponse(
        302,
        b"",
        headers={"Location": f"http://{host}/{SLUG}/labels/storage/{match['label']}.pdf"},
        content_type="text/plain",
    )


@sandbox.route("GET", r"/labels/storage/(?P<label>[0-9a-f-]+)\.pdf")
def label_file(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    with _lock:
        number = _labels.get(match["label"])
        shipment = _shipments.get(number) if number is not None else None
    if number is None or shipment is None:
        return _error(404, "Label not found")
    pdf = label_pdf(
        "Bring",
        number,
        recipient=shipment.recipient_name,
        address=[
            shipment.recipient_street,
            f"{shipment.recipient_postal_code} {shipment.recipient_city}".strip(),
        ],
        lines=[
            f"{_PRODUCTS[shipment.product].name} ({shipment.product})",
            f"From {shipment.sender_name}" if shipment.sender_name else "",
            f"Pickup point {shipment.pickup_point}" if shipment.pickup_point else "",
            *(f"Package {package}" for package in shipment.package_numbers),
        ],
    )
    return SandboxResponse(200, pdf, content_type="application/pdf")


# --- Tracking API v2 ----------------------------------------------------------------------

_DESCRIPTIONS = {
    "PRE_NOTIFIED": "Electronic notification of the shipment has been received by Bring.",
    "HANDED_IN": "The shipment has been handed in at terminal and forwarded.",
    "IN_TRANSIT": "The shipment is in transit.",
    "READY_FOR_PICKUP": "The shipment has arrived at pickup point.",
    "TRANSPORT_TO_RECIPIENT": "The shipment has been loaded for delivery.",
    "DELIVERED": "The shipment has been delivered.",
}


@dataclass(frozen=True)
class _Step:
    status: str
    after: dt.timedelta
    postal_code: str = ""
    city: str = ""
    unit_id: str = ""


def _progression(shipment: _Shipment) -> list[_Step]:
    steps = [
        _Step("PRE_NOTIFIED", dt.timedelta()),
        _Step("HANDED_IN", dt.timedelta(hours=2), "0024", "OSLO", "032850"),
        _Step("IN_TRANSIT", dt.timedelta(hours=6), "0024", "OSLO", "032850"),
    ]
    here = (shipment.recipient_postal_code, shipment.recipient_city)
    if shipment.product in ("5800", "PICKUP_PARCEL"):
        steps.append(
            _Step("READY_FOR_PICKUP", dt.timedelta(hours=26), *here, shipment.pickup_point)
        )
    else:
        steps.append(_Step("TRANSPORT_TO_RECIPIENT", dt.timedelta(hours=24), *here))
        steps.append(_Step("DELIVERED", dt.timedelta(hours=30), *here))
    return steps


def _event(step: _Step, at: dt.datetime) -> dict[str, Any]:
    local = at.astimezone(OSLO).replace(microsecond=0)
    return {
        "description": _DESCRIPTIONS[step.status],
        "status": step.status,
        "recipientSignature": {"name": ""},
        "unitId": step.unit_id,
        "unitType": "BRING",
        "postalCode": step.postal_code,
        "city": step.city,
        "countryCode": "NO" if step.city else "",
        "country": "Norway" if step.city else "",
        "dateIso": local.isoformat(),
        "displayDate": f"{local:%d.%m.%Y}",
        "displayTime": f"{local:%H:%M}",
        "consignmentEvent": False,
        "insignificant": False,
    }


def _package(
    number: str, product: str, weight_kg: float, events: list[dict[str, Any]]
) -> dict[str, Any]:
    name = _PRODUCTS[product].name if product in _PRODUCTS else product
    return {
        "statusDescription": events[0]["description"] if events else "",
        "descriptions": [],
        "packageNumber": number,
        "previousPackageNumber": "",
        "productName": name.upper(),
        "productCode": product,
        "brand": "POSTEN",
        "weightInKgs": weight_kg,
        "dateOfEstimatedDelivery": "",
        "dateOfDelivery": "",
        "eventSet": events,
    }


def _consignment(
    number: str, reference: str, sender: str, packages: list[dict[str, Any]], weight_kg: float
) -> dict[str, Any]:
    return {
        "consignmentId": number,
        "previousConsignmentId": "",
        "packageSet": packages,
        "senderReference": reference,
        "senderName": sender,
        "totalWeightInKgs": weight_kg,
        "isPickupNoticeAvailable": False,
    }


# Bring's documented test numbers (https://developer.bring.com/api/testing/), fixed histories.
_TEST_HISTORIES: dict[str, tuple[str, list[tuple[str, str, str, str, str]]]] = {
    "TESTPACKAGEEDI": ("1202", [("PRE_NOTIFIED", "2026-11-23T09:12:00+01:00", "", "", "")]),
    "TESTPACKAGEATPICKUPPOINT": (
        "5800",
        [
            ("PRE_NOTIFIED", "2026-11-23T09:12:00+01:00", "", "", ""),
            ("HANDED_IN", "2026-11-23T16:40:10+01:00", "0024", "OSLO", "032850"),
            ("IN_TRANSIT", "2026-11-24T02:05:44+01:00", "0024", "OSLO", "032850"),
            ("READY_FOR_PICKUP", "2026-11-24T10:31:25+01:00", "2341", "LØTEN", "122608"),
        ],
    ),
    "TESTPACKAGEDELIVERED": (
        "5600",
        [
            ("PRE_NOTIFIED", "2026-11-23T09:12:00+01:00", "", "", ""),
            ("HANDED_IN", "2026-11-23T16:40:10+01:00", "0024", "OSLO", "032850"),
            ("TRANSPORT_TO_RECIPIENT", "2026-11-24T15:02:51+01:00", "0659", "OSLO", ""),
            ("DELIVERED", "2026-11-24T18:47:03+01:00", "0659", "OSLO", ""),
        ],
    ),
}


def _test_history(number: str) -> dict[str, Any]:
    product, history = _TEST_HISTORIES[number]
    events = [
        _event(_Step(status, dt.timedelta(), postal, city, unit), dt.datetime.fromisoformat(at))
        for status, at, postal, city, unit in reversed(history)
    ]
    return _consignment(
        f"SHIPMENT{number}", "", "POSTEN NORGE AS", [_package(number, product, 1.0, events)], 1.0
    )


def _tracked(shipment: _Shipment, only_package: str = "") -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    events = [
        _event(step, shipment.booked_at + step.after)
        for step in reversed(_progression(shipment))
        if shipment.booked_at + step.after <= now
    ]
    numbers = [only_package] if only_package else list(shipment.package_numbers)
    share = shipment.weight_kg / max(1, len(shipment.package_numbers))
    return _consignment(
        shipment.consignment_number,
        shipment.sender_reference,
        shipment.sender_name,
        [_package(n, shipment.product, share, events) for n in numbers],
        shipment.weight_kg,
    )


def _tracking_answer(status: int, consignments: list[dict[str, Any]]) -> SandboxResponse:
    return SandboxResponse(status, {"apiVersion": "2", "consignmentSet": consignments})


@sandbox.route("GET", r"/tracking/api/v2/tracking\.json")
def tracking(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    query = request.param("q").strip()
    if not query:
        return _tracking_answer(400, [{"error": {"code": 400, "message": "Invalid query"}}])
    if query.upper() in _TEST_HISTORIES:
        return _tracking_answer(200, [_test_history(query.upper())])
    with _lock:
        shipment = _shipments.get(query)
        package = ""
        if shipment is None and query in _packages:
            shipment, package = _shipments[_packages[query]], query
        if shipment is None and query in _references:  # a search by sender reference
            shipment = _shipments[_references[query]]
    if shipment is None:
        return _tracking_answer(200, [{"error": {"code": 404, "message": "No shipments found"}}])
    return _tracking_answer(200, [_tracked(shipment, package)])


@sandbox.on_reset
def _forget() -> None:
    """A reset sandbox remembers no bring bookings (ids restart with the ledger)."""
    with _lock:
        _shipments.clear()
        _packages.clear()
        _labels.clear()
        _references.clear()
