"""Budbee's merchant API, faked (carriers/FIDELITY.md, Budbee), for the Budbee adapter and demos.

Speaks Budbee's wire format: HTTP Basic auth (any non-empty key and secret; 401 otherwise),
the vendor media type per endpoint (415 for another), epoch-millisecond times, errors as
``{"message": "..."}``. Deterministic data:

* ``GET /postalcodes/validate/{cc}/{pc}``: a list with the country's collection point, or 404
  where Budbee does not deliver: countries other than SE, NO, DK, FI, NL, malformed postal
  codes, and Swedish postal codes 9xxxx (Norrland, outside Budbee's home-delivery areas here);
* ``GET /intervals/{cc}/{pc}/{n}``: evening windows 17:00-22:00 local on the next ``n``
  business days, collected 10:00-13:00 the same day;
* ``GET /boxes/postalcodes/validate/{cc}/{pc}``: ``{"lockers": [...]}`` built from
  ``carriers.static.BudbeeStaticAdapter`` (the same lockers for the same postal code);
* ``POST /multiple/orders`` (counted in the booking ledger by cart id), ``POST
  /multiple/orders/{id}/parcels`` (label URLs served below, pre-signed), ``GET
  /multiple/orders?keyword=``, ``GET /multiple/orders/{id}``, ``GET
  /multiple/orders/{id}/tracking-url``, ``DELETE /multiple/orders/{id}`` (204);
* ``GET /parcels/{packageId}/tracking-url`` (parcels-v1): the parcel's tracking page.

Budbee documents no API answering a parcel's events (it pushes them as webhooks), so neither
does the sandbox; ``webhook_events(package_id)`` gives the V2 webhook bodies Budbee would have
pushed for a booked parcel (its whole progression at once, timed from its order and interval),
for demos and tests.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import threading
from typing import Any
from urllib.parse import unquote, urlencode

from carriers.budbee.units import (
    MEDIA_BOXES,
    MEDIA_INTERVALS,
    MEDIA_ORDERS_V1,
    MEDIA_ORDERS_V2,
    MEDIA_PARCELS,
    MEDIA_POSTALCODES,
)
from carriers.calendar import zone_for
from carriers.static import BudbeeStaticAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Location,
    ProductKind,
    ProductQuery,
    QuoteRequest,
)

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, label_pdf, ledger

SLUG = "budbee"

_POSTAL_CODES = {
    "SE": re.compile(r"^\d{5}$"),
    "NO": re.compile(r"^\d{4}$"),
    "DK": re.compile(r"^\d{4}$"),
    "FI": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^\d{4}[A-Z]{2}$"),
}
#: One Budbee collection point (terminal) per country: id, name, street, postal code, city.
_TERMINALS = {
    "SE": (1001, "Budbee Stockholm", "Lagervägen 14", "12137", "Johanneshov"),
    "NO": (2001, "Budbee Oslo", "Alfasetveien 21", "0668", "Oslo"),
    "DK": (3001, "Budbee København", "Ehlersvej 11", "2900", "Hellerup"),
    "FI": (4001, "Budbee Helsinki", "Tuupakantie 7", "01740", "Vantaa"),
    "NL": (5001, "Budbee Amsterdam", "Pieter Braaijweg 40", "1114AK", "Amsterdam"),
}
#: The city a locker's postal code lies in, by the code's first digit(s); else the capital.
_CITIES = {
    "SE": {
        "1": "Stockholm",
        "2": "Malmö",
        "3": "Växjö",
        "4": "Göteborg",
        "5": "Jönköping",
        "6": "Norrköping",
        "7": "Västerås",
        "8": "Gävle",
        "9": "Umeå",
    },
    "NO": {"0": "Oslo", "1": "Oslo", "4": "Stavanger", "5": "Bergen", "7": "Trondheim"},
    "DK": {"5": "Odense", "8": "Aarhus", "9": "Aalborg"},
    "FI": {"2": "Turku", "3": "Tampere", "9": "Oulu"},
    "NL": {"2": "Den Haag", "3": "Rotterdam", "35": "Utrecht"},
}
_CAPITALS = {
    "SE": "Stockholm",
    "NO": "Oslo",
    "DK": "København",
    "FI": "Helsinki",
    "NL": "Amsterdam",
}
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MAX_LOCKERS = 8
_MAX_INTERVALS = 50
_DELIVERY_WINDOW = (dt.time(17, 0), dt.time(22, 0))
_COLLECTION_WINDOW = (dt.time(10, 0), dt.time(13, 0))
_LOCKER_CUTOFF = dt.time(12, 0)
_LOCKER_DELIVERY = dt.time(16, 0)
_LABEL_SECRET = b"budbee-sandbox-label-signing"

_lock = threading.Lock()
_orders: dict[str, dict[str, Any]] = {}
_parcels: dict[str, str] = {}  # packageId -> order id
_cancelled: dict[str, int] = {}  # order id -> cancelled at (epoch ms)


def _error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse(status, {"message": message})


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if request.path.startswith("/labels/"):
        return None  # pre-signed: the URL's own signature is checked by the route
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key = secret = ""
        if key and secret:
            return None
    return SandboxResponse(
        401,
        {"message": "Unauthorized: API key and secret required"},
        headers={"WWW-Authenticate": 'Basic realm="Budbee API"'},
    )


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=_error)


def _media(request: SandboxRequest, expected: str) -> SandboxResponse | None:
    """Budbee routes by vendor media type; any other is refused as JAX-RS does."""
    if request.headers.get("content-type", "").split(";")[0].strip() != expected:
        return _error(415, f"Unsupported Media Type: expected {expected}")
    return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _millis(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _postal(country: str, postal_code: str) -> str | None:
    """The normalised postal code when Budbee knows the country and the code's format."""
    code = "".join(c for c in unquote(postal_code).upper() if c.isalnum())
    pattern = _POSTAL_CODES.get(country.upper())
    return code if pattern is not None and pattern.match(code) else None


def _home_served(country: str, postal_code: str) -> bool:
    code = _postal(country, postal_code)
    return code is not None and not (country.upper() == "SE" and code.startswith("9"))


def _terminal(country: str) -> dict[str, Any]:
    point_id, name, street, postal_code, city = _TERMINALS[country]
    return {
        "id": point_id,
        "name": name,
        "referencePerson": "Budbee Terminal",
        "telephoneNumber": "+46850000000",
        "address": {
            "street": street,
            "postalCode": postal_code,
            "city": city,
            "country": country,
        },
        "doorCode": None,
        "outsideDoor": False,
        "additionalInfo": None,
    }


def _business_days_after(day: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _intervals(country: str, count: int) -> list[dict[str, Any]]:
    zone = zone_for(country)
    point_id = str(_TERMINALS[country][0])
    answer = []
    for day in _business_days_after(_now().astimezone(zone).date(), count):
        collection = [dt.datetime.combine(day, t, tzinfo=zone) for t in _COLLECTION_WINDOW]
        delivery = [dt.datetime.combine(day, t, tzinfo=zone) for t in _DELIVERY_WINDOW]
        answer.append(
            {
                "collection": {"start": _millis(collection[0]), "stop": _millis(collection[1])},
                "delivery": {"start": _millis(delivery[0]), "stop": _millis(delivery[1])},
                "collectionPointIds": [point_id],
                "fossilFree": True,
            }
        )
    return answer


@sandbox.route("GET", r"/postalcodes/validate/(?P<country>[A-Za-z]{2})/(?P<postal>[^/]+)")
def validate_postal_code(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_POSTALCODES)
    if refused:
        return refused
    country = match["country"].upper()
    if not _home_served(country, match["postal"]):
        return _error(404, f"Postal code {unquote(match['postal'])} is not supported")
    return SandboxResponse(200, [_terminal(country)])


@sandbox.route("GET", r"/intervals/(?P<country>[A-Za-z]{2})/(?P<postal>[^/]+)/(?P<n>[^/]+)")
def intervals(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_INTERVALS)
    if refused:
        return refused
    country = match["country"].upper()
    if not _home_served(country, match["postal"]):
        return _error(404, f"Postal code {unquote(match['postal'])} is not supported")
    if not match["n"].isdigit() or not 1 <= int(match["n"]) <= _MAX_INTERVALS:
        return _error(400, f"Number of intervals must be between 1 and {_MAX_INTERVALS}")
    return SandboxResponse(200, _intervals(country, int(match["n"])))


def _locker_id(location: Location) -> str:
    digest = hashlib.sha256(location.id.encode()).digest()
    return f"BOX{int.from_bytes(digest[:4], 'big') % 100000:05d}"


def _hours(location: Location) -> dict[str, Any]:
    periods: list[dict[str, Any]] = []
    text: list[str] = []
    for hours in location.opening_hours:
        day = _DAYS[hours.weekday]
        if hours.opens == dt.time(0, 0) and hours.closes >= dt.time(23, 59):
            periods.append({"open": {"day": day, "time": "00:00"}, "close": None})
            text.append(f"{day.title()[:3]}: Open 24 hours")
        else:
            periods.append(
                {
                    "open": {"day": day, "time": f"{hours.opens:%H:%M}"},
                    "close": {"day": day, "time": f"{hours.closes:%H:%M}"},
                }
            )
            text.append(
                f"{day.title()[:3]}: {hours.opens:%H} \u2013 {hours.closes:%H}"
            )  # as Budbee writes it
    return {"periods": periods, "weekdayText": text}


def _locker_times(country: str) -> tuple[dt.datetime, dt.datetime]:
    """Today's noon cut-off while it lasts (else the next business day's), and delivery at
    16:00 the business day after the cut-off."""
    zone = zone_for(country)
    now = _now().astimezone(zone)
    day = now.date()
    if day.weekday() >= 5 or now.time() >= _LOCKER_CUTOFF:
        day = _business_days_after(day, 1)[0]
    delivery_day = _business_days_after(day, 1)[0]
    return (
        dt.datetime.combine(day, _LOCKER_CUTOFF, tzinfo=zone),
        dt.datetime.combine(delivery_day, _LOCKER_DELIVERY, tzinfo=zone),
    )


def _lockers(country: str, postal_code: str) -> list[dict[str, Any]]:
    quote = BudbeeStaticAdapter().quote(
        request=QuoteRequest(
            merchant_ref="sandbox",
            agreement=AgreementCredentials(agreement_id=0, customer_number=""),
            products=(ProductQuery("DLVBOX", ProductKind.LOCKER, wants_locations=True),),
            recipient=Address(country=country, postal_code=postal_code),
            parcels=(),
            currency="EUR",
            now=_now(),
            max_locations=_MAX_LOCKERS,
        )
    )[0]
    cutoff, delivery = _locker_times(country)
    cities = _CITIES[country]
    city = cities.get(postal_code[:2]) or cities.get(postal_code[:1]) or _CAPITALS[country]
    answer = []
    for location in quote.locations:
        coordinates = location.coordinates
        answer.append(
            {
                "id": _locker_id(location),
                "address": {
                    "street": location.address.street_address,
                    "postalCode": location.address.postal_code,
                    "city": city,
                    "country": country,
                    "coordinate": {
                        "latitude": coordinates.lat if coordinates else None,
                        "longitude": coordinates.lng if coordinates else None,
                    },
                },
                "estimatedDelivery": _iso(delivery),
                "cutoff": _iso(cutoff),
                "distance": location.distance_m,
                "name": location.name,
                "directions": "The Budbee Box stands by the entrance.",
                "label": f"{location.name} ({delivery.astimezone(zone_for(country)):%a %H:%M})",
                "openingHours": _hours(location),
            }
        )
    return answer


@sandbox.route("GET", r"/boxes/postalcodes/validate/(?P<country>[A-Za-z]{2})/(?P<postal>[^/]+)")
def lockers(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_BOXES)
    if refused:
        return refused
    country = match["country"].upper()
    code = _postal(country, match["postal"])
    if code is None:
        return _error(404, f"No lockers found for postal code {unquote(match['postal'])}")
    return SandboxResponse(200, {"lockers": _lockers(country, code)})


# --- orders -----------------------------------------------------------------------------


def _required(data: Any, path: str) -> Any:
    value = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or value == "" or isinstance(value, bool):
        raise _Invalid(f"Missing required field: {path}")
    return value


class _Invalid(Exception):
    pass


def _order_interval(body: dict[str, Any], country: str) -> dict[str, Any]:
    upcoming = _intervals(country, 10)
    chosen = body.get("interval")
    if chosen is None:
        return {"collection": upcoming[0]["collection"], "delivery": upcoming[0]["delivery"]}
    start = _required(chosen, "delivery.start")
    stop = _required(chosen, "delivery.stop")
    if not isinstance(start, int) or not isinstance(stop, int):
        raise _Invalid("Can not deserialize interval: start and stop are epoch milliseconds")
    for interval in upcoming:
        if interval["delivery"] == {"start": start, "stop": stop}:
            return {"collection": interval["collection"], "delivery": interval["delivery"]}
    raise _Invalid("Interval is not valid or has expired")


def _token(order_id: str) -> str:
    return hashlib.sha256(f"budbee-order-{order_id}".encode()).hexdigest()[:8]


def _signature(parcel_id: int, date: str) -> str:
    return hashlib.sha256(_LABEL_SECRET + f"{parcel_id}|{date}".encode()).hexdigest()


def _label_url(request: SandboxRequest, parcel_id: int) -> str:
    date = _now().strftime("%Y%m%dT%H%M%SZ")
    query = urlencode(
        {
            "X-Budbee-Algorithm": "BUDBEE-HMAC-SHA256",
            "X-Budbee-Date": date,
            "X-Budbee-Expires": "172800",
            "X-Budbee-Signature": _signature(parcel_id, date),
        }
    )
    host = request.headers.get("host", "127.0.0.1")
    return f"http://{host}/{SLUG}/labels/{parcel_id}.pdf?{query}"


def _add_parcels(
    request: SandboxRequest, order: dict[str, Any], items: list[Any]
) -> list[dict[str, Any]]:
    created = []
    for item in items:
        if not isinstance(item, dict):
            raise _Invalid("Can not deserialize instance of Parcel out of VALUE_STRING token")
        dimensions = item.get("dimensions") or {}
        for name in ("width", "height", "length", "weight", "volume"):
            value = dimensions.get(name) if isinstance(dimensions, dict) else None
            if value is not None and (not isinstance(value, int) or value < 0):
                raise _Invalid(f"dimensions.{name} must be a positive integer")
        index = len(order["parcels"]) + 1
        parcel_id = int(order["id"]) * 100 + index
        package_id = str(item.get("packageId") or f"3{int(order['id']):011d}{index:03d}")
        parcel = {
            "id": parcel_id,
            "shipmentId": str(item.get("shipmentId") or ""),
            "packageId": package_id,
            "label": _label_url(request, parcel_id),
            "dimensions": dimensions,
        }
        order["parcels"].append(parcel)
        _parcels[package_id] = order["id"]
        created.append({k: v for k, v in parcel.items() if k != "dimensions"})
    order["updatedAt"] = _millis(_now())
    return created


def _public(order: dict[str, Any]) -> dict[str, Any]:
    parcels = [{k: v for k, v in p.items() if k != "dimensions"} for p in order["parcels"]]
    return {**order, "parcels": parcels}


def _create_order(request: SandboxRequest, body: Any) -> SandboxResponse:
    if not isinstance(body, dict):
        return _error(400, "Can not deserialize instance of Order out of START_ARRAY token")
    collection_id = _required(body, "collectionId")
    if not isinstance(collection_id, int):
        return _error(400, "Can not deserialize value of type long from String")
    cart_id = str(_required(body, "cart.cartId"))
    for field in (
        "delivery.name",
        "delivery.telephoneNumber",
        "delivery.email",
        "delivery.address.street",
        "delivery.address.postalCode",
        "delivery.address.city",
        "delivery.address.country",
    ):
        _required(body, field)
    country = str(body["delivery"]["address"]["country"]).upper()
    postal_code = str(body["delivery"]["address"]["postalCode"])
    product_codes = body.get("productCodes") or []
    box = "DLVBOX" in product_codes
    if box:
        code = _postal(country, postal_code)
        if code is None:
            return _error(404, f"Postal code {postal_code} is not supported")
        selected = (body.get("boxDelivery") or {}).get("selectedBox")
        if selected is None:
            selected = _lockers(country, code)[0]["id"]
        elif not isinstance(selected, str) or not re.match(r"^BOX\d+$", selected):
            return _error(404, f"Box {selected} not found")
        interval = None
    else:
        if not _home_served(country, postal_code):
            return _error(404, f"Postal code {postal_code} is not supported")
        interval = _order_interval(body, country)
    now = _millis(_now())
    with _lock:
        order: dict[str, Any] = {"cart": body["cart"]}
        # The ledger keeps every order of a cart id (a double booking shows as a count of 2);
        # it is also what a sandbox reset clears, which makes the orders below unknown.
        sequence = ledger.record(SLUG, cart_id, {"orders": [*_ledger_orders(cart_id), order]})
        order_id = str(4_000_000 + sequence)
        order.update(
            {
                "id": order_id,
                "token": _token(order_id),
                "createdAt": now,
                "updatedAt": now,
                "interval": interval,
                "collection": {**_terminal(country), "id": collection_id},
                "delivery": body["delivery"],
                "signatureRequired": bool(body.get("requireSignature")),
                "parcels": [],
                "additionalServices": body.get("additionalServices") or {},
                "homeDelivery": not box,
                "productCodes": list(product_codes),
            }
        )
        if box:
            order["boxDelivery"] = {"selectedBox": selected}
        _orders[order_id] = order
        if body.get("parcels"):
            _add_parcels(request, order, list(body["parcels"]))
        return SandboxResponse(200, _public(order))


@sandbox.route("POST", r"/multiple/orders")
def create_order(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V2)
    if refused:
        return refused
    try:
        return _create_order(request, request.json())
    except _Invalid as exc:
        return _error(400, str(exc))
    except ValueError:
        return _error(400, "Unexpected character: the body is not JSON")


def _ledger_orders(cart_id: str) -> list[dict[str, Any]]:
    record = ledger.find(SLUG, cart_id)
    return list(record["orders"]) if record else []


def _known(order: dict[str, Any] | None) -> bool:
    """Whether an order was made since the last sandbox reset."""
    if order is None:
        return False
    return any(o is order for o in _ledger_orders(str(order["cart"].get("cartId"))))


def _live_order(order_id: str) -> dict[str, Any] | None:
    """An order the sandbox knows and that is not cancelled."""
    order = _orders.get(order_id)
    if not _known(order) or order_id in _cancelled:
        return None
    return order


@sandbox.route("POST", r"/multiple/orders/(?P<order>[^/]+)/parcels")
def add_parcels(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V2)
    if refused:
        return refused
    try:
        items = request.json()
    except ValueError:
        return _error(400, "Unexpected character: the body is not JSON")
    if not isinstance(items, list) or not items:
        return _error(400, "Can not deserialize instance of java.util.ArrayList")
    with _lock:
        order = _live_order(match["order"])
        if order is None:
            return _error(404, f"Order {match['order']} not found")
        try:
            return SandboxResponse(200, _add_parcels(request, order, items))
        except _Invalid as exc:
            return _error(400, str(exc))


@sandbox.route("GET", r"/multiple/orders")
def search_orders(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V1)
    if refused:
        return refused
    keyword = request.param("keyword").lower()
    with _lock:
        found = []
        for order_id in sorted(_orders):
            order = _live_order(order_id)
            if order is None:
                continue
            haystack = (
                str(order["cart"].get("cartId", "")),
                str(order["delivery"].get("name", "")),
                str(order["delivery"].get("address", {}).get("street", "")),
            )
            if any(keyword in value.lower() for value in haystack):
                found.append(_public(order))
    return SandboxResponse(200, found)


@sandbox.route("GET", r"/multiple/orders/(?P<order>[^/]+)/tracking-url")
def tracking_url(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V1)
    if refused:
        return refused
    with _lock:
        order = _live_order(match["order"])
    if order is None:
        return _error(404, f"Order {match['order']} not found")
    return SandboxResponse(200, {"url": f"https://tracking.budbee.com/{order['token']}"})


@sandbox.route("GET", r"/multiple/orders/(?P<order>[^/]+)")
def get_order(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V1)
    if refused:
        return refused
    with _lock:
        order = _live_order(match["order"])
        if order is None:
            return _error(404, f"Order {match['order']} not found")
        return SandboxResponse(200, _public(order))


@sandbox.route("DELETE", r"/multiple/orders/(?P<order>[^/]+)")
def cancel_order(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_ORDERS_V1)
    if refused:
        return refused
    with _lock:
        order = _live_order(match["order"])
        if order is None:
            return _error(404, f"Order {match['order']} not found")
        _cancelled[match["order"]] = _millis(_now())
        cart_id = str((order.get("cart") or {}).get("cartId") or "")
        if cart_id:
            ledger.cancel(SLUG, cart_id)
    return SandboxResponse(204, None)


# --- tracking and labels ----------------------------------------------------------------


def _event(
    order: dict[str, Any], parcel: dict[str, Any], index: int, code: str, at: int, **data: Any
) -> dict[str, Any]:
    return {
        "eventId": f"evt_{parcel['packageId']}_{index}",
        "eventType": code,
        "timestamp": _iso(dt.datetime.fromtimestamp(at / 1000, tz=dt.UTC)),
        "orderId": order["id"],
        "packageId": parcel["packageId"],
        "shipmentId": parcel["shipmentId"],
        "cartId": order["cart"].get("cartId"),
        "party": "BUDBEE",
        "flow": "DELIVERY",
        "eventData": data,
    }


def _events(order: dict[str, Any], parcel: dict[str, Any]) -> list[dict[str, Any]]:
    hour = 3_600_000
    created = order["createdAt"]
    terminal = order["collection"]["address"]["city"]
    steps: list[tuple[str, int, dict[str, Any]]] = [("PARCEL_CREATED", created, {})]
    cancelled = _cancelled.get(order["id"])
    if cancelled is not None:
        steps.append(("DELIVERY_CANCELLED", cancelled, {}))
    elif order["homeDelivery"]:
        delivery = order["interval"]["delivery"]["start"]
        collected = order["interval"]["collection"]["stop"]
        steps += [
            ("SORTED_AT_TERMINAL", collected + hour, {"terminal": terminal}),
            ("DELIVERY_VEHICLE_LOADED", delivery - hour // 2, {}),
            ("DELIVERED_TO_CONSUMER", delivery + 75 * 60_000, {"deliveredAt": delivery}),
        ]
    else:
        locker = order["boxDelivery"]["selectedBox"]
        steps += [
            ("SORTED_AT_TERMINAL", created + 4 * hour, {"terminal": terminal}),
            ("DELIVERY_VEHICLE_LOADED", created + 20 * hour, {}),
            ("DELIVERED_TO_LOCKER", created + 22 * hour, {"lockerId": locker}),
            ("CONSUMER_PICKED_UP_FROM_LOCKER", created + 28 * hour, {"lockerId": locker}),
        ]
    return [_event(order, parcel, i, code, at, **data) for i, (code, at, data) in enumerate(steps)]


def webhook_events(package_id: str) -> list[dict[str, Any]]:
    """The V2 webhook bodies Budbee would push for a booked parcel; [] for an unknown one."""
    with _lock:
        order = _orders.get(_parcels.get(package_id, ""))
        if order is None or not _known(order):
            return []
        parcel = next(p for p in order["parcels"] if p["packageId"] == package_id)
        return _events(order, parcel)


@sandbox.route("GET", r"/parcels/(?P<package>[^/]+)/tracking-url")
def parcel_tracking_url(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    refused = _media(request, MEDIA_PARCELS)
    if refused:
        return refused
    package_id = unquote(match["package"])
    with _lock:
        order = _orders.get(_parcels.get(package_id, ""))
        known = order is not None and _known(order)
    if not known:
        return _error(404, f"Parcel {package_id} not found")
    return SandboxResponse(200, {"url": f"https://tracking.budbee.com/shipment/{package_id}"})


@sandbox.route("GET", r"/labels/(?P<parcel>\d+)\.pdf")
def label(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    parcel_id = int(match["parcel"])
    date = request.param("X-Budbee-Date")
    if request.param("X-Budbee-Signature") != _signature(parcel_id, date):
        return _error(403, "Signature does not match")
    with _lock:
        order = _orders.get(str(parcel_id // 100))
        if not _known(order):
            order = None
        parcel = next((p for p in (order or {}).get("parcels", []) if p["id"] == parcel_id), None)
    if order is None or parcel is None:
        return _error(404, f"Parcel {parcel_id} not found")
    address = order["delivery"]["address"]
    pdf = label_pdf(
        "Budbee",
        str(parcel["packageId"]),
        recipient=str(order["delivery"].get("name", "")),
        address=[
            str(address.get("street", "")),
            f"{address.get('postalCode', '')} {address.get('city', '')}",
        ],
        lines=[f"Order {order['id']}  Cart {order['cart'].get('cartId')}"],
    )
    return SandboxResponse(200, pdf, content_type="application/pdf")


@sandbox.on_reset
def _forget() -> None:
    """A reset sandbox remembers no budbee bookings (ids restart with the ledger)."""
    with _lock:
        _orders.clear()
        _parcels.clear()
        _cancelled.clear()
