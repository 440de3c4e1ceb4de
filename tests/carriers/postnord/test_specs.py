"""Every PostNord request we build and every answer we parse, validated against PostNord's own
published specifications (../shared/carrier-specs/postnord, see its INDEX.md) with jsonschema
(Swagger 2.0 ``definitions``) and openapi-schema-validator (OpenAPI 3.0 ``components``).

PostNord's services write an absent optional field as ``null`` where the specifications leave
it out (the captured service-point answers: ``compositeFault: null``, ``routingCode: null``);
answers are validated without their nulls, so a required field that is null still fails.
Where PostNord's own published example contradicts its schema, the test names the exact
deviation instead of skipping the file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from jsonschema import Draft4Validator
from openapi_schema_validator import OAS30Validator

from carriers.postnord import client, mappers
from carriers.types import (
    AddonChoice,
    Address,
    Booking,
    Location,
    LocationKind,
    Parcel,
    ProductKind,
)
from tests.conftest import SHARED, Sandbox

from .conftest import API_KEY, FIXTURES, SAMPLES, booking_request, make_agreement

SPECS = SHARED / "carrier-specs" / "postnord"
BOOKING = "booking.swagger.json"
SERVICE_POINTS = "servicepoints-v5.swagger.json"
TRANSIT_TIME = "transit-time-v1-v2.swagger.json"
TRACKING = "track-and-trace-v7-findbyidentifier.swagger.json"
FIND_BY_REFERENCE = "track-and-trace-v7-findbyreference.swagger.json"
DELIVERY_OPTIONS = "delivery-options.swagger.json"
NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@cache
def spec(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SPECS / name).read_text())
    return document


def errors(name: str, schema: str, body: Any) -> list[str]:
    """Where ``body`` breaks ``schema`` of the spec ``name``: ``path: message`` per error."""
    document = spec(name)
    if "swagger" in document:  # Swagger 2.0: JSON Schema draft 4 under #/definitions
        validator: Any = Draft4Validator({**document, "$ref": f"#/definitions/{schema}"})
    else:  # OpenAPI 3.0: its schema dialect (nullable, ...) under #/components/schemas
        validator = OAS30Validator({**document, "$ref": f"#/components/schemas/{schema}"})
    found = validator.iter_errors(body)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found)


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def sample(name: str) -> Any:
    return without_nulls(json.loads((SAMPLES / name).read_text()))


def fixture(name: str) -> Any:
    return without_nulls(json.loads((FIXTURES / name).read_text()))


def operation(name: str, path: str, method: str) -> dict[str, Any]:
    document = spec(name)
    found: dict[str, Any] = document["paths"][path][method]
    return found


def parameters(name: str, path: str, method: str) -> dict[str, dict[str, Any]]:
    """The operation's query and path parameters by name (references resolved)."""
    document = spec(name)
    found = {}
    for parameter in operation(name, path, method).get("parameters", []):
        if "$ref" in parameter:
            section, key = parameter["$ref"].split("/")[-2:]
            parameter = (
                document["components"][section][key]
                if "components" in document
                else document[section][key]
            )
        if parameter["in"] in ("query", "path"):
            found[parameter["name"]] = parameter
    return found


def security_parameters(name: str) -> dict[str, dict[str, Any]]:
    """Query parameters a spec declares as its security scheme (Service Points v5: apikey)."""
    document = spec(name)
    schemes = document.get("components", {}).get("securitySchemes") or document.get(
        "securityDefinitions", {}
    )
    return {
        scheme["name"]: {"name": scheme["name"], "in": "query", "required": True}
        for scheme in schemes.values()
        if scheme.get("type") == "apiKey" and scheme.get("in") == "query"
    }


def check_query(name: str, path: str, params: dict[str, str], method: str = "get") -> None:
    """Every parameter we send is the operation's, with an allowed value; every required one
    is sent (``apikey`` is added by the client)."""
    declared = {**security_parameters(name), **parameters(name, path, method)}
    sent = {**params, "apikey": API_KEY}
    assert set(sent) <= set(declared), set(sent) - set(declared)
    required = {n for n, p in declared.items() if p.get("required") and p["in"] == "query"}
    assert required <= set(sent), required - set(sent)
    for key, value in sent.items():
        schema = declared[key].get("schema", declared[key])
        if "enum" in schema:
            assert value in schema["enum"], (key, value)
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), (key, value)


def path_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


POINT = Location(
    id="412018",
    name="Pressbyrån Sveavägen",
    kind=LocationKind.SERVICE_POINT,
    address=Address(
        country="SE", postal_code="11151", city="STOCKHOLM", street_address="Sveavägen 71"
    ),
)
LOCKER = Location(
    id="2559827",
    name="Paketbox Thomsons Väg",
    kind=LocationKind.LOCKER,
    address=Address(country="SE", postal_code="21147", city="MALMÖ", street_address="Väg 4"),
)
BOOKINGS: dict[str, dict[str, Any]] = {
    "17-home": {"product": "17", "kind": ProductKind.HOME},
    "19-pickup-point": {"product": "19", "kind": ProductKind.PICKUP_POINT, "location": POINT},
    "19-locker": {"product": "19", "kind": ProductKind.LOCKER, "location": LOCKER},
    "30-mailbox": {"product": "30", "kind": ProductKind.MAILBOX},
    "11-mailbox": {"product": "11", "kind": ProductKind.MAILBOX},
    "17-two-parcels-door-code-order-uuid": {
        "product": "17",
        "kind": ProductKind.HOME,
        "reference": "8f3a0b1d9815165e42e2886735bc0378",
        "order_reference": "0b1d9815-165e-42e2-8867-35bc03789e00",
        "parcels": (Parcel(1200, 300, 200, 100), Parcel(450)),
        "addons": (AddonChoice("sms"), AddonChoice("entry-code", "1234")),
        "recipient_address": Address(
            country="SE",
            postal_code="111 51",
            city="Stockholm",
            street_address="Drottninggatan 10",
            street_address2="lgh 1201",
        ),
    },
}


# --- Requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BOOKINGS))
def test_every_booking_instruction_is_a_valid_edi_instruction(case: str) -> None:
    agreement = make_agreement("http://sandbox.invalid/postnord")
    request = booking_request(agreement, **BOOKINGS[case])

    body = mappers.booking_request(request, now=NOW, issuer_code="Z12", application_id=1234)

    assert errors(BOOKING, "ediInstruction", body) == []


def test_the_pinned_booking_fixture_is_a_valid_edi_instruction() -> None:
    assert errors(BOOKING, "ediInstruction", fixture("edi_instruction_service_point.json")) == []


def test_the_deletion_is_a_valid_edi_instruction() -> None:
    agreement = make_agreement("http://sandbox.invalid/postnord")
    request = booking_request(agreement, reference="8f3a0b1d9815165e42e2886735bc0378")
    booking = Booking(
        carrier_shipment_id="00373500489530470000",
        tracking_numbers=("00373500454541020957",),
        extra=mappers.booking_extra(request, issuer_code="Z12"),
    )

    body = mappers.cancel_request(booking, agreement=agreement, now=NOW, application_id=1234)

    assert errors(BOOKING, "ediInstruction", body) == []
    assert body["updateIndicator"] in spec(BOOKING)["definitions"]["updateIndicator"]["enum"]


def test_the_label_reprint_is_a_valid_ids_label() -> None:
    body = mappers.label_reprint_request(["31eed2dad84b48a2ba92a26590a0a69f"])

    assert errors(BOOKING, "ids_label", body) == []


def test_booking_and_reprint_and_deletion_query_parameters_are_the_operations() -> None:
    check_query(
        BOOKING, "/v3/edi/labels/pdf", {"paperSize": "LABEL", "locale": "sv"}, method="post"
    )
    check_query(BOOKING, "/v3/labels/ids/pdf", {"paperSize": "LABEL"}, method="post")
    check_query(BOOKING, "/v3/edi", {}, method="post")
    base = spec(BOOKING)["basePath"]
    assert base + "/v3/edi/labels/pdf" == client.EDI_LABELS_PATH
    assert base + "/v3/labels/ids/pdf" == client.LABELS_BY_ID_PATH
    assert base + "/v3/edi" == client.EDI_PATH


@pytest.mark.parametrize("kind", [ProductKind.PICKUP_POINT, ProductKind.LOCKER])
def test_the_service_point_search_asks_with_the_operations_parameters(kind: ProductKind) -> None:
    params = mappers.service_points_request(country="SE", postal_code="11151", kind=kind, limit=10)

    check_query(SERVICE_POINTS, "/v5/servicepoints/nearest/byaddress", params)
    assert client.SERVICE_POINTS_PATH == (
        "/rest/businesslocation" + "/v5/servicepoints/nearest/byaddress"
    )


def test_the_transit_time_query_has_the_operations_parameters() -> None:
    params = mappers.availability_request(
        origin_country="SE",
        origin_postal_code="11218",
        destination_country="NO",
        destination_postal_code="0150",
        codes=["17", "19"],
        start=dt.datetime(2026, 11, 26, 9, 0),
    )

    check_query(TRANSIT_TIME, "/v2/transittime/addresstoaddress", params)
    assert client.TRANSIT_TIME_PATH == "/rest/transport/v2/transittime/addresstoaddress"


def test_tracking_and_find_booking_call_track_and_trace_v7() -> None:
    by_id = mappers.tracking_request("00373500489530470000", locale="en")
    by_reference = mappers.find_booking_request("0020512345", "shp_8f3a", locale="sv")

    assert path_matches("/rest/shipment/v7/trackandtrace/id/{id}/public", by_id.path)
    check_query(TRACKING, "/v7/trackandtrace/id/{id}/public", by_id.params)
    reference_path = (
        "/v7/trackandtrace/customernumber/{customerNumber}/reference/{reference}/public"
    )
    assert path_matches("/rest/shipment" + reference_path, by_reference.path)
    check_query(FIND_BY_REFERENCE, reference_path, by_reference.params)


# --- PostNord's own answers (shared samples) ---------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "servicepoints-v5-nearest-byaddress-response__shipping-connector.json",
        "servicepoints-v5-nearest-bycoordinates-response__shipping-connector.json",
        "servicepoints-v5-idsearch-response__shipping-connector.json",
    ],
)
def test_the_captured_service_point_answers_fit_service_points_v5(name: str) -> None:
    assert errors(SERVICE_POINTS, "ResponseDto", sample(name)) == []


def test_the_transit_time_examples_fit_their_schemas_but_one() -> None:
    with_codes = (
        "transittime-v2-addresstoaddress-response-with-internal-codes__postnord-swagger.json"
    )
    assert errors(TRANSIT_TIME, "TransitTimeResponseV2", sample(with_codes)) == []
    v1 = "transittime-v1-addresstoaddress-response__postnord-swagger.json"
    assert errors(TRANSIT_TIME, "TransitTimeResponse", sample(v1)) == []
    # PostNord's own example "responseWithoutCode" sends additionalServices as one object where
    # its schema says an array: the parser reads both.
    without_codes = "transittime-v2-addresstoaddress-response__postnord-swagger.json"
    assert errors(TRANSIT_TIME, "TransitTimeResponseV2", sample(without_codes)) == [
        "2/service/additionalServices: {'additionalServiceCode': 'D6', 'name': 'Before 9'} "
        "is not of type 'array'",
        "3/service/additionalServices: {'additionalServiceCode': 'D7', 'name': 'Before 12'} "
        "is not of type 'array'",
    ]


def test_the_delivery_options_examples_fit_their_schema_but_for_short_opening_hours() -> None:
    cross_border = "deliveryoptions-bywarehouse-response-cross-border__postnord-swagger.json"
    assert errors(DELIVERY_OPTIONS, "DeliveryOptionsResponse", sample(cross_border)) == []
    full = "deliveryoptions-bywarehouse-response-full__postnord-swagger.json"
    found = errors(DELIVERY_OPTIONS, "DeliveryOptionsResponse", sample(full))
    # PostNord's full example lists only some weekdays in openingHours.regular.
    assert found
    assert all(
        re.fullmatch(r".*/location/openingHours/regular: '\w+day' is a required property", e)
        for e in found
    ), found
    request = "deliveryoptions-bywarehouse-request-full__postnord-swagger.json"
    # Its request example writes the parcel's numbers as strings (we do not call this API).
    assert errors(DELIVERY_OPTIONS, "DeliveryOptionsRequest", sample(request)) == [
        f"parcelInfo/{field}: '{value}' is not of type 'integer'"
        for field, value in (
            ("height", "100"),
            ("length", "230"),
            ("temperatureRange/highest", "30"),
            ("temperatureRange/lowest", "-15"),
            ("weight", "500"),
            ("width", "100"),
        )
    ]


def test_the_developer_portal_tracking_example_fits_track_and_trace_v7() -> None:
    name = "trackandtrace-findByIdentifier-response__shipping-connector-devportal-example.json"

    found = errors(TRACKING, "ResponseDto", sample(name))

    # The example predates v7's required sourceSystem; one event has a location without ids;
    # the third party added a "_comment".
    shipment = "TrackingInformationResponse/shipments/0"
    required = "is a required property"
    assert found == [
        "TrackingInformationResponse/_comment: 'Example courtesy of developer.postnord.com' "
        "is not of type 'object'",
        f"{shipment}/additionalServices/0: 'sourceSystem' {required}",
        f"{shipment}/additionalServices/1: 'sourceSystem' {required}",
        f"{shipment}/additionalServices/2: 'sourceSystem' {required}",
        f"{shipment}/items/0/events/14/location: 'locationId' {required}",
        f"{shipment}/items/0/events/14/location: 'locationType' {required}",
        f"{shipment}/service: 'sourceSystem' {required}",
    ]


def test_the_error_bodies_fit_the_booking_apis_error_response() -> None:
    validation = "edi-v3-response-error-validation__karrio-joaqim-test.json"
    assert errors(BOOKING, "errorResponse", sample(validation)) == []
    # The API gateway answers before any service, in its own shape, outside every spec.
    gateway = sample("api-gateway-response-error-403__karrio-joaqim-test.json")
    assert errors(BOOKING, "errorResponse", gateway) == [": 'message' is a required property"]
    assert set(gateway) == {"error"}


# --- Our fixtures (fixtures/SOURCES.md) --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("edi-labels-pdf-response__booking-swagger.json", "ediLabelResponse"),
        ("labels-ids-pdf-response__booking-swagger.json", "labelPrintout"),
        ("labels-ids-pdf-response-id-not-found__karrio-live-note.json", "labelPrintout"),
        ("customs-declaration-response__karrio-live-note.json", "bookingResponse"),
        ("edi-response-error-unable-to-find__karrio-live-note.json", "errorResponse"),
    ],
)
def test_the_fixtures_fit_the_booking_swagger(name: str, schema: str) -> None:
    assert errors(BOOKING, schema, fixture(name)) == []


# --- What the sandbox answers ------------------------------------------------------------------


def _get(sandbox: Sandbox, path: str, params: dict[str, str]) -> Any:
    response = requests.get(
        sandbox.url("postnord") + path, params={"apikey": API_KEY, **params}, timeout=5
    )
    assert response.status_code == 200, response.text
    return without_nulls(response.json())


def _post(sandbox: Sandbox, path: str, body: Any, params: dict[str, str]) -> Any:
    response = requests.post(
        sandbox.url("postnord") + path,
        params={"apikey": API_KEY, **params},
        json=body,
        timeout=5,
    )
    assert response.status_code in (200, 201), response.text
    return without_nulls(response.json())


def test_the_sandbox_answers_in_the_specified_shapes(sandbox: Sandbox) -> None:
    for kind in (ProductKind.PICKUP_POINT, ProductKind.LOCKER):
        points = _get(
            sandbox,
            client.SERVICE_POINTS_PATH,
            mappers.service_points_request(country="SE", postal_code="11151", kind=kind, limit=3),
        )
        assert points["servicePointInformationResponse"]["servicePoints"]
        assert errors(SERVICE_POINTS, "ResponseDto", points) == []
    transit = _get(
        sandbox,
        client.TRANSIT_TIME_PATH,
        mappers.availability_request(
            origin_country="SE",
            origin_postal_code="11218",
            destination_country="SE",
            destination_postal_code="11151",
            codes=["17", "19", "77"],
            start=dt.datetime(2026, 11, 26, 9, 0),
        ),
    )
    assert errors(TRANSIT_TIME, "TransitTimeResponseV2", transit) == []

    agreement = make_agreement(sandbox.url("postnord"))
    request = booking_request(
        agreement,
        reference="shp_spec",
        product="19",
        kind=ProductKind.PICKUP_POINT,
        location=POINT,
    )
    booked = _post(
        sandbox,
        client.EDI_LABELS_PATH,
        mappers.booking_request(request, now=NOW, issuer_code="Z12"),
        {"paperSize": "LABEL", "locale": "sv"},
    )
    assert errors(BOOKING, "ediLabelResponse", booked) == []
    booking = mappers.parse_booking(booked, country="SE")
    booking = Booking(
        booking.carrier_shipment_id,
        booking.tracking_numbers,
        extra={**booking.extra, **mappers.booking_extra(request, issuer_code="Z12")},
    )
    reprinted = _post(
        sandbox,
        client.LABELS_BY_ID_PATH,
        mappers.label_reprint_request(mappers.print_ids(booking)),
        {"paperSize": "LABEL"},
    )
    assert errors(BOOKING, "labelPrintout", reprinted) == []

    by_id = mappers.tracking_request(booking.tracking_numbers[0], locale="en")
    tracked = _get(sandbox, by_id.path, by_id.params)
    assert tracked["TrackingInformationResponse"]["shipments"]
    assert errors(TRACKING, "ResponseDto", tracked) == []
    by_reference = mappers.find_booking_request(agreement.customer_number, "shp_spec", locale="en")
    found = _get(sandbox, by_reference.path, by_reference.params)
    assert found["TrackingInformationResponse"]["shipments"]
    assert errors(FIND_BY_REFERENCE, "ResponseDto", found) == []

    deleted = _post(
        sandbox,
        client.EDI_PATH,
        mappers.cancel_request(booking, agreement=agreement, now=NOW),
        {},
    )
    assert errors(BOOKING, "bookingResponse", deleted) == []
