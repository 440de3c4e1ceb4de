"""``manage.py carrier_parse dhl OPERATION FILE`` on every DHL sample and response fixture."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from .builders import FARM_SAMPLES, FIXTURES, GROUP_SAMPLES
from .test_samples import SAMPLE_OPERATIONS, UNPARSABLE

#: Our response fixtures and their operation (the request fixtures are bodies we send).
FIXTURE_OPERATIONS = {
    "servicepoint-findnearestservicepoints-response-no-oslo.json": "service_points",
    "servicepoint-findnearestservicepoints-response-pl-krakow.json": "service_points",
    "postalcode-route-response-se-11151.json": "availability",
    "postalcode-route-response-se-98138-no-home-delivery.json": "availability",
    "postalcode-route-response-error-16010.json": "error",
    "transportinstruction-response-109-pl-sent-free.json": "booking",
    "transportinstruction-response-error-22001-109-pl-without-sent.json": "error",
}


def _parse(operation: str, path: Path) -> Any:
    out = io.StringIO()
    call_command("carrier_parse", "dhl", operation, str(path), stdout=out)
    return json.loads(out.getvalue())


def _path(name: str) -> Path:
    return FARM_SAMPLES / name if (FARM_SAMPLES / name).exists() else GROUP_SAMPLES / name


def test_every_response_fixture_is_named() -> None:
    responses = {p.name for p in FIXTURES.glob("*.json") if "-request-" not in p.name}

    assert responses == set(FIXTURE_OPERATIONS)


@pytest.mark.parametrize(
    "name", sorted(n for n, op in SAMPLE_OPERATIONS.items() if op != "request")
)
def test_carrier_parse_reads_every_dhl_sample(name: str) -> None:
    operation = SAMPLE_OPERATIONS[name]

    if name in UNPARSABLE:
        with pytest.raises(CommandError, match="cannot parse"):
            _parse(operation, _path(name))
        return
    parsed = _parse(operation, _path(name))

    assert isinstance(parsed, list | dict)
    if operation == "error":
        assert parsed and all(m["code"] and m["text"] for m in parsed)


@pytest.mark.parametrize("name", sorted(FIXTURE_OPERATIONS))
def test_carrier_parse_reads_every_response_fixture(name: str) -> None:
    parsed = _parse(FIXTURE_OPERATIONS[name], FIXTURES / name)

    assert parsed


def test_carrier_parse_prints_what_the_shop_needs_of_a_service_point() -> None:
    (first, *_rest) = _parse(
        "service_points", FIXTURES / "servicepoint-findnearestservicepoints-response-no-oslo.json"
    )

    assert first == {
        "id": "8009-129635",
        "name": "REMA 1000 Christian Krohgs gate",
        "kind": "service_point",
        "address": {
            "country": "NO",
            "postal_code": "0186",
            "city": "OSLO",
            "street_address": "CHRISTIAN KROHGS GATE 1",
            "street_address2": "",
            "region": "",
        },
        "coordinates": {"lat": 59.914173, "lng": 10.756651},
        "opening_hours": [],
        "distance_m": 630,
        "extra": {
            "source": "api-farm",
            "location_type": "servicepoint",
            "sub_type": "ParcelShop",
            "dhl_name": "SHOP",
        },
    }


def test_carrier_parse_prints_the_booking_and_the_route() -> None:
    booked = _parse("booking", FIXTURES / "transportinstruction-response-109-pl-sent-free.json")
    route = _parse(
        "availability", FIXTURES / "postalcode-route-response-se-98138-no-home-delivery.json"
    )

    assert booked == {
        "id": "2906761123",
        "product": "109",
        "piece_ids": ["373221512525024998"],
        "routing_code": "2LPL30079+70530000",
    }
    assert (route["bookable"], route["home_delivery_parcel"]) == (True, False)
