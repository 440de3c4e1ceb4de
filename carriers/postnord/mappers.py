"""Pure translation between our dataclasses and PostNord's JSON (no I/O).

Request builders (``<operation>_request``): service point search (Service Points v5), transit
time (v2), the EDI instruction (Booking 3.5.29.1: booking, and the deletion that cancels), label
reprint by printId, track and trace v7 by identifier and by reference. Parsers
(``parse_<operation>``) take parsed JSON: service points, transit times and delivery options,
the EDI booking answer with its labels, a reprint's labels, track and trace, and PostNord's two
error shapes (the API gateway's ``{"error": {...}}`` and the services' ``{"message",
"compositeFault"}``), whose texts are kept verbatim. Each was checked against PostNord's
published specifications (carriers/FIDELITY.md).

A JSON body of the wrong shape raises ``CarrierResponseInvalid`` (from the one shared reader,
``read``), never KeyError/TypeError.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

from carriers.calendar import aware, zone_for
from carriers.exceptions import CarrierRejected, CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.reader import JsonReader
from carriers.types import (
    AddonType,
    Address,
    AgreementCredentials,
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
    ProductKind,
    TrackingEvent,
)

from . import units

logger = logging.getLogger(__name__)

SLUG = "postnord"
read = JsonReader(SLUG)
TRACKING_URL = "https://tracking.postnord.com/{country}/?id={id}"
_ALPHA3 = {"SWE": "SE", "NOR": "NO", "DNK": "DK", "FIN": "FI", "DEU": "DE"}
#: Track & Trace v7 paths (findbyidentifier 1.0.1, findbyreference 1.0.0 swaggers).
TRACKING_PATH = "/rest/shipment/v7/trackandtrace/id/{id}/public"
FIND_BOOKING_PATH = (
    "/rest/shipment/v7/trackandtrace/customernumber/{customer_number}/reference/{reference}/public"
)
#: Booking swagger limits: messageId maxLength 36, referenceNo and shipmentId maxLength 35.
MESSAGE_ID_MAX = 36
REFERENCE_MAX = 35


class PathQuery(NamedTuple):
    """A GET whose identifiers are in the path: the path and its query parameters."""

    path: str
    params: dict[str, str]


def _datetime(value: Any, what: str) -> dt.datetime | None:
    """PostNord's ISO 8601 text as it comes: naive (local time) or with an offset."""
    text = read.text(value, what)
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise read.invalid(f"{what} is not a date and time") from None


def postal_code_normalise(postal_code: str) -> str:
    """PostNord wants postal codes without spaces (hyphens are part of the code)."""
    return "".join(postal_code.split()).upper()


# --- Errors --------------------------------------------------------------------------------


def _fault_code(fault: dict[str, Any]) -> str:
    code = read.text(fault.get("faultCode"), "fault")
    if code:
        return code
    # EDI validation faults name the field in faultReferences instead of a faultCode.
    references = {
        read.text(read.object(ref, "faultReferences").get("key"), "fault"): read.text(
            read.object(ref, "faultReferences").get("value"), "fault"
        )
        for ref in read.array(fault.get("faultReferences"), "faultReferences")
    }
    for suffix in (".subType", ".type"):
        for key, value in references.items():
            if key.endswith(suffix) and value:
                return value
    return ""


def _fault_messages(composite: Any) -> list[CarrierMessage]:
    faults = read.array(read.optional_object(composite, "compositeFault").get("faults"), "faults")
    return [
        CarrierMessage(
            code=_fault_code(read.object(fault, "fault")),
            text=read.text(read.object(fault, "fault").get("explanationText"), "fault"),
        )
        for fault in faults
    ]


def error_messages(data: Any, status: int = 0) -> tuple[CarrierMessage, ...]:
    """PostNord's error texts, verbatim, from either of its error shapes."""
    root = read.object(data, "error body")
    gateway = root.get("error")
    if isinstance(gateway, dict):  # the API gateway: bad key, quota, unknown path
        code = read.text(gateway.get("error_type"), "error") or read.text(
            gateway.get("status_code"), "error"
        )
        return (CarrierMessage(code=code, text=read.text(gateway.get("message"), "error")),)
    messages: list[CarrierMessage] = []
    message = read.text(root.get("message"), "message")
    if message:
        messages.append(CarrierMessage(code=str(status) if status else "", text=message))
    composite = root.get("compositeFault")
    for wrapper in ("servicePointInformationResponse", "TrackingInformationResponse"):
        if composite is None and isinstance(root.get(wrapper), dict):
            composite = root[wrapper].get("compositeFault")
    messages.extend(_fault_messages(composite))
    return tuple(messages)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """For ``CarrierHttp``: the carrier's messages, or () to fall back to the raw body."""
    try:
        return parse_error_body(response.body, response.status)
    except CarrierResponseInvalid:
        return ()


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """A saved error body's messages (``manage.py carrier_parse postnord error``)."""
    return error_messages(read.load(body), status or 0)


def is_not_found(response: HttpResponse) -> bool:
    """A 404 of the service itself ("no such shipment"), not of PostNord's API gateway (an
    unknown path or product answers ``{"error": {...}}``)."""
    if response.status != 404:
        return False
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError):
        return True
    return not (isinstance(data, dict) and isinstance(data.get("error"), dict))


# --- Service points (Service Points v5) -----------------------------------------------------


def service_points_request(
    *, country: str, postal_code: str, kind: ProductKind, limit: int
) -> dict[str, str]:
    """Query of ``nearest/byaddress``: the nearest points of one kind to a postal code.

    Names and values as the Service Points v5 swagger (5.0.14) has them: ``returnType`` and
    ``countryCode`` required; ``postalCode`` without spaces; ``typeId`` the comma-separated
    list it recommends for checkouts (points and parcel boxes asked apart); ``context``
    ``optionalservicepoint``, ``responseFilter`` ``public``. Only the postal code is sent (no
    street), so the answer depends on the postal code alone and one cached answer serves every
    shopper there.
    """
    return {
        "returnType": "json",
        "countryCode": country,
        "postalCode": postal_code,
        "numberOfServicePoints": str(limit),
        "context": "optionalservicepoint",
        "responseFilter": "public",
        "typeId": ",".join(units.TYPE_IDS[kind]),
        "srId": "EPSG:4326",
    }


def _street(address: dict[str, Any], what: str) -> str:
    name = read.text(address.get("streetName"), what)
    number = read.text(address.get("streetNumber"), what)
    return f"{name} {number}".strip()


def _time(value: str, what: str) -> dt.time:
    if value == "24:00":
        return dt.time(23, 59)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise read.invalid(what) from None


def _opening_hours(data: Any) -> tuple[OpeningHours, ...]:
    hours = []
    for entry in read.array(
        read.optional_object(data, "openingHours").get("postalServices"), "hours"
    ):
        entry = read.object(entry, "opening hours")
        day = read.text(entry.get("openDay"), "opening hours").strip().lower()
        if day not in units.WEEKDAYS:
            logger.warning("PostNord opening hours with unknown day %r", day)
            continue
        hours.append(
            OpeningHours(
                weekday=units.WEEKDAYS[day],
                opens=_time(read.text(entry.get("openTime"), "opening hours"), "opening hours"),
                closes=_time(read.text(entry.get("closeTime"), "opening hours"), "opening hours"),
            )
        )
    # Split days (08:00-09:30 and 15:00-18:00) come in any order; keep them in day order.
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def _coordinates(data: Any) -> Coordinates | None:
    points = [read.object(p, "coordinates") for p in read.array(data, "coordinates")]
    wgs84 = [p for p in points if read.text(p.get("srId"), "coordinates") in ("", "EPSG:4326")]
    if not wgs84:
        return None
    point = wgs84[0]
    lat = read.number(point.get("northing"), "coordinates.northing", required=True)
    lng = read.number(point.get("easting"), "coordinates.easting", required=True)
    if (
        lat is None or lng is None or (lat == 0 and lng == 0)
    ):  # PostNord's "no position" (seen in real answers), not a place
        return None
    return Coordinates(lat=lat, lng=lng)


def _location(data: Any) -> Location:
    point = read.object(data, "service point")
    point_id = read.text(point.get("servicePointId"), "servicePointId")
    if not point_id:
        raise read.invalid("service point without servicePointId")
    kind_info = read.optional_object(point.get("type"), "service point type")
    type_id = read.integer(kind_info.get("typeId"), "typeId")
    group_type_id = read.integer(kind_info.get("groupTypeId"), "groupTypeId")
    is_locker = type_id == units.LOCKER_TYPE_ID or group_type_id == units.LOCKER_GROUP_TYPE_ID
    visiting = read.optional_object(point.get("visitingAddress"), "visitingAddress")
    delivery = read.optional_object(point.get("deliveryAddress"), "deliveryAddress") or visiting
    box = read.optional_object(kind_info.get("boxType"), "boxType")
    extra = {
        "country": read.text(visiting.get("countryCode") or delivery.get("countryCode"), "country"),
        "type_id": "" if type_id is None else str(type_id),
        "group_type_id": "" if group_type_id is None else str(group_type_id),
        # The EDI names the point by its delivery address, not the visiting one (swagger).
        "delivery_name": read.text(point.get("name"), "name"),
        "delivery_street": _street(delivery, "deliveryAddress"),
        "delivery_postal_code": read.text(delivery.get("postalCode"), "deliveryAddress"),
        "delivery_city": read.text(delivery.get("city"), "deliveryAddress"),
        "delivery_country": read.text(delivery.get("countryCode"), "deliveryAddress"),
        "located": read.text(box.get("located"), "boxType"),
    }
    return Location(
        id=point_id,
        name=read.text(point.get("name"), "name"),
        kind=LocationKind.LOCKER if is_locker else LocationKind.SERVICE_POINT,
        address=Address(
            country=read.text(visiting.get("countryCode"), "visitingAddress"),
            postal_code=read.text(visiting.get("postalCode"), "visitingAddress"),
            city=read.text(visiting.get("city"), "visitingAddress"),
            street_address=_street(visiting, "visitingAddress"),
        ),
        coordinates=_coordinates(point.get("coordinates")),
        opening_hours=_opening_hours(point.get("openingHours")),
        distance_m=read.integer(point.get("routeDistance"), "routeDistance"),
        extra={key: value for key, value in extra.items() if value},
    )


def parse_service_points(data: Any) -> list[Location]:
    """``servicePointInformationResponse.servicePoints`` as locations, in PostNord's order
    (nearest first by driving distance)."""
    response = read.object(
        read.object(data, "service points body").get("servicePointInformationResponse"),
        "servicePointInformationResponse",
    )
    points = response.get("servicePoints")
    if points is None and response.get("compositeFault"):
        raise CarrierRejected(
            f"{SLUG}: service point search refused",
            carrier=SLUG,
            messages=tuple(_fault_messages(response.get("compositeFault"))),
        )
    return [_location(point) for point in read.array(points, "servicePoints")]


# --- Transit time and delivery options ------------------------------------------------------


@dataclass(frozen=True)
class ServiceAvailability:
    """One PostNord service as the transit time (v1/v2) or Delivery Options API offers it.

    Times are as PostNord sends them: naive local time (transit time) or with an offset
    (delivery options).
    """

    product: str
    name: str
    available: bool
    additional_services: tuple[str, ...] = ()
    latest_booking: dt.datetime | None = None
    departure: dt.datetime | None = None
    arrival_earliest: dt.datetime | None = None
    arrival_latest: dt.datetime | None = None
    days_min: int | None = None
    days_max: int | None = None
    delivery_point_id: str = ""
    option_type: str = ""
    reason: str = ""


def availability_request(
    *,
    origin_country: str,
    origin_postal_code: str,
    destination_country: str,
    destination_postal_code: str,
    codes: Iterable[str],
    start: dt.datetime,
) -> dict[str, str]:
    """Query of Transit Time v2 ``addresstoaddress`` (swagger 2.0.3): ``startTime`` the local
    hand-over time, ``serviceCodes`` comma-separated Nordic codes, origin and destination postal
    codes and alpha-2 countries (all required but ``serviceCodes``)."""
    return {
        "startTime": start.strftime("%Y-%m-%dT%H:%M"),
        "serviceCodes": ",".join(codes),
        "originPostalCode": origin_postal_code,
        "originCountryCode": origin_country,
        "destinationPostalCode": destination_postal_code,
        "destinationCountryCode": destination_country,
    }


def _additional_codes(value: Any, what: str) -> tuple[str, ...]:
    # v1 and v2-with-codes send a list; plain v2 sends one object.
    entries = [value] if isinstance(value, dict) else read.array(value, what)
    codes = []
    for entry in entries:
        entry = read.object(entry, what)
        codes.append(
            read.text(entry.get("additionalServiceCode"), what)
            or read.text(entry.get("code"), what)
        )
    return tuple(codes)


def _day_range(eta: dict[str, Any]) -> tuple[int | None, int | None]:
    days = read.optional_object(eta.get("dayRangeOfArrival"), "dayRangeOfArrival")
    return (
        read.integer(days.get("daysMinimum"), "dayRangeOfArrival"),
        read.integer(days.get("daysMaximum"), "dayRangeOfArrival"),
    )


def _transit_v1(entry: dict[str, Any]) -> ServiceAvailability:
    service = read.object(entry.get("serviceInformation"), "serviceInformation")
    days_min, days_max = _day_range(entry)
    point = read.optional_object(entry.get("deliveryPoint"), "deliveryPoint")
    return ServiceAvailability(
        product=read.text(service.get("serviceCode"), "serviceCode"),
        name=read.text(service.get("name"), "name"),
        available=True,  # v1 leaves out the services it cannot route
        additional_services=_additional_codes(
            service.get("additionalServices"), "additionalServices"
        ),
        latest_booking=_datetime(entry.get("latestTimeOfBooking"), "latestTimeOfBooking"),
        departure=_datetime(entry.get("timeOfDeparture"), "timeOfDeparture"),
        arrival_latest=_datetime(entry.get("timeOfArrival"), "timeOfArrival"),
        days_min=days_min,
        days_max=days_max,
        delivery_point_id=read.text(point.get("locationId"), "deliveryPoint"),
    )


def _transit_v2(entry: dict[str, Any]) -> ServiceAvailability:
    service = read.object(entry.get("service"), "service")
    eta = read.optional_object(entry.get("estimatedTimeOfArrival"), "estimatedTimeOfArrival")
    days_min, days_max = _day_range(eta)
    point = read.optional_object(eta.get("deliveryPoint"), "deliveryPoint")
    return ServiceAvailability(
        product=read.text(service.get("basicServiceCode"), "basicServiceCode"),
        name=read.text(service.get("name"), "name"),
        available=entry.get("isBookable", True) is True
        and entry.get("isSupported", True) is not False,
        additional_services=_additional_codes(
            service.get("additionalServices"), "additionalServices"
        ),
        latest_booking=_datetime(eta.get("latestTimeOfBooking"), "latestTimeOfBooking"),
        departure=_datetime(eta.get("timeOfDeparture"), "timeOfDeparture"),
        arrival_latest=_datetime(eta.get("timeOfArrival"), "timeOfArrival"),
        days_min=days_min,
        days_max=days_max,
        delivery_point_id=read.text(point.get("locationId"), "deliveryPoint"),
        reason=read.text(entry.get("errorMessage"), "errorMessage"),
    )


def _delivery_options(root: dict[str, Any]) -> list[ServiceAvailability]:
    found = []
    for warehouse in read.array(
        root.get("warehouseToDeliveryOptions"), "warehouseToDeliveryOptions"
    ):
        warehouse = read.object(warehouse, "warehouseToDeliveryOptions")
        for group in read.array(warehouse.get("deliveryOptions"), "deliveryOptions"):
            group = read.object(group, "deliveryOptions")
            options = [group["defaultOption"]] if group.get("defaultOption") else []
            options += read.array(group.get("additionalOptions"), "additionalOptions")
            for option in options:
                option = read.object(option, "delivery option")
                booking = read.object(option.get("bookingInstructions"), "bookingInstructions")
                window = read.optional_object(
                    read.optional_object(option.get("deliveryTime"), "deliveryTime").get("date"),
                    "deliveryTime",
                )
                title = read.optional_object(
                    read.optional_object(option.get("descriptiveTexts"), "descriptiveTexts").get(
                        "checkout"
                    ),
                    "descriptiveTexts",
                ).get("title")
                found.append(
                    ServiceAvailability(
                        product=read.text(booking.get("serviceCode"), "serviceCode"),
                        name=read.text(title, "title"),
                        available=True,
                        additional_services=tuple(
                            read.text(code, "additionalServiceCodes")
                            for code in read.array(
                                booking.get("additionalServiceCodes"), "additionalServiceCodes"
                            )
                        ),
                        arrival_earliest=_datetime(window.get("earliest"), "deliveryTime"),
                        arrival_latest=_datetime(window.get("latest"), "deliveryTime"),
                        delivery_point_id=read.text(
                            booking.get("servicePointId"), "servicePointId"
                        ),
                        option_type=read.text(group.get("type"), "type"),
                    )
                )
    return found


def parse_availability(data: Any) -> list[ServiceAvailability]:
    """Transit Time v1 or v2 (a JSON array) or Delivery Options (``warehouseToDeliveryOptions``)."""
    if isinstance(data, dict) and "warehouseToDeliveryOptions" in data:
        return _delivery_options(data)
    if not isinstance(data, list):
        raise read.invalid("transit time body")
    found = []
    for entry in data:
        entry = read.object(entry, "transit time")
        if "serviceInformation" in entry:
            found.append(_transit_v1(entry))
        elif "service" in entry:
            found.append(_transit_v2(entry))
        else:
            raise read.invalid("transit time entry")
    return found


def base_services(entries: Iterable[ServiceAvailability]) -> dict[str, ServiceAvailability]:
    """Per service code, the plain service (the first entry without additional services)."""
    found: dict[str, ServiceAvailability] = {}
    for entry in entries:
        if not entry.additional_services and entry.product not in found:
            found[entry.product] = entry
    return found


# --- Booking (EDI instruction v3) ------------------------------------------------------------


def _compact(value: dict[str, Any]) -> dict[str, Any]:
    """Without empty strings, lists and objects: PostNord validates minLength on what is sent."""
    return {k: v for k, v in value.items() if v not in ("", None, [], {})}


def _edi_address(address: Address) -> dict[str, Any]:
    return _compact(
        {
            "streets": [s for s in (address.street_address, address.street_address2) if s],
            "postalCode": postal_code_normalise(address.postal_code),
            "city": address.city,
            "countryCode": address.country.upper(),
        }
    )


def _edi_party(contact: Contact, address: Address, *, sms: bool) -> dict[str, Any]:
    person = contact.name
    return _compact(
        {
            "nameIdentification": {"name": contact.company or person},
            "address": _edi_address(address),
            "contact": _compact(
                {
                    "contactName": person,
                    "emailAddress": contact.email,
                    "phoneNo": contact.phone,
                    "smsNo": contact.phone if sms else "",
                }
            ),
        }
    )


def _kg(grams: int) -> float:
    return round(grams / 1000, 3)


def _cm(millimetres: int) -> float:
    return round(millimetres / 10, 1)


def _edi_item(parcel: Parcel) -> dict[str, Any]:
    dimensions = {
        side: {"value": _cm(value), "unit": units.DIMENSION_UNIT}
        for side, value in (
            ("length", parcel.length_mm),
            ("width", parcel.width_mm),
            ("height", parcel.height_mm),
        )
        if value
    }
    return _compact(
        {
            "itemIdentification": {
                "itemId": units.ITEM_ID_ALLOCATE,
                "itemIdType": units.ITEM_ID_TYPE,
            },
            "grossWeight": {"value": _kg(parcel.weight_g), "unit": units.WEIGHT_UNIT},
            "dimensions": dimensions,
        }
    )


def _delivery_party(location: Location) -> dict[str, Any]:
    extra = location.extra
    return {
        "partyIdentification": {
            "partyId": location.id,
            "partyIdType": units.PARTY_ID_SERVICE_POINT,
        },
        "party": {
            "nameIdentification": {"name": extra.get("delivery_name") or location.name},
            "address": _edi_address(
                Address(
                    country=extra.get("delivery_country") or location.address.country,
                    postal_code=extra.get("delivery_postal_code") or location.address.postal_code,
                    city=extra.get("delivery_city") or location.address.city,
                    street_address=extra.get("delivery_street") or location.address.street_address,
                )
            ),
        },
    }


def _timestamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _application(application_id: int | str | None) -> dict[str, Any]:
    application: dict[str, Any] = {"name": "tms-gateway", "version": "1.0"}
    if application_id not in (None, ""):
        application = {"applicationId": application_id, **application}
    return application


def _reference_no(reference: str) -> str:
    """A reference within the swagger's 35 characters: a UUID (Klarna's order id, 36) loses
    its hyphens, still readable as the same id; anything longer is cut."""
    if len(reference) > REFERENCE_MAX:
        reference = reference.replace("-", "")
    return reference[:REFERENCE_MAX]


def booking_request(
    request: BookingRequest,
    *,
    now: dt.datetime,
    issuer_code: str,
    application_id: int | str | None = None,
) -> dict[str, Any]:
    """The EDI instruction booking ``request`` (body of ``/v3/edi/labels/pdf``), valid against
    the booking swagger's ``ediInstruction``.

    Our reference is the shipment id and the customer reference (CU), so track and trace
    finds the booking by it; PostNord allocates the parcel ids (itemId "0"). A chosen point
    or locker is the delivery party (partyIdType 156) with additional service A7.
    """
    parcels = request.parcels or (Parcel(weight_g=0),)
    loading = now
    if request.shipping_date is not None and request.shipping_date > now.date():
        loading = dt.datetime.combine(request.shipping_date, dt.time(8, 0), tzinfo=now.tzinfo)
    addons = {addon.type: addon.text.strip() for addon in request.addons}
    entry_code = addons.get(AddonType.ENTRY_CODE, "")
    reference = _reference_no(request.reference)
    references = [{"referenceNo": reference, "referenceType": units.REFERENCE_CUSTOMER}]
    if request.order_reference and request.order_reference != request.reference:
        references.append(
            {
                "referenceNo": _reference_no(request.order_reference),
                "referenceType": units.REFERENCE_ORDER,
            }
        )
    parties: dict[str, Any] = {
        "consignor": {
            "issuerCode": issuer_code,
            "partyIdentification": {
                "partyId": request.agreement.customer_number,
                "partyIdType": units.PARTY_ID_CUSTOMER_NUMBER,
            },
            "party": _edi_party(request.sender, request.sender_address, sms=False),
        },
        "consignee": {
            "issuerCode": issuer_code,
            # Always the mobile: it is the SMS notice, and PostNord charges for EDI without it.
            "party": _edi_party(request.recipient, request.recipient_address, sms=True),
        },
    }
    additional_services = []
    if request.location is not None:
        parties["deliveryParty"] = _delivery_party(request.location)
        additional_services.append(units.ADDON_OPTIONAL_SERVICE_POINT)
    shipment = _compact(
        {
            "shipmentIdentification": {"shipmentId": reference},
            "dateAndTimes": {"loadingDate": _timestamp(loading)},
            "service": _compact(
                {
                    "basicServiceCode": request.product,
                    "additionalServiceCode": additional_services,
                }
            ),
            "freeText": [
                {
                    "usageCode": units.FREE_TEXT_DELIVERY_INSTRUCTION,
                    "text": f"Door code: {entry_code}",
                }
            ]
            if entry_code
            else [],
            "numberOfPackages": {"value": len(parcels)},
            "totalGrossWeight": {
                "value": _kg(sum(p.weight_g for p in parcels)),
                "unit": units.WEIGHT_UNIT,
            },
            "references": references,
            "parties": parties,
            "goodsItem": [
                {
                    "packageTypeCode": units.PACKAGE_TYPE_PARCEL,
                    "items": [_edi_item(parcel) for parcel in parcels],
                }
            ],
        }
    )
    return {
        "messageDate": _timestamp(now),
        "messageFunction": "Instruction",
        "messageId": request.reference[:MESSAGE_ID_MAX],
        "updateIndicator": "Original",
        "application": _application(application_id),
        "shipment": [shipment],
    }


def booking_extra(request: BookingRequest, *, issuer_code: str) -> dict[str, str]:
    """What a deletion instruction needs later, kept with the booking (strings only)."""
    sender = request.sender_address
    return {
        "reference": request.reference,
        "product": request.product,
        "issuer_code": issuer_code,
        "sender_name": request.sender.company or request.sender.name,
        "sender_street": sender.street_address,
        "sender_postal_code": postal_code_normalise(sender.postal_code),
        "sender_city": sender.city,
        "sender_country": sender.country.upper(),
    }


def cancel_request(
    booking: Booking,
    *,
    agreement: AgreementCredentials,
    now: dt.datetime,
    application_id: int | str | None = None,
) -> dict[str, Any]:
    """The booked shipment re-sent to ``/v3/edi`` with ``updateIndicator: Deletion``.

    The booking swagger (3.5.29.1, ``updateIndicator``) says "A Deletion can only be performed,
    if an Original exist" and "Update and Deletion are not supported for" Z11, Z13, Z14: the
    adapter sends it only for a Swedish (Z12) agreement (``units.cancel_supported``). No public
    capture of a successful Deletion exists (FIDELITY.md); the body is valid against
    ``ediInstruction`` (consignor, service, the items by their ids).
    """
    extra = booking.extra
    shipment_id = _reference_no(extra.get("reference") or booking.carrier_shipment_id)
    return {
        "messageDate": _timestamp(now),
        "messageFunction": "Instruction",
        # Unique per message within the swagger's 36 characters (our reference is 32).
        "messageId": f"{shipment_id[: MESSAGE_ID_MAX - 4]}-DEL",
        "updateIndicator": "Deletion",
        "application": _application(application_id),
        "shipment": [
            {
                "shipmentIdentification": {"shipmentId": shipment_id},
                "service": {"basicServiceCode": extra.get("product", "")},
                "parties": {
                    "consignor": {
                        "issuerCode": extra.get("issuer_code", ""),
                        "partyIdentification": {
                            "partyId": agreement.customer_number,
                            "partyIdType": units.PARTY_ID_CUSTOMER_NUMBER,
                        },
                        "party": {
                            "nameIdentification": {"name": extra.get("sender_name", "")},
                            "address": _edi_address(
                                Address(
                                    country=extra.get("sender_country", ""),
                                    postal_code=extra.get("sender_postal_code", ""),
                                    city=extra.get("sender_city", ""),
                                    street_address=extra.get("sender_street", ""),
                                )
                            ),
                        },
                    }
                },
                "goodsItem": [
                    {
                        "packageTypeCode": units.PACKAGE_TYPE_PARCEL,
                        "items": [
                            {
                                "itemIdentification": {
                                    "itemId": item_id,
                                    "itemIdType": units.ITEM_ID_TYPE,
                                }
                            }
                            for item_id in booking.tracking_numbers
                        ],
                    }
                ],
            }
        ],
    }


def label_reprint_request(print_ids: Iterable[str]) -> list[dict[str, str]]:
    """Body of ``/v3/labels/ids/pdf`` (swagger ``ids_label``): one ``{"id"}`` per label.

    The id is the booking answer's ``printId``, not the item id: the swagger's ``assignedIds``
    says "The printId is use to print the label, in the endpoints /v3/labels/ids/(zpl|pdf)",
    and a production A/B (Joaqim/karrio docs/notes/postnord/customs-declaration-live-
    verification.md) got "id not found" for the item id and the label for the printId.
    """
    return [{"id": print_id} for print_id in print_ids]


def _error_response_messages(value: Any) -> list[CarrierMessage]:
    if not value:
        return []
    messages = list(error_messages(read.object(value, "errorResponse")))
    return messages or [CarrierMessage(code="FAIL", text="PostNord refused the item")]


@dataclass(frozen=True)
class _Printouts:
    labels: tuple[Label, ...]
    #: item id -> printId, in the answer's order.
    print_ids: dict[str, str]
    failures: tuple[CarrierMessage, ...]


def _printouts(printouts: Any) -> _Printouts:
    """Labels, the items they print (with their printIds), and the per-item failures of a
    ``labelPrintout`` array (swagger ``labelPrintout_inner``)."""
    labels: list[Label] = []
    print_ids: dict[str, str] = {}
    failures: list[CarrierMessage] = []
    for entry in read.array(printouts, "labelPrintout"):
        entry = read.object(entry, "labelPrintout")
        for item in read.array(entry.get("itemIds"), "itemIds"):
            item = read.object(item, "itemIds")
            if read.field(item, "status").upper() == "FAIL":
                failures.extend(_error_response_messages(item.get("errorResponse")))
                continue
            item_id = read.field(item, "itemIds")
            if item_id:
                print_ids[item_id] = read.field(item, "printId")
        printout = read.optional_object(entry.get("printout"), "printout")
        data = read.text(printout.get("data"), "printout.data")
        if not data:
            continue
        label_format = read.text(printout.get("labelFormat"), "printout").lower() or "pdf"
        if (read.text(printout.get("encoding"), "printout") or "base64").lower() == "base64":
            try:
                content = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise read.invalid("label data (not base64)") from None
        else:  # ZPL comes raw (the live note: "^XA" in printout.data)
            content = data.encode()
        labels.append(Label(content=content, format=label_format))
    return _Printouts(tuple(labels), print_ids, tuple(failures))


def parse_label(data: Any) -> tuple[Label, ...]:
    """The labels of a reprint (``/v3/labels/ids/pdf`` answers a ``labelPrintout`` array); a
    per-id ``FAIL`` (e.g. "id not found") is PostNord's refusal."""
    printouts = _printouts(data)
    if printouts.failures:
        raise CarrierRejected(
            f"{SLUG}: label refused: " + "; ".join(m.text for m in printouts.failures)[:300],
            carrier=SLUG,
            messages=printouts.failures,
        )
    return printouts.labels


def tracking_url(item_id: str, country: str) -> str:
    return TRACKING_URL.format(country=(country or "SE").lower(), id=item_id)


@dataclass(frozen=True)
class _BookingIds:
    booking_id: str
    item_ids: list[str]
    shipment_ids: list[str]
    #: item id -> printId (``assignedIds.printId``).
    print_ids: dict[str, str]
    url: str


def _booking_response(root: dict[str, Any]) -> _BookingIds:
    """The ids of a ``bookingResponse``; raises on a per-shipment FAIL."""
    # /v3/edi/labels/* wrap it in "bookingResponse"; /v3/edi answers the bookingResponse itself.
    booking = read.object(root.get("bookingResponse", root), "bookingResponse")
    failures: list[CarrierMessage] = []
    ids = _BookingIds(read.field(booking, "bookingId"), [], [], {}, "")
    url = ""
    for info in read.array(booking.get("idInformation"), "idInformation"):
        info = read.object(info, "idInformation")
        if read.field(info, "status").upper() == "FAIL":
            failures.extend(_error_response_messages(info.get("errorResponse")))
        for assigned in read.array(info.get("ids"), "ids"):
            assigned = read.object(assigned, "ids")
            # "itemId" in the swagger; "ITEMID" in a live production answer (the live note).
            id_type = read.field(assigned, "idType").lower()
            value = read.field(assigned, "value")
            if id_type == "itemid" and value:
                ids.item_ids.append(value)
                if read.field(assigned, "printId"):
                    ids.print_ids[value] = read.field(assigned, "printId")
            elif id_type == "shipmentid" and value:
                ids.shipment_ids.append(value)
        for link in read.array(info.get("urls"), "urls"):
            link = read.object(link, "urls")
            if not url and read.field(link, "type").upper() == "TRACKING":
                url = read.field(link, "url")
    if not ids.item_ids and not ids.shipment_ids and booking.get("handlingResponse"):
        failures.extend(_error_response_messages(booking.get("handlingResponse")))
    if failures:
        raise CarrierRejected(
            f"{SLUG}: booking refused: " + "; ".join(m.text for m in failures)[:300],
            carrier=SLUG,
            messages=tuple(failures),
        )
    return _BookingIds(ids.booking_id, ids.item_ids, ids.shipment_ids, ids.print_ids, url)


def parse_booking(data: Any, *, country: str = "") -> Booking:
    """The answer of ``/v3/edi/labels/pdf`` (swagger ``ediLabelResponse``): ids, tracking URL,
    the labels, and in ``extra`` the ``booking_id`` and the ``print_id`` (comma-separated, one
    per item) that a reprint needs.

    PostNord answers 200 even when an item failed (``status: FAIL``); that is a rejection.
    """
    root = read.object(data, "booking body")
    ids = _booking_response(root)
    printouts = _printouts(root.get("labelPrintout"))
    if printouts.failures:
        raise CarrierRejected(
            f"{SLUG}: label refused: " + "; ".join(m.text for m in printouts.failures)[:300],
            carrier=SLUG,
            messages=printouts.failures,
        )
    item_ids = list(dict.fromkeys(ids.item_ids or list(printouts.print_ids)))
    if not item_ids:
        raise read.invalid("booking answer without item ids")
    print_ids = {**printouts.print_ids, **ids.print_ids}
    extra = {
        "booking_id": ids.booking_id,
        "print_id": ",".join(print_ids[item] for item in item_ids if print_ids.get(item)),
    }
    return Booking(
        carrier_shipment_id=(ids.shipment_ids[0] if ids.shipment_ids else ids.booking_id),
        tracking_numbers=tuple(item_ids),
        tracking_url=ids.url or tracking_url(item_ids[0], country),
        labels=printouts.labels,
        extra={key: value for key, value in extra.items() if value},
    )


def print_ids(booking: Booking) -> tuple[str, ...]:
    """The printIds a booking keeps in ``extra["print_id"]``."""
    return tuple(p for p in booking.extra.get("print_id", "").split(",") if p)


def parse_cancel(data: Any, *, booking: Booking) -> str:
    """The bookingId of the ``/v3/edi`` answer to a Deletion; raises on FAIL.

    A third party reports (Joaqim/karrio PRDs/PRD_POSTNORD_INTEGRATION.md, on PostNord's test
    host) that ``/v3/edi`` may ignore the Deletion and book a new shipment with new ids. An
    answer that assigns item ids other than the booking's is therefore not a cancellation.
    """
    ids = _booking_response(read.object(data, "instruction answer"))
    new = [item for item in ids.item_ids if item not in booking.tracking_numbers]
    if new:
        raise CarrierRejected(
            f"{SLUG}: the deletion was answered with new item ids {', '.join(new)}: PostNord "
            "booked a new shipment instead of deleting; cancel both with PostNord customer "
            "service",
            carrier=SLUG,
            messages=(CarrierMessage("DELETION_BOOKED", "Deletion answered with new item ids"),),
        )
    return ids.booking_id


# --- Tracking (Track & Trace v7: find by identifier, find by reference) ----------------------


def tracking_request(identifier: str, *, locale: str) -> PathQuery:
    """``GET /rest/shipment/v7/trackandtrace/id/{id}/public``: the id (shipment or item,
    "A-Z, a-z, 0-9, 10-35 characters") in the path; ``locale`` en, sv, no, da or fi."""
    return PathQuery(
        TRACKING_PATH.format(id=quote(identifier.strip(), safe="")), {"locale": locale}
    )


def find_booking_request(customer_number: str, reference: str, *, locale: str) -> PathQuery:
    """``GET .../v7/trackandtrace/customernumber/{customerNumber}/reference/{reference}/public``:
    the shipments booked with our CU reference under the agreement's customer number."""
    path = FIND_BOOKING_PATH.format(
        customer_number=quote(customer_number, safe=""),
        reference=quote(_reference_no(reference), safe=""),
    )
    return PathQuery(path, {"locale": locale})


@dataclass(frozen=True)
class TrackedItem:
    item_id: str
    events: tuple[TrackingEvent, ...]


@dataclass(frozen=True)
class TrackedShipment:
    shipment_id: str
    status: str
    #: ISO alpha-2 country of the recipient, when PostNord says.
    country: str
    items: tuple[TrackedItem, ...]

    def events(self) -> list[TrackingEvent]:
        return sorted((e for item in self.items for e in item.events), key=lambda e: e.at)


def _country2(code: str) -> str:
    code = code.strip().upper()
    return _ALPHA3.get(code, code if len(code) == 2 else "")


def _event_location(location: dict[str, Any]) -> str:
    name = read.field(location, "displayName") or read.field(location, "name")
    city = read.field(location, "city")
    parts = [name] if name else []
    if city and city.casefold() != name.casefold():
        parts.append(city)
    return ", ".join(parts) or read.field(location, "country")


def _event(data: Any) -> TrackingEvent:
    event = read.object(data, "event")
    location = read.optional_object(event.get("location"), "location")
    at = _datetime(event.get("eventTime"), "eventTime")
    if at is None:
        raise read.invalid("event without eventTime")
    # A naive eventTime is local time where the event happened (alpha-3 countryCode).
    at = aware(at, zone_for(read.field(location, "countryCode")))
    code = read.field(event, "eventCode")
    return TrackingEvent(
        at=at,
        status=units.tracking_status(read.field(event, "status"), code),
        carrier_code=code,
        description=read.field(event, "eventDescription"),
        location=_event_location(location),
    )


def parse_shipments(data: Any) -> list[TrackedShipment]:
    """``TrackingInformationResponse.shipments``; no shipment is PostNord's "not found"."""
    response = read.object(
        read.object(data, "tracking body").get("TrackingInformationResponse"),
        "TrackingInformationResponse",
    )
    shipments = []
    for shipment in read.array(response.get("shipments"), "shipments"):
        shipment = read.object(shipment, "shipment")
        consignee = read.optional_object(shipment.get("consignee"), "consignee")
        address = read.optional_object(consignee.get("address"), "consignee.address")
        items = []
        for item in read.array(shipment.get("items"), "items"):
            item = read.object(item, "item")
            events = sorted(
                (_event(e) for e in read.array(item.get("events"), "events")), key=lambda e: e.at
            )
            items.append(TrackedItem(item_id=read.field(item, "itemId"), events=tuple(events)))
        shipments.append(
            TrackedShipment(
                shipment_id=read.field(shipment, "shipmentId"),
                status=read.field(shipment, "status"),
                country=_country2(read.field(address, "countryCode")),
                items=tuple(items),
            )
        )
    return shipments


def events_for(shipments: Iterable[TrackedShipment], tracking_number: str) -> list[TrackingEvent]:
    """The events of the item with this number, or of the whole shipment; oldest first."""
    shipments = list(shipments)
    wanted = tracking_number.strip()
    for shipment in shipments:
        for item in shipment.items:
            if wanted and item.item_id == wanted:
                return list(item.events)
    events: list[TrackingEvent] = []
    for shipment in shipments:
        events.extend(shipment.events())
    return sorted(events, key=lambda e: e.at)


def parse_tracking(data: Any) -> list[TrackingEvent]:
    """Every event of every shipment in the answer, oldest first."""
    return events_for(parse_shipments(data), "")


def parse_find_booking(data: Any, *, reference: str = "") -> Booking | None:
    """The booking found by reference: the first shipment's id and its items' ids (the tracking
    numbers); None when PostNord has no shipment with it. Track & Trace carries no printId, so
    the booking has no labels (a reprint needs the booking answer's printId)."""
    shipments = parse_shipments(data)
    if not shipments:
        return None
    shipment = shipments[0]
    item_ids = tuple(item.item_id for item in shipment.items if item.item_id)
    first = item_ids[0] if item_ids else shipment.shipment_id
    return Booking(
        carrier_shipment_id=shipment.shipment_id,
        tracking_numbers=item_ids,
        tracking_url=tracking_url(first, shipment.country),
        extra={"reference": reference} if reference else {},
    )
