"""Pure translation between our dataclasses and the Instabee API's JSON (docs/carriers.md §4.1).

No I/O. Request builders return the JSON bodies the client sends; parsers take response bodies
(bytes) and return dataclasses, raising ``CarrierResponseInvalid`` on a body of the wrong shape.

What the Instabee docs show and what is inferred (GUESS, to verify against Instabee's sandbox):

* Availability: ``availabilityToken``, ``deliveryOptions[] {sortCode, type, brand,
  deliveryOption, deliveryOptionWithEta, eta {etaInterval {from, to}}, packBeforeDatetime}``,
  ``preselection``, ``responseExpiresAt`` and ``showAsOptionInCheckout`` are documented. A locker's
  ``address {street, postalCode, city, countryCode}``, ``coordinates {latitude, longitude}``,
  ``distance`` (metres) and ``openingHours {periods[]}`` are GUESSES (the field names of the order
  recipient and of Budbee's lockers, Instabee's sister API); all are optional here. Home delivery
  slots are documented as "date plus start and end HH:MM"; their object name ``deliverySlot
  {date, startTime, endTime}`` is a GUESS. Without it a home option's ``etaInterval`` is its slot.
* Orders: the request fields are documented (``deliveryOption {sort_code}`` in snake case, as in
  Instabee's example); ``dimensions {length, width, height (cm), weight (g)}`` and
  ``recipient.doorCode`` are GUESSES. The response's ``parcelId``, ``labelUrl``, ``labelCode``
  and ``trackingUrl`` follow the docs' wording ("returns the label URL and a labelCode").
* Errors: 401/403 are documented, their bodies are not: ``message`` and ``errors[]`` are read,
  and ``title``/``detail`` as a fallback.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    Address,
    Booking,
    BookingRequest,
    CarrierMessage,
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

SLUG = "instabox"
TOKEN = "availabilityToken"
SORT_CODE = "sortCode"
_ALWAYS_OPEN_UNTIL = dt.time(23, 59)


@dataclass(frozen=True)
class Availability:
    """One answer of ``/availability/.../delivery-options`` for one product."""

    #: False when Instabee answered 404: it does not deliver there.
    served: bool
    token: str = ""
    show_as_option: bool = True
    lockers: tuple[Location, ...] = ()
    timeslots: tuple[Timeslot, ...] = ()
    #: The first (recommended) option's ETA interval.
    eta_from: dt.datetime | None = None
    eta_to: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    preselection: str = ""


# ---------------------------------------------------------------------------------------------
# Requests


def postal_code_normalise(postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"``, ``"1012 ab"`` -> ``"1012AB"``: the path segment Instabee wants."""
    return "".join(char for char in postal_code.upper() if char.isalnum())


def availability_params(*, product: str) -> dict[str, str]:
    return {"brand": units.BRAND, "product": product}


def parcel_id(*, customer_number: str, reference: str) -> str:
    """Our parcel id: the merchant's Instabee prefix (customer number) and our reference.

    Derived, not random, so that sending the booking again updates the same Instabee order
    (``PUT /orders`` is an upsert on ``parcelId``) instead of creating a second one.
    """
    prefix = re.sub(r"[^A-Za-z0-9]", "", customer_number)
    return (prefix + re.sub(r"[^A-Za-z0-9]", "", reference)).upper()


def _contact_name(request: BookingRequest) -> str:
    contact = request.recipient
    return contact.name or contact.company


def _dimensions(parcel: Parcel) -> dict[str, int]:
    # Centimetres, rounded up so that the parcel always fits the compartment Instabee picks.
    dimensions: dict[str, int] = {}
    for name, millimetres in (
        ("length", parcel.length_mm),
        ("width", parcel.width_mm),
        ("height", parcel.height_mm),
    ):
        if millimetres:
            dimensions[name] = math.ceil(millimetres / 10)
    dimensions["weight"] = parcel.weight_g
    return dimensions


def order_request(
    *,
    request: BookingRequest,
    parcel_id: str,
    token: str,
    sort_code: str,
) -> dict[str, Any]:
    """The post-purchase ``PUT /orders`` body: everything about the order, not yet packed."""
    address = request.recipient_address
    recipient: dict[str, Any] = {
        "name": _contact_name(request),
        "email": request.recipient.email,
        "phone": request.recipient.phone,
        "street": address.street_address,
        "street2": address.street_address2,
        "postalCode": postal_code_normalise(address.postal_code),
        "city": address.city,
        "countryCode": address.country.upper(),
    }
    product = units.PRODUCTS.get(request.product)
    entry_code = next((a.text for a in request.addons if a.type == units.ADDON_ENTRY_CODE), "")
    if entry_code and not (product and product.locker):
        recipient["doorCode"] = entry_code
    body: dict[str, Any] = {
        "parcelId": parcel_id,
        "orderId": request.reference,
        "brand": units.BRAND,
        "product": request.product,
        TOKEN: token,
        "parcelPackingConfirmed": False,
        "recipient": {k: v for k, v in recipient.items() if v != ""},
    }
    if sort_code:
        body["deliveryOption"] = {"sort_code": sort_code}
    body["cart"] = {"orderNumber": request.order_reference or request.reference}
    if request.parcels:
        body["dimensions"] = _dimensions(request.parcels[0])
    return body


def packing_request(*, request: BookingRequest, parcel_id: str, token: str) -> dict[str, Any]:
    """The post-packing ``PUT /orders`` body: the same parcel, packed, with its final size."""
    body: dict[str, Any] = {
        "parcelId": parcel_id,
        "orderId": request.reference,
        TOKEN: token,
        "parcelPackingConfirmed": True,
    }
    if request.parcels:
        body["dimensions"] = _dimensions(request.parcels[0])
    return body


# ---------------------------------------------------------------------------------------------
# Responses


def _invalid(what: str) -> CarrierResponseInvalid:
    return CarrierResponseInvalid(f"{SLUG}: {what}", carrier=SLUG)


def _load(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _invalid("the body is not JSON") from exc


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid(f"{what} is not an object")
    return value


def _optional_object(parent: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = parent.get(key)
    return {} if value is None else _object(value, what)


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(f"{what} is not a list")
    return value


def _str(parent: Mapping[str, Any], key: str, what: str, *, required: bool = False) -> str:
    value = parent.get(key)
    if value is None or value == "":
        if required:
            raise _invalid(f"{what} has no {key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(f"{what}.{key} is not a string")
    return str(value)


def _number(parent: Mapping[str, Any], key: str, what: str) -> float | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(f"{what}.{key} is not a number")
    try:
        return float(value)
    except ValueError:
        raise _invalid(f"{what}.{key} is not a number") from None


def _datetime(value: Any, what: str) -> dt.datetime | None:
    """ISO 8601 (``2025-07-05T14:10:00.000Z``); a time without offset is read as UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(f"{what} is not a date-time")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(f"{what} is not a date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _clock(value: Any, what: str) -> dt.time:
    if not isinstance(value, str):
        raise _invalid(f"{what} is not HH:MM")
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise _invalid(f"{what} is not HH:MM: {value!r}") from None


def _opening_hours(option: Mapping[str, Any], what: str) -> tuple[OpeningHours, ...]:
    hours = _optional_object(option, "openingHours", f"{what}.openingHours")
    intervals: list[OpeningHours] = []
    for index, raw in enumerate(_list(hours.get("periods"), f"{what}.openingHours.periods")):
        period = _object(raw, f"{what}.openingHours.periods[{index}]")
        opens = _object(period.get("open"), f"{what}.openingHours.periods[{index}].open")
        day = units.WEEKDAYS.get(_str(opens, "day", "open").upper())
        if day is None:
            raise _invalid(f"{what}.openingHours.periods[{index}] has an unknown day")
        close = period.get("close")
        # ``close: null`` means open around the clock from ``open.time``; a close on a later
        # day (overnight hours) is cut at midnight: OpeningHours holds one day's interval.
        closes = _ALWAYS_OPEN_UNTIL
        if close is not None:
            closing = _object(close, f"{what}.openingHours.periods[{index}].close")
            if units.WEEKDAYS.get(_str(closing, "day", "close").upper()) == day:
                closes = _clock(closing.get("time"), f"{what}.close.time")
        intervals.append(OpeningHours(day, _clock(opens.get("time"), f"{what}.open.time"), closes))
    return tuple(intervals)


def _locker(
    option: Mapping[str, Any], *, sort_code: str, token: str, country: str, what: str
) -> Location:
    address = _optional_object(option, "address", f"{what}.address")
    coordinates = _optional_object(option, "coordinates", f"{what}.coordinates")
    lat = _number(coordinates, "latitude", f"{what}.coordinates")
    lng = _number(coordinates, "longitude", f"{what}.coordinates")
    distance = _number(option, "distance", what)
    extra = {SORT_CODE: sort_code}
    if token:
        extra[TOKEN] = token
    return Location(
        id=sort_code,
        name=_str(option, "deliveryOption", what) or sort_code,
        kind=units.LOCATION_TYPES.get(_str(option, "type", what), LocationKind.LOCKER),
        address=Address(
            country=_str(address, "countryCode", f"{what}.address") or country,
            postal_code=_str(address, "postalCode", f"{what}.address"),
            city=_str(address, "city", f"{what}.address"),
            street_address=_str(address, "street", f"{what}.address"),
        ),
        coordinates=Coordinates(lat, lng) if lat is not None and lng is not None else None,
        opening_hours=_opening_hours(option, what),
        distance_m=round(distance) if distance is not None else None,
        extra=extra,
    )


def _timeslot(
    option: Mapping[str, Any], *, sort_code: str, token: str, zone: ZoneInfo, what: str
) -> Timeslot | None:
    slot = _optional_object(option, "deliverySlot", f"{what}.deliverySlot")
    extra = {SORT_CODE: sort_code} if sort_code else {}
    if token:
        extra[TOKEN] = token
    cutoff = _datetime(option.get("packBeforeDatetime"), f"{what}.packBeforeDatetime")
    if cutoff is not None:
        cutoff = cutoff.astimezone(zone)
    if slot:
        try:
            day = dt.date.fromisoformat(_str(slot, "date", f"{what}.deliverySlot", required=True))
        except ValueError:
            raise _invalid(f"{what}.deliverySlot.date is not YYYY-MM-DD") from None
        opens = _clock(slot.get("startTime"), f"{what}.deliverySlot.startTime")
        closes = _clock(slot.get("endTime"), f"{what}.deliverySlot.endTime")
        return Timeslot(
            id=f"{day.isoformat()}T{opens:%H:%M}-{closes:%H:%M}",
            start=dt.datetime.combine(day, opens, tzinfo=zone),
            end=dt.datetime.combine(day, closes, tzinfo=zone),
            cutoff=cutoff,
            extra=extra,
        )
    start, end = _eta(option, what)
    if start is None or end is None:
        return None
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return Timeslot(
        id=f"{local_start:%Y-%m-%dT%H:%M}-{local_end:%H:%M}",
        start=local_start,
        end=local_end,
        cutoff=cutoff,
        extra=extra,
    )


def _eta(option: Mapping[str, Any], what: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    eta = _optional_object(option, "eta", f"{what}.eta")
    interval = _optional_object(eta, "etaInterval", f"{what}.eta.etaInterval")
    return (
        _datetime(interval.get("from"), f"{what}.eta.etaInterval.from"),
        _datetime(interval.get("to"), f"{what}.eta.etaInterval.to"),
    )


def parse_availability(body: bytes, *, country: str = "", home: bool | None = None) -> Availability:
    """A 200 answer of the availability API: lockers (by sort code), home slots and the token.

    ``country`` fills in lockers' country when Instabee sends no address, and picks the zone of
    home slots' local times. ``home`` says which product was asked (True: every option is a home
    slot; False: every option is a locker); None reads it from each option's ``type``.
    """
    data = _object(_load(body), "the availability answer")
    token = _str(data, TOKEN, "the availability answer")
    show = data.get("showAsOptionInCheckout", True)
    if not isinstance(show, bool):
        raise _invalid("showAsOptionInCheckout is not a boolean")
    zone = ZoneInfo(units.TIMEZONES.get(country.upper(), units.DEFAULT_TIMEZONE))
    lockers: list[Location] = []
    timeslots: list[Timeslot] = []
    first_eta: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    for index, raw in enumerate(_list(data.get("deliveryOptions"), "deliveryOptions")):
        what = f"deliveryOptions[{index}]"
        option = _object(raw, what)
        sort_code = _str(option, SORT_CODE, what)
        if index == 0:
            first_eta = _eta(option, what)
        kind = _str(option, "type", what)
        if home is None:
            home_option = "deliverySlot" in option or bool(
                kind and kind not in units.LOCATION_TYPES
            )
        else:
            home_option = home
        if home_option:
            slot = _timeslot(option, sort_code=sort_code, token=token, zone=zone, what=what)
            if slot is not None:
                timeslots.append(slot)
        elif sort_code:
            lockers.append(
                _locker(option, sort_code=sort_code, token=token, country=country, what=what)
            )
        else:
            raise _invalid(f"{what} is a locker without a sortCode")
    return Availability(
        served=True,
        token=token,
        show_as_option=show,
        lockers=tuple(lockers),
        timeslots=tuple(timeslots),
        eta_from=first_eta[0],
        eta_to=first_eta[1],
        expires_at=_datetime(data.get("responseExpiresAt"), "responseExpiresAt"),
        preselection=_str(data, "preselection", "the availability answer"),
    )


def parse_order(body: bytes) -> Booking:
    """A ``PUT /orders`` answer: the parcel id (our tracking number) and, once packed, its label."""
    data = _object(_load(body), "the order answer")
    parcel = _str(data, "parcelId", "the order answer", required=True)
    label_url = _str(data, "labelUrl", "the order answer")
    extra = {
        key: _str(data, key, "the order answer")
        for key in ("labelCode", "orderId", TOKEN, "status")
        if data.get(key) not in (None, "")
    }
    return Booking(
        carrier_shipment_id=parcel,
        tracking_numbers=(parcel,),
        tracking_url=_str(data, "trackingUrl", "the order answer"),
        labels=(Label(url=label_url),) if label_url else (),
        extra=extra,
    )


def _event(raw: Any, what: str) -> TrackingEvent:
    event = _object(raw, what)
    # Home delivery (webhooks V2): eventType; locker delivery: checkpoint ``type``.
    code = _str(event, "eventType", what) or _str(event, "type", what, required=True)
    at = _datetime(event.get("timestamp"), f"{what}.timestamp")
    if at is None:
        raise _invalid(f"{what} has no timestamp")
    return TrackingEvent(
        at=at,
        status=units.tracking_status(code),
        carrier_code=code,
        description=_str(event, "typeDescription", what),
        location=_str(event, "locationName", what),
    )


def parse_tracking_events(body: bytes) -> list[TrackingEvent]:
    """Instabee webhook payloads (one event, or a list of them), oldest first.

    Instabee has no tracking API to ask: it pushes home-delivery V2 events (``eventType``) and
    locker checkpoints (``type``, ``typeDescription``, ``locationName``) to the merchant.
    """
    data = _load(body)
    events = data if isinstance(data, list) else [data]
    parsed = [_event(raw, f"events[{index}]") for index, raw in enumerate(events)]
    return sorted(parsed, key=lambda event: event.at)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """Instabee's error text, verbatim: ``message`` and each ``errors[]`` entry."""
    data = json.loads(response.body)
    if not isinstance(data, Mapping):
        return ()
    status = str(response.status)
    messages: list[CarrierMessage] = []
    text = data.get("message") or data.get("detail") or data.get("title") or data.get("error")
    if isinstance(text, str) and text:
        messages.append(CarrierMessage(code=str(data.get("code") or status), text=text))
    for entry in data.get("errors") or ():
        if isinstance(entry, str):
            messages.append(CarrierMessage(code=status, text=entry))
        elif isinstance(entry, Mapping) and isinstance(entry.get("message"), str):
            code = entry.get("field") or entry.get("code") or status
            messages.append(CarrierMessage(code=str(code), text=entry["message"]))
    return tuple(messages)


def parse_error_body(body: bytes, *, status: int = 400) -> tuple[CarrierMessage, ...]:
    """``parse_error`` for a saved body (``manage.py carrier_parse instabox error FILE``)."""
    return parse_error(HttpResponse(status=status, headers={}, body=body, duration_ms=0))
