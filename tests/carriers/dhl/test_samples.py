"""Every collected DHL sample (dhl/ and dhl-freight-se/) goes through the adapter's parsers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carriers.dhl import DhlAdapter
from carriers.dhl.mappers import BookedInstruction
from carriers.exceptions import CarrierResponseInvalid

from .builders import FARM_SAMPLES, GROUP_SAMPLES, sample

SAMPLE_OPERATIONS: dict[str, str] = {
    # DHL Freight Sweden API Farm
    "postalcode-route-response-error-401__primepack-sandbox.json": "error",
    "print-printdocumentsbyid-response-label__primepack-sandbox.json": "label",
    "productmatches-request__primepack-sandbox.json": "request",
    "productmatches-response-reduced-se-no__primepack-sandbox.json": "availability",
    "productmatches-response-reduced__primepack-sandbox.json": "availability",
    "servicepoint-findnearestservicepoints-request__primepack-sandbox.json": "request",
    "servicepoint-findnearestservicepoints-response-error-400-none__primepack-sandbox.json": "error",
    "servicepoint-findnearestservicepoints-response__primepack-sandbox.json": "service_points",
    "transportinstruction-sendtransportinstruction-request-103-servicepoint__primepack-sandbox.json": "request",
    "transportinstruction-sendtransportinstruction-response-error-22015__primepack-sandbox.json": "error",
    "transportinstruction-sendtransportinstruction-response-error-22020__primepack-sandbox.json": "error",
    "transportinstruction-sendtransportinstruction-response-success__primepack-sandbox.json": "booking",
    # DHL Location Finder - Unified and Shipment Tracking - Unified
    "locationfinder-find-by-address-response-empty__netresearch.json": "service_points",
    "locationfinder-find-by-address-response-lockers-bonn__netresearch.json": "service_points",
    "locationfinder-find-by-address-response-parcel-pickup-leipzig__netresearch.json": "service_points",
    "locationfinder-find-by-address-response-postoffice-bonn__netresearch.json": "service_points",
    "locationfinder-response-error-401__netresearch.json": "error",
    "locationfinder-response-error-404__netresearch.json": "error",
    "locationfinder-response-error-429__netresearch.json": "error",
    "unified-tracking-response-dsc-1-254346763_1__netresearch.json": "tracking",
    "unified-tracking-response-error-400__netresearch.json": "error",
    "unified-tracking-response-error-401__netresearch.json": "error",
    "unified-tracking-response-error-429__netresearch.json": "error",
    "unified-tracking-response-parcel-de-00340434292135100056__netresearch.json": "tracking",
    "unified-tracking-response-parcel-de-JJD000390005893028175__netresearch.json": "tracking",
    "unified-tracking-response-parcel-nl-3SHM00001165430__netresearch.json": "tracking",
    "unified-tracking-shipments-response-error-404__karrio-dhl-universal.json": "error",
    "unified-tracking-shipments-response__karrio-dhl-universal.json": "tracking",
}
#: The print sample's base64 label was replaced by a length marker when it was collected, so
#: the only right answer for it is "not a label".
UNPARSABLE = {"print-printdocumentsbyid-response-label__primepack-sandbox.json"}
#: Request samples: the fields our request builders write must be present in DHL's own.
REQUEST_FIELDS = {
    "productmatches-request__primepack-sandbox.json": {"parties", "pieces"},
    "servicepoint-findnearestservicepoints-request__primepack-sandbox.json": {
        "address",
        "maxNumberOfItems",
    },
    "transportinstruction-sendtransportinstruction-request-103-servicepoint__primepack-sandbox.json": {
        "productCode",
        "payerCode",
        "parties",
        "pieces",
        "totalNumberOfPieces",
        "totalWeight",
        "additionalServices",
    },
}


def test_sample_operations_name_every_sample_file() -> None:
    on_disk = {p.name for folder in (FARM_SAMPLES, GROUP_SAMPLES) for p in folder.iterdir()}

    assert set(SAMPLE_OPERATIONS) == on_disk
    assert len(on_disk) == 28


def _summary(operation: str, parsed: Any) -> Any:
    """What the shop and the shopper need of a parsed sample, in a form to compare exactly."""
    if operation == "service_points":
        return (
            len(parsed),
            [(p.id, p.name, p.kind.value, p.distance_m, len(p.opening_hours)) for p in parsed[:2]],
        )
    if operation == "tracking":
        return [(s.id, s.status.value, len(s.events)) for s in parsed]
    if operation == "error":
        return [(m.code, m.text) for m in parsed]
    if operation == "availability":
        return [m.code for m in parsed]
    return parsed


TOO_MANY = "Too many requests within defined time period, please try again later."
UNAUTHORIZED = "Unauthorized for given resource."
#: Each sample's parsed values (the first two points of a service-point answer).
EXPECTED: dict[str, Any] = {
    "postalcode-route-response-error-401__primepack-sandbox.json": [
        ("error", "No valid application matching client key")
    ],
    "productmatches-response-reduced-se-no__primepack-sandbox.json": [
        "HDI", "109", "202", "112", "601", "233",
    ],
    "productmatches-response-reduced__primepack-sandbox.json": [
        "502", "118", "104", "102", "402", "211", "401", "103",
    ],
    "servicepoint-findnearestservicepoints-response-error-400-none__primepack-sandbox.json": [
        ("Error", "No matching servicepoint was found")
    ],
    "servicepoint-findnearestservicepoints-response__primepack-sandbox.json": (
        5,
        [
            ("SE-982000", "H.T. ROSIS GODIS & TOBAK T-BANEPLAN", "service_point", 490, 0),
            ("SE-241500", "SVEA GODIS", "service_point", 1120, 0),
        ],
    ),
    "transportinstruction-sendtransportinstruction-response-error-22015__primepack-sandbox.json": [
        ("22015", "AccessPoint Party is not allowed for this product")
    ],
    "transportinstruction-sendtransportinstruction-response-error-22020__primepack-sandbox.json": [
        ("22020", "ChargeableWeight is lower than product min 2500.0")
    ],
    "transportinstruction-sendtransportinstruction-response-success__primepack-sandbox.json": (
        BookedInstruction(
            id="2906761230",
            product="103",
            piece_ids=("373221512525025100",),
            routing_code="2LSE11157+02000000",
        )
    ),
    "locationfinder-find-by-address-response-empty__netresearch.json": (0, []),
    "locationfinder-find-by-address-response-lockers-bonn__netresearch.json": (
        10,
        [
            ("8007-453113145", "DHL Packstation 145", "locker", 52, 7),
            ("8007-453113150", "DHL Packstation 150", "locker", 292, 7),
        ],
    ),
    "locationfinder-find-by-address-response-parcel-pickup-leipzig__netresearch.json": (
        70,
        [
            ("8003-4116282", "Uni Press Shop", "service_point", 224, 6),
            ("8003-4130547", "REWE Regiemarkt GmbH", "service_point", 416, 6),
        ],
    ),
    "locationfinder-find-by-address-response-postoffice-bonn__netresearch.json": (
        10,
        [
            ("8003-4008202", "Postfiliale 502", "service_point", 26, 6),
            ("8003-4125075", "REWE Markt Peter Ziegler OHG", "service_point", 1486, 6),
        ],
    ),
    "locationfinder-response-error-401__netresearch.json": [("401", UNAUTHORIZED)],
    "locationfinder-response-error-404__netresearch.json": [("404", "not found")],
    "locationfinder-response-error-429__netresearch.json": [("429", TOO_MANY)],
    "unified-tracking-response-dsc-1-254346763_1__netresearch.json": [
        ("1-254346763_1", "unknown", 1),
        ("127363150", "pending", 3),
        ("127363338", "pending", 3),
        ("127363231", "pending", 3),
        ("127362716", "pending", 3),
        ("127363000", "pending", 3),
        ("127224159", "unknown", 4),
        ("125575162", "pending", 1),
        ("125543531", "pending", 1),
        ("127062175", "delivered", 4),
        ("127062174", "delivered", 4),
        ("126995688", "in_transit", 3),
        ("126448110", "pending", 3),
    ],
    "unified-tracking-response-error-400__netresearch.json": [
        (
            "400",
            "Input is invalid: Provided language code 'en_de' isn't valid according to "
            "'ISO 639-1 alpha-2'",
        )
    ],
    "unified-tracking-response-error-401__netresearch.json": [("401", UNAUTHORIZED)],
    "unified-tracking-response-error-429__netresearch.json": [("429", TOO_MANY)],
    "unified-tracking-response-parcel-de-00340434292135100056__netresearch.json": [
        ("00340434292135100056", "pending", 1)
    ],
    "unified-tracking-response-parcel-de-JJD000390005893028175__netresearch.json": [
        ("JJD000390005893028175", "delivered", 5)
    ],
    "unified-tracking-response-parcel-nl-3SHM00001165430__netresearch.json": [
        ("3SHM00001165430", "in_transit", 10)
    ],
    "unified-tracking-shipments-response-error-404__karrio-dhl-universal.json": [
        ("404", "No shipment with given tracking number found.")
    ],
    "unified-tracking-shipments-response__karrio-dhl-universal.json": [
        ("7777777770", "pending", 1)
    ],
}  # fmt: skip


def test_every_parsed_sample_has_its_expected_values() -> None:
    assert set(EXPECTED) == {
        name
        for name, operation in SAMPLE_OPERATIONS.items()
        if operation != "request" and name not in UNPARSABLE
    }


@pytest.mark.parametrize("name", sorted(SAMPLE_OPERATIONS))
def test_every_dhl_sample_parses_exactly(name: str) -> None:
    operation = SAMPLE_OPERATIONS[name]
    body = sample(name)

    if operation == "request":
        assert REQUEST_FIELDS[name] <= set(json.loads(body))
        return
    parse = DhlAdapter.parsers[operation]
    if name in UNPARSABLE:
        with pytest.raises(CarrierResponseInvalid, match="not base64"):
            parse(body)
        return
    assert _summary(operation, parse(body)) == EXPECTED[name]
