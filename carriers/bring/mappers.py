"""Pure translation between the gateway's dataclasses and Bring's JSON; no I/O, no clock.

Request builders take our dataclasses (and the time, where it matters) and return the JSON
body Bring expects; parsers take Bring's decoded JSON and return our dataclasses. A body of the
wrong shape raises ``CarrierResponseInvalid``, never ``KeyError``/``TypeError``; refusals Bring
sends inside a 200 (per-consignment booking errors, tracking "not found") raise
``CarrierRejected`` with Bring's own text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision

from carriers.calendar import business_days_between, local_today, zone_for
from carriers.exceptions import CarrierRejected, CarrierUnavailable
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
    DeliveryEstimate,
    Label,
    Location,
    LocationKind,
    Money,
    OpeningHours,
    Parcel,
    ProductKind,
    Quote,
    QuoteRequest,
    Timeslot,
    TrackingEvent,
)

from . import units

logger = logging.getLogger(__name__)

CARRIER = "bring"
read = JsonReader(CARRIER)
TRACKING_PAGE = "https://sporing.bring.no/sporing.html?q={number}"
#: The hour a booking for a future shipping date says the parcel is handed in.
FUTURE_SHIPPING_TIME = dt.time(8, 0)
#: Bring's Shipping Guide caps ``addressLine`` at 35 characters.
ADDRESS_LINE_MAX = 35
#: Time slots and dates are Norwegian local times unless told otherwise.
DEFAULT_ZONE = zone_for("NO")

__all__ = ["business_days_between", "local_today", "zone_for"]


def normalise_postal_code(postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"``: Bring's paths and fields take the digits only."""
    return "".join(char for char in postal_code.upper() if char.isalnum())


# --- Shipping Guide API v2 (https://developer.bring.com/api/shipping-guide_2/) ------------


def shipping_hour(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``now`` rounded up to the next full hour, local time: a quote's shipping date.

    Rounding keeps one Shipping Guide answer valid (and cacheable) for an hour; rounding *up*
    means a cut-off within the hour can only make the estimate a day late, never early.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    local = now.astimezone(zone)
    start = local.replace(minute=0, second=0, microsecond=0)
    return start if start == local else start + dt.timedelta(hours=1)


def _cm(mm: int | None) -> int | None:
    """Millimetres to whole centimetres, rounded up: Bring never sees a smaller parcel."""
    if not mm:
        return None
    return math.ceil(mm / 10)


def _shipping_guide_package(index: int, parcel: Parcel) -> dict[str, Any]:
    package: dict[str, Any] = {"id": index, "grossWeight": parcel.weight_g}
    for key, mm in (
        ("length", parcel.length_mm),
        ("width", parcel.width_mm),
        ("height", parcel.height_mm),
    ):
        cm = _cm(mm)
        if cm is not None:
            package[key] = cm
    return package


def availability_request(
    *,
    request: QuoteRequest,
    products: Sequence[str],
    origin: Address,
    shipping_at: dt.datetime,
    alternative_dates: int,
) -> dict[str, Any]:
    """``POST /shippingguide/api/v2/products``: price, ETA and time slots of ``products``."""
    recipient = request.recipient
    customer_number = request.agreement.customer_number.strip()
    consignment: dict[str, Any] = {
        "id": 1,
        "products": [
            {"id": code, "customerNumber": customer_number} if customer_number else {"id": code}
            for code in products
        ],
        "fromCountryCode": origin.country,
        "fromPostalCode": origin.postal_code,
        "toCountryCode": recipient.country.strip().upper(),
        "toPostalCode": normalise_postal_code(recipient.postal_code),
        "shippingDate": {
            "year": f"{shipping_at.year:04d}",
            "month": f"{shipping_at.month:02d}",
            "day": f"{shipping_at.day:02d}",
            "hour": f"{shipping_at.hour:02d}",
            "minute": f"{shipping_at.minute:02d}",
        },
        "packages": [
            _shipping_guide_package(index, parcel)
            for index, parcel in enumerate(request.parcels, start=1)
        ],
    }
    # The street changes the lead time of home and mailbox services (5600, 3584, 3570).
    street = recipient.street_address.strip()
    if street:
        consignment["addressLine"] = street[:ADDRESS_LINE_MAX]
    body: dict[str, Any] = {
        "language": "en",
        "withPrice": True,
        "withExpectedDelivery": True,
        "withGuiInformation": False,
        "numberOfAlternativeDeliveryDates": alternative_dates,
        "edi": True,
        "postingAtPostOffice": False,
        "trace": False,
        "consignments": [consignment],
    }
    if alternative_dates:
        body["withUniqueAlternateDeliveryDates"] = True
    return body


def minor_units(amount: Any, currency: str) -> int:
    """``"938.70"`` NOK -> ``93870``; the currency's decimals decide the factor.

    babel's (CLDR's) decimals: 2 for the currencies Bring prices in (NOK, SEK, DKK, EUR), 0 for
    ISK, JPY and KRW, 2 for a code it does not know. They equal ISO 4217's minor units except
    for a few currencies Bring does not price in (HUF, IDR, COP, IQD: 0 in CLDR).
    """
    exponent = get_currency_precision(currency)
    try:
        value = Decimal(read.text(amount, "a price").strip())
    except InvalidOperation as exc:
        raise read.invalid(f"price {amount!r} is not a number") from exc
    if not value.is_finite():
        raise read.invalid(f"price {amount!r} is not a number")
    return int((value * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _price(value: Any) -> tuple[Money | None, str]:
    """The agreement (net) price with VAT; the list price when Bring gives no net price."""
    if value is None:
        return None, ""
    price = read.object(value, "price")
    for key, source in (("netPrice", "net"), ("listPrice", "list")):
        if price.get(key) is None:
            continue
        block = read.object(price[key], key)
        amounts = block.get("priceWithAdditionalServices") or block.get(
            "priceWithoutAdditionalServices"
        )
        if amounts is None:
            continue
        amount = read.object(amounts, f"{key} amounts").get("amountWithVAT")
        currency = read.text(block.get("currencyCode"), "currencyCode").strip().upper()
        if amount in (None, "") or not currency:
            continue
        return Money(minor_units(amount, currency), currency), source
    return None, ""


def _clock(value: Any, what: str) -> dt.time:
    clock = read.object(value, what)
    hour = read.integer(clock.get("hour"), f"{what} hour")
    minute = read.integer(clock.get("minute"), f"{what} minute") or 0
    if hour is None or not (0 <= hour <= 24 and 0 <= minute <= 59):
        raise read.invalid(f"{what} is not a time of day")
    if hour == 24:
        return dt.time(23, 59)
    return dt.time(hour, minute)


def _date(value: Any, what: str) -> dt.date:
    date = read.object(value, what)
    try:
        return dt.date(
            read.integer(date.get("year"), f"{what} year") or 0,
            read.integer(date.get("month"), f"{what} month") or 0,
            read.integer(date.get("day"), f"{what} day") or 0,
        )
    except ValueError as exc:
        raise read.invalid(f"{what} is not a date") from exc


def _windows(value: Any, what: str) -> list[tuple[dt.time, dt.time]]:
    windows = []
    for slot in read.array(value, f"{what} timeSlots"):
        slot = read.object(slot, f"{what} time slot")
        windows.append(
            (_clock(slot.get("startTime"), "startTime"), _clock(slot.get("endTime"), "endTime"))
        )
    return windows


def _estimate(expected: dict[str, Any], today: dt.date | None) -> DeliveryEstimate | None:
    """Business days until Bring's expected date, counted from ``today`` when given (Bring's
    ``workingDays`` count from the handover, which may be a later day); the expected date's
    arrival window as the time of day."""
    days = read.integer(expected.get("workingDays"), "workingDays")
    date = expected.get("expectedDeliveryDate")
    windows: list[tuple[dt.time, dt.time]] = []
    if date is not None:
        windows = _windows(read.object(date, "expectedDeliveryDate").get("timeSlots"), "expected")
        if today is not None:
            days = business_days_between(today, _date(date, "expectedDeliveryDate"))
    if days is None and not windows:
        return None
    return DeliveryEstimate(
        earliest_days=days,
        latest_days=days,
        time_of_day_start=min(start for start, _ in windows) if windows else None,
        time_of_day_end=max(end for _, end in windows) if windows else None,
    )


def _timeslots(expected: dict[str, Any], zone: ZoneInfo) -> tuple[Timeslot, ...]:
    """The expected date's time slots and those of the alternative delivery dates."""
    dates = [expected.get("expectedDeliveryDate")]
    for alternative in read.array(expected.get("alternativeDeliveryDates"), "alternatives"):
        dates.append(read.object(alternative, "alternative date").get("expectedDeliveryDate"))
    slots: dict[str, Timeslot] = {}
    for value in dates:
        if value is None:
            continue
        day = _date(value, "expectedDeliveryDate")
        for start, end in _windows(read.object(value, "date").get("timeSlots"), "date"):
            slot_id = f"{day.isoformat()}T{start:%H:%M}-{end:%H:%M}"
            slots.setdefault(
                slot_id,
                Timeslot(
                    id=slot_id,
                    start=dt.datetime.combine(day, start, tzinfo=zone),
                    end=dt.datetime.combine(day, end, tzinfo=zone),
                ),
            )
    return tuple(sorted(slots.values(), key=lambda slot: (slot.start, slot.end)))


def _product_messages(value: Any, what: str) -> tuple[CarrierMessage, ...]:
    messages = []
    for item in read.array(value, what):
        item = read.object(item, what)
        text = item.get("description") or item.get("message") or ""
        messages.append(
            CarrierMessage(read.text(item.get("code"), "code"), read.text(text, "text"))
        )
    return tuple(messages)


def _product_quote(product: dict[str, Any], zone: ZoneInfo, today: dt.date | None) -> Quote:
    code = read.text(product.get("id"), "product id")
    if not code:
        raise read.invalid("a product without id")
    errors = _product_messages(product.get("errors"), "product errors")
    if errors:
        return Quote(
            product=code,
            available=False,
            reason="; ".join(f"{m.code}: {m.text}" if m.code else m.text for m in errors),
        )
    price, source = _price(product.get("price"))
    delivery = None
    timeslots: tuple[Timeslot, ...] = ()
    if product.get("expectedDelivery") is not None:
        expected = read.object(product["expectedDelivery"], "expectedDelivery")
        delivery = _estimate(expected, today)
        timeslots = _timeslots(expected, zone)
    return Quote(
        product=code,
        available=True,
        timeslots=timeslots,
        price=price,
        delivery=delivery,
        extra={"price_source": source} if source else {},
    )


def parse_availability(
    data: Any, *, zone: ZoneInfo = DEFAULT_ZONE, today: dt.date | None = None
) -> list[Quote]:
    """One Quote per product Bring answered (available, or not with Bring's errors verbatim).

    Time slots are local times of the recipient's country (``zone``); delivery days count from
    ``today`` (else they are Bring's ``workingDays``). A product Bring left out is not served
    for this shipment (an empty answer is normal).
    """
    root = read.object(data, "Shipping Guide answer")
    quotes = []
    for consignment in read.array(root.get("consignments"), "consignments"):
        consignment = read.object(consignment, "consignment")
        for product in read.array(consignment.get("products"), "products"):
            quotes.append(_product_quote(read.object(product, "product"), zone, today))
    return quotes


def parse_timeslots(
    data: Any, *, zone: ZoneInfo = DEFAULT_ZONE, today: dt.date | None = None
) -> list[Quote]:
    """The same Shipping Guide answer, asked with ``numberOfAlternativeDeliveryDates``: each
    product's time slots are those of its expected and alternative delivery dates."""
    return parse_availability(data, zone=zone, today=today)


def parse_prices(data: Any) -> list[Quote]:
    """The same Shipping Guide answer read for its agreement prices (``price.netPrice``, else
    ``price.listPrice``, with VAT and additional services)."""
    return parse_availability(data)


# --- Pickup Point API (https://developer.bring.com/api/pickup-point/) ---------------------

_WEEKDAYS = {
    "MONDAY": 0,
    "TUESDAY": 1,
    "WEDNESDAY": 2,
    "THURSDAY": 3,
    "FRIDAY": 4,
    "SATURDAY": 5,
    "SUNDAY": 6,
}
_DAY_ABBREVIATIONS = {name[:3]: day for name, day in _WEEKDAYS.items()}
_HOURS_SEGMENT = re.compile(
    r"^(?:(?P<first>[A-Za-z]{3})(?:\s*-\s*(?P<last>[A-Za-z]{3}))?\s*:\s*)?"
    r"(?P<opens>\d{4})\s*-\s*(?P<closes>\d{4})$"
)


def _hhmm(value: str) -> dt.time | None:
    hour, minute = int(value[:2]), int(value[2:])
    if hour == 24 and minute == 0:
        return dt.time(23, 59)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def opening_hours_text(text: str) -> tuple[OpeningHours, ...]:
    """``"Mon - Fri: 0800-2200, Sat: 0800-2000"`` (``openingHoursEnglish``) as intervals.

    A text this cannot read gives no hours at all rather than some wrong ones.
    """
    hours: list[OpeningHours] = []
    days: list[int] = []
    for segment in text.split(","):
        segment = segment.strip()
        if not segment:
            continue
        match = _HOURS_SEGMENT.match(segment)
        if match is None:
            logger.info("bring: opening hours not understood: %r", text)
            return ()
        if match["first"]:
            first = _DAY_ABBREVIATIONS.get(match["first"].upper())
            last = _DAY_ABBREVIATIONS.get((match["last"] or match["first"]).upper())
            if first is None or last is None:
                logger.info("bring: opening hours not understood: %r", text)
                return ()
            days = [(first + offset) % 7 for offset in range((last - first) % 7 + 1)]
        opens, closes = _hhmm(match["opens"]), _hhmm(match["closes"])
        if not days or opens is None or closes is None:
            logger.info("bring: opening hours not understood: %r", text)
            return ()
        hours.extend(OpeningHours(day, opens, closes) for day in days)
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def _structured_hours(value: list[Any]) -> tuple[OpeningHours, ...]:
    hours = []
    for item in value:
        item = read.object(item, "openingHours entry")
        day = _WEEKDAYS.get(read.text(item.get("day"), "day").upper())
        opening = read.text(item.get("opening"), "opening").replace(":", "")
        closing = read.text(item.get("closing"), "closing").replace(":", "")
        if day is None or not (opening.isdigit() and closing.isdigit()):
            continue
        if len(opening) != 4 or len(closing) != 4:
            continue
        opens, closes = _hhmm(opening), _hhmm(closing)
        if opens is not None and closes is not None:
            hours.append(OpeningHours(day, opens, closes))
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def _location(point: dict[str, Any]) -> Location:
    point_id = read.text(point.get("id"), "pickup point id")
    if not point_id:
        raise read.invalid("a pickup point without id")
    country = read.text(point.get("countryCode"), "countryCode").upper()
    point_type = read.text(point.get("type"), "type")
    latitude = read.number(point.get("latitude"), "latitude")
    longitude = read.number(point.get("longitude"), "longitude")
    distance_km = read.number(point.get("distanceInKm"), "distanceInKm")
    structured = read.array(point.get("openingHours"), "openingHours")
    return Location(
        id=point_id,
        name=read.text(point.get("name"), "name"),
        kind=(
            LocationKind.LOCKER
            if units.is_locker(country=country, point_type=point_type)
            else LocationKind.SERVICE_POINT
        ),
        # The visiting address is where the shopper goes; ``address`` is often a post box.
        address=Address(
            country=country,
            postal_code=read.text(point.get("visitingPostalCode"), "visitingPostalCode")
            or read.text(point.get("postalCode"), "postalCode"),
            city=read.text(point.get("visitingCity"), "visitingCity")
            or read.text(point.get("city"), "city"),
            street_address=read.text(point.get("visitingAddress"), "visitingAddress")
            or read.text(point.get("address"), "address"),
        ),
        coordinates=(
            Coordinates(lat=latitude, lng=longitude)
            if latitude is not None and longitude is not None
            else None
        ),
        opening_hours=(
            _structured_hours(structured)
            if structured
            else opening_hours_text(read.text(point.get("openingHoursEnglish"), "opening hours"))
        ),
        distance_m=round(distance_km * 1000) if distance_km is not None else None,
        extra={"type": point_type, "country": country},
    )


def parse_service_points(data: Any) -> list[Location]:
    """The points of a Pickup Point API answer, in Bring's order (by driving time)."""
    root = read.object(data, "Pickup Point answer")
    return [
        _location(read.object(point, "pickup point"))
        for point in read.array(root.get("pickupPoint"), "pickupPoint")
    ]


def service_points_request(*, country: str, kind: LocationKind, limit: int) -> dict[str, Any]:
    """Query of ``/{country}/postalCode/{postalCode}.json`` for ``limit`` points of ``kind``.

    The postal-code search filters by ``pickupPointType`` in every country it serves (Pickup
    Point API RAML); elsewhere the adapter would filter, so it asks for three times as many.
    """
    if country in units.TYPE_FILTER_COUNTRIES:
        return {
            "numberOfResponses": limit,
            "pickupPointType": "locker" if kind is LocationKind.LOCKER else "manned",
        }
    return {"numberOfResponses": min(100, 3 * limit)}


# --- Booking API (https://developer.bring.com/api/booking/) -------------------------------


def _contact(contact: Contact) -> dict[str, Any]:
    out: dict[str, Any] = {"name": contact.name}
    if contact.email:
        out["email"] = contact.email
    if contact.phone:
        out["phoneNumber"] = contact.phone
    return out


def _party(
    contact: Contact, address: Address, *, reference: str = "", additional_info: str = ""
) -> dict[str, Any]:
    party: dict[str, Any] = {
        "name": contact.company or contact.name,
        "addressLine": address.street_address,
        "postalCode": normalise_postal_code(address.postal_code),
        "city": address.city,
        "countryCode": address.country.strip().upper(),
    }
    if address.street_address2:
        party["addressLine2"] = address.street_address2
    if reference:
        party["reference"] = reference
    if additional_info:
        party["additionalAddressInfo"] = additional_info
    party["contact"] = _contact(contact)
    return party


def _additional_services(request: BookingRequest) -> list[dict[str, Any]]:
    """``product.additionalServices``: the product's mandatory services (PICKUP_PARCEL's
    eAdvising) and those of the chosen add-ons, each service once.

    An add-on the product does without (5800 notifies from the recipient's contact) or that
    Bring has no service for is not sent; the entry code goes to ``additionalAddressInfo``.
    """
    services: list[dict[str, Any]] = []
    seen: set[str] = set()
    wanted = [(service, "") for service in units.MANDATORY_SERVICES.get(request.product, ())]
    wanted += [
        (units.addon_service(addon.type, request.product), addon.type) for addon in request.addons
    ]
    for service, addon_type in wanted:
        if not service:
            from_contact = units.ADDONS_FROM_CONTACT.get(AddonType.SMS, frozenset())
            if addon_type == AddonType.ENTRY_CODE or (
                addon_type == AddonType.SMS and request.product in from_contact
            ):
                continue
            logger.info(
                "bring: add-on %r has no Bring service on %s; not sent", addon_type, request.product
            )
            continue
        if service in seen:
            continue
        seen.add(service)
        entry: dict[str, Any] = {"id": service}
        if service == units.SERVICE_NOTIFICATION:
            # As Bring's 5600 example (bookingold basicRequestNew.json) sends it; the same
            # fields for PICKUP_PARCEL (a guess: Bring has no PICKUP_PARCEL example with it).
            if request.recipient.email:
                entry["email"] = request.recipient.email
            if request.recipient.phone:
                entry["mobile"] = request.recipient.phone
        services.append(entry)
    return services


def _booking_package(index: int, parcel: Parcel, reference: str) -> dict[str, Any]:
    package: dict[str, Any] = {"weightInKg": round(parcel.weight_g / 1000, 3)}
    length, width, height = _cm(parcel.length_mm), _cm(parcel.width_mm), _cm(parcel.height_mm)
    if length and width and height:
        package["dimensions"] = {"lengthInCm": length, "widthInCm": width, "heightInCm": height}
    package["correlationId"] = f"{reference}-{index}"
    return package


def customer_specified_delivery(at: dt.datetime, zone: ZoneInfo) -> str:
    """``customerSpecifiedDeliveryDateTime``: the chosen slot's start, local time with its
    offset, as Bring's home-delivery booking example writes it ("2021-06-10T17:17:25+02:00",
    checkout-guide-norway/example/book-home-delivery.html)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(zone).replace(microsecond=0).isoformat()


def shipping_datetime(*, shipping_date: dt.date | None, now: dt.datetime, zone: ZoneInfo) -> str:
    """``shippingDateTime`` with its offset (Bring asks for one): now, or a later day's 08:00."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    local_now = now.astimezone(zone).replace(microsecond=0)
    if shipping_date is None or shipping_date <= local_now.date():
        return local_now.isoformat()
    return dt.datetime.combine(shipping_date, FUTURE_SHIPPING_TIME, tzinfo=zone).isoformat()


def booking_request(*, request: BookingRequest, now: dt.datetime) -> dict[str, Any]:
    """``POST /booking/api/booking``: one consignment, ``correlationId`` = our reference.

    The reference also goes in the sender's ``reference`` (what the Tracking API searches, so
    ``find_booking`` can reconcile); the shop's order number in the recipient's.
    """
    entry_code = next(
        (a.text.strip() for a in request.addons if a.type == AddonType.ENTRY_CODE), ""
    )
    recipient_country = request.recipient_address.country.strip().upper()
    parties: dict[str, Any] = {
        "sender": _party(request.sender, request.sender_address, reference=request.reference),
        "recipient": _party(
            request.recipient,
            request.recipient_address,
            reference=request.order_reference,
            additional_info=f"{units.ENTRY_CODE_LABEL}: {entry_code}" if entry_code else "",
        ),
    }
    if request.location is not None and request.kind in (
        ProductKind.PICKUP_POINT,
        ProductKind.LOCKER,
    ):
        parties["pickupPoint"] = {
            "id": request.location.id,
            "countryCode": request.location.extra.get("country")
            or request.location.address.country.upper()
            or recipient_country,
        }
    product: dict[str, Any] = {
        "id": request.product,
        "customerNumber": request.agreement.customer_number,
    }
    services = _additional_services(request)
    if services:
        product["additionalServices"] = services
    consignment: dict[str, Any] = {
        "shippingDateTime": shipping_datetime(
            shipping_date=request.shipping_date,
            now=now,
            zone=zone_for(request.sender_address.country),
        ),
        "parties": parties,
        "product": product,
        "correlationId": request.reference,
        "packages": [
            _booking_package(index, parcel, request.reference)
            for index, parcel in enumerate(request.parcels, start=1)
        ],
    }
    if request.timeslot is not None:
        # 5600's chosen day goes in ``customerSpecifiedDeliveryDateTime`` (Booking API RAML and
        # XSD; Bring's 5600 examples). ``customerSpecifiedDelivery {startDateTime, endDateTime}``
        # is for the large-item Home Delivery and courier services, not for these products.
        if request.product in units.CUSTOMER_SPECIFIED_DELIVERY_PRODUCTS:
            consignment["customerSpecifiedDeliveryDateTime"] = customer_specified_delivery(
                request.timeslot.start, zone_for(recipient_country)
            )
        else:
            logger.info("bring: %s takes no chosen delivery time; not sent", request.product)
    return {
        "testIndicator": request.agreement.test_mode,
        "schemaVersion": 1,
        "consignments": [consignment],
    }


def _plain(value: Any) -> str:
    """Text of an error field, whatever its type (error parsing never raises)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _booking_errors(value: Any) -> list[CarrierMessage]:
    """``errors[] {uniqueId, code, messages[] {lang, message}}``; the English text if given."""
    messages: list[CarrierMessage] = []
    if not isinstance(value, list):
        return messages
    for item in value:
        if not isinstance(item, dict):
            continue
        texts = [m for m in item.get("messages") or [] if isinstance(m, dict)]
        chosen = next((m for m in texts if _plain(m.get("lang")).lower() == "en"), None)
        if chosen is None and texts:
            chosen = texts[0]
        text = _plain(chosen.get("message")) if chosen else ""
        text = text or _plain(item.get("message")) or _plain(item.get("description"))
        messages.append(CarrierMessage(_plain(item.get("code")), text))
    return messages


def _epoch_or_iso(value: Any) -> str:
    """``dateAndTimes`` values: epoch milliseconds (older API) or ISO 8601 text (newer)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).isoformat()
    return read.text(value, "dateAndTimes")


def parse_booking(data: Any) -> Booking:
    """The booked consignment, or ``CarrierRejected`` with Bring's per-consignment errors."""
    root = read.object(data, "booking answer")
    consignments = read.array(root.get("consignments"), "consignments")
    messages = _booking_errors(root.get("errors"))
    for consignment in consignments:
        messages += _booking_errors(read.object(consignment, "consignment").get("errors"))
    if messages:
        raise CarrierRejected(
            "bring refused the booking: " + "; ".join(f"{m.code} {m.text}" for m in messages),
            carrier=CARRIER,
            messages=tuple(messages),
        )
    if not consignments:
        raise read.invalid("a booking answer without consignments")
    consignment = read.object(consignments[0], "consignment")
    confirmation = read.object(consignment.get("confirmation"), "confirmation")
    number = read.text(confirmation.get("consignmentNumber"), "consignmentNumber")
    if not number:
        raise read.invalid("a confirmation without consignmentNumber")
    links = read.object(confirmation.get("links") or {}, "links")
    packages = [
        read.text(read.object(package, "package").get("packageNumber"), "packageNumber")
        for package in read.array(confirmation.get("packages"), "packages")
    ]
    label_url = read.text(links.get("labels"), "labels link")
    extra = {"correlation_id": read.text(consignment.get("correlationId"), "correlationId")}
    times = read.object(confirmation.get("dateAndTimes") or {}, "dateAndTimes")
    if times.get("expectedDelivery") is not None:
        extra["expected_delivery"] = _epoch_or_iso(times["expectedDelivery"])
    if confirmation.get("returnConsignmentNumber"):
        extra["return_consignment_number"] = read.text(
            confirmation["returnConsignmentNumber"], "returnConsignmentNumber"
        )
    return Booking(
        carrier_shipment_id=number,
        tracking_numbers=tuple(p for p in packages if p),
        tracking_url=read.text(links.get("tracking"), "tracking link")
        or TRACKING_PAGE.format(number=number),
        labels=(Label(url=label_url),) if label_url else (),
        extra={k: v for k, v in extra.items() if v},
    )


# --- Tracking API v2 (https://developer.bring.com/api/tracking/) --------------------------


def tracking_request(query: str) -> dict[str, str]:
    """Query of ``GET /tracking/api/v2/tracking.json``: a package, consignment or reference
    number (``q``) and English texts (``lang``), as the Tracking API RAML names them."""
    return {"q": query, "lang": "en"}


def find_booking_request(reference: str) -> dict[str, str]:
    """The Tracking API searches references too (RAML: "Reference, package number, shipment
    number to search for"): our reference is the sender's ``reference`` of the booking."""
    return tracking_request(reference)


def _consignment_sets(root: dict[str, Any]) -> list[Any]:
    """``consignmentSet``; Bring's "service unavailable" example wraps it in ``shipments[]``."""
    sets = list(read.array(root.get("consignmentSet"), "consignmentSet"))
    for shipment in read.array(root.get("shipments"), "shipments"):
        sets += read.array(
            read.object(shipment, "shipment").get("consignmentSet"), "consignmentSet"
        )
    return sets


def _tracking_errors(sets: list[Any]) -> list[CarrierMessage]:
    messages = []
    for consignment in sets:
        error = consignment.get("error") if isinstance(consignment, dict) else None
        if isinstance(error, dict):
            messages.append(CarrierMessage(_plain(error.get("code")), _plain(error.get("message"))))
    return messages


def _tracking_failure(messages: list[CarrierMessage]) -> Exception:
    """Bring's errors inside a 200 tracking answer: 5xx codes (its "Server too busy" and
    "Error getting track & trace information" examples) are Bring unavailable; the rest (404
    "No shipments found", 400 "Invalid query") a refusal, with Bring's text."""
    text = "bring: " + "; ".join(m.text for m in messages)
    if any(m.code.isdigit() and int(m.code) >= 500 for m in messages):
        return CarrierUnavailable(text, carrier=CARRIER, messages=tuple(messages))
    return CarrierRejected(text, carrier=CARRIER, messages=tuple(messages))


def _moment(value: Any) -> dt.datetime:
    text = read.text(value, "dateIso")
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise read.invalid(f"event time {text!r} is not ISO 8601") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=DEFAULT_ZONE)


def _event(event: dict[str, Any]) -> TrackingEvent:
    code = read.text(event.get("status"), "status")
    place = " ".join(
        part
        for part in (
            read.text(event.get("postalCode"), "postalCode"),
            read.text(event.get("city"), "city"),
        )
        if part
    )
    country = read.text(event.get("countryCode"), "countryCode")
    return TrackingEvent(
        at=_moment(event.get("dateIso")),
        status=units.tracking_status(code),
        carrier_code=code,
        description=read.text(event.get("description"), "description"),
        location=", ".join(part for part in (place, country) if part),
    )


def parse_tracking(data: Any) -> list[TrackingEvent]:
    """Every event of every package, oldest first (Bring lists newest first).

    A consignment-level event repeats under each package of a consignment; it is kept once.
    Bring's "not found" (a 200 whose ``consignmentSet`` holds an ``error``) raises
    ``CarrierRejected`` with Bring's code and text.
    """
    root = read.object(data, "tracking answer")
    sets = _consignment_sets(root)
    events: dict[tuple[Any, ...], TrackingEvent] = {}
    found = False
    for consignment in sets:
        consignment = read.object(consignment, "consignment")
        if consignment.get("error") is not None:
            continue
        found = True
        for package in read.array(consignment.get("packageSet"), "packageSet"):
            package = read.object(package, "package")
            for raw in read.array(package.get("eventSet"), "eventSet"):
                event = _event(read.object(raw, "event"))
                key = (event.at, event.carrier_code, event.description, event.location)
                events.setdefault(key, event)
    if not found:
        raise _tracking_failure(
            _tracking_errors(sets) or [CarrierMessage("404", "No shipments found")]
        )
    return sorted(events.values(), key=lambda e: e.at)


def parse_find_booking(data: Any, *, reference: str = "") -> Booking | None:
    """The consignment a Tracking API search by our reference found (its sender reference
    must be exactly ours; any, when no reference is given), or None when Bring found none.

    Bring's "No shipments found" (404 inside the 200) is None; its 5xx errors raise
    ``CarrierUnavailable`` and others ``CarrierRejected``: "not found" is never confused with
    "Bring could not answer".
    """
    root = read.object(data, "tracking answer")
    sets = _consignment_sets(root)
    errors = _tracking_errors(sets)
    failures = [m for m in errors if m.code != str(units.TRACKING_NOT_FOUND)]
    if failures and len(errors) == len(sets):
        raise _tracking_failure(failures)
    for consignment in sets:
        consignment = read.object(consignment, "consignment")
        if consignment.get("error") is not None:
            continue
        sender_reference = read.text(consignment.get("senderReference"), "senderReference")
        if reference and sender_reference != reference:
            continue
        number = read.text(consignment.get("consignmentId"), "consignmentId")
        if not number:
            continue
        packages = [
            read.text(read.object(package, "package").get("packageNumber"), "packageNumber")
            for package in read.array(consignment.get("packageSet"), "packageSet")
        ]
        return Booking(
            carrier_shipment_id=number,
            tracking_numbers=tuple(p for p in packages if p),
            tracking_url=TRACKING_PAGE.format(number=number),
        )
    return None


# --- errors -------------------------------------------------------------------------------


def error_messages(data: Any) -> tuple[CarrierMessage, ...]:
    """Bring's error texts, verbatim, from whichever of its APIs' error shapes ``data`` has.

    * Booking API: ``consignments[].errors[]`` and top-level ``errors[]``, each
      ``{code, messages[] {lang, message}}`` (the English message when there is one);
    * Shipping Guide: ``fieldErrors[] {code, field, message}`` (HTTP 400);
    * Tracking API: ``consignmentSet[].error {code, message}``;
    * Booking API error catalogue (``GET /booking/api/errors``): ``errorTypes[] {code, message}``.
    """
    if not isinstance(data, dict):
        return ()
    messages: list[CarrierMessage] = []
    for consignment in data.get("consignments") or []:
        if isinstance(consignment, dict):
            messages += _booking_errors(consignment.get("errors"))
    messages += _booking_errors(data.get("errors"))
    for item in data.get("fieldErrors") or []:
        if isinstance(item, dict):
            messages.append(CarrierMessage(_plain(item.get("code")), _plain(item.get("message"))))
    if isinstance(data.get("consignmentSet"), list) or isinstance(data.get("shipments"), list):
        with contextlib.suppress(CarrierUnavailable):
            messages += _tracking_errors(_consignment_sets(data))
    for item in data.get("errorTypes") or []:
        if isinstance(item, dict):
            messages.append(CarrierMessage(_plain(item.get("code")), _plain(item.get("message"))))
    if not messages and isinstance(data.get("message"), str):
        messages.append(CarrierMessage(_plain(data.get("code")), data["message"]))
    return tuple(messages)


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """A saved error body's messages, verbatim; () for a body that is not JSON."""
    try:
        data = read.load(body)
    except CarrierUnavailable:
        return ()
    return error_messages(data)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """``CarrierHttp``'s error parser: Bring's messages, or () for a body that is not JSON
    (transport then keeps the raw text)."""
    return parse_error_body(response.body, response.status)


# --- labels -------------------------------------------------------------------------------


def parse_label(body: bytes) -> Label:
    """The body behind a booking's ``links.labels`` (after Bring's redirect): a PDF."""
    if not body.startswith(b"%PDF-"):
        raise read.invalid("the label is not a PDF")
    return Label(content=body, format="pdf")
