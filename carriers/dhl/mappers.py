"""Pure translation between our dataclasses and DHL's JSON (no I/O).

Request builders make the API Farm, Location Finder and Unified Tracking requests; parsers turn
DHL's answers into ``carriers.types`` dataclasses and raise ``CarrierResponseInvalid`` for a
well-formed body of the wrong shape, never ``KeyError``/``TypeError``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.types import (
    Address,
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
    TrackingStatus,
)

from . import units

SLUG = "dhl"


# --- shape checks ----------------------------------------------------------------------------


def _invalid(what: str) -> CarrierResponseInvalid:
    return CarrierResponseInvalid(f"{SLUG} answered an unexpected body: {what}", carrier=SLUG)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"{what} is not an object")
    return value


def _list(value: Any, what: str, *, optional: bool = True) -> list[Any]:
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise _invalid(f"{what} is not a list")
    return value


def _str(value: Any, what: str, *, optional: bool = True) -> str:
    if value is None and optional:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(f"{what} is not a string")
    return str(value)


def _number(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{what} is not a number")
    return float(value)


def loads(body: bytes) -> Any:
    """A saved body as JSON (for the ``parsers``), with the same error as a live answer."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise CarrierResponseInvalid(f"{SLUG} body is not JSON", carrier=SLUG) from exc


# --- service points: API Farm (DHL Freight Sweden) -------------------------------------------


def dhl_postal_code(country: str, postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"`` for numeric codes; letter codes (GB, NL) keep their space."""
    code = postal_code.strip()
    return code.replace(" ", "") if code.replace(" ", "").isdigit() else code


def service_points_request(
    *, country: str, postal_code: str, kind: ProductKind, limit: int
) -> dict[str, Any]:
    """``findnearestservicepoints`` body. Only country and postal code, so the answer is per
    postal code (cacheable); no ``piece``, as DHL ignores the capacity filter in Sweden."""
    return {
        "address": {"countryCode": country, "postalCode": dhl_postal_code(country, postal_code)},
        "maxNumberOfItems": limit,
        "locationTypes": list(units.API_FARM_LOCATION_TYPES[kind]),
    }


_DISTANCE_UNITS_M = {"km": 1000.0, "m": 1.0, "mi": 1609.344}


def _farm_point(raw: Any) -> Location:
    point = _obj(raw, "servicePoints[]")
    point_id = _str(point.get("servicePointId"), "servicePointId") or _str(point.get("id"), "id")
    if not point_id:
        raise _invalid("a service point has no id")
    location_type = _str(point.get("locationType"), "locationType") or "servicepoint"
    kind = units.location_kind(location_type)
    lat = _number(point.get("latitude"), "latitude")
    lng = _number(point.get("longitude"), "longitude")
    # The route distance is what the shopper walks or drives, and DHL sorts by it.
    distance = _number(point.get("routeDistance"), "routeDistance")
    if distance is None:
        distance = _number(point.get("distance"), "distance")
    unit = _str(point.get("distanceUnit"), "distanceUnit").lower() or "km"
    return Location(
        id=point_id,
        name=_str(point.get("name"), "name"),
        kind=kind,
        address=Address(
            country=_str(point.get("countryCode"), "countryCode"),
            postal_code=_str(point.get("postalCode"), "postalCode"),
            city=_str(point.get("cityName"), "cityName"),
            street_address=_str(point.get("street"), "street"),
        ),
        coordinates=Coordinates(lat=lat, lng=lng) if lat is not None and lng is not None else None,
        distance_m=round(distance * _DISTANCE_UNITS_M.get(unit, 1000.0))
        if distance is not None
        else None,
        extra={
            "source": units.PointSource.API_FARM.value,
            "location_type": location_type,
            "sub_type": units.access_point_sub_type(kind).value,
        },
    )


def parse_service_points(data: Any) -> list[Location]:
    """API Farm ``findnearestservicepoints`` answer -> locations, nearest first."""
    body = _obj(data, "service point answer")
    points = [_farm_point(raw) for raw in _list(body.get("servicePoints"), "servicePoints")]
    return _nearest_first(points)


def service_point_refusal(data: Any) -> str:
    """DHL's own text when a service-point search found nothing ("No matching servicepoint
    was found", answered as HTTP 400 or in-band); empty when the answer is a result."""
    if not isinstance(data, dict):
        return ""
    status = data.get("status")
    if status is not None and str(status).upper() != "OK" and not data.get("validationErrors"):
        return str(data.get("errorMessage") or status)
    return ""


# --- service points: Location Finder - Unified -----------------------------------------------


def location_finder_params(
    *, country: str, postal_code: str, kind: ProductKind, limit: int
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "countryCode": country,
        "postalCode": postal_code.strip(),
        "providerType": "parcel",
        "locationType": list(units.LOCATION_FINDER_LOCATION_TYPES[kind]),
        "radius": units.LOCATION_FINDER_RADIUS_M,
        "limit": limit,
    }
    service_types = units.LOCATION_FINDER_SERVICE_TYPES[kind]
    if service_types:
        params["serviceType"] = list(service_types)
    return params


_WEEKDAYS = {
    name: index
    for index, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )
}


def _time(value: Any, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(_str(value, what, optional=False))
    except ValueError as exc:
        raise _invalid(f"{what} {value!r} is not a time") from exc


def _opening_hours(raw: Any) -> tuple[OpeningHours, ...]:
    hours: list[OpeningHours] = []
    for entry in _list(raw, "openingHours"):
        item = _obj(entry, "openingHours[]")
        # "http://schema.org/Monday" live, "https://schema.org/Monday" in DHL's portal example.
        day = _str(item.get("dayOfWeek"), "dayOfWeek").rstrip("/").rsplit("/", 1)[-1]
        if day not in _WEEKDAYS:
            raise _invalid(f"dayOfWeek {item.get('dayOfWeek')!r}")
        hours.append(
            OpeningHours(
                weekday=_WEEKDAYS[day],
                opens=_time(item.get("opens"), "opens"),
                closes=_time(item.get("closes"), "closes"),
            )
        )
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def _finder_location(raw: Any) -> Location:
    entry = _obj(raw, "locations[]")
    meta = _obj(entry.get("location"), "location")
    ids = [_obj(i, "location.ids[]") for i in _list(meta.get("ids"), "location.ids")]
    parcel_ids = [i for i in ids if i.get("provider") == "parcel"] or ids
    if not parcel_ids:
        raise _invalid("a location has no ids")
    location_id = _str(parcel_ids[0].get("locationId"), "locationId", optional=False)
    location_type = _str(meta.get("type"), "location.type") or "servicepoint"
    kind = units.location_kind(location_type)
    place = _obj(entry.get("place") or {}, "place")
    address = _obj(place.get("address") or {}, "place.address")
    geo = _obj(place.get("geo") or {}, "place.geo")
    lat = _number(geo.get("latitude"), "latitude")
    lng = _number(geo.get("longitude"), "longitude")
    distance = _number(entry.get("distance"), "distance")
    extra = {
        "source": units.PointSource.LOCATION_FINDER.value,
        "location_type": location_type,
        "sub_type": units.access_point_sub_type(kind).value,
    }
    keyword_id = _str(meta.get("keywordId"), "keywordId")
    if keyword_id:  # Packstation/Postfiliale number, what a German shopper sees on the box
        extra["keyword_id"] = keyword_id
    return Location(
        id=location_id,
        name=_str(entry.get("name"), "name"),
        kind=kind,
        address=Address(
            country=_str(address.get("countryCode"), "countryCode"),
            postal_code=_str(address.get("postalCode"), "postalCode"),
            city=_str(address.get("addressLocality"), "addressLocality"),
            street_address=_str(address.get("streetAddress"), "streetAddress"),
        ),
        coordinates=Coordinates(lat=lat, lng=lng) if lat is not None and lng is not None else None,
        opening_hours=_opening_hours(entry.get("openingHours")),
        distance_m=round(distance) if distance is not None else None,
        extra=extra,
    )


def parse_locations(data: Any) -> list[Location]:
    """Location Finder ``find-by-address`` answer -> locations, nearest first."""
    body = _obj(data, "location finder answer")
    return _nearest_first(
        [_finder_location(raw) for raw in _list(body.get("locations"), "locations")]
    )


def _nearest_first(locations: list[Location]) -> list[Location]:
    # Stable: points without a distance keep DHL's order after those with one.
    return sorted(locations, key=lambda loc: (loc.distance_m is None, loc.distance_m or 0))


def parse_any_service_points(body: bytes) -> list[Location]:
    """Either service-point API's saved answer (``carrier_parse dhl service_points``)."""
    data = loads(body)
    if isinstance(data, dict) and "locations" in data:
        return parse_locations(data)
    return parse_service_points(data)


# --- availability: postal-code route and product matches -------------------------------------


@dataclass(frozen=True)
class PostalRoute:
    """The API Farm's route for a postal code: whether DHL can book to it."""

    country: str
    postal_code: str
    city: str
    bookable: bool
    home_delivery_parcel: bool
    terminal_id: str = ""


def parse_route(data: Any) -> PostalRoute:
    body = _obj(data, "postal-code route")
    if "bookable" not in body:
        raise _invalid("postal-code route without 'bookable'")
    return PostalRoute(
        country=_str(body.get("countryCode"), "countryCode"),
        postal_code=_str(body.get("postalCode"), "postalCode"),
        city=_str(body.get("city"), "city"),
        bookable=body.get("bookable") is True,
        home_delivery_parcel=body.get("homeDeliveryParcel") is True,
        terminal_id=_str(body.get("terminalId"), "terminalId"),
    )


@dataclass(frozen=True)
class ProductMatch:
    """One product of ``productmatches``: DHL offers it on the asked lane."""

    code: str
    name: str
    short_name: str
    domestic: bool


def parse_product_matches(data: Any) -> list[ProductMatch]:
    matches = []
    for raw in _list(data, "product matches", optional=False):
        product = _obj(_obj(raw, "product match").get("product"), "product")
        matches.append(
            ProductMatch(
                code=_str(product.get("code"), "product.code", optional=False),
                name=_str(product.get("name"), "product.name"),
                short_name=_str(product.get("shortName"), "product.shortName"),
                domestic=product.get("isDomestic") is True,
            )
        )
    return matches


def parse_availability(body: bytes) -> list[ProductMatch] | PostalRoute:
    """A saved ``productmatches`` (a list) or postal-code route (an object) answer."""
    data = loads(body)
    if isinstance(data, list):
        return parse_product_matches(data)
    return parse_route(data)


# --- booking: transport instruction and print ------------------------------------------------


def _kg(grams: int) -> float:
    return round(grams / 1000, 3)


def _cm(mm: int | None) -> float | None:
    return round(mm / 10, 1) if mm else None


def _address(address: Address) -> dict[str, str]:
    out = {
        "street": address.street_address,
        "cityName": address.city,
        "postalCode": dhl_postal_code(address.country, address.postal_code),
        "countryCode": address.country.upper(),
    }
    if address.street_address2:
        out["additionalAddressInfo"] = address.street_address2
    return out


def _party(
    party_type: str, contact: Contact, address: Address, *, party_id: str = ""
) -> dict[str, Any]:
    party: dict[str, Any] = {"type": party_type}
    if party_id:
        party["id"] = party_id
    party["name"] = contact.company or contact.name
    party["contactName"] = contact.name
    party["address"] = _address(address)
    if contact.phone:
        party["phone"] = contact.phone
    if contact.email:
        party["email"] = contact.email
    return party


def _access_point(location: Location) -> dict[str, Any]:
    sub_type = location.extra.get("sub_type") or units.access_point_sub_type(location.kind).value
    return {
        "type": "AccessPoint",
        "id": location.id,
        "name": location.name,
        "subType": sub_type,
        "address": _address(location.address),
    }


def _piece(parcel: Parcel, marks: str) -> dict[str, Any]:
    piece: dict[str, Any] = {"numberOfPieces": 1, "weight": _kg(parcel.weight_g)}
    sides = (parcel.length_mm, parcel.width_mm, parcel.height_mm)
    for name, mm in zip(("length", "width", "height"), sides, strict=True):
        cm = _cm(mm)
        if cm is not None:
            piece[name] = cm
    if all(sides):
        piece["volume"] = round(
            (parcel.length_mm or 0) * (parcel.width_mm or 0) * (parcel.height_mm or 0) / 1e9, 3
        )
    if marks:
        piece["marksAndNumbers"] = marks
    return piece


def transport_instruction(
    request: BookingRequest, *, payer_code: str, access_point: bool
) -> dict[str, Any]:
    """``sendtransportinstruction`` body: consignor (our customer number), consignee, the chosen
    service point as AccessPoint party, one piece per parcel, our reference as ``CU``."""
    addons = {addon.type: addon.text for addon in request.addons}
    consignee = _party("Consignee", request.recipient, request.recipient_address)
    if addons.get("entry-code"):
        consignee["address"]["accessCode"] = addons["entry-code"]
    parties = [
        _party(
            "Consignor",
            request.sender,
            request.sender_address,
            party_id=request.agreement.customer_number,
        ),
        consignee,
    ]
    if access_point and request.location is not None:
        parties.append(_access_point(request.location))
    marks = request.order_reference or request.reference
    additional_services: dict[str, Any] = {}
    if "sms" in addons:
        additional_services["notification"] = True
    body: dict[str, Any] = {
        "productCode": request.product,
        "payerCode": {"code": payer_code},
        "references": [{"qualifier": units.REFERENCE_QUALIFIER, "value": request.reference}],
        "parties": parties,
        "pieces": [_piece(parcel, marks) for parcel in request.parcels],
        "totalNumberOfPieces": len(request.parcels),
        "totalWeight": _kg(sum(parcel.weight_g for parcel in request.parcels)),
        "additionalServices": additional_services,
    }
    if request.shipping_date is not None:
        body["shippingDate"] = request.shipping_date.isoformat()
    return body


@dataclass(frozen=True)
class BookedInstruction:
    """What ``sendtransportinstruction`` answered: the shipment id and its pieces' SSCCs."""

    id: str
    product: str
    piece_ids: tuple[str, ...]
    routing_code: str = ""

    @property
    def tracking_url(self) -> str:
        return units.TRACKING_URL.format(self.id)


def parse_transport_instruction(data: Any) -> BookedInstruction:
    body = _obj(data, "transport instruction answer")
    instruction = _obj(body.get("transportInstruction"), "transportInstruction")
    shipment_id = _str(instruction.get("id"), "transportInstruction.id")
    if not shipment_id:
        raise _invalid("transport instruction without id")
    piece_ids: list[str] = []
    for raw in _list(instruction.get("pieces"), "pieces"):
        piece = _obj(raw, "pieces[]")
        piece_ids.extend(
            _str(i, "pieces[].id", optional=False) for i in _list(piece.get("id"), "id")
        )
    return BookedInstruction(
        id=shipment_id,
        product=_str(instruction.get("productCode"), "productCode"),
        piece_ids=tuple(piece_ids),
        routing_code=_str(instruction.get("routingCode"), "routingCode"),
    )


def print_request(shipment_id: str) -> dict[str, Any]:
    return {
        "shipmentIds": [shipment_id],
        "options": {"label": True, "pageOptions": {"pageType": units.LABEL_PAGE_TYPE}},
    }


def parse_labels(data: Any) -> list[Label]:
    """``printdocumentsbyid`` answer -> the label PDFs (base64 ``content`` decoded)."""
    body = _obj(data, "print answer")
    labels = []
    for raw in _list(body.get("reports"), "reports", optional=False):
        report = _obj(raw, "reports[]")
        if report.get("type", "Label") != "Label":
            continue
        content = _str(report.get("content"), "reports[].content", optional=False)
        try:
            pdf = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid("label content is not base64") from exc
        if not pdf.startswith(b"%PDF-"):
            raise _invalid("label content is not a PDF")
        labels.append(Label(content=pdf, format="pdf"))
    if not labels:
        raise _invalid("print answer without a label")
    return labels


def parse_booking_document(body: bytes) -> BookedInstruction | list[Label]:
    """A saved booking-step answer: a transport instruction or a print answer."""
    data = loads(body)
    if isinstance(data, dict) and "reports" in data:
        return parse_labels(data)
    return parse_transport_instruction(data)


# --- tracking: Shipment Tracking - Unified ---------------------------------------------------


def tracking_params(tracking_number: str) -> dict[str, str]:
    # No ``service``: which value DHL Freight Sweden shipments carry is not documented, and
    # without it Unified Tracking searches every DHL network.
    return {"trackingNumber": tracking_number}


@dataclass(frozen=True)
class TrackedShipment:
    id: str
    service: str
    status: TrackingStatus
    events: tuple[TrackingEvent, ...]
    piece_ids: tuple[str, ...] = ()


def _country(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    address = node.get("address")
    return str(address.get("countryCode") or "") if isinstance(address, dict) else ""


def _timestamp(value: Any, zone: dt.tzinfo) -> dt.datetime:
    text = _str(value, "timestamp", optional=False)
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _invalid(f"timestamp {text!r}") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def _event(raw: Any, zone: dt.tzinfo) -> TrackingEvent:
    event = _obj(raw, "events[]")
    code = _str(event.get("statusCode"), "statusCode")
    status_text = _str(event.get("status"), "status")
    description = _str(event.get("description"), "description") or status_text
    location = ""
    place = event.get("location")
    if isinstance(place, dict) and isinstance(place.get("address"), dict):
        location = _str(place["address"].get("addressLocality"), "addressLocality")
    return TrackingEvent(
        at=_timestamp(event.get("timestamp"), zone),
        status=units.tracking_status(code, f"{status_text} {description}"),
        carrier_code=code,
        description=description,
        location=location,
    )


def _shipment(raw: Any) -> TrackedShipment:
    shipment = _obj(raw, "shipments[]")
    country = _country(shipment.get("origin")) or _country(shipment.get("destination"))
    zone: dt.tzinfo = (
        ZoneInfo(units.COUNTRY_TIMEZONES[country]) if country in units.COUNTRY_TIMEZONES else dt.UTC
    )
    # DHL lists events newest first; reversed before the (stable) sort, events of the same
    # second keep their real order.
    raw_events = _list(shipment.get("events"), "events")
    events = sorted((_event(raw, zone) for raw in reversed(raw_events)), key=lambda e: e.at)
    details = shipment.get("details")
    pieces = _list(details.get("pieceIds"), "pieceIds") if isinstance(details, dict) else []
    status = _obj(shipment.get("status") or {}, "status")
    status_text = f"{status.get('status') or ''} {status.get('description') or ''}"
    return TrackedShipment(
        id=_str(shipment.get("id"), "shipments[].id", optional=False),
        service=_str(shipment.get("service"), "service"),
        status=units.tracking_status(_str(status.get("statusCode"), "statusCode"), status_text)
        if status
        else (events[-1].status if events else TrackingStatus.UNKNOWN),
        events=tuple(events),
        piece_ids=tuple(_str(p, "pieceIds[]") for p in pieces),
    )


def parse_tracking(data: Any) -> list[TrackedShipment]:
    """Unified Tracking answer -> each shipment with its events, oldest first."""
    body = _obj(data, "tracking answer")
    return [_shipment(raw) for raw in _list(body.get("shipments"), "shipments", optional=False)]


def tracking_events(data: Any, tracking_number: str) -> list[TrackingEvent]:
    """The events of the shipment the number names (its id or one of its piece ids)."""
    shipments = parse_tracking(data)
    for shipment in shipments:
        if tracking_number in (shipment.id, *shipment.piece_ids):
            return list(shipment.events)
    return list(shipments[0].events) if shipments else []


def parse_saved_tracking(body: bytes) -> list[TrackedShipment]:
    return parse_tracking(loads(body))


# --- errors ----------------------------------------------------------------------------------


def _field(body: Mapping[str, Any], name: str) -> Any:
    """The postal-code API answers PascalCase (``ErrorCode``), its spec says camelCase."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def parse_error_body(data: Any, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Every DHL error shape -> CarrierMessage(code, text), the text verbatim.

    * API Farm booking: ``{status, errorMessage?, validationErrors[] {errorCode, field, message}}``
    * API Farm service points: ``{errorMessage, status: "Error"}``
    * postal-code API: ``{Status, ErrorCode, UserMessage}``
    * product API: ``{error, errors[]}``; API Farm gateway 401: ``{error}``
    * Location Finder / Unified Tracking (RFC 7807): ``{status, title, detail, instance}``
    """
    if not isinstance(data, dict):
        return ()
    fallback_code = str(status) if status is not None else "error"
    validation = data.get("validationErrors") or data.get("errors")
    if isinstance(validation, list) and validation:
        messages = []
        for item in validation:
            if not isinstance(item, dict):
                continue
            code = item.get("errorCode")
            text = item.get("message") or data.get("errorMessage") or data.get("error") or ""
            messages.append(
                CarrierMessage(
                    code=str(code) if code is not None else fallback_code, text=str(text)
                )
            )
        if messages:
            return tuple(messages)
    user_message = _field(data, "UserMessage")
    if user_message is not None:
        code = _field(data, "ErrorCode")
        return (
            CarrierMessage(
                code=str(code) if code is not None else fallback_code, text=str(user_message)
            ),
        )
    if data.get("errorMessage"):
        return (
            CarrierMessage(
                code=str(data.get("status") or fallback_code), text=str(data["errorMessage"])
            ),
        )
    if data.get("title") or data.get("detail"):
        code = data.get("status")
        return (
            CarrierMessage(
                code=str(code) if code is not None else fallback_code,
                text=str(data.get("detail") or data.get("title")),
            ),
        )
    if isinstance(data.get("error"), str):
        return (CarrierMessage(code=fallback_code, text=data["error"]),)
    return ()


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """``CarrierHttp``'s error parser; an unreadable body falls back to the raw text."""
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError):
        return ()
    return parse_error_body(data, response.status)


def parse_saved_error(body: bytes) -> tuple[CarrierMessage, ...]:
    return parse_error_body(loads(body))


def location_matches_kind(location: Location, kind: ProductKind) -> bool:
    """Lockers for locker options, counters for pickup-point options."""
    wanted = LocationKind.LOCKER if kind is ProductKind.LOCKER else LocationKind.SERVICE_POINT
    return location.kind is wanted
