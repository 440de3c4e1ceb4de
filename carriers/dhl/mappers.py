"""Pure translation between our dataclasses and DHL's JSON (no I/O).

Request builders (``<operation>_request``) make the API Farm, Location Finder and Unified
Tracking requests; parsers (``parse_<operation>``) take parsed JSON and return
``carriers.types`` dataclasses, raising ``CarrierResponseInvalid`` for a body of the wrong shape
(never ``KeyError``/``TypeError``). ``parse_error`` reads a live error answer,
``parse_error_body`` a saved one.

Every field name, nesting and value format here was compared with DHL's published payloads;
carriers/FIDELITY.md names the sources, and comments mark what no source shows (GUESS).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carriers.calendar import aware, zone_for
from carriers.exceptions import CarrierResponseInvalid
from carriers.http import HttpResponse
from carriers.reader import JsonReader
from carriers.types import (
    AddonType,
    Address,
    AgreementCredentials,
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
from .declaration import CREDENTIAL_SENT_CARKEY, CREDENTIAL_SENT_REF

SLUG = "dhl"
read = JsonReader(SLUG)


# --- service points: API Farm (DHL Freight Sweden) -------------------------------------------


def dhl_postal_code(country: str, postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"`` for numeric codes; letter codes (GB, NL) keep their space."""
    code = postal_code.strip()
    return code.replace(" ", "") if code.replace(" ", "").isdigit() else code


def service_points_request(
    *, country: str, postal_code: str, kind: ProductKind, limit: int
) -> dict[str, Any]:
    """``findnearestservicepoints`` body (``NearestServicePointRequest``). Only country and
    postal code, so the answer is per postal code (cacheable); no ``piece``, as DHL ignores the
    capacity filter in Sweden (karrio capture lookup-service-points-se-capacity-not-applied)."""
    return {
        "address": {"countryCode": country, "postalCode": dhl_postal_code(country, postal_code)},
        "maxNumberOfItems": limit,
        "locationTypes": list(units.API_FARM_LOCATION_TYPES[kind]),
    }


_DISTANCE_UNITS_M = {"km": 1000.0, "m": 1.0, "mi": 1609.344}


def _farm_point(raw: Any) -> Location:
    point = read.object(raw, "servicePoints[]")
    # ``servicePointId`` is the bookable id; ``id`` is a point-type code in some countries
    # ("101" in Poland), so it is only a fallback.
    point_id = read.field(point, "servicePointId") or read.field(point, "id")
    if not point_id:
        raise read.invalid("a service point has no id")
    location_type = read.field(point, "locationType") or "servicepoint"
    kind = units.location_kind(location_type)
    lat = read.number(point.get("latitude"), "latitude")
    lng = read.number(point.get("longitude"), "longitude")
    # The route distance is what the shopper walks or drives, and DHL sorts by it.
    distance = read.number(point.get("routeDistance"), "routeDistance")
    if distance is None:
        distance = read.number(point.get("distance"), "distance")
    unit = read.field(point, "distanceUnit").lower() or "km"
    dhl_name = read.field(point, "name")
    # Outside Sweden DHL names the point "SHOP" or "DHL Parcelshop" and the shop is in
    # ``shopName``: that is what the shopper looks for on the street.
    shop_name = read.field(point, "shopName")
    extra = {
        "source": units.PointSource.API_FARM.value,
        "location_type": location_type,
        "sub_type": units.access_point_sub_type(kind).value,
    }
    if shop_name and shop_name != dhl_name:
        extra["dhl_name"] = dhl_name
    return Location(
        id=point_id,
        name=shop_name or dhl_name,
        kind=kind,
        address=Address(
            country=read.field(point, "countryCode"),
            postal_code=read.field(point, "postalCode"),
            city=read.field(point, "cityName"),
            street_address=read.field(point, "street"),
        ),
        coordinates=Coordinates(lat=lat, lng=lng) if lat is not None and lng is not None else None,
        distance_m=round(distance * _DISTANCE_UNITS_M.get(unit, 1000.0))
        if distance is not None
        else None,
        extra=extra,
    )


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


def location_finder_request(
    *, country: str, postal_code: str, kind: ProductKind, limit: int
) -> dict[str, Any]:
    """``find-by-address`` query (the parameter names of DHL's Location Finder reference, as
    netresearch/dhl-sdk-api-unified-location-finder sends them)."""
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
        return dt.time.fromisoformat(read.text(value, what, required=True))
    except ValueError as exc:
        raise read.invalid(f"{what} {value!r} is not a time") from exc


def _opening_hours(raw: Any) -> tuple[OpeningHours, ...]:
    hours: list[OpeningHours] = []
    for entry in read.array(raw, "openingHours"):
        item = read.object(entry, "openingHours[]")
        # "http://schema.org/Monday" live, "https://schema.org/Monday" in DHL's portal example.
        day = read.field(item, "dayOfWeek").rstrip("/").rsplit("/", 1)[-1]
        if day not in _WEEKDAYS:
            raise read.invalid(f"dayOfWeek {item.get('dayOfWeek')!r}")
        hours.append(
            OpeningHours(
                weekday=_WEEKDAYS[day],
                opens=_time(item.get("opens"), "opens"),
                closes=_time(item.get("closes"), "closes"),
            )
        )
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens)))


def _finder_location(raw: Any) -> Location:
    entry = read.object(raw, "locations[]")
    meta = read.object(entry.get("location"), "location")
    ids = [read.object(i, "location.ids[]") for i in read.array(meta.get("ids"), "location.ids")]
    parcel_ids = [i for i in ids if i.get("provider") == "parcel"] or ids
    if not parcel_ids:
        raise read.invalid("a location has no ids")
    location_id = read.field(parcel_ids[0], "locationId", required=True)
    location_type = read.field(meta, "type") or "servicepoint"
    kind = units.location_kind(location_type)
    place = read.optional_object(entry.get("place"), "place")
    address = read.optional_object(place.get("address"), "place.address")
    geo = read.optional_object(place.get("geo"), "place.geo")
    lat = read.number(geo.get("latitude"), "latitude")
    lng = read.number(geo.get("longitude"), "longitude")
    distance = read.number(entry.get("distance"), "distance")
    extra = {
        "source": units.PointSource.LOCATION_FINDER.value,
        "location_type": location_type,
        "sub_type": units.access_point_sub_type(kind).value,
    }
    keyword_id = read.field(meta, "keywordId")
    if keyword_id:  # Packstation/Postfiliale number, what a German shopper sees on the box
        extra["keyword_id"] = keyword_id
    return Location(
        id=location_id,
        name=read.field(entry, "name"),
        kind=kind,
        address=Address(
            country=read.field(address, "countryCode"),
            postal_code=read.field(address, "postalCode"),
            city=read.field(address, "addressLocality"),
            street_address=read.field(address, "streetAddress"),
        ),
        coordinates=Coordinates(lat=lat, lng=lng) if lat is not None and lng is not None else None,
        opening_hours=_opening_hours(entry.get("openingHours")),
        distance_m=round(distance) if distance is not None else None,
        extra=extra,
    )


def _nearest_first(locations: list[Location]) -> list[Location]:
    # Stable: points without a distance keep DHL's order after those with one.
    return sorted(locations, key=lambda loc: (loc.distance_m is None, loc.distance_m or 0))


def parse_service_points(data: Any) -> list[Location]:
    """Either service-point API's answer -> locations, nearest first: the API Farm's
    ``{status, servicePoints[]}`` or Location Finder's ``{locations[]}``. An API Farm answer
    that found nothing ("No matching servicepoint was found") has no points."""
    body = read.object(data, "service point answer")
    if "locations" in body:
        raw = read.array(body.get("locations"), "locations")
        return _nearest_first([_finder_location(entry) for entry in raw])
    raw = read.array(body.get("servicePoints"), "servicePoints")
    return _nearest_first([_farm_point(point) for point in raw])


def location_matches_kind(location: Location, kind: ProductKind) -> bool:
    """Lockers for locker options, counters for pickup-point options."""
    wanted = LocationKind.LOCKER if kind is ProductKind.LOCKER else LocationKind.SERVICE_POINT
    return location.kind is wanted


# --- availability: postal-code route and product matches -------------------------------------


def availability_request(*, country: str, postal_code: str) -> dict[str, str]:
    """The path parameters of ``GET /postalcodeapi/v1/postalcodes/{cc}/{pc}/route``."""
    return {"country": country.upper(), "postal_code": dhl_postal_code(country, postal_code)}


@dataclass(frozen=True)
class PostalRoute:
    """The API Farm's route for a postal code: whether DHL books to it, and whether parcels
    are delivered home there (Kiruna 98138 is bookable without home delivery)."""

    country: str
    postal_code: str
    city: str
    bookable: bool
    home_delivery_parcel: bool
    terminal_id: str = ""


def _route(body: dict[str, Any]) -> PostalRoute:
    if "bookable" not in body:
        raise read.invalid("postal-code route without 'bookable'")
    return PostalRoute(
        country=read.field(body, "countryCode"),
        postal_code=read.field(body, "postalCode"),
        city=read.field(body, "city"),
        bookable=read.boolean(body.get("bookable"), "bookable"),
        home_delivery_parcel=read.boolean(body.get("homeDeliveryParcel"), "homeDeliveryParcel"),
        terminal_id=read.field(body, "terminalId"),
    )


@dataclass(frozen=True)
class ProductMatch:
    """One product of ``productmatches``: DHL offers it on the asked lane."""

    code: str
    name: str
    short_name: str
    domestic: bool


def _product_matches(data: list[Any]) -> list[ProductMatch]:
    matches = []
    for raw in data:
        product = read.object(read.object(raw, "product match").get("product"), "product")
        matches.append(
            ProductMatch(
                code=read.field(product, "code", required=True),
                name=read.field(product, "name"),
                short_name=read.field(product, "shortName"),
                domestic=read.boolean(product.get("isDomestic"), "isDomestic"),
            )
        )
    return matches


def parse_availability(data: Any) -> PostalRoute | list[ProductMatch]:
    """A postal-code route (an object) or a ``productmatches`` answer (a list)."""
    if isinstance(data, list):
        return _product_matches(data)
    return _route(read.object(data, "postal-code route"))


# --- booking: transport instruction ----------------------------------------------------------


def _kg(grams: int) -> float:
    return round(grams / 1000, 3)


def _cm(mm: int | None) -> float | None:
    return round(mm / 10, 1) if mm else None


def _short(text: str, length: int = units.NAME_MAX_LENGTH) -> str:
    return text.strip()[:length]


def _address(address: Address) -> dict[str, str]:
    out = {
        "street": _short(address.street_address),
        "cityName": _short(address.city),
        "postalCode": dhl_postal_code(address.country, address.postal_code),
        "countryCode": address.country.upper(),
    }
    if address.street_address2:
        out["additionalAddressInfo"] = _short(address.street_address2)
    return out


def _party(
    party_type: str, contact: Contact, address: Address, *, party_id: str = ""
) -> dict[str, Any]:
    party: dict[str, Any] = {"type": party_type}
    if party_id:
        party["id"] = party_id
    party["name"] = _short(contact.company or contact.name)
    party["contactName"] = _short(contact.name)
    party["address"] = _address(address)
    if contact.phone:
        party["phone"] = contact.phone
    if contact.email:
        party["email"] = contact.email
    return party


def _access_point(product: str, location: Location) -> dict[str, Any]:
    sub_type = location.extra.get("sub_type") or units.access_point_sub_type(location.kind).value
    return {
        "type": "AccessPoint",
        "id": units.access_point_id(product, location.id),
        # DHL's own name of the point, as its locator answered it (the captures book "SHOP"
        # and "DHL Parcelshop" as they came); the shop's name where DHL gave no other.
        "name": _short(location.extra.get("dhl_name") or location.name),
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
        piece["marksAndNumbers"] = marks[: units.MARKS_MAX_LENGTH]
    return piece


def sent_information(
    agreement: AgreementCredentials, *, sender_country: str, recipient_country: str
) -> list[dict[str, str]]:
    """Poland's SENT entries for ``additionalInformation``: the agreement's reference and carrier
    key when both are set (``SENT_FREE`` "false" first, as DHL's manual example), else
    ``SENT_FREE`` "true"; none for lanes that do not touch Poland. Both the declared and the
    free form were booked in DHL's sandbox (karrio captures booking-2906769654 and
    booking-2906761123)."""
    if not {sender_country.upper(), recipient_country.upper()} & units.SENT_COUNTRIES:
        return []
    reference = str(agreement.credentials.get(CREDENTIAL_SENT_REF) or "").strip()
    carrier_key = str(agreement.credentials.get(CREDENTIAL_SENT_CARKEY) or "").strip()
    if reference and carrier_key:
        return [
            {"code": units.SENT_FREE, "stringValue": "false"},
            {"code": units.SENT_REF, "stringValue": reference},
            {"code": units.SENT_CARKEY, "stringValue": carrier_key},
        ]
    return [{"code": units.SENT_FREE, "stringValue": "true"}]


def booking_request(request: BookingRequest, *, payer_code: str) -> dict[str, Any]:
    """``sendtransportinstruction`` body (DHL's ``Shipment`` schema): consignor (our customer
    number), consignee, the chosen service point as AccessPoint party, one piece per parcel,
    SENT entries for Poland, our reference as ``CU``."""
    addons = {addon.type: addon.text for addon in request.addons}
    consignee = _party("Consignee", request.recipient, request.recipient_address)
    if addons.get(AddonType.ENTRY_CODE):
        # Address.accessCode is in DHL's schema; 401's doorstep code. GUESS: no capture shows it.
        consignee["address"]["accessCode"] = addons[AddonType.ENTRY_CODE][:20]
    parties = [
        _party(
            "Consignor",
            request.sender,
            request.sender_address,
            party_id=request.agreement.customer_number,
        ),
        consignee,
    ]
    if request.product in units.ACCESS_POINT_PRODUCTS and request.location is not None:
        parties.append(_access_point(request.product, request.location))
    marks = request.order_reference or request.reference
    additional_services: dict[str, Any] = {}
    if AddonType.SMS in addons:
        # ``notification`` is a boolean of DHL's AdditionalServices schema. GUESS: that it is
        # the text message the shop's "sms" add-on means; no capture books it.
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
    sent = sent_information(
        request.agreement,
        sender_country=request.sender_address.country,
        recipient_country=request.recipient_address.country,
    )
    if sent:
        body["additionalInformation"] = sent
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


def parse_booking(data: Any) -> BookedInstruction:
    """``{status: "Succes", transportInstruction {id, productCode, pieces[] {id[]}, routingCode}}``."""
    body = read.object(data, "transport instruction answer")
    instruction = read.object(body.get("transportInstruction"), "transportInstruction")
    shipment_id = read.text(instruction.get("id"), "transportInstruction.id", required=True)
    piece_ids: list[str] = []
    for raw in read.array(instruction.get("pieces"), "pieces"):
        piece = read.object(raw, "pieces[]")
        piece_ids.extend(
            read.text(i, "pieces[].id", required=True) for i in read.array(piece.get("id"), "id")
        )
    return BookedInstruction(
        id=shipment_id,
        product=read.field(instruction, "productCode"),
        piece_ids=tuple(piece_ids),
        routing_code=read.field(instruction, "routingCode"),
    )


# --- label: print ----------------------------------------------------------------------------


def label_request(shipment_id: str) -> dict[str, Any]:
    """``printdocumentsbyid`` body; printing a booked id again is the reprint."""
    return {
        "shipmentIds": [shipment_id],
        "options": {"label": True, "pageOptions": {"pageType": units.LABEL_PAGE_TYPE}},
    }


label_reprint_request = label_request


def parse_label(data: Any) -> list[Label]:
    """``printdocumentsbyid`` answer -> the label PDFs (base64 ``content`` decoded)."""
    body = read.object(data, "print answer")
    labels = []
    for raw in read.array(body.get("reports"), "reports", required=True):
        report = read.object(raw, "reports[]")
        if report.get("type", "Label") != "Label":
            continue
        content = read.field(report, "content", required=True)
        try:
            pdf = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise read.invalid("label content is not base64") from exc
        if not pdf.startswith(b"%PDF-"):
            raise read.invalid("label content is not a PDF")
        labels.append(Label(content=pdf, format="pdf"))
    if not labels:
        raise read.invalid("print answer without a label")
    return labels


# --- tracking: Shipment Tracking - Unified ---------------------------------------------------


def tracking_request(tracking_number: str) -> dict[str, str]:
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
    text = read.text(value, "timestamp", required=True)
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise read.invalid(f"timestamp {text!r}") from exc
    return aware(at, zone)


def _event(raw: Any, zone: dt.tzinfo) -> TrackingEvent:
    event = read.object(raw, "events[]")
    code = read.field(event, "statusCode")
    status_text = read.field(event, "status")
    description = read.field(event, "description") or status_text
    location = ""
    place = event.get("location")
    if isinstance(place, dict) and isinstance(place.get("address"), dict):
        location = read.field(place["address"], "addressLocality")
    return TrackingEvent(
        at=_timestamp(event.get("timestamp"), zone),
        status=units.tracking_status(code, f"{status_text} {description}"),
        carrier_code=code,
        description=description,
        location=location,
    )


def _shipment(raw: Any) -> TrackedShipment:
    shipment = read.object(raw, "shipments[]")
    # Timestamps sometimes carry no offset (parcel-de): local times of the origin (else
    # destination) country, or UTC when neither is given.
    country = _country(shipment.get("origin")) or _country(shipment.get("destination"))
    zone: dt.tzinfo = zone_for(country) if country else dt.UTC
    # DHL lists events newest first; reversed before the (stable) sort, events of the same
    # second keep their real order.
    raw_events = read.array(shipment.get("events"), "events")
    events = sorted((_event(raw, zone) for raw in reversed(raw_events)), key=lambda e: e.at)
    details = shipment.get("details")
    pieces = read.array(details.get("pieceIds"), "pieceIds") if isinstance(details, dict) else []
    status = read.optional_object(shipment.get("status"), "status")
    status_text = f"{status.get('status') or ''} {status.get('description') or ''}"
    return TrackedShipment(
        id=read.field(shipment, "id", required=True),
        service=read.field(shipment, "service"),
        status=units.tracking_status(read.field(status, "statusCode"), status_text)
        if status
        else (events[-1].status if events else TrackingStatus.UNKNOWN),
        events=tuple(events),
        piece_ids=tuple(read.text(p, "pieceIds[]") for p in pieces),
    )


def parse_tracking(data: Any) -> list[TrackedShipment]:
    """Unified Tracking answer -> each shipment with its events, oldest first."""
    body = read.object(data, "tracking answer")
    shipments = read.array(body.get("shipments"), "shipments", required=True)
    return [_shipment(raw) for raw in shipments]


def tracking_events(data: Any, tracking_number: str) -> list[TrackingEvent]:
    """The events of the shipment the number names (its id or one of its piece ids)."""
    shipments = parse_tracking(data)
    for shipment in shipments:
        if tracking_number in (shipment.id, *shipment.piece_ids):
            return list(shipment.events)
    return list(shipments[0].events) if shipments else []


# --- errors ----------------------------------------------------------------------------------


def _field(body: Mapping[str, Any], name: str) -> Any:
    """The postal-code API answers PascalCase (``ErrorCode``), its spec says camelCase."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def error_messages(data: Any, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """Every DHL error shape (parsed JSON) -> CarrierMessage(code, text), the text verbatim.

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


def parse_error_body(body: bytes, status: int | None = None) -> tuple[CarrierMessage, ...]:
    """A saved DHL error body -> its messages (``carrier_parse dhl error``)."""
    return error_messages(read.load(body), status)


def parse_error(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    """``CarrierHttp``'s error parser; an unreadable body falls back to the raw text."""
    try:
        data = read.load(response.body)
    except CarrierResponseInvalid:
        return ()
    return error_messages(data, response.status)
