"""Every collected DHL sample (dhl/ and dhl-freight-se/) goes through the adapter's parsers."""

from __future__ import annotations

import json

import pytest

from carriers.dhl import DhlAdapter
from carriers.exceptions import CarrierResponseInvalid

from .builders import FARM_SAMPLES, GROUP_SAMPLES, sample

SAMPLE_OPERATIONS: dict[str, str] = {
    # DHL Freight Sweden API Farm
    "postalcode-route-response-error-401__primepack-sandbox.json": "error",
    "print-printdocumentsbyid-response-label__primepack-sandbox.json": "booking",
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


@pytest.mark.parametrize("name", sorted(SAMPLE_OPERATIONS))
def test_every_dhl_sample_parses(name: str) -> None:
    operation = SAMPLE_OPERATIONS[name]
    body = sample(name)

    if operation == "request":
        assert REQUEST_FIELDS[name] <= set(json.loads(body))
        return
    parse = DhlAdapter.parsers[operation]
    if name in UNPARSABLE:
        with pytest.raises(CarrierResponseInvalid):
            parse(body)
        return
    parsed = parse(body)
    if operation == "error":
        assert parsed and all(message.text for message in parsed)
    elif "empty" not in name:
        assert parsed
