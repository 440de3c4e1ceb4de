"""The Instabee API (new, beta, ``Accept-Version: 1.0.0``) as the Instabox adapter calls it.

Routes (carriers/FIDELITY.md, Instabox), below ``/instabox``:

* ``GET|POST /availability/countries/{cc}/postal-codes/{pc}/delivery-options?brand=&product=``:
  ``LOCKER_EXPRESS`` (brand ``instabox``) answers up to ten lockers around the postal code
  (``carriers.static``'s Instabox lockers) with exactly the fields of Instabee's documented
  example: sort code, name, ETA, pack-before time (no address, coordinates or opening hours);
  ``HOME_DELIVERY`` (brand ``budbee``) answers delivery slots, 17:00-22:00 local on the next
  five business days (as with the slot flow enabled). A product asked with the other brand is
  a 400. Both carry an ``availabilityToken``. Not served (404): postal
  codes of Swedish Lapland (98xxx) and countries the sandbox has no map of (BE).
* ``PUT /orders``: the post-purchase / post-packing upsert, keyed by ``parcelId`` (or
  ``orderId``). Packing books the parcel once (``ledger``, reference = ``orderId``) and answers
  ``labelUrl``/``labelCode``; a packed parcel answers the same again without a second booking.
* ``GET /labels/{parcelId}.pdf``: the label PDF, without auth (like a pre-signed link).

Auth: ``Authorization: ApiKey <key>`` (any key) or 401 ``{"message": "Unauthorized"}``; an
``Accept-Version`` other than 1.0.0 is a 400. Errors are ``{"message", "errors"[{field,
message}]}`` (the body shape is a GUESS: Instabee documents the statuses, not the bodies).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import threading
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from carriers.static import MARKETS, InstaboxStaticAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Location,
    ProductKind,
    ProductQuery,
    QuoteRequest,
    Timeslot,
)

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, label_pdf, ledger

SLUG = "instabox"
API_VERSION = "1.0.0"
COUNTRIES = ("BE", "DK", "FI", "NL", "NO", "SE")
SANDBOX_PRODUCTS = ("LOCKER_EXPRESS", "HOME_DELIVERY")
INSTABEE_PRODUCTS = frozenset(
    {
        *SANDBOX_PRODUCTS,
        "LOCKER_RETURN",
        "HOME_RETURN",
        "LOCKER_AREA",
        "LOCKER_CAPACITY_SURPLUS",
        "LOCKER_ALLOCATION",
        "LOCKER_TO_LOCKER",
    }
)
BRANDS = frozenset({"instabox", "budbee"})
#: The brand of each product the sandbox serves: Instabox lockers, Budbee home delivery (Instabee
#: docs: home delivery's brand is "e.g. budbee, porterbuddy").
PRODUCT_BRANDS = {"LOCKER_EXPRESS": "instabox", "HOME_DELIVERY": "budbee"}
#: Postal-code prefixes Instabox does not reach, per country (Kiruna, Gällivare, Jokkmokk…).
NOT_SERVED = {"SE": ("98",)}
LOCKER_COUNT = 10
PACK_BEFORE = dt.time(20, 0)
LOCKER_ETA = (dt.time(14, 0), dt.time(17, 0))
_TOKENS = uuid.UUID("6f0c1b1e-3c1f-4a44-9a57-2f4d3c8b9e10")
#: A city per postal code's first digit, so lockers read like real addresses.
CITIES: dict[str, dict[str, str]] = {
    "SE": dict(zip("123456789", ("Stockholm", "Malmö", "Växjö", "Göteborg", "Jönköping",
                                 "Norrköping", "Västerås", "Sundsvall", "Umeå"), strict=True)),
    "NO": dict(zip("0123456789", ("Oslo", "Fredrikstad", "Hamar", "Drammen", "Stavanger",
                                  "Bergen", "Ålesund", "Trondheim", "Bodø", "Tromsø"), strict=True)),
    "DK": dict(zip("123456789", ("København", "København", "Hillerød", "Roskilde", "Odense",
                                 "Kolding", "Vejle", "Aarhus", "Aalborg"), strict=True)),
    "FI": dict(zip("0123456789", ("Helsinki", "Lahti", "Turku", "Tampere", "Jyväskylä", "Kotka",
                                  "Vaasa", "Kuopio", "Joensuu", "Oulu"), strict=True)),
    "NL": dict(zip("123456789", ("Amsterdam", "Den Haag", "Utrecht", "Breda", "Eindhoven",
                                 "Nijmegen", "Enschede", "Zwolle", "Groningen"), strict=True)),
}  # fmt: skip


#: The static Instabox network (its declared countries the static maps know).
_network = InstaboxStaticAdapter()
_lock = threading.Lock()
_orders: dict[str, dict[str, Any]] = {}
_generated_ids = itertools.count(1)


def _error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse(status, {"message": message})


def _invalid(errors: list[tuple[str, str]]) -> SandboxResponse:
    return SandboxResponse(
        400,
        {
            "message": "Validation failed",
            "errors": [{"field": field, "message": message} for field, message in errors],
        },
    )


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if request.path.startswith("/labels/"):  # a label link is pre-signed: no key
        return None
    if not re.fullmatch(r"ApiKey\s+\S+", request.headers.get("authorization", "").strip()):
        return _error(401, "Unauthorized")
    version = request.headers.get("accept-version", "")
    if version != API_VERSION:
        return _error(400, f"Unsupported Accept-Version {version!r}; use {API_VERSION}")
    return None


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=_error)


def _utc(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}.000Z"


def _eta(start: dt.datetime, end: dt.datetime, today: dt.date) -> dict[str, Any]:
    days = (start.date() - today).days
    return {
        "certainty": "INTERVAL",
        "etaInterval": {"from": _utc(start), "to": _utc(end)},
        "localEta": {
            "date": start.date().isoformat(),
            "dayText": "Idag" if days <= 0 else "Imorgon" if days == 1 else f"{days} dagar",
        },
    }


def _sort_code(location: Location) -> str:
    return "IN" + hashlib.sha256(location.id.encode()).hexdigest()[:6].upper()


def _locker(location: Location, *, now: dt.datetime, zone: ZoneInfo) -> dict[str, Any]:
    today = now.astimezone(zone).date()
    pack_before = dt.datetime.combine(today, PACK_BEFORE, tzinfo=zone)
    if now >= pack_before:
        pack_before += dt.timedelta(days=1)
    eta_day = pack_before.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(eta_day, LOCKER_ETA[0], tzinfo=zone)
    end = dt.datetime.combine(eta_day, LOCKER_ETA[1], tzinfo=zone)
    eta = _eta(start, end, today)
    # Only the fields of Instabee's documented availability example: no address, coordinates,
    # distance or opening hours (the docs show none for a delivery option).
    return {
        "sortCode": _sort_code(location),
        "type": "LOCKER",
        "brand": "Instabox",
        "deliveryOption": location.name,
        "deliveryOptionWithEta": f"{location.name} ({eta['localEta']['dayText'].lower()} "
        f"~{start:%H:%M})",
        "eta": eta,
        "packBeforeDatetime": _utc(pack_before),
        "consolidation": False,
    }


def _slot(slot: Timeslot, *, postal_code: str, today: dt.date) -> dict[str, Any]:
    day = slot.start.date()
    eta = _eta(slot.start, slot.end, today)
    return {
        "sortCode": f"HD{postal_code}{day:%m%d}",
        "type": "HOME",
        "brand": "Budbee",
        "deliveryOption": "Budbee Home",
        "deliveryOptionWithEta": f"Budbee Home ({day.isoformat()} "
        f"{slot.start:%H:%M}-{slot.end:%H:%M})",
        "deliverySlot": {
            "date": day.isoformat(),
            "startTime": f"{slot.start:%H:%M}",
            "endTime": f"{slot.end:%H:%M}",
        },
        "eta": eta,
        "packBeforeDatetime": _utc(slot.cutoff or slot.start),
        "consolidation": False,
    }


@sandbox.route(
    "GET",
    r"/availability/countries/(?P<country>[^/]+)/postal-codes/(?P<postal>[^/]+)/delivery-options",
)
@sandbox.route(
    "POST",
    r"/availability/countries/(?P<country>[^/]+)/postal-codes/(?P<postal>[^/]+)/delivery-options",
)
def delivery_options(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    country, postal_code = match["country"], match["postal"]
    brand, product = request.param("brand"), request.param("product")
    errors: list[tuple[str, str]] = []
    if country not in COUNTRIES:
        errors.append(("countryCode", f"must be one of {', '.join(COUNTRIES)}"))
    if not re.fullmatch(r"[0-9A-Z]{4,6}", postal_code):
        errors.append(("postalCode", "must be a postal code without spaces"))
    if brand not in BRANDS:
        errors.append(("brand", "must be one of budbee, instabox"))
    elif product in PRODUCT_BRANDS and brand != PRODUCT_BRANDS[product]:
        errors.append(("brand", f"{product} is offered by {PRODUCT_BRANDS[product]}"))
    if product not in INSTABEE_PRODUCTS:
        errors.append(("product", "must be an Instabee product"))
    if request.method == "POST" and not isinstance(request.json(), dict):
        errors.append(("body", "must be a JSON object"))
    if errors:
        return _invalid(errors)
    if product not in SANDBOX_PRODUCTS:
        return _error(403, f"The API key is not enabled for product {product}")
    if postal_code.startswith(NOT_SERVED.get(country, ())):
        return _error(404, f"No delivery options for postal code {postal_code}")

    now = dt.datetime.now(dt.UTC)
    zone = ZoneInfo(MARKETS[country].timezone if country in MARKETS else "Europe/Stockholm")
    today = now.astimezone(zone).date()
    locker = product == "LOCKER_EXPRESS"
    quote = _network.quote(
        request=QuoteRequest(
            merchant_ref="sandbox",
            agreement=AgreementCredentials(agreement_id=0, customer_number=""),
            products=(
                ProductQuery(
                    product,
                    ProductKind.LOCKER if locker else ProductKind.HOME,
                    wants_locations=locker,
                    wants_timeslots=not locker,
                ),
            ),
            recipient=Address(
                country=country,
                postal_code=postal_code,
                city=CITIES.get(country, {}).get(postal_code[0], ""),
            ),
            parcels=(),
            currency="SEK",
            now=now,
            max_locations=LOCKER_COUNT,
        )
    )[0]
    if not quote.available:
        return _error(404, f"No delivery options for postal code {postal_code}")
    if locker:
        options = [_locker(location, now=now, zone=zone) for location in quote.locations]
    else:
        options = [_slot(s, postal_code=postal_code, today=today) for s in quote.timeslots]
    token = uuid.uuid5(_TOKENS, f"{country}|{postal_code}|{brand}|{product}|{today.isoformat()}")
    return SandboxResponse(
        200,
        {
            "availabilityToken": str(token),
            "deliveryOptions": options,
            "preselection": "RECOMMENDED",
            "responseExpiresAt": _utc(now + dt.timedelta(hours=1)),
            "showAsOptionInCheckout": True,
        },
    )


def _validate(order: dict[str, Any]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    product = order.get("product")
    if product not in INSTABEE_PRODUCTS:
        errors.append(("product", "must be an Instabee product"))
    brand = order.get("brand", PRODUCT_BRANDS.get(str(product), "instabox"))
    if brand not in BRANDS:
        errors.append(("brand", "must be one of budbee, instabox"))
    elif product in PRODUCT_BRANDS and brand != PRODUCT_BRANDS[product]:
        errors.append(("brand", f"{product} is offered by {PRODUCT_BRANDS[product]}"))
    token = order.get("availabilityToken")
    try:
        uuid.UUID(str(token))
    except ValueError:
        errors.append(("availabilityToken", "must be a token from the Availability API"))
    recipient = order.get("recipient")
    if not isinstance(recipient, dict):
        return [*errors, ("recipient", "must not be null")]
    required = ["name", "email", "phone", "postalCode", "countryCode"]
    if product == "HOME_DELIVERY":
        required += ["street", "city"]
    errors += [(f"recipient.{f}", "must not be blank") for f in required if not recipient.get(f)]
    if recipient.get("countryCode") and recipient["countryCode"] not in COUNTRIES:
        errors.append(("recipient.countryCode", f"must be one of {', '.join(COUNTRIES)}"))
    option = order.get("deliveryOption")
    if product == "LOCKER_EXPRESS" and not (isinstance(option, dict) and option.get("sort_code")):
        errors.append(("deliveryOption.sort_code", "must not be blank"))
    weight = (order.get("dimensions") or {}).get("weight")
    if weight is not None and (not isinstance(weight, int) or weight <= 0):
        errors.append(("dimensions.weight", "must be a positive number of grams"))
    return errors


def _answer(order: dict[str, Any], *, host: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        key: order[key]
        for key in ("parcelId", "orderId", "brand", "product", "availabilityToken")
        if key in order
    }
    answer["parcelPackingConfirmed"] = bool(order.get("packed"))
    if order.get("packed"):
        answer["labelUrl"] = f"http://{host}/{SLUG}/labels/{order['parcelId']}.pdf"
        answer["labelCode"] = order["labelCode"]
        answer["trackingUrl"] = f"https://track.instabox.io/{order['parcelId']}"
    return answer


@sandbox.route("PUT", r"/orders")
def put_order(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    if not isinstance(body, dict):
        return _invalid([("body", "must be a JSON object")])
    # Instabee: "If omitted then we will default to packing confirmed".
    packed = body.get("parcelPackingConfirmed", True)
    if not isinstance(packed, bool):
        return _invalid([("parcelPackingConfirmed", "must be a boolean")])
    with _lock:
        parcel_id = str(body.get("parcelId") or "") or next(
            (
                p
                for p, o in _orders.items()
                if body.get("orderId") and o.get("orderId") == body["orderId"]
            ),
            f"INSTABOX{next(_generated_ids):010d}",
        )
        existing = _orders.get(parcel_id)
        reference = str((existing or body).get("orderId") or parcel_id)
        if existing and existing.get("packed") and ledger.find(SLUG, reference) is None:
            existing = None  # booked before the sandbox was reset: start afresh
        if existing and existing.get("packed"):
            return SandboxResponse(200, _answer(existing, host=request.headers.get("host", "")))
        order = {**(existing or {}), **{k: v for k, v in body.items() if v is not None}}
        order["parcelId"] = parcel_id
        errors = _validate(order)
        if errors:
            return _invalid(errors)
        if order["product"] not in SANDBOX_PRODUCTS:
            return _error(403, f"The API key is not enabled for product {order['product']}")
        if packed:
            sequence = ledger.record(SLUG, reference, {"parcelId": parcel_id, "order": order})
            sort_code = (order.get("deliveryOption") or {}).get("sort_code", "")
            order["labelCode"] = sort_code or f"HD{sequence:06d}"
            order["packed"] = True
        _orders[parcel_id] = order
    return SandboxResponse(200, _answer(order, host=request.headers.get("host", "")))


@sandbox.route("GET", r"/labels/(?P<parcel_id>[A-Za-z0-9]+)\.pdf")
def label(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    with _lock:
        order = _orders.get(match["parcel_id"])
    if not order or not order.get("packed"):
        return _error(404, "Label not found")
    recipient = order.get("recipient") or {}
    pdf = label_pdf(
        "Instabox",
        str(order["parcelId"]),
        recipient=str(recipient.get("name", "")),
        address=[
            str(recipient.get("street", "")),
            f"{recipient.get('postalCode', '')} {recipient.get('city', '')}".strip(),
        ],
        lines=[f"Sort code {order['labelCode']}"],
    )
    return SandboxResponse(200, pdf, content_type="application/pdf")


@sandbox.on_reset
def _forget() -> None:
    """A reset sandbox remembers no instabox bookings (ids restart with the ledger)."""
    global _generated_ids
    _generated_ids = itertools.count(1)
    with _lock:
        _orders.clear()
