"""PostNord's API, faked: the routes the PostNord adapter calls, in PostNord's wire format.

* ``GET  /rest/businesslocation/v5/servicepoints/nearest/byaddress``: points from the static
  source, manned ones (typeId 25/37/38/44) or parcel boxes (typeId 2) as ``typeId`` asks;
* ``GET  /rest/transport/v2/transittime/addresstoaddress``: ETA per service code; Nordic
  destinations only (others ``isBookable: false`` with PostNord's error message);
* ``POST /rest/shipment/v3/edi/labels/pdf``: books an EDI instruction (ledger), answers ids,
  tracking URLs and base64 PDF labels; ``POST /rest/shipment/v3/edi``: books without labels, or
  deletes with ``updateIndicator: Deletion`` (Swedish, Z12, instructions only: the swagger's
  updateIndicator); ``POST /rest/shipment/v3/labels/ids/pdf``: reprint by the booking answer's
  ``printId`` (an item id is "id not found", as in PostNord's production);
* ``GET  /rest/shipment/v7/trackandtrace/id/{id}/public`` and v7 by customer number and
  reference: a fixed progression of events for what the sandbox booked, else no shipments.

Every call needs an ``apikey`` query parameter (any non-empty value), else the API gateway's
403. Invalid input gets PostNord's ``{"message", "compositeFault": {"faults": [...]}}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from carriers.static import PostNordStaticAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Location,
    LocationKind,
    ProductKind,
    ProductQuery,
    QuoteRequest,
)

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, label_pdf, ledger

SLUG = "postnord"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: Countries Service Points v5 answers for (its countryCode parameter, swagger 5.0.14).
SERVICE_POINT_COUNTRIES = frozenset(
    {"SE", "NO", "FI", "DK", "DE", "BE", "NL", "LU", "EE", "LV", "LT"}
    | {"AT", "FR", "ES", "AX", "PL", "PT", "CZ", "IE", "SK", "SI"}
)
NORDIC = frozenset({"SE", "NO", "DK", "FI"})
ALPHA3 = {"SE": "SWE", "NO": "NOR", "DK": "DNK", "FI": "FIN"}
COUNTRY_NAMES = {"SE": "Sweden", "NO": "Norway", "DK": "Denmark", "FI": "Finland"}
#: typeId of a manned service point per country (Service Points v5 swagger).
SERVICE_POINT_TYPE = {"SE": 25, "NO": 37, "FI": 38, "DK": 44}
#: A town per first digit of the postal code, so answers carry a plausible city.
TOWNS = {
    "SE": "STOCKHOLM STOCKHOLM MALMÖ VÄXJÖ GÖTEBORG JÖNKÖPING NORRKÖPING UPPSALA SUNDSVALL UMEÅ",
    "NO": "OSLO OSLO OSLO DRAMMEN KRISTIANSAND BERGEN ÅLESUND TRONDHEIM BODØ TROMSØ",
    "DK": "KØBENHAVN KØBENHAVN KØBENHAVN ROSKILDE ODENSE ESBJERG KOLDING AARHUS AALBORG AALBORG",
    "FI": "HELSINKI HELSINKI TURKU TAMPERE LAHTI KUOPIO JYVÄSKYLÄ VAASA OULU ROVANIEMI",
}
SERVICES = {
    "11": "PostNord Varubrev Ekonomi",
    "17": "PostNord MyPack Home",
    "18": "PostNord Parcel",
    "19": "PostNord MyPack Collect",
    "30": "PostNord MyPack Home Small",
}
#: Business days in transit, and the local arrival time, per service.
TRANSIT = {"11": (2, "17:00"), "17": (1, "21:00"), "18": (1, "16:00"), "19": (1, "16:00")}
TRANSIT_DEFAULT = (2, "17:00")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LATEST_BOOKING = dt.time(14, 0)
DEPARTURE = dt.time(19, 15)


# --- Errors ------------------------------------------------------------------------------


def _request_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:14] + "atapi2"


def gateway_error(status: int, message: str) -> SandboxResponse:
    """The API gateway's shape (bad key, quota, outage), as in the 403 sample."""
    return SandboxResponse(
        status,
        {
            "error": {
                "status_code": status,
                "error_type": HTTPStatus(status).phrase,
                "message": message,
                "xrequestid": _request_id(f"{status}{message}"),
            }
        },
    )


def fault_error(status: int, message: str, faults: list[dict[str, Any]]) -> SandboxResponse:
    return SandboxResponse(status, {"message": message, "compositeFault": {"faults": faults}})


def missing_parameter(name: str) -> SandboxResponse:
    return fault_error(
        400,
        "Query parameter missing",
        [
            {
                "faultCode": "API-005",
                "explanationText": "Missing parameter",
                "paramValues": [{"param": name, "value": ""}],
            }
        ],
    )


def _error(status: int, message: str) -> SandboxResponse:
    if status in (401, 403, 429) or status >= 500:
        return gateway_error(status, message)
    return fault_error(status, message, [{"faultCode": "API-001", "explanationText": message}])


def _authenticate(request: SandboxRequest) -> SandboxResponse | None:
    if not request.param("apikey").strip():
        return gateway_error(403, "Invalid API Key")
    return None


sandbox = CarrierSandbox(SLUG, authenticate=_authenticate, error=_error)


# --- Service points ----------------------------------------------------------------------


def point_id(location: Location) -> str:
    """A PostNord-like numeric id for a static location (stable per postal code and index)."""
    return str(100000 + int(hashlib.sha256(location.id.encode()).hexdigest()[:8], 16) % 900000)


def town(country: str, postal_code: str) -> str:
    towns = TOWNS.get(country, "").split()
    if not towns or not postal_code[:1].isdigit():
        return ""
    return towns[int(postal_code[0])]


def static_locations(
    *, country: str, postal_code: str, city: str, kind: ProductKind, limit: int
) -> tuple[Location, ...]:
    quote = PostNordStaticAdapter().quote(
        request=QuoteRequest(
            merchant_ref="sandbox",
            agreement=AgreementCredentials(agreement_id=0, customer_number=""),
            products=(ProductQuery("19", kind, wants_locations=True),),
            recipient=Address(country=country, postal_code=postal_code, city=city),
            parcels=(),
            currency="SEK",
            now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            max_locations=limit,
        )
    )[0]
    return quote.locations


def _split_street(street: str) -> tuple[str, str]:
    name, _, number = street.rpartition(" ")
    return (name, number) if name and number[:1].isdigit() else (street, "")


def _address(location: Location) -> dict[str, Any]:
    street, number = _split_street(location.address.street_address)
    return {
        "countryCode": location.address.country,
        "city": location.address.city,
        "streetName": street,
        "streetNumber": number,
        "postalCode": location.address.postal_code,
        "additionalDescription": None,
    }


def render_point(location: Location) -> dict[str, Any]:
    country = location.address.country
    locker = location.kind is LocationKind.LOCKER
    kind: dict[str, Any] = (
        {
            "groupTypeId": 2,
            "groupTypeName": "Service box",
            "typeId": 2,
            "typeName": "Parcel Box Location",
            "boxType": {"label": "MyBox", "id": 3, "located": "Outdoor"},
        }
        if locker
        else {
            "groupTypeId": 1,
            "groupTypeName": "Service agent",
            "typeId": SERVICE_POINT_TYPE.get(country, 61),
            "typeName": "Servicepoint",
        }
    )
    coordinates = location.coordinates
    return {
        "name": location.name,
        "servicePointId": point_id(location),
        "phoneNoToCashRegister": None,
        "routingCode": None,
        "handlingOffice": None,
        "locationDetail": None,
        "routeDistance": location.distance_m,
        "pickup": {
            "cashOnDelivery": None,
            "products": [{"name": "Parcel", "timeSlots": {"availableForPickupEarlyCollect": []}}],
            "heavyGoodsProducts": [],
        },
        "visitingAddress": _address(location),
        "deliveryAddress": _address(location),
        "notificationArea": {"postalCodes": [location.address.postal_code]},
        "coordinates": [
            {
                "countryCode": country,
                "northing": coordinates.lat if coordinates else 0,
                "easting": coordinates.lng if coordinates else 0,
                "srId": "EPSG:4326",
            }
        ],
        "openingHours": {
            "specialDates": [],
            "postalServices": [
                {
                    "openTime": f"{hours.opens:%H:%M}",
                    "openDay": WEEKDAY_NAMES[hours.weekday],
                    "closeTime": f"{hours.closes:%H:%M}",
                    "closeDay": WEEKDAY_NAMES[hours.weekday],
                }
                for hours in location.opening_hours
            ],
        },
        "type": kind,
    }


@sandbox.route("GET", r"/rest/businesslocation/v5/servicepoints/nearest/byaddress")
def nearest_by_address(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    country = request.param("countryCode").strip().upper()
    postal_code = "".join(request.param("postalCode").split())
    city = request.param("city").strip()
    if not country:
        return missing_parameter("countryCode")
    if country not in SERVICE_POINT_COUNTRIES:
        return fault_error(
            400,
            "Invalid parameter value",
            [
                {
                    "faultCode": "API-003",
                    "explanationText": f"Invalid country code: {country}",
                    "paramValues": [{"param": "countryCode", "value": country}],
                }
            ],
        )
    if not postal_code and not city:
        return missing_parameter("postalCode")
    limit = int(request.param("numberOfServicePoints", "5"))
    type_ids = {t.strip() for t in request.param("typeId").split(",") if t.strip()}
    kinds = []
    if not type_ids or type_ids - {"2"}:
        kinds.append(ProductKind.PICKUP_POINT)
    if not type_ids or "2" in type_ids:
        kinds.append(ProductKind.LOCKER)
    city = city.upper() or town(country, postal_code)
    found = [
        location
        for kind in kinds
        for location in static_locations(
            country=country, postal_code=postal_code, city=city, kind=kind, limit=limit
        )
    ]
    found.sort(key=lambda location: location.distance_m or 0)
    return SandboxResponse(
        200,
        {
            "servicePointInformationResponse": {
                "compositeFault": None,
                "customerSupports": [{"customerSupportPhoneNo": "+46771333310", "country": "SE"}]
                if country == "SE"
                else [],
                "servicePoints": [render_point(location) for location in found[:limit]],
            }
        },
    )


# --- Transit time ------------------------------------------------------------------------


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def departure_day(start: dt.datetime) -> dt.date:
    """Today if handed over on a weekday before the latest booking time, else the next one."""
    day = start.date()
    if day.weekday() >= 5 or start.time() >= LATEST_BOOKING:
        return next_business_day(day)
    return day


def _transit_entry(
    code: str, *, start: dt.datetime, origin: str, country: str, postal_code: str
) -> dict[str, Any]:
    name = SERVICES.get(code)
    if name is None:
        return {
            "service": {"basicServiceCode": code},
            "isSupported": False,
            "isBookable": False,
            "errorMessage": f"Requested service '{origin}-{code}' not found.",
        }
    if country not in NORDIC:
        return {
            "service": {"basicServiceCode": code, "name": name},
            "isSupported": True,
            "isBookable": False,
            "errorMessage": f"Service {origin}-{code} is not offered to postal code {postal_code}",
        }
    days, arrival_time = TRANSIT.get(code, TRANSIT_DEFAULT)
    if country != origin:
        days += 1
    departure = departure_day(start)
    arrival = departure
    for _ in range(days):
        arrival = next_business_day(arrival)
    eta: dict[str, Any] = {
        "dateOfDeparture": departure.isoformat(),
        "timeOfDeparture": f"{departure.isoformat()}T{DEPARTURE:%H:%M:%S}",
        "latestTimeOfBooking": f"{departure.isoformat()}T{LATEST_BOOKING:%H:%M:%S}",
        "timeOfArrival": f"{arrival.isoformat()}T{arrival_time}:00",
        "eveningPickUp": False,
    }
    if code == "19":
        nearest = static_locations(
            country=country,
            postal_code=postal_code,
            city=town(country, postal_code),
            kind=ProductKind.PICKUP_POINT,
            limit=1,
        )
        if nearest:
            eta["deliveryPoint"] = {
                "locationId": point_id(nearest[0]),
                "locationType": "servicepoint",
                "countryCode": country,
                "name": nearest[0].name.upper(),
                "isExpressDeliveryPoint": False,
            }
    return {
        "service": {"basicServiceCode": code, "name": name},
        "estimatedTimeOfArrival": eta,
        "isSupported": True,
        "isBookable": True,
    }


@sandbox.route("GET", r"/rest/transport/v2/transittime/addresstoaddress")
def transit_time(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    for name in (
        "startTime",
        "originPostalCode",
        "originCountryCode",
        "destinationPostalCode",
        "destinationCountryCode",
    ):
        if not request.param(name).strip():
            return missing_parameter(name)
    try:
        start = dt.datetime.fromisoformat(request.param("startTime"))
    except ValueError:
        return fault_error(
            400,
            "Invalid parameter value",
            [
                {
                    "faultCode": "API-003",
                    "explanationText": "startTime must be a local date time",
                    "paramValues": [{"param": "startTime", "value": request.param("startTime")}],
                }
            ],
        )
    origin = request.param("originCountryCode").upper()
    country = request.param("destinationCountryCode").upper()
    postal_code = request.param("destinationPostalCode")
    codes = [c.strip() for c in request.param("serviceCodes", "17,18,19").split(",") if c.strip()]
    return SandboxResponse(
        200,
        [
            _transit_entry(
                code, start=start, origin=origin, country=country, postal_code=postal_code
            )
            for code in codes
        ],
    )


# --- Booking (EDI instruction v3) ----------------------------------------------------------


def gs1_check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def item_id(sequence: int, index: int) -> str:
    """A 20-digit parcel id: application identifier 00 and an SSCC with its check digit."""
    sscc = f"3735004{sequence % 10_000_000:07d}{index:03d}"
    return f"00{sscc}{gs1_check_digit(sscc)}"


def _validation_fault(text: str, kind: str, sub_type: str) -> dict[str, Any]:
    return {
        "explanationText": text,
        "faultReferences": [
            {"key": "CustomerOriginValidationError.type", "value": kind},
            {"key": "CustomerOriginValidationError.subType", "value": sub_type},
        ],
    }


def _missing(text: str, sub_type: str) -> dict[str, Any]:
    return _validation_fault(text, "MANDATORY_FIELDS_MISSING", sub_type)


def _address_faults(party: Any, role: str) -> list[dict[str, Any]]:
    address = party.get("address") if isinstance(party, dict) else None
    if not isinstance(address, dict):
        return [_missing(f"{role}.party.address is a required field", "ADDRESS")]
    return [
        _missing(f"{role}.party.address.{field} is a required field", "ADDRESS")
        for field in ("postalCode", "city", "countryCode")
        if not address.get(field)
    ]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def validate_instruction(body: Any) -> list[dict[str, Any]]:
    """PostNord's EDI validation, as far as the sandbox knows it: what must be there."""
    if not isinstance(body, dict):
        return [_missing("EdiInstruction is a required field", "EDI_INSTRUCTION")]
    faults = []
    if not body.get("messageDate"):
        faults.append(_missing("messageDate is a required field", "MESSAGE_DATE"))
    if body.get("updateIndicator") not in ("Original", "Update", "Deletion"):
        faults.append(_missing("updateIndicator is a required field", "UPDATE_INDICATOR"))
    if len(str(body.get("messageId") or "")) > 36:
        faults.append(
            _validation_fault("messageId is longer than 36", "INVALID_VALUE", "MESSAGE_ID")
        )
    application = body.get("application")
    if isinstance(application, dict) and "applicationId" in application:
        app_id = application["applicationId"]
        if isinstance(app_id, bool) or not isinstance(app_id, int):
            faults.append(
                _missing(f"applicationId ({app_id}) is not a type of integer", "APPLICATION_ID")
            )
    shipments = body.get("shipment")
    if not isinstance(shipments, list) or not shipments:
        return [*faults, _missing("shipment is a required field", "SHIPMENT")]
    for shipment in shipments:
        if not isinstance(shipment, dict):
            faults.append(_missing("shipment is a required field", "SHIPMENT"))
            continue
        service = shipment.get("service")
        if not isinstance(service, dict) or not service.get("basicServiceCode"):
            faults.append(_missing("basicServiceCode is a required field", "SERVICE_CODE"))
        parties = _object(shipment.get("parties"))
        consignor = _object(parties.get("consignor"))
        if not consignor.get("issuerCode"):
            faults.append(_missing("consignor.issuerCode is a required field", "ISSUER_CODE"))
        if not _object(consignor.get("partyIdentification")).get("partyId"):
            faults.append(_missing("consignor.partyId is a required field", "CUSTOMER_NUMBER"))
        faults.extend(_address_faults(consignor.get("party"), "consignor"))
        if body.get("updateIndicator") != "Deletion":
            consignee = parties.get("consignee")
            if not isinstance(consignee, dict) or not isinstance(consignee.get("party"), dict):
                faults.append(_missing("consignee is a required field", "CONSIGNEE"))
            else:
                faults.extend(_address_faults(consignee["party"], "consignee"))
        goods = shipment.get("goodsItem")
        items = [
            item
            for goods_item in (goods if isinstance(goods, list) else [])
            if isinstance(goods_item, dict)
            for item in (goods_item.get("items") or [])
        ]
        if not items or any(
            not isinstance(item, dict)
            or not isinstance(item.get("itemIdentification"), dict)
            or not item["itemIdentification"].get("itemId")
            for item in items
        ):
            faults.append(_missing("itemIdentification is a required field", "ITEM_IDENTIFICATION"))
    return faults


def _invalid_instruction(faults: list[dict[str, Any]]) -> SandboxResponse:
    return fault_error(400, "Invalid indata object EdiInstruction", faults)


def _references(shipment: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in shipment.get("references") or [] if isinstance(r, dict)]


def _reference(shipment: dict[str, Any]) -> str:
    """Our booking's reference: its customer reference (CU), else its shipment id."""
    for reference in _references(shipment):
        if reference.get("referenceType") == "CU" and reference.get("referenceNo"):
            return str(reference["referenceNo"])
    return str(shipment.get("shipmentIdentification", {}).get("shipmentId") or "")


def _items(shipment: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for goods in shipment["goodsItem"] for item in goods["items"]]


def _book(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Record each shipment of an instruction; its ledger data, ids filled in."""
    booked = []
    for shipment in body["shipment"]:
        parties = shipment["parties"]
        consignee = parties["consignee"]["party"]
        delivery = (parties.get("deliveryParty") or {}).get("party") or {}
        data: dict[str, Any] = {
            "product": shipment["service"]["basicServiceCode"],
            "customer_number": str(parties["consignor"]["partyIdentification"]["partyId"]),
            "consignor_name": parties["consignor"]["party"]["nameIdentification"]["name"],
            "consignor_country": parties["consignor"]["party"]["address"]["countryCode"],
            "country": consignee["address"]["countryCode"],
            "postal_code": consignee["address"]["postalCode"],
            "city": consignee["address"].get("city", ""),
            "delivery_party": (delivery.get("nameIdentification") or {}).get("name", ""),
            "references": _references(shipment),
            "booked_at": body["messageDate"],
            "cancelled": False,
        }
        reference = _reference(shipment)
        sequence = ledger.record(SLUG, reference, data)
        given = str(shipment.get("shipmentIdentification", {}).get("shipmentId") or "")
        data["reference"] = reference
        data["shipment_id"] = given if given not in ("", "0") else f"{sequence:011d}SE"
        data["item_ids"] = [item_id(sequence, n) for n, _ in enumerate(_items(shipment), 1)]
        data["booking_id"] = (
            hashlib.sha256(f"{reference}:{sequence}".encode()).hexdigest()[:30].upper()
        )
        booked.append(data)
        name = (consignee.get("nameIdentification") or {}).get("name", "")
        street = ((consignee.get("address") or {}).get("streets") or [""])[0]
        with _label_lock:
            _recipients[data["shipment_id"]] = (str(name), str(street))
    return booked


def _tracking_link(data: dict[str, Any], item: str) -> str:
    return f"https://tracking.postnord.com/{str(data['country']).lower()}/?id={item}"


def print_id(item: str) -> str:
    """A printId like the swagger's example (32 hex digits), stable per item."""
    return hashlib.sha256(f"print:{item}".encode()).hexdigest()[:32]


def _id_information(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "OK",
        "references": {"shipment": data["references"], "item": []},
        "ids": [
            *(
                {"idType": "itemId", "value": item, "printId": print_id(item)}
                for item in data["item_ids"]
            ),
            {"idType": "shipmentId", "value": data["shipment_id"]},
        ],
        "urls": [
            {"type": "TRACKING", "url": _tracking_link(data, item)} for item in data["item_ids"]
        ],
    }


# Labels only: the recipient's name and street per shipment id (the ledger keeps a summary).
_label_lock = threading.Lock()
_recipients: dict[str, tuple[str, str]] = {}


def _label(data: dict[str, Any], item: str) -> bytes:
    with _label_lock:
        name, street = _recipients.get(data["shipment_id"], ("", ""))
    return label_pdf(
        "PostNord",
        item,
        recipient=name,
        address=[street, f"{data['country']}-{data['postal_code']} {data['city']}".strip()],
        lines=[
            f"Service {data['product']}  Shipment {data['shipment_id']}",
            f"From {data['consignor_name']}",
            f"Deliver to {data['delivery_party']}" if data.get("delivery_party") else "",
        ],
    )


def _printout(data: dict[str, Any], item: str, number: int) -> dict[str, Any]:
    return {
        "itemIds": [
            {
                "itemIds": item,
                "printId": print_id(item),
                "basicServiceCode": data["product"],
                "status": "OK",
            }
        ],
        "printout": {
            "id": str(number),
            "type": "LABEL",
            "labelFormat": "PDF",
            "encoding": "base64",
            "data": base64.b64encode(_label(data, item)).decode(),
        },
        "printoutComposition": {"label": 1, "cn22": 0, "cn23": 0, "customsInvoice": 0},
    }


@sandbox.route("POST", r"/rest/shipment/v3/edi/labels/pdf")
def book_with_labels(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    faults = validate_instruction(body)
    if not faults and body["updateIndicator"] != "Original":
        faults = [
            _validation_fault(
                "Only an Original instruction gets labels", "INVALID_VALUE", "UPDATE_INDICATOR"
            )
        ]
    if faults:
        return _invalid_instruction(faults)
    booked = _book(body)
    return SandboxResponse(
        200,
        {
            "bookingResponse": {
                "bookingId": booked[0]["booking_id"],
                "idInformation": [_id_information(data) for data in booked],
            },
            "labelPrintout": [
                _printout(data, item, number)
                for data in booked
                for number, item in enumerate(data["item_ids"], 1)
            ],
        },
    )


def _records() -> list[dict[str, Any]]:
    return [
        record
        for reference in ledger.counts().get(SLUG, {})
        if (record := ledger.find(SLUG, reference)) is not None
    ]


def find_record(identifier: str) -> dict[str, Any] | None:
    """A booking by its shipment id, one of its item ids, or its printed id."""
    for record in _records():
        if identifier == record.get("shipment_id") or identifier in record.get("item_ids", []):
            return record
        if any(identifier == item[2:] for item in record.get("item_ids", [])):
            return record
    return None


def find_printed(identifier: str) -> tuple[dict[str, Any], str] | None:
    """A booking and its item by the item's printId (the only id a reprint accepts)."""
    for record in _records():
        for item in record.get("item_ids", []):
            if identifier == print_id(item):
                return record, item
    return None


@sandbox.route("POST", r"/rest/shipment/v3/edi")
def instruction(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    faults = validate_instruction(body)
    if faults:
        return _invalid_instruction(faults)
    if body["updateIndicator"] != "Deletion":
        booked = _book(body)
        return SandboxResponse(
            201,
            {
                "bookingId": booked[0]["booking_id"],
                "idInformation": [_id_information(data) for data in booked],
            },
        )
    deleted = []
    for shipment in body["shipment"]:
        issuer = str(shipment["parties"]["consignor"].get("issuerCode") or "")
        if issuer != "Z12":
            return _invalid_instruction(
                [
                    _validation_fault(
                        f"Deletion is not supported for issuerCode {issuer}",
                        "INVALID_VALUE",
                        "UPDATE_INDICATOR",
                    )
                ]
            )
        shipment_id = str(shipment.get("shipmentIdentification", {}).get("shipmentId") or "")
        record = find_record(shipment_id)
        if record is None or record["cancelled"]:
            return _invalid_instruction(
                [
                    _validation_fault(
                        f"No instruction to delete for shipmentId {shipment_id}",
                        "INVALID_VALUE",
                        "SHIPMENT_ID",
                    )
                ]
            )
        record["cancelled"] = True
        deleted.append(record)
    return SandboxResponse(
        201,
        {
            "bookingId": hashlib.sha256(body["messageId"].encode()).hexdigest()[:30].upper(),
            "idInformation": [
                {
                    "status": "OK",
                    "ids": [{"idType": "shipmentId", "value": r["shipment_id"]} for r in deleted],
                }
            ],
        },
    )


@sandbox.route("POST", r"/rest/shipment/v3/labels/ids/pdf")
def reprint(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    body = request.json()
    ids = [str(entry.get("id", "")) for entry in body] if isinstance(body, list) else []
    if not ids:
        return fault_error(
            400, "Invalid indata", [{"faultCode": "API-005", "explanationText": "ids is empty"}]
        )
    printouts = []
    for number, identifier in enumerate(ids, 1):
        found = find_printed(identifier)
        if found is None or found[0]["cancelled"]:
            # Production answers an item id (or an unknown id) per id, with 200 (Joaqim/karrio
            # docs/notes/postnord/customs-declaration-live-verification.md).
            printouts.append(
                {
                    "itemIds": [
                        {
                            "itemIds": identifier,
                            "status": "FAIL",
                            "errorResponse": {"message": "id not found"},
                        }
                    ],
                    "printoutComposition": {"label": 0},
                }
            )
            continue
        printouts.append(_printout(found[0], found[1], number))
    return SandboxResponse(200, printouts)


# --- Track and trace -----------------------------------------------------------------------

# (hours after booking, event code, status, description, where); "where" is "hub", "terminal"
# or "point" (the service point, or the recipient's town for home deliveries).
_COLLECT_EVENTS = (
    (0, "z01", "INFORMED", "The shipment item is expected but not yet arrived", "hub"),
    (5, "31", "EN_ROUTE", "The shipment item is under transportation", "terminal"),
    (
        20,
        "z114",
        "EN_ROUTE",
        "The shipment item has arrived at the distribution terminal",
        "terminal",
    ),
    (
        26,
        "41",
        "AVAILABLE_FOR_DELIVERY",
        "The shipment item is available at the service point",
        "point",
    ),
)
_HOME_EVENTS = (
    *_COLLECT_EVENTS[:3],
    (26, "113", "EN_ROUTE", "The delivery of the shipment item is in progress", "point"),
    (30, "21", "DELIVERED", "The shipment item has been delivered", "point"),
)


def _event_location(record: dict[str, Any], where: str) -> dict[str, Any]:
    country = str(record["country"])
    if where == "hub":
        return {
            "locationId": "3",
            "displayName": "PostNord",
            "name": "PostNord",
            "countryCode": ALPHA3.get(str(record["consignor_country"]), "SWE"),
            "country": COUNTRY_NAMES.get(str(record["consignor_country"]), "Sweden"),
            "locationType": "HUB",
        }
    city = str(record["city"]) or town(country, str(record["postal_code"]))
    terminal = f"{city.title()} terminal"
    name = (str(record["delivery_party"]) or city) if where == "point" else terminal
    return {
        # locationId and locationType are required by Track & Trace v7's LocationDto.
        "locationId": str(100000 + int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 900000),
        "displayName": name,
        "name": name,
        "countryCode": ALPHA3.get(country, country),
        "country": COUNTRY_NAMES.get(country, country),
        "postcode": record["postal_code"],
        "city": city,
        "locationType": "SERVICE_POINT" if where == "point" else "HUB",
    }


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    booked = dt.datetime.fromisoformat(str(record["booked_at"]))
    if booked.tzinfo is not None:
        booked = booked.astimezone(STOCKHOLM).replace(tzinfo=None)
    steps = _COLLECT_EVENTS if record["product"] == "19" else _HOME_EVENTS
    return [
        {
            "eventTime": (booked + dt.timedelta(hours=hours)).isoformat(timespec="seconds"),
            "eventCode": code,
            "status": status,
            "eventDescription": description,
            "location": _event_location(record, where),
        }
        for hours, code, status, description, where in steps
    ]


def render_shipment(record: dict[str, Any]) -> dict[str, Any]:
    events = _events(record)
    status = events[-1]["status"]
    text = {"header": events[-1]["eventDescription"], "body": events[-1]["eventDescription"]}
    country = str(record["country"])
    return {
        "shipmentId": record["shipment_id"],
        "uri": f"/ntt-service-rest/api/shipment/{record['shipment_id']}/0",
        "service": {
            "code": record["product"],
            "sourceSystem": "EDI",
            "name": SERVICES.get(record["product"], ""),
        },
        "status": status,
        "statusText": text,
        "splitStatuses": [],
        "assessedNumberOfItems": len(record["item_ids"]),
        "shipmentReferences": [],
        "consignor": {
            "name": record["consignor_name"],
            "address": {
                "countryCode": ALPHA3.get(str(record["consignor_country"]), "SWE"),
                "country": COUNTRY_NAMES.get(str(record["consignor_country"]), "Sweden"),
            },
        },
        "consignee": {
            "address": {
                "countryCode": ALPHA3.get(country, country),
                "country": COUNTRY_NAMES.get(country, country),
                "postCode": record["postal_code"],
            }
        },
        "items": [
            {
                "itemId": item,
                "status": status,
                "statusText": text,
                "events": events,
                "references": [],
            }
            for item in record["item_ids"]
        ],
    }


def _tracking(records: list[dict[str, Any]]) -> SandboxResponse:
    return SandboxResponse(
        200,
        {"TrackingInformationResponse": {"shipments": [render_shipment(r) for r in records]}},
    )


@sandbox.route("GET", r"/rest/shipment/v7/trackandtrace/id/(?P<id>[^/]+)/public")
def find_by_identifier(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    identifier = unquote(match["id"]).strip()
    record = find_record(identifier)
    return _tracking([record] if record is not None and not record["cancelled"] else [])


@sandbox.route(
    "GET",
    r"/rest/shipment/v7/trackandtrace/customernumber/(?P<customer>[^/]+)"
    r"/reference/(?P<reference>[^/]+)/public",
)
def find_by_reference(request: SandboxRequest, match: re.Match[str]) -> SandboxResponse:
    record = ledger.find(SLUG, unquote(match["reference"]))
    found = (
        record is not None
        and not record.get("cancelled")
        and record.get("customer_number") == unquote(match["customer"])
    )
    return _tracking([record] if found and record is not None else [])
