"""Sandbox routes for DHL: the API Farm (DHL Freight Sweden) and, under the same prefix, the DHL
group's Location Finder - Unified and Shipment Tracking - Unified at their real paths.

API Farm (``client-key`` header; a missing key gets the gateway's 401 ``{"error": ...}``):

* ``POST /servicepointlocatorapi/v1/servicepoint/findnearestservicepoints``: points from
  ``carriers.static`` rendered in the API Farm's shape (no opening hours, distances in km);
  outside Sweden, as DHL does, a counter is named "SHOP" with the shop in ``shopName``, and in
  Norway every third counter is a ``postoffice``; ``locationTypes`` filters (servicepoint,
  postoffice, locker; none = all); none found (a country the static source does not know,
  Swedish 99xxx) -> HTTP 400 ``{"errorMessage": "No matching servicepoint was found",
  "status": "Error"}``.
* ``GET /postalcodeapi/v1/postalcodes/{cc}/{pc}/route``: Swedish five-digit codes are bookable;
  984xx is a route DHL does not book to (``bookable: false``), 98xxx has no home delivery of
  parcels, 99xxx is unknown (400 ``{"Status", "ErrorCode": 16010, "UserMessage"}``), and other
  countries get 16009.
* ``POST /productapi/v1/productmatches``: the products of the lane (domestic or international).
* ``POST /transportinstructionapi/v1/transportinstruction/sendtransportinstruction``: validates
  like DHL (22001 mandatory field, also SENT for lanes touching Poland and, a GUESS, customs
  information for NO, GB and CH; 22005 unknown product, 22015 AccessPoint not allowed, 22026
  consignee country), records the booking in the ledger under its ``CU`` reference and answers
  ``{"status": "Succes", "transportInstruction": {...}}`` (DHL's spelling) with SSCC piece ids,
  echoing ``additionalInformation`` with ``numericValue`` as DHL does.
* ``POST /printapi/v1/print/printdocumentsbyid``: a small PDF label per booked id, base64.

DHL group APIs (``DHL-API-Key`` header; missing -> 401 problem detail):

* ``GET /location-finder/v1/find-by-address``: the same static points with opening hours.
* ``GET /track/shipments?trackingNumber=``: shipments this sandbox booked (by shipment id or
  piece id), events following the booking time (booked, picked up +4 h, terminal +10 h, out for
  delivery / ready for pickup +20 h, delivered +30 h); others 404 "No result found".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
from typing import Any

from carriers.dhl import units as dhl_units
from carriers.static import MARKETS, DhlStaticAdapter
from carriers.types import (
    Address,
    Location,
    LocationKind,
    ProductKind,
)

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, label_pdf, ledger

SLUG = "dhl"
_GROUP_PREFIXES = ("/location-finder/", "/track/")
_SCHEMA_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STATIC = DhlStaticAdapter()
_MAX_POINTS = 50

_SE_CITIES = {
    "1": "STOCKHOLM",
    "2": "MALMÖ",
    "3": "VÄXJÖ",
    "4": "GÖTEBORG",
    "5": "JÖNKÖPING",
    "6": "NORRKÖPING",
    "7": "VÄSTERÅS",
    "8": "SUNDSVALL",
    "9": "UMEÅ",
}
_CAPITALS = {
    "NO": "OSLO",
    "DK": "KØBENHAVN",
    "FI": "HELSINKI",
    "DE": "Berlin",
    "AT": "Wien",
    "NL": "Amsterdam",
    "CH": "Zürich",
    "GB": "London",
    "US": "New York",
}
# Products the transport-instruction API knows, and where each may deliver.
_DOMESTIC = {"102", "103", "104", "118", "401", "402", "502"}
# 109 Parcel Connect's destinations (ParcelShop or ParcelStation, carriers/dhl/units.py).
_PARCEL_CONNECT = (
    dhl_units.PARCEL_CONNECT_LOCKER_COUNTRIES | dhl_units.PARCEL_CONNECT_SHOP_COUNTRIES
)
_INTERNATIONAL = {"109", "112", "601", "202", "205", "233"}
_ACCESS_POINT_PRODUCTS = {"103", "104", "109"}
_PRODUCT_NAMES = {
    "102": ("DHL Paket", None),
    "103": ("DHL Service Point", None),
    "104": ("DHL Service Point Retur", None),
    "109": ("DHL Parcel Connect", None),
    "112": ("DHL Parcel Connect Plus", None),
    "118": ("DHL Hemleverans Paket", None),
    "202": ("DHL Road Freight Standard", "Road Freight Standard"),
    "233": ("DHL Road Freight Priority", "Road Freight Priority"),
    "401": ("DHL Home Delivery", None),
    "402": ("DHL Home Delivery Return", None),
    "502": ("DHL Home Delivery Return", None),
    "601": ("DHL Home Delivery International", "HOME DELIVERY INT."),
}

_lock = threading.Lock()
#: Shipments booked here, by shipment id; ``_pieces`` maps piece ids to shipment ids.
_shipments: dict[str, dict[str, Any]] = {}
_pieces: dict[str, str] = {}


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if request.path.startswith(_GROUP_PREFIXES):
        if request.headers.get("dhl-api-key"):
            return None
        return SandboxResponse(
            401,
            {"status": 401, "title": "Unauthorized", "detail": "Unauthorized for given resource."},
        )
    if request.headers.get("client-key"):
        return None
    return SandboxResponse(401, {"error": "No valid application matching client key"})


def _error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse(status, {"status": "Error", "errorMessage": message})


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=_error)


def _problem(status: int, title: str, detail: str, instance: str = "") -> SandboxResponse:
    body: dict[str, Any] = {"title": title, "detail": detail, "status": status}
    if instance:
        body["instance"] = instance
    return SandboxResponse(status, body)


def _validation(*errors: tuple[str, int, str]) -> SandboxResponse:
    return SandboxResponse(
        400,
        {
            "status": "Error",
            "validationErrors": [
                {"errorCode": code, "field": field, "message": message}
                for field, code, message in errors
            ],
        },
    )


def _digits(seed: str, count: int) -> str:
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return str(value % 10**count).zfill(count)


def _city(country: str, postal_code: str, given: str = "") -> str:
    if given:
        return given
    if country == "SE":
        return _SE_CITIES.get(postal_code[:1], "SVERIGE")
    return _CAPITALS.get(country, "")


def _static_points(
    country: str, postal_code: str, city: str, kinds: set[ProductKind], limit: int
) -> list[Location]:
    """The static source's points (service points and/or lockers), nearest first."""
    if country not in MARKETS or not postal_code:
        return []
    points: list[Location] = []
    recipient = Address(country=country, postal_code=postal_code, city=city)
    for kind in sorted(kinds):
        location_kind = (
            LocationKind.LOCKER if kind is ProductKind.LOCKER else LocationKind.SERVICE_POINT
        )
        points.extend(_STATIC.locations_near(kind=location_kind, recipient=recipient, count=limit))
    points.sort(key=lambda loc: loc.distance_m or 0)
    return points[:limit]


def _kinds(location_types: list[str]) -> set[ProductKind]:
    kinds: set[ProductKind] = set()
    if not location_types or {"servicepoint", "postoffice", "postbank"} & set(location_types):
        kinds.add(ProductKind.PICKUP_POINT)
    if not location_types or "locker" in location_types:
        kinds.add(ProductKind.LOCKER)
    return kinds


def _farm_location_type(country: str, point: Location, index: int) -> str:
    """The API Farm's ``locationType`` of a static point: Norwegian post offices exist."""
    if point.kind is LocationKind.LOCKER:
        return "locker"
    return "postoffice" if country == "NO" and index % 3 == 1 else "servicepoint"


# --- API Farm: service points ------------------------------------------------------------------


@sandbox.route("POST", r"/servicepointlocatorapi/v1/servicepoint/findnearestservicepoints")
def find_nearest_service_points(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    address = body.get("address") if isinstance(body, dict) else None
    if not isinstance(address, dict) or not address.get("countryCode"):
        return _validation(("Address.CountryCode", 22001, "CountryCode is mandatory"))
    if not address.get("postalCode"):
        return _validation(("Address.PostalCode", 22001, "PostalCode is mandatory"))
    country = str(address["countryCode"]).upper()
    postal_code = str(address["postalCode"]).replace(" ", "")
    limit = int(body.get("maxNumberOfItems") or 10)
    city = _city(country, postal_code, str(address.get("cityName") or ""))
    points = _static_points(
        country, postal_code, city, _kinds(list(body.get("locationTypes") or [])), limit
    )
    if country == "SE" and postal_code.startswith("99"):  # unknown codes, as the route says
        points = []
    if not points:
        return SandboxResponse(
            400, {"errorMessage": "No matching servicepoint was found", "status": "Error"}
        )
    asked = {str(t) for t in body.get("locationTypes") or []}
    rendered = []
    for index, point in enumerate(points):
        location_type = _farm_location_type(country, point, index)
        if asked and location_type not in asked:
            continue
        point_id = f"{country}-{_digits(point.id, 4)}00"
        distance_m = point.distance_m or 0
        # Outside Sweden DHL names counters "SHOP" and gives the shop in shopName.
        named = (
            {"name": point.name.upper()}
            if country == "SE" or location_type == "locker"
            else {"name": "SHOP", "shopName": point.name}
        )
        rendered.append(
            {
                "id": point_id,
                "servicePointId": point_id,
                "street": point.address.street_address.upper(),
                **named,
                "cityName": city.upper(),
                "postalCode": postal_code,
                "countryCode": country,
                "distance": round(distance_m / 1000, 2),
                "routeDistance": round(distance_m * 1.25 / 1000, 2),
                "distanceUnit": "km",
                "featureCodes": [] if point.kind is LocationKind.LOCKER else ["SF054"],
                "locationType": location_type,
                "serviceTypes": ["parcel:pick-up-unregistered"]
                if point.kind is LocationKind.LOCKER
                else ["parcel:pick-up", "cash-on-delivery", "parcel:drop-off"],
                "latitude": point.coordinates.lat if point.coordinates else None,
                "longitude": point.coordinates.lng if point.coordinates else None,
                "clickAndCollectId": "",
            }
        )
    if not rendered:
        return SandboxResponse(
            400, {"errorMessage": "No matching servicepoint was found", "status": "Error"}
        )
    return SandboxResponse(
        200,
        {
            "status": "OK",
            "doorStepDeliveryAvailable": False,
            "servicePoints": rendered,
            "homedeliveryParcel": False,
            "lofi": True,
        },
    )


# --- API Farm: postal-code route and product matches ------------------------------------------


@sandbox.route(
    "GET", r"/postalcodeapi/v1/postalcodes/(?P<country>[^/]+)/(?P<postal_code>[^/]+)/route"
)
def postal_code_route(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    country = match["country"].upper()
    postal_code = match["postal_code"]
    if country != "SE":
        return SandboxResponse(
            400,
            {
                "Status": 400,
                "ErrorCode": 16009,
                "UserMessage": f"Country '{country}' not supported.",
            },
        )
    if not re.fullmatch(r"\d{5}", postal_code) or postal_code.startswith("99"):
        return SandboxResponse(
            400,
            {
                "Status": 400,
                "ErrorCode": 16010,
                "UserMessage": f"Post code '{postal_code}' not found.",
            },
        )
    return SandboxResponse(
        200,
        {
            "countryCode": country,
            "postalCode": postal_code,
            "city": _city(country, postal_code),
            "lineHaul": postal_code[:2] + "0",
            "terminalId": postal_code[:2] + "10",
            "deviating": "0",
            "updatedDate": "2006-01-11T00:00:00",
            "bookable": not postal_code.startswith("984"),
            "homeDeliveryParcel": not postal_code.startswith("98"),
        },
    )


def _party_address(body: dict[str, Any], party_type: str) -> dict[str, Any]:
    for party in body.get("parties") or []:
        if isinstance(party, dict) and party.get("type") == party_type:
            address = party.get("address")
            return address if isinstance(address, dict) else {}
    return {}


@sandbox.route("POST", r"/productapi/v1/productmatches")
def product_matches(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    consignor = _party_address(body, "Consignor")
    consignee = _party_address(body, "Consignee")
    if not consignor.get("countryCode") or not consignee.get("countryCode"):
        return SandboxResponse(
            400,
            {
                "error": "Validation failed",
                "errors": [
                    {
                        "field": "Parties",
                        "errorCode": 22001,
                        "message": "Consignor and Consignee are mandatory",
                    }
                ],
            },
        )
    destination = str(consignee["countryCode"]).upper()
    if destination == "SE":
        codes = ["502", "118", "104", "102", "402", "401", "103"]
    else:
        codes = [
            c
            for c in ("109", "202", "112", "601", "233")
            if c != "109" or destination in _PARCEL_CONNECT
        ]
    return SandboxResponse(
        200,
        [
            {
                "product": {
                    "code": code,
                    "name": _PRODUCT_NAMES[code][0],
                    "shortName": _PRODUCT_NAMES[code][1],
                    "isDomestic": destination == "SE",
                }
            }
            for code in codes
        ],
    )


# --- API Farm: booking and print --------------------------------------------------------------


def _sscc(serial: int) -> str:
    """An 18-digit SSCC (GS1 check digit) like DHL's piece ids."""
    base = f"37322151{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


_CUSTOMS = {"NO", "GB", "CH"}


def _sent_declared(information: dict[str, str]) -> bool:
    if information.get("SENT_FREE") == "true":
        return True
    return bool(information.get("SENT_REF") and information.get("SENT_CARKEY"))


def _reference(body: dict[str, Any]) -> str:
    for ref in body.get("references") or []:
        if isinstance(ref, dict) and ref.get("qualifier") == "CU":
            return str(ref.get("value") or "")
    return ""


@sandbox.route("POST", r"/transportinstructionapi/v1/transportinstruction/sendtransportinstruction")
def send_transport_instruction(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("body must be an object")
    product = str(body.get("productCode") or "")
    if not product:
        return _validation(("ProductCode", 22001, "ProductCode is mandatory"))
    parties = [p for p in body.get("parties") or [] if isinstance(p, dict)]
    by_type = {p.get("type"): (i, p) for i, p in enumerate(parties)}
    consignor = by_type.get("Consignor", (0, {}))[1]
    consignee = by_type.get("Consignee", (0, {}))[1]
    if not consignor.get("id"):
        return _validation(("Parties[0].Id", 22001, "Consignor Id is mandatory"))
    consignee_address = consignee.get("address") or {}
    if not consignee or not consignee_address.get("postalCode"):
        return _validation(("Parties[1].Address", 22001, "Consignee address is mandatory"))
    destination = str(consignee_address.get("countryCode") or "").upper()
    if product not in _DOMESTIC | _INTERNATIONAL:
        return _validation(
            (
                "ProductCode",
                22005,
                f"No product found for productCode {product} and countries SE-{destination}",
            )
        )
    allowed = (
        destination == "SE"
        if product in _DOMESTIC
        else (destination in _PARCEL_CONNECT if product == "109" else destination != "SE")
    )
    if not allowed:
        return _validation(
            ("Parties[1].Address.CountryCode", 22026, "Consignee country is not valid")
        )
    access_point = by_type.get("AccessPoint")
    if access_point is not None and product not in _ACCESS_POINT_PRODUCTS:
        return _validation(
            (
                f"Parties[{access_point[0]}]",
                22015,
                "AccessPoint Party is not allowed for this product",
            )
        )
    if access_point is None and product in _ACCESS_POINT_PRODUCTS:
        return _validation(("Parties", 22001, "AccessPoint Party is mandatory for this product"))
    pieces = [p for p in body.get("pieces") or [] if isinstance(p, dict)]
    if not pieces or any(not p.get("weight") for p in pieces):
        return _validation(("Pieces", 22001, "Weight is mandatory"))
    information = {
        str(i.get("code")): str(i.get("stringValue") or "")
        for i in body.get("additionalInformation") or []
        if isinstance(i, dict)
    }
    origin = str((consignor.get("address") or {}).get("countryCode") or "").upper()
    if "PL" in (origin, destination) and not _sent_declared(information):
        return _validation(
            (
                "AdditionalInformation",
                22001,
                "SENT_REF and SENT_CARKEY are mandatory unless SENT_FREE is true.",
            )
        )
    if destination in _CUSTOMS and not body.get("customsInformation"):
        # GUESS: DHL's text for a missing customs declaration is not captured anywhere.
        return _validation(("CustomsInformation", 22001, "CustomsInformation is mandatory"))

    reference = _reference(body)
    sequence = ledger.record(SLUG, reference, body)
    shipment_id = str(2906760000 + sequence)
    serial = sequence * 100
    booked_pieces = []
    piece_ids: list[str] = []
    for piece in pieces:
        ids = []
        for _ in range(int(piece.get("numberOfPieces") or 1)):
            serial += 1
            ids.append(_sscc(serial))
        piece_ids.extend(ids)
        booked_pieces.append({"id": ids, **piece})
    routed = (access_point[1].get("address") if access_point else None) or consignee_address
    weights = [float(p["weight"]) for p in pieces]
    instruction = {
        "id": shipment_id,
        "productCode": product,
        "totalNumberOfPieces": len(piece_ids),
        "totalWeight": round(sum(weights), 3),
        "maxPieceWeight": max(weights),
        "minPieceWeight": min(weights),
        "payerCode": body.get("payerCode") or {"code": "1"},
        "references": body.get("references") or [],
        "parties": parties,
        "additionalServices": body.get("additionalServices") or {},
        "pieces": booked_pieces,
        "routingCode": f"2L{routed.get('countryCode', '')}{routed.get('postalCode', '')}+02000000",
    }
    if information:
        instruction["additionalInformation"] = [
            {"code": code, "stringValue": value, "numericValue": 0.0}
            for code, value in information.items()
        ]
    with _lock:
        _shipments[shipment_id] = {
            "instruction": instruction,
            "booked_at": dt.datetime.now(dt.UTC),
            "piece_ids": piece_ids,
        }
        for piece_id in piece_ids:
            _pieces[piece_id] = shipment_id
    return SandboxResponse(200, {"status": "Succes", "transportInstruction": instruction})


@sandbox.route("POST", r"/printapi/v1/print/printdocumentsbyid")
def print_documents_by_id(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    ids = [str(i) for i in (body.get("shipmentIds") or [])] if isinstance(body, dict) else []
    if not ids:
        return _validation(("ShipmentIds", 22001, "ShipmentIds is mandatory"))
    reports = []
    for shipment_id in ids:
        with _lock:
            shipment = _shipments.get(shipment_id)
        if shipment is None:
            return _error(400, f"No shipment found with id {shipment_id}")
        instruction = shipment["instruction"]
        consignee = next(
            (
                p
                for p in instruction["parties"]
                if isinstance(p, dict) and p.get("type") == "Consignee"
            ),
            {},
        )
        address = consignee.get("address") or {}
        pdf = label_pdf(
            "DHL Freight",
            shipment_id,
            recipient=str(consignee.get("name") or ""),
            address=[
                str(address.get("street") or ""),
                f"{address.get('postalCode', '')} {address.get('cityName', '')}".strip(),
                str(address.get("countryCode") or ""),
            ],
            lines=[
                f"Product {instruction['productCode']}  Routing {instruction['routingCode']}",
                *(f"Piece {piece_id}" for piece_id in shipment["piece_ids"]),
            ],
        )
        reports.append(
            {
                "name": f"label_{shipment_id}.pdf",
                "content": base64.b64encode(pdf).decode(),
                "contentType": "application/pdf",
                "type": "Label",
                "valid": True,
            }
        )
    return SandboxResponse(200, {"reports": reports})


# --- Location Finder - Unified -----------------------------------------------------------------


@sandbox.route("GET", r"/location-finder/v1/find-by-address")
def find_by_address(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    country = request.param("countryCode").upper()
    if not country:
        return _problem(400, "Invalid input", "Input is invalid: countryCode is required")
    postal_code = request.param("postalCode").replace(" ", "").upper()
    try:
        limit = min(int(request.param("limit", "15")), _MAX_POINTS)
    except ValueError:
        return _problem(400, "Invalid input", "Input is invalid: limit must be a number")
    city = _city(country, postal_code, request.param("addressLocality"))
    points = _static_points(
        country, postal_code, city, _kinds(request.query.get("locationType", [])), limit
    )
    locations = []
    for point in points:
        locker = point.kind is LocationKind.LOCKER
        location_id = f"8003-{_digits(point.id, 7)}"
        keyword_id = str(100 + int(_digits(point.id, 3)))
        locations.append(
            {
                "url": f"/locations/{location_id}",
                "location": {
                    "ids": [{"locationId": location_id, "provider": "parcel"}],
                    "keyword": "DHL Packstation" if locker else "DHL Paketshop",
                    "keywordId": keyword_id,
                    "type": "locker" if locker else "servicepoint",
                },
                "name": point.name,
                "distance": point.distance_m,
                "place": {
                    "address": {
                        "countryCode": country,
                        "postalCode": point.address.postal_code,
                        "addressLocality": city,
                        "streetAddress": point.address.street_address,
                    },
                    "geo": {
                        "latitude": point.coordinates.lat if point.coordinates else None,
                        "longitude": point.coordinates.lng if point.coordinates else None,
                    },
                },
                "openingHours": [
                    {
                        "opens": hours.opens.isoformat(),
                        "closes": hours.closes.isoformat(),
                        "dayOfWeek": f"http://schema.org/{_SCHEMA_DAYS[hours.weekday]}",
                    }
                    for hours in point.opening_hours
                ],
                "closurePeriods": [],
                "serviceTypes": ["parcel:drop-off-unregistered", "parcel:pick-up-registered"]
                if locker
                else ["parcel:drop-off", "parcel:pick-up"],
                **({"availableCapacity": "high"} if locker else {}),
            }
        )
    return SandboxResponse(200, {"locations": locations})


# --- Shipment Tracking - Unified -------------------------------------------------------------


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _place(address: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": {
            "countryCode": address.get("countryCode", ""),
            "postalCode": address.get("postalCode", ""),
            "addressLocality": address.get("cityName", ""),
        }
    }


def _events(shipment: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    instruction = shipment["instruction"]
    parties = {p.get("type"): p for p in instruction["parties"]}
    origin = _place(parties.get("Consignor", {}).get("address") or {})
    destination_party = parties.get("AccessPoint") or parties.get("Consignee") or {}
    destination = _place(destination_party.get("address") or {})
    at_point = "AccessPoint" in parties
    steps = [
        (
            0,
            "pre-transit",
            "Shipment information received",
            "The shipment has been booked electronically by the sender",
            origin,
        ),
        (4, "transit", "Picked up", "The shipment has been picked up from the sender", origin),
        (
            10,
            "transit",
            "Arrived at terminal",
            "The shipment has arrived at the DHL terminal",
            destination,
        ),
        (
            20,
            "transit",
            "Ready for pickup" if at_point else "Out for delivery",
            "The shipment is ready for pickup at the service point"
            if at_point
            else "The shipment is out for delivery",
            destination,
        ),
        (
            30,
            "delivered",
            "Delivered",
            "The shipment has been collected at the service point"
            if at_point
            else "The shipment has been delivered",
            destination,
        ),
    ]
    booked_at: dt.datetime = shipment["booked_at"]
    events = [
        {
            "timestamp": _stamp(booked_at + dt.timedelta(hours=hours)),
            "location": place,
            "statusCode": code,
            "status": status,
            "description": description,
        }
        for hours, code, status, description, place in steps
        if hours == 0 or booked_at + dt.timedelta(hours=hours) <= now
    ]
    return list(reversed(events))  # newest first, as DHL answers


@sandbox.route("GET", r"/track/shipments")
def track_shipments(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    number = request.param("trackingNumber").strip()
    if not number:
        return _problem(400, "Invalid input", "Input is invalid: trackingNumber is required")
    with _lock:
        shipment_id = number if number in _shipments else _pieces.get(number)
        shipment = _shipments.get(shipment_id) if shipment_id else None
    if shipment is None or shipment_id is None:
        return _problem(
            404,
            "No result found",
            "No shipment with given tracking number found.",
            f"/shipment/{number}",
        )
    instruction = shipment["instruction"]
    parties = {p.get("type"): p for p in instruction["parties"]}
    events = _events(shipment, dt.datetime.now(dt.UTC))
    latest = events[0]
    return SandboxResponse(
        200,
        {
            "url": f"/shipments?trackingNumber={number}",
            "shipments": [
                {
                    "id": shipment_id,
                    "service": "freight",
                    "origin": _place(parties.get("Consignor", {}).get("address") or {}),
                    "destination": _place(parties.get("Consignee", {}).get("address") or {}),
                    "status": dict(latest),
                    "details": {
                        "product": {
                            "productName": _PRODUCT_NAMES.get(
                                instruction["productCode"], ("DHL", None)
                            )[0]
                        },
                        "totalNumberOfPieces": instruction["totalNumberOfPieces"],
                        "pieceIds": list(shipment["piece_ids"]),
                    },
                    "events": events,
                }
            ],
        },
    )


def backdate(shipment_id: str, *, hours: float) -> None:
    """Move a sandbox shipment's booking time back, so tracking shows later steps (tests, demos)."""
    with _lock:
        _shipments[shipment_id]["booked_at"] -= dt.timedelta(hours=hours)


@sandbox.on_reset
def _forget() -> None:
    """A reset sandbox remembers no dhl bookings (ids restart with the ledger)."""
    with _lock:
        _shipments.clear()
        _pieces.clear()
