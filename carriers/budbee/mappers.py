"""Budbee JSON <-> our dataclasses. Pure translation: no I/O, no clock.

Budbee sends times as epoch milliseconds in UTC (intervals, orders) except the Budbee Box
answers, which carry ISO 8601 strings. A JSON body of the wrong shape raises
``CarrierResponseInvalid``, never a KeyError or TypeError.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    Address,
    Booking,
    BookingRequest,
    CarrierMessage,
    Contact,
    Coordinates,
    Label,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    Timeslot,
    TrackingEvent,
)

from . import units

CARRIER = "budbee"
_END_OF_DAY = dt.time(23, 59)


@dataclass(frozen=True)
class CollectionPoint:
    """A warehouse (collection point) Budbee says serves a postal code."""

    id: str
    name: str
    address: Address


@dataclass(frozen=True)
class OrderParcel:
    """One parcel of an order as Budbee answers it; ``package_id`` is the label barcode."""

    id: str
    shipment_id: str
    package_id: str
    label_url: str


# --- shape helpers ------------------------------------------------------------------------


def _invalid(what: str) -> CarrierResponseInvalid:
    return CarrierResponseInvalid(f"budbee answered an unexpected {what}", carrier=CARRIER)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(what)
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid(what)
    return value


def _text(data: dict[str, Any], key: str, what: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise _invalid(f"{what} without {key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(f"{what} {key}")
    return str(value)


def _millis(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(what)
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(what)
    return float(value)


def from_millis(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def to_millis(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def parse_iso(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _invalid(what)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(what) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def load_json(body: bytes) -> Any:
    """A saved or received body as JSON; garbage is ``CarrierResponseInvalid``."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _invalid("body (not JSON)") from exc


def normalise_postal_code(postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"``, ``"1011 ab"`` -> ``"1011AB"``: one path and cache key each."""
    return "".join(char for char in postal_code.upper() if char.isalnum())


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


# --- requests -------------------------------------------------------------------------------


def _addon_text(request: BookingRequest, addon_type: str) -> str:
    for addon in request.addons:
        if addon.type == addon_type and addon.text.strip():
            return addon.text.strip()
    return ""


def _consumer(contact: Contact, address: Address) -> dict[str, Any]:
    wire_address = {
        "street": address.street_address,
        "postalCode": address.postal_code.strip(),
        "city": address.city,
        "country": address.country.strip().upper(),
    }
    if address.street_address2:
        wire_address["street2"] = address.street_address2
    consumer: dict[str, Any] = {
        "name": contact.company or contact.name,
        "telephoneNumber": contact.phone,
        "email": contact.email,
        "address": wire_address,
    }
    if contact.company and contact.name:
        consumer["referencePerson"] = contact.name
    return consumer


def interval_from_timeslot(timeslot: Timeslot) -> dict[str, Any]:
    """The interval a shopper chose, as the order wants it back (epoch ms, UTC)."""
    interval: dict[str, Any] = {
        "delivery": {"start": to_millis(timeslot.start), "stop": to_millis(timeslot.end)}
    }
    collection_start = timeslot.extra.get("collection_start", "")
    collection_stop = timeslot.extra.get("collection_stop", "")
    if collection_start.isdigit() and collection_stop.isdigit():
        interval["collection"] = {"start": int(collection_start), "stop": int(collection_stop)}
    return interval


def build_order(request: BookingRequest, *, collection_id: int) -> dict[str, Any]:
    """``POST /multiple/orders`` (v2) body; parcels follow in a second call.

    Our reference is the cart id: Budbee keeps it, shows it to its support and finds the
    order by it (``GET /multiple/orders?keyword=``).
    """
    delivery = _consumer(request.recipient, request.recipient_address)
    door_code = _addon_text(request, units.ADDON_ENTRY_CODE)
    if door_code:
        delivery["doorCode"] = door_code
    body: dict[str, Any] = {
        "collectionId": collection_id,
        "cart": {"cartId": request.reference},
        "delivery": delivery,
        "requireSignature": False,
    }
    if request.product == units.PRODUCT_BOX:
        body["productCodes"] = [units.PRODUCT_BOX]
        if request.location is not None:
            body["boxDelivery"] = {"selectedBox": request.location.id}
    elif request.timeslot is not None:
        body["interval"] = interval_from_timeslot(request.timeslot)
    return body


def _centimetres(millimetres: int | None) -> int | None:
    return math.ceil(millimetres / 10) if millimetres else None


def _dimensions(parcel: Parcel) -> dict[str, int]:
    sides = {
        "width": _centimetres(parcel.width_mm),
        "height": _centimetres(parcel.height_mm),
        "length": _centimetres(parcel.length_mm),
    }
    dimensions = {name: value for name, value in sides.items() if value}
    dimensions["weight"] = parcel.weight_g
    if len(dimensions) == 4:
        dimensions["volume"] = dimensions["width"] * dimensions["height"] * dimensions["length"]
    return dimensions


def build_parcels(request: BookingRequest) -> list[dict[str, Any]]:
    """``POST /multiple/orders/{id}/parcels`` body: one entry per parcel, sizes in cm and g.

    ``packageId`` is left out so that Budbee issues the barcode (our tracking number).
    """
    return [
        {"shipmentId": request.reference, "dimensions": _dimensions(parcel)}
        for parcel in request.parcels
    ]


# --- responses ------------------------------------------------------------------------------


def _address(data: Any, what: str) -> Address:
    wire = _obj(data, what)
    return Address(
        country=_text(wire, "country", what),
        postal_code=_text(wire, "postalCode", what),
        city=_text(wire, "city", what),
        street_address=_text(wire, "street", what),
        street_address2=_text(wire, "street2", what),
    )


def parse_collection_points(data: Any) -> tuple[CollectionPoint, ...]:
    """``GET /postalcodes/validate/{cc}/{pc}`` 200 body: the collection point(s) serving it.

    Clients disagree on whether this is one object or a list; both are read.
    """
    items = data if isinstance(data, list) else [_obj(data, "postal code answer")]
    points = []
    for item in items:
        point = _obj(item, "collection point")
        points.append(
            CollectionPoint(
                id=_text(point, "id", "collection point", required=True),
                name=_text(point, "name", "collection point"),
                address=_address(point.get("address") or {}, "collection point address"),
            )
        )
    return tuple(points)


def _window(data: Any, what: str) -> tuple[int, int]:
    window = _obj(data, what)
    return _millis(window.get("start"), f"{what} start"), _millis(
        window.get("stop"), f"{what} stop"
    )


def parse_intervals(data: Any) -> tuple[Timeslot, ...]:
    """``GET /intervals/{cc}/{pc}/{n}`` (v2): delivery windows, earliest first.

    The cut-off is the start of the collection window: the parcel must be ready when Budbee
    collects it. The collection window travels in ``extra`` because the order wants it back.
    """
    slots = []
    for item in _list(data, "interval list"):
        interval = _obj(item, "interval")
        start, stop = _window(interval.get("delivery"), "delivery window")
        collection_start, collection_stop = _window(interval.get("collection"), "collection window")
        point_ids = interval.get("collectionPointIds")
        if point_ids is None and interval.get("collectionPointId") is not None:
            point_ids = [interval["collectionPointId"]]  # the older single-id shape
        extra = {
            "collection_start": str(collection_start),
            "collection_stop": str(collection_stop),
            "collection_point_ids": ",".join(
                str(i) for i in _list(point_ids or [], "collection point ids")
            ),
        }
        if isinstance(interval.get("fossilFree"), bool):
            extra["fossil_free"] = "true" if interval["fossilFree"] else "false"
        slots.append(
            Timeslot(
                id=f"{start}-{stop}",
                start=from_millis(start),
                end=from_millis(stop),
                cutoff=from_millis(collection_start),
                extra=extra,
            )
        )
    return tuple(sorted(slots, key=lambda slot: slot.start))


def _clock(value: Any, what: str) -> dt.time:
    if not isinstance(value, str):
        raise _invalid(what)
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(what) from exc


def _day_time(data: Any, what: str) -> tuple[int, dt.time]:
    point = _obj(data, what)
    day = units.WEEKDAYS.get(str(point.get("day", "")).upper())
    if day is None:
        raise _invalid(f"{what} day")
    return day, _clock(point.get("time"), f"{what} time")


def parse_opening_hours(data: Any) -> tuple[OpeningHours, ...]:
    """Google-style ``periods``: no ``close`` means open all day; open == close is closed.

    A period that closes on a later day is split at midnight.
    """
    if data is None:
        return ()
    hours: list[OpeningHours] = []
    for item in _list(_obj(data, "opening hours").get("periods") or [], "opening periods"):
        period = _obj(item, "opening period")
        day, opens = _day_time(period.get("open"), "opening")
        if period.get("close") is None:
            hours.append(OpeningHours(day, opens, _END_OF_DAY))
            continue
        close_day, closes = _day_time(period["close"], "closing")
        if close_day == day:
            if closes > opens:
                hours.append(OpeningHours(day, opens, closes))
            continue
        hours.append(OpeningHours(day, opens, _END_OF_DAY))
        if closes > dt.time(0, 0):
            hours.append(OpeningHours(close_day, dt.time(0, 0), closes))
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def parse_locker(data: Any) -> Location:
    locker = _obj(data, "locker")
    wire_address = _obj(locker.get("address"), "locker address")
    coordinate = wire_address.get("coordinate")
    coordinates = None
    if coordinate is not None:
        point = _obj(coordinate, "locker coordinate")
        coordinates = Coordinates(
            lat=_number(point.get("latitude"), "latitude"),
            lng=_number(point.get("longitude"), "longitude"),
        )
    distance = locker.get("distance")
    extra = {
        name: _text(locker, key, "locker")
        for name, key in (
            ("estimated_delivery", "estimatedDelivery"),
            ("cutoff", "cutoff"),
            ("label", "label"),
            ("directions", "directions"),
        )
        if locker.get(key) is not None
    }
    return Location(
        id=_text(locker, "id", "locker", required=True),
        name=_text(locker, "name", "locker"),
        kind=LocationKind.LOCKER,
        address=_address(wire_address, "locker address"),
        coordinates=coordinates,
        opening_hours=parse_opening_hours(locker.get("openingHours")),
        distance_m=None if distance is None else round(_number(distance, "distance")),
        extra=extra,
    )


def parse_lockers(data: Any) -> tuple[Location, ...]:
    """``GET /boxes/postalcodes/validate/{cc}/{pc}``: ``{"lockers": [...]}``, best first.

    ``GET /boxes/{id}`` answers a single locker, and ``boxes/all`` the same wrapper; all read.
    """
    if isinstance(data, dict) and "lockers" in data:
        items = _list(data["lockers"], "locker list")
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    return tuple(parse_locker(item) for item in items)


def parse_order_parcels(data: Any) -> tuple[OrderParcel, ...]:
    """``parcels[]`` of an order, or the answer of ``POST /multiple/orders/{id}/parcels``."""
    parcels = []
    for item in _list(data, "parcel list"):
        parcel = _obj(item, "parcel")
        parcels.append(
            OrderParcel(
                id=_text(parcel, "id", "parcel"),
                shipment_id=_text(parcel, "shipmentId", "parcel"),
                package_id=_text(parcel, "packageId", "parcel"),
                label_url=_text(parcel, "label", "parcel"),
            )
        )
    return tuple(parcels)


def order_id(data: Any) -> str:
    return _text(_obj(data, "order"), "id", "order", required=True)


def booking_from(order: Any, parcels: tuple[OrderParcel, ...] | None = None) -> Booking:
    """Our booking from an order (and the parcels added to it, if not in the order)."""
    wire = _obj(order, "order")
    if parcels is None:
        parcels = parse_order_parcels(wire.get("parcels") or [])
    extra = {"token": _text(wire, "token", "order")}
    product_codes = _list(wire.get("productCodes") or [], "product codes")
    extra["product"] = (
        units.PRODUCT_BOX if units.PRODUCT_BOX in product_codes else units.PRODUCT_HOME
    )
    return Booking(
        carrier_shipment_id=order_id(wire),
        tracking_numbers=tuple(p.package_id or p.id for p in parcels),
        labels=tuple(Label(url=p.label_url) for p in parcels if p.label_url),
        extra=extra,
    )


def parse_booking(data: Any) -> Booking:
    """An order answer (create or read) as a booking; labels are pre-signed URLs (~48 h)."""
    return booking_from(data)


def order_for_reference(data: Any, reference: str) -> dict[str, Any] | None:
    """From ``GET /multiple/orders?keyword=`` (a fuzzy search): the order whose cart id is
    exactly ``reference``, with parcels or not; one with parcels first."""
    matches = []
    for item in _list(data, "order list"):
        order = _obj(item, "order")
        cart = _obj(order.get("cart") or {}, "order cart")
        if _text(cart, "cartId", "order cart") == reference:
            matches.append(order)
    with_parcels = [o for o in matches if booking_from(o).tracking_numbers]
    candidates = with_parcels or matches
    return candidates[0] if candidates else None


def find_order(data: Any, reference: str) -> Booking | None:
    """The booking made with ``reference``: its order with parcels. An order without parcels
    is no booking (Budbee cancels those before collection)."""
    order = order_for_reference(data, reference)
    if order is None:
        return None
    booking = booking_from(order)
    return booking if booking.tracking_numbers else None


def parse_tracking_url(data: Any) -> str:
    return _text(_obj(data, "tracking url answer"), "url", "tracking url answer")


def parse_event(data: Any) -> TrackingEvent:
    """One V2 event (``eventType``, ISO ``timestamp``), as pulled or as a webhook sends it."""
    event = _obj(data, "event")
    code = _text(event, "eventType", "event", required=True)
    details = _obj(event.get("eventData") or {}, "event data")
    location = ""
    for key in ("lockerName", "terminal", "city"):
        if isinstance(details.get(key), str) and details[key]:
            location = details[key]
            break
    return TrackingEvent(
        at=parse_iso(event.get("timestamp"), "event timestamp"),
        status=units.tracking_status(code),
        carrier_code=code,
        description=units.event_description(code),
        location=location,
    )


def parse_events(data: Any) -> list[TrackingEvent]:
    """A parcel's events, oldest first (a single event object is read as a list of one)."""
    items = data if isinstance(data, list) else [data]
    return sorted((parse_event(item) for item in items), key=lambda event: event.at)


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Budbee's error ``{"message": "..."}`` (Jackson/JAX-RS style), text kept verbatim.

    Budbee has no error codes; the HTTP status stands in for one.
    """
    code = str(status) if status else ""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return (CarrierMessage(code=code, text=text),) if text else ()
    messages: list[CarrierMessage] = []
    if isinstance(data, dict):
        for key in ("message", "error", "errorMessage"):
            if isinstance(data.get(key), str) and data[key]:
                messages.append(CarrierMessage(code=code, text=data[key]))
                break
        for item in data.get("errors") or []:
            if isinstance(item, str):
                messages.append(CarrierMessage(code=code, text=item))
            elif isinstance(item, dict) and isinstance(item.get("message"), str):
                field = item.get("field") or item.get("path")
                messages.append(CarrierMessage(code=str(field or code), text=item["message"]))
    elif isinstance(data, str) and data:
        messages.append(CarrierMessage(code=code, text=data))
    if not messages and text:
        messages.append(CarrierMessage(code=code, text=text))
    return tuple(messages)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    return parse_error_body(response.body, response.status)
