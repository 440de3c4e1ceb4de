"""Budbee JSON <-> our dataclasses. Pure translation: no I/O, no clock.

Request builders are named ``<operation>_request`` and parsers ``parse_<operation>`` (they take
parsed JSON; ``parse_error``/``parse_error_body`` take the raw answer). Budbee sends times as
epoch milliseconds in UTC (intervals, orders) except the Budbee Box answers and the V2 webhook
events, which carry ISO 8601 strings. Every body is read through the shared ``JsonReader``: a
body of the wrong shape raises ``CarrierResponseInvalid``, never a KeyError or TypeError.

Sources of each shape (see FIDELITY.md): budbee/budbee-php (Budbee's own client, 9e608f5, and
its boxes branch f98cf29), benchatech/budbee-js (d69fab0, ``src/types.ts``), Setono/budbee-php-sdk
(83c977f, the boxes samples), thetis-apps/BudbeeTransport and wexo/module-budbee (orders with
parcels, labels, tracking URLs), Instabee's documentation of the V2 webhook events.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

from carriers.http import HttpResponse
from carriers.reader import JsonReader
from carriers.types import (
    AddonType,
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

SLUG = "budbee"
read = JsonReader(SLUG)
_END_OF_DAY = dt.time(23, 59)


class PathQuery(NamedTuple):
    """A GET or DELETE: the path under the base URL and its query parameters."""

    path: str
    params: Mapping[str, str] | None = None


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


# --- values -------------------------------------------------------------------------------


def _segment(value: str) -> str:
    return quote(value, safe="")


def from_millis(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def to_millis(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def parse_iso(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise read.invalid(f"{what} is not an ISO 8601 time")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise read.invalid(f"{what} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def postal_code_normalise(postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"``, ``"1011 ab"`` -> ``"1011AB"``: one path and cache key each."""
    return "".join(char for char in postal_code.upper() if char.isalnum())


# --- checkout requests ------------------------------------------------------------------------


def availability_request(*, country: str, postal_code: str) -> PathQuery:
    """``GET /postalcodes/validate/{country}/{postalCode}`` (postalcodes-v2): 200 with the
    serving collection point(s), 404 when Budbee does not deliver there."""
    return PathQuery(f"/postalcodes/validate/{_segment(country)}/{_segment(postal_code)}")


def timeslots_request(*, country: str, postal_code: str, count: int) -> PathQuery:
    """``GET /intervals/{country}/{postalCode}/{n}`` (intervals-v2): the next ``n`` windows."""
    return PathQuery(f"/intervals/{_segment(country)}/{_segment(postal_code)}/{count}")


def service_points_request(
    *, country: str, postal_code: str, collection_point_id: str = ""
) -> PathQuery:
    """``GET /boxes/postalcodes/validate/{country}/{postalCode}`` (boxes-v1): lockers best
    first; ``collectionPointId`` narrows them to the merchant's warehouse (Setono SDK)."""
    params = {"collectionPointId": collection_point_id} if collection_point_id else None
    return PathQuery(
        f"/boxes/postalcodes/validate/{_segment(country)}/{_segment(postal_code)}", params
    )


# --- booking requests -------------------------------------------------------------------------


def _addon_text(request: BookingRequest, addon_type: AddonType) -> str:
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
    """The interval a shopper chose, as the order wants it back (budbee-php ``OrderInterval``:
    ``collection`` and ``delivery`` windows, epoch ms)."""
    interval: dict[str, Any] = {
        "delivery": {"start": to_millis(timeslot.start), "stop": to_millis(timeslot.end)}
    }
    collection_start = timeslot.extra.get("collection_start", "")
    collection_stop = timeslot.extra.get("collection_stop", "")
    if collection_start.isdigit() and collection_stop.isdigit():
        interval["collection"] = {"start": int(collection_start), "stop": int(collection_stop)}
    return interval


def booking_request(request: BookingRequest, *, collection_id: int) -> dict[str, Any]:
    """``POST /multiple/orders`` (multiple.orders-v2) body; parcels follow in a second call.

    Fields as budbee-js ``OrderPayload`` has them (``collectionId`` a number, ``cart.cartId``,
    ``delivery``, ``requireSignature``); a box order adds ``productCodes: ["DLVBOX"]`` and
    ``boxDelivery.selectedBox`` (budbee-js ``createBoxOrder``), a home order the chosen
    ``interval`` (budbee-php ``OrderRequest``). Our reference is the cart id: Budbee finds the
    order by it (``GET /multiple/orders?keyword=``).
    """
    delivery = _consumer(request.recipient, request.recipient_address)
    door_code = _addon_text(request, AddonType.ENTRY_CODE)
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
    """budbee-js ``Dimensions``: width, height, length in cm, weight in g, volume in cm3."""
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


def parcels_request(request: BookingRequest) -> list[dict[str, Any]]:
    """``POST /multiple/orders/{id}/parcels`` (multiple.orders-v2) body: one entry per parcel.

    ``packageId`` is left out so that Budbee issues the barcode (our tracking number), as
    wexo/module-budbee does by sending it empty.
    """
    return [
        {"shipmentId": request.reference, "dimensions": _dimensions(parcel)}
        for parcel in request.parcels
    ]


def order_parcels_path(order_id: str) -> PathQuery:
    """Where ``parcels_request`` goes: ``POST /multiple/orders/{id}/parcels``."""
    return PathQuery(f"/multiple/orders/{_segment(order_id)}/parcels")


def find_booking_request(reference: str) -> PathQuery:
    """``GET /multiple/orders?keyword=`` (multiple.orders-v1): budbee-php ``getOrders``; the
    keyword matches the consumer's name, the delivery address and the cart id."""
    return PathQuery("/multiple/orders", {"keyword": reference})


def cancel_request(order_id: str) -> PathQuery:
    """``DELETE /multiple/orders/{id}`` (multiple.orders-v1), 204."""
    return PathQuery(f"/multiple/orders/{_segment(order_id)}")


def tracking_url_request(order_id: str) -> PathQuery:
    """``GET /multiple/orders/{id}/tracking-url`` (multiple.orders-v1): ``{"url": ...}``."""
    return PathQuery(f"/multiple/orders/{_segment(order_id)}/tracking-url")


# --- checkout answers -------------------------------------------------------------------------


def _address(data: Any, what: str) -> Address:
    wire = read.object(data, what)
    return Address(
        country=read.field(wire, "country"),
        postal_code=read.field(wire, "postalCode"),
        city=read.field(wire, "city"),
        street_address=read.field(wire, "street"),
        street_address2=read.field(wire, "street2"),
    )


def parse_availability(data: Any) -> tuple[CollectionPoint, ...]:
    """``GET /postalcodes/validate/{cc}/{pc}`` 200 body: the collection point(s) serving it.

    budbee-php reads a list of ``CollectionPoint``, budbee-js one ``Warehouse``; both are read.
    """
    items = data if isinstance(data, list) else [read.object(data, "postal code answer")]
    points = []
    for item in items:
        point = read.object(item, "collection point")
        points.append(
            CollectionPoint(
                id=read.field(point, "id", required=True),
                name=read.field(point, "name"),
                address=_address(point.get("address") or {}, "collection point address"),
            )
        )
    return tuple(points)


def _window(data: Any, what: str) -> tuple[int, int]:
    window = read.object(data, what)
    start = read.integer(window.get("start"), f"{what} start", required=True)
    stop = read.integer(window.get("stop"), f"{what} stop", required=True)
    assert start is not None and stop is not None  # required
    return start, stop


def parse_timeslots(data: Any) -> tuple[Timeslot, ...]:
    """``GET /intervals/{cc}/{pc}/{n}`` (v2): delivery windows, earliest first.

    The cut-off is the start of the collection window: the parcel must be ready when Budbee
    collects it. The collection window travels in ``extra`` because the order wants it back.
    """
    slots = []
    for item in read.array(data, "interval list", required=True):
        interval = read.object(item, "interval")
        start, stop = _window(interval.get("delivery"), "delivery window")
        collection_start, collection_stop = _window(interval.get("collection"), "collection window")
        point_ids = interval.get("collectionPointIds")
        if point_ids is None and interval.get("collectionPointId") is not None:
            point_ids = [interval["collectionPointId"]]  # the older single-id shape
        extra = {
            "collection_start": str(collection_start),
            "collection_stop": str(collection_stop),
            "collection_point_ids": ",".join(
                read.text(i, "collection point id")
                for i in read.array(point_ids, "collectionPointIds")
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
    text = read.text(value, what, required=True)
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        raise read.invalid(f"{what} is not a clock time") from exc


def _day_time(data: Any, what: str) -> tuple[int, dt.time]:
    point = read.object(data, what)
    day = units.WEEKDAYS.get(read.field(point, "day").upper())
    if day is None:
        raise read.invalid(f"{what} day is not a weekday")
    return day, _clock(point.get("time"), f"{what} time")


def parse_opening_hours(data: Any) -> tuple[OpeningHours, ...]:
    """Google-style ``periods``: no ``close`` means open all day; open == close is closed.

    A period that closes on a later day is split at midnight.
    """
    hours: list[OpeningHours] = []
    periods = read.optional_object(data, "openingHours").get("periods")
    for item in read.array(periods, "opening periods"):
        period = read.object(item, "opening period")
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


def _locker(data: Any) -> Location:
    locker = read.object(data, "locker")
    wire_address = read.object(locker.get("address"), "locker address")
    coordinates = None
    if wire_address.get("coordinate") is not None:
        point = read.object(wire_address["coordinate"], "locker coordinate")
        lat = read.number(point.get("latitude"), "latitude", required=True)
        lng = read.number(point.get("longitude"), "longitude", required=True)
        assert lat is not None and lng is not None  # required
        coordinates = Coordinates(lat=lat, lng=lng)
    distance = read.number(locker.get("distance"), "distance")
    extra = {
        name: read.field(locker, key)
        for name, key in (
            ("estimated_delivery", "estimatedDelivery"),
            ("cutoff", "cutoff"),
            ("label", "label"),
            ("directions", "directions"),
        )
        if locker.get(key) is not None
    }
    return Location(
        id=read.field(locker, "id", required=True),
        name=read.field(locker, "name"),
        kind=LocationKind.LOCKER,
        address=_address(wire_address, "locker address"),
        coordinates=coordinates,
        opening_hours=parse_opening_hours(locker.get("openingHours")),
        distance_m=None if distance is None else round(distance),
        extra=extra,
    )


def parse_service_points(data: Any) -> tuple[Location, ...]:
    """``GET /boxes/postalcodes/validate/{cc}/{pc}``: ``{"lockers": [...]}``, best first.

    ``GET /boxes/{id}`` answers a single locker and ``boxes/all`` the same wrapper; all read.
    """
    if isinstance(data, dict) and "lockers" in data:
        items = read.array(data["lockers"], "lockers", required=True)
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    return tuple(_locker(item) for item in items)


# --- booking answers --------------------------------------------------------------------------


def parse_parcels(data: Any) -> tuple[OrderParcel, ...]:
    """``parcels[]`` of an order, or the answer of ``POST /multiple/orders/{id}/parcels``
    (budbee-js ``Parcel``: ``id``, ``shipmentId``, ``packageId``, ``label``)."""
    parcels = []
    for item in read.array(data, "parcels", required=True):
        parcel = read.object(item, "parcel")
        parcels.append(
            OrderParcel(
                id=read.field(parcel, "id"),
                shipment_id=read.field(parcel, "shipmentId"),
                package_id=read.field(parcel, "packageId"),
                label_url=read.field(parcel, "label"),
            )
        )
    return tuple(parcels)


def parse_label(data: Any) -> tuple[Label, ...]:
    """The labels of an order or of added parcels: each parcel's pre-signed PDF URL (~48 h)."""
    if isinstance(data, dict):
        data = read.array(data.get("parcels"), "parcels")
    return tuple(Label(url=p.label_url) for p in parse_parcels(data) if p.label_url)


def order_id(data: Any) -> str:
    return read.field(read.object(data, "order"), "id", required=True)


def booking_from(order: Any, parcels: tuple[OrderParcel, ...] | None = None) -> Booking:
    """Our booking from an order (and the parcels added to it, if not in the order).

    The tracking number is the parcel's ``packageId`` (the label barcode, as
    thetis-apps/BudbeeTransport stores it).
    """
    wire = read.object(order, "order")
    if parcels is None:
        parcels = parse_parcels(wire.get("parcels") or [])
    product_codes = read.array(wire.get("productCodes"), "productCodes")
    extra = {
        "token": read.field(wire, "token"),
        "product": units.PRODUCT_BOX if units.PRODUCT_BOX in product_codes else units.PRODUCT_HOME,
    }
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
    for item in read.array(data, "order list", required=True):
        order = read.object(item, "order")
        cart = read.optional_object(order.get("cart"), "order cart")
        if read.field(cart, "cartId") == reference:
            matches.append(order)
    with_parcels = [o for o in matches if booking_from(o).tracking_numbers]
    candidates = with_parcels or matches
    return candidates[0] if candidates else None


def parse_find_booking(data: Any, reference: str) -> Booking | None:
    """The booking made with ``reference``: its order with parcels. An order without parcels
    is no booking (Budbee cancels those before collection); no match is None, not an error."""
    order = order_for_reference(data, reference)
    if order is None:
        return None
    booking = booking_from(order)
    return booking if booking.tracking_numbers else None


def parse_tracking_url(data: Any) -> str:
    """``{"url": ...}`` of ``…/tracking-url`` (budbee-js ``TrackingLink``)."""
    return read.field(read.object(data, "tracking url answer"), "url")


# --- tracking (webhooks) ----------------------------------------------------------------------


def _event(data: Any, timestamp: str) -> TrackingEvent:
    event = read.object(data, "event")
    # V2 names the event ``eventType`` (Instabee docs); the older body ``event`` (Skrym docs).
    code = read.field(event, "eventType") or read.field(event, "event", required=True)
    details = read.optional_object(event.get("eventData"), "eventData")
    location = ""
    for key in ("lockerName", "terminal", "city"):
        if isinstance(details.get(key), str) and details[key]:
            location = details[key]
            break
    at = event.get("timestamp")
    return TrackingEvent(
        at=parse_iso(at if at is not None else (timestamp or None), "event timestamp"),
        status=units.tracking_status(code),
        carrier_code=code,
        description=units.event_description(code),
        location=location,
    )


def parse_tracking(data: Any, *, timestamp: str = "") -> list[TrackingEvent]:
    """A webhook body Budbee pushes (it documents no pull API for events), oldest first.

    A V2 body carries ``eventType`` and an ISO ``timestamp``; the older body only ``event`` and
    ``eventData``, its time in the ``Timestamp`` header (pass it as ``timestamp``). A list of
    bodies is read too.
    """
    items = data if isinstance(data, list) else [data]
    return sorted((_event(item, timestamp) for item in items), key=lambda event: event.at)


def parse_webhook(data: Any, *, timestamp: str = "") -> list[tuple[str, TrackingEvent]]:
    """Each event of a webhook body with the parcel it is about: ``packageId`` of a V2 body,
    ``eventData.packageId`` of the older one (the id Budbee gave the parcel at booking, our
    tracking number)."""
    items = data if isinstance(data, list) else [data]
    pairs = []
    for index, item in enumerate(items):
        body = read.object(item, f"events[{index}]")
        details = read.optional_object(body.get("eventData"), "eventData")
        package = read.field(body, "packageId") or read.field(details, "packageId")
        if not package:
            raise read.invalid(f"events[{index}] names no packageId")
        pairs.append((package, _event(body, timestamp)))
    return pairs


# --- errors -----------------------------------------------------------------------------------


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Budbee's error ``{"message": "..."}`` (a Jackson/JAX-RS body, as the real sandbox answer
    quoted in budbee/magento's README), text kept verbatim; plain text is kept as it is.

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
        errors = data.get("errors")
        for item in errors if isinstance(errors, list) else []:
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
