"""Pure translation between our dataclasses and the Instabee API's JSON.

No I/O. Request builders (``<operation>_request``) return what the client sends; parsers
(``parse_<operation>``) take parsed JSON and return dataclasses, raising
``CarrierResponseInvalid`` (through ``read``) on a body of the wrong shape.

Checked against Instabee's API docs (https://instabee-api-docs.vercel.app, beta; the pages are
named in FIDELITY.md). What they show and what is a GUESS:

* Availability: ``availabilityToken``, ``deliveryOptions[] {sortCode, type, brand,
  deliveryOption, deliveryOptionWithEta, eta {certainty, etaInterval {from, to}, localEta
  {date, dayText}}, packBeforeDatetime, consolidation}``, ``preselection``,
  ``responseExpiresAt`` and ``showAsOptionInCheckout`` are in the docs' example (the
  resolve-sort-code page). The docs show NO locker address, coordinates, distance or opening
  hours, and no endpoint that gives them: a locker here is its sort code and name only (its
  address carries just the recipient's country). Home delivery slots are documented as "date
  (YYYY-MM-DD), start time and end time (HH:MM)" without field names: ``deliverySlot {date,
  startTime, endTime}`` is a GUESS; without it a home option's ``etaInterval`` is its slot.
* Orders (``PUT /orders``): the request fields are the docs' (post-packing "Minimum
  Integration" example: ``parcelId, brand, product, parcelPackingConfirmed, recipient {name,
  email, phone, street, street2, postalCode, city, countryCode}, deliveryOption {sort_code}``
  in snake case, ``cart {orderNumber}``; root ``availabilityToken``, ``orderId``).
  ``dimensions {length, width, height (cm), weight (g)}`` and ``recipient.doorCode`` are
  GUESSES. The docs say post-packing "returns the label URL and a labelCode" without a schema:
  ``parcelId``, ``labelUrl``, ``labelCode`` and ``trackingUrl`` are GUESSES.
* Errors: 401 (invalid key) and 403 (key not enabled for the product) are documented, their
  bodies are not: ``message`` and ``errors[]`` are read, ``title``/``detail``/``error`` as a
  fallback (GUESS).
* Webhooks: home delivery V2 events and locker checkpoints follow the docs' payload examples
  (misc/events/home-delivery, misc/events/locker-delivery).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from carriers.calendar import zone_for
from carriers.http import HttpResponse
from carriers.reader import JsonReader
from carriers.types import (
    AddonType,
    Address,
    Booking,
    BookingRequest,
    CarrierMessage,
    Label,
    Location,
    LocationKind,
    Parcel,
    Timeslot,
    TrackingEvent,
)

from . import units

SLUG = "instabox"
TOKEN = "availabilityToken"
SORT_CODE = "sortCode"

read = JsonReader(SLUG)


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


def availability_request(*, product: str) -> dict[str, str]:
    """The query of ``GET /availability/countries/{cc}/postal-codes/{pc}/delivery-options``:
    ``brand`` and ``product``, both required (docs); the brand is the product's."""
    return {"brand": units.PRODUCTS[product].brand, "product": product}


def parcel_id(*, customer_number: str, reference: str) -> str:
    """Our parcel id: the merchant's Instabee prefix (customer number) and our reference.

    Derived, not random, so that sending the booking again updates the same Instabee order
    (``PUT /orders`` is an upsert on ``parcelId``) instead of creating a second one; the docs'
    example id is ``PREFIX1234567890``.
    """
    prefix = re.sub(r"[^A-Za-z0-9]", "", customer_number)
    return (prefix + re.sub(r"[^A-Za-z0-9]", "", reference)).upper()


def _dimensions(parcel: Parcel) -> dict[str, int]:
    # GUESS (names and units not shown by the docs): centimetres, rounded up so that the
    # parcel always fits the compartment Instabee picks, and grams.
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


def booking_request(
    *, request: BookingRequest, parcel_id: str, token: str, sort_code: str
) -> dict[str, Any]:
    """The post-purchase ``PUT /orders`` body: everything about the order, not yet packed."""
    address = request.recipient_address
    contact = request.recipient
    recipient: dict[str, Any] = {
        "name": contact.name or contact.company,
        "email": contact.email,
        "phone": contact.phone,
        "street": address.street_address,
        "street2": address.street_address2,
        "postalCode": postal_code_normalise(address.postal_code),
        "city": address.city,
        "countryCode": address.country.upper(),
    }
    product = units.PRODUCTS[request.product]
    entry_code = next((a.text for a in request.addons if a.type == AddonType.ENTRY_CODE), "")
    if entry_code and not product.locker:
        recipient["doorCode"] = entry_code  # GUESS: the docs show no door-code field
    body: dict[str, Any] = {
        "parcelId": parcel_id,
        "orderId": request.reference,
        "brand": product.brand,
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


def booking_packing_request(
    *, request: BookingRequest, parcel_id: str, token: str
) -> dict[str, Any]:
    """The post-packing ``PUT /orders`` body: the same parcel, packed, with its final size
    (the docs' "Bare Minimum" is the token and ``parcelPackingConfirmed: true``)."""
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


def _datetime(value: Any, what: str) -> dt.datetime | None:
    """ISO 8601 (``2025-07-05T14:10:00.000Z``, the docs' form); without offset read as UTC."""
    text = read.text(value, what)
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise read.invalid(f"{what} is not a date-time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _clock(value: Any, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(read.text(value, what, required=True))
    except ValueError:
        raise read.invalid(f"{what} is not HH:MM") from None


def _eta(option: dict[str, Any], what: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    eta = read.optional_object(option.get("eta"), f"{what}.eta")
    interval = read.optional_object(eta.get("etaInterval"), f"{what}.eta.etaInterval")
    return (
        _datetime(interval.get("from"), f"{what}.eta.etaInterval.from"),
        _datetime(interval.get("to"), f"{what}.eta.etaInterval.to"),
    )


def _extra(sort_code: str, token: str) -> dict[str, str]:
    extra = {SORT_CODE: sort_code} if sort_code else {}
    if token:
        extra[TOKEN] = token
    return extra


def _locker(
    option: dict[str, Any], *, sort_code: str, token: str, country: str, what: str
) -> Location:
    # Only what the docs' availability example has: the sort code and the option's name. No
    # address, coordinates, distance or opening hours are documented (FIDELITY.md).
    return Location(
        id=sort_code,
        name=read.text(option.get("deliveryOption"), f"{what}.deliveryOption") or sort_code,
        kind=units.LOCATION_TYPES.get(
            read.text(option.get("type"), f"{what}.type"), LocationKind.LOCKER
        ),
        address=Address(country=country.upper()),
        extra=_extra(sort_code, token),
    )


def _timeslot(
    option: dict[str, Any], *, sort_code: str, token: str, zone: ZoneInfo, what: str
) -> Timeslot | None:
    extra = _extra(sort_code, token)
    cutoff = _datetime(option.get("packBeforeDatetime"), f"{what}.packBeforeDatetime")
    if cutoff is not None:
        cutoff = cutoff.astimezone(zone)
    slot = read.optional_object(option.get("deliverySlot"), f"{what}.deliverySlot")
    if slot:  # GUESS: the object's and its fields' names (the docs: date, start, end)
        try:
            day = dt.date.fromisoformat(read.text(slot.get("date"), f"{what}.deliverySlot.date"))
        except ValueError:
            raise read.invalid(f"{what}.deliverySlot.date is not YYYY-MM-DD") from None
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


def parse_availability(data: Any, *, country: str = "", home: bool | None = None) -> Availability:
    """A 200 answer of the availability API: lockers (by sort code), home slots and the token.

    ``country`` is the lockers' country (Instabee sends no locker address) and picks the zone
    of home slots' local times. ``home`` says which product was asked (True: every option is a
    home slot; False: every option is a locker); None reads it from each option's ``type``.
    """
    answer = read.object(data, "the availability answer")
    token = read.text(answer.get(TOKEN), TOKEN)
    show = read.boolean(
        answer.get("showAsOptionInCheckout"), "showAsOptionInCheckout", default=True
    )
    zone = zone_for(country)
    lockers: list[Location] = []
    timeslots: list[Timeslot] = []
    first_eta: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    for index, raw in enumerate(read.array(answer.get("deliveryOptions"), "deliveryOptions")):
        what = f"deliveryOptions[{index}]"
        option = read.object(raw, what)
        sort_code = read.text(option.get(SORT_CODE), f"{what}.sortCode")
        if index == 0:
            first_eta = _eta(option, what)
        kind = read.text(option.get("type"), f"{what}.type")
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
            raise read.invalid(f"{what} is a locker without a sortCode")
    return Availability(
        served=True,
        token=token,
        show_as_option=show,
        lockers=tuple(lockers),
        timeslots=tuple(timeslots),
        eta_from=first_eta[0],
        eta_to=first_eta[1],
        expires_at=_datetime(answer.get("responseExpiresAt"), "responseExpiresAt"),
        preselection=read.text(answer.get("preselection"), "preselection"),
    )


def parse_service_points(data: Any, *, country: str = "") -> list[Location]:
    """The lockers of a ``LOCKER_EXPRESS`` availability answer, in Instabee's order."""
    return list(parse_availability(data, country=country, home=False).lockers)


def parse_timeslots(data: Any, *, country: str = "") -> list[Timeslot]:
    """The home delivery slots of a ``HOME_DELIVERY`` availability answer."""
    return list(parse_availability(data, country=country, home=True).timeslots)


def parse_booking(data: Any) -> Booking:
    """A ``PUT /orders`` answer: the parcel id (our tracking number) and, once packed, its
    label link. The field names are GUESSES (the docs show no response schema)."""
    answer = read.object(data, "the order answer")
    parcel = read.text(answer.get("parcelId"), "parcelId", required=True)
    extra = {
        key: read.text(answer.get(key), key)
        for key in ("labelCode", "orderId", TOKEN, "status")
        if answer.get(key) not in (None, "")
    }
    return Booking(
        carrier_shipment_id=parcel,
        tracking_numbers=(parcel,),
        tracking_url=read.text(answer.get("trackingUrl"), "trackingUrl"),
        labels=tuple(parse_label(answer)),
        extra=extra,
    )


def parse_label(data: Any) -> list[Label]:
    """The label link of a post-packing answer (none before packing): a PDF to download."""
    answer = read.object(data, "the order answer")
    url = read.text(answer.get("labelUrl"), "labelUrl")
    return [Label(url=url)] if url else []


def _event(raw: Any, what: str) -> TrackingEvent:
    event = read.object(raw, what)
    # Home delivery (webhooks V2): eventType; locker delivery: checkpoint ``type``.
    code = read.text(event.get("eventType"), f"{what}.eventType") or read.text(
        event.get("type"), f"{what}.type", required=True
    )
    at = _datetime(event.get("timestamp"), f"{what}.timestamp")
    if at is None:
        raise read.invalid(f"{what} has no timestamp")
    return TrackingEvent(
        at=at,
        status=units.tracking_status(code),
        carrier_code=code,
        description=read.text(event.get("typeDescription"), f"{what}.typeDescription"),
        location=read.text(event.get("locationName"), f"{what}.locationName"),
    )


def parse_tracking(data: Any) -> list[TrackingEvent]:
    """Instabee webhook payloads (one event, or a list of them), oldest first.

    Instabee has no tracking API to ask: it pushes home-delivery V2 events (``eventType``) and
    locker checkpoints (``type``, ``typeDescription``, ``locationName``) to the merchant.
    """
    events = data if isinstance(data, list) else [data]
    parsed = [_event(raw, f"events[{index}]") for index, raw in enumerate(events)]
    return sorted(parsed, key=lambda event: event.at)


def parse_webhook(data: Any) -> list[tuple[str, TrackingEvent]]:
    """Each event of an Instabee webhook body with the parcel it is about: a V2 event's
    ``packageId``, a locker checkpoint's ``parcelId`` (our tracking number)."""
    items = data if isinstance(data, list) else [data]
    pairs = []
    for index, raw in enumerate(items):
        what = f"events[{index}]"
        body = read.object(raw, what)
        parcel = read.field(body, "packageId") or read.field(body, "parcelId")
        if not parcel:
            raise read.invalid(f"{what} names no packageId or parcelId")
        pairs.append((parcel, _event(body, what)))
    return pairs


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Instabee's error text, verbatim: ``message`` and each ``errors[]`` entry (a GUESS of
    the body: the docs give the statuses, not the bodies). A body that is not a JSON object
    gives no message (the transport then keeps the raw text)."""
    try:
        data = read.load(body)
    except Exception:
        return ()
    if not isinstance(data, dict):
        return ()
    fallback = str(status) if status is not None else "error"
    messages: list[CarrierMessage] = []
    text = data.get("message") or data.get("detail") or data.get("title") or data.get("error")
    if isinstance(text, str) and text:
        messages.append(CarrierMessage(code=str(data.get("code") or fallback), text=text))
    errors = data.get("errors")
    for entry in errors if isinstance(errors, list) else ():
        if isinstance(entry, str):
            messages.append(CarrierMessage(code=fallback, text=entry))
        elif isinstance(entry, dict) and isinstance(entry.get("message"), str):
            code = entry.get("field") or entry.get("code") or fallback
            messages.append(CarrierMessage(code=str(code), text=entry["message"]))
    return tuple(messages)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """``parse_error_body`` of a received error response."""
    return parse_error_body(response.body, response.status)
