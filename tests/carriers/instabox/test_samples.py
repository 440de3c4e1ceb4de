"""Every Instabox payload we hold parses with the adapter's own parsers (manage.py carrier_parse).

../shared/carrier-samples has no Instabox folder (no public capture of a real Instabee exchange
exists): the files covered are our fixtures, each with its source in fixtures/SOURCES.md.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command

from carriers.instabox import InstaboxAdapter, mappers
from tests.conftest import carrier_sample

from .builders import FIXTURES, REFERENCE, TOKEN, booking_request

SHARED = carrier_sample("instabox")
PARCEL_ID = "SHOP7D0F5A524A0E4B5C9F3E2A1D6C9B8E01"

#: file name -> operation of ``InstaboxAdapter.parsers`` ("request": a body we send).
SAMPLE_OPERATIONS: dict[str, str] = {
    "availability-locker-express-response.json": "service_points",
    "availability-locker-docs-example-response.json": "service_points",
    "availability-home-delivery-slots-response.json": "timeslots",
    "availability-home-delivery-eta-response.json": "availability",
    "order-post-purchase-request.json": "request",
    "order-post-purchase-home-request.json": "request",
    "order-post-packing-request.json": "request",
    "order-post-packing-docs-minimum-request.json": "request",
    "order-post-purchase-response.json": "booking",
    "order-post-packing-response.json": "booking",
    "error-400-validation-response.json": "error",
    "error-401-unauthorized-response.json": "error",
    "webhook-locker-checkpoints.json": "tracking",
    "webhook-locker-checkpoint-docs-example.json": "tracking",
    "webhook-home-delivery-v2-event.json": "tracking",
}

#: What ``manage.py carrier_parse instabox OPERATION FILE`` prints for each response file: the
#: values the shop and the shopper need, exactly.
EXPECTED: dict[str, Any] = {
    "availability-locker-docs-example-response.json": [
        {
            "id": "XA000w0VHcO",
            "name": "Central Station Stockholm",
            "kind": "locker",
            "address": {
                "country": "",
                "postal_code": "",
                "city": "",
                "street_address": "",
                "street_address2": "",
                "region": "",
            },
            "coordinates": None,
            "opening_hours": [],
            "distance_m": None,
            "extra": {"sortCode": "XA000w0VHcO", "availabilityToken": TOKEN},
        }
    ],
    "error-400-validation-response.json": [
        {"code": "error", "text": "Validation failed"},
        {"code": "recipient.phone", "text": "must not be blank"},
        {"code": "deliveryOption.sort_code", "text": "must not be blank"},
    ],
    "error-401-unauthorized-response.json": [{"code": "error", "text": "Unauthorized"}],
    "webhook-locker-checkpoint-docs-example.json": [
        {
            "at": "2025-06-01T16:10:00+00:00",
            "status": "delivered",
            "carrier_code": "CustomerPickupCheckpoint",
            "description": "Consumer picked up parcel from locker",
            "location": "Central Station Stockholm",
        }
    ],
    "order-post-packing-response.json": {
        "carrier_shipment_id": PARCEL_ID,
        "tracking_numbers": [PARCEL_ID],
        "tracking_url": f"https://track.instabox.io/{PARCEL_ID}",
        "labels": [
            {
                "content": "<0 bytes>",
                "url": f"https://labels.integration.instabee.com/{PARCEL_ID}.pdf",
                "format": "pdf",
            }
        ],
        "extra": {"labelCode": "IN1043", "orderId": REFERENCE, "availabilityToken": TOKEN},
    },
}


def _sample_files() -> list[Path]:
    folders = [FIXTURES] + ([SHARED] if SHARED.is_dir() else [])
    return sorted(p for folder in folders for p in folder.glob("*.json"))


def _carrier_parse(operation: str, path: Path) -> Any:
    out = io.StringIO()
    call_command("carrier_parse", "instabox", operation, str(path), stdout=out)
    return json.loads(out.getvalue())


def _built() -> dict[str, dict[str, Any]]:
    parcel_id = mappers.parcel_id(customer_number="SHOP", reference=REFERENCE)
    return {
        "order-post-purchase-request.json": mappers.booking_request(
            request=booking_request(), parcel_id=parcel_id, token=TOKEN, sort_code="IN1043"
        ),
        "order-post-packing-request.json": mappers.booking_packing_request(
            request=booking_request(), parcel_id=parcel_id, token=TOKEN
        ),
    }


def test_every_instabox_sample_parses_through_carrier_parse() -> None:
    # given every payload file we hold for Instabox, each with its operation
    files = _sample_files()
    assert sorted(p.name for p in files) == sorted(SAMPLE_OPERATIONS)
    built = _built()
    for path in files:
        operation = SAMPLE_OPERATIONS[path.name]
        if operation == "request":
            # then a request file we build is exactly what our builder sends
            if path.name in built:
                assert json.loads(path.read_bytes()) == built[path.name], path.name
            continue
        # then a response file parses through manage.py carrier_parse into something
        parsed = _carrier_parse(operation, path)
        assert parsed, path.name
        if path.name in EXPECTED:
            assert parsed == EXPECTED[path.name], path.name


def test_carrier_parse_keeps_what_the_shopper_needs_of_lockers_and_slots() -> None:
    lockers = _carrier_parse(
        "service_points", FIXTURES / "availability-locker-express-response.json"
    )
    slots = _carrier_parse("timeslots", FIXTURES / "availability-home-delivery-slots-response.json")
    label = _carrier_parse("label", FIXTURES / "order-post-packing-response.json")

    assert [(p["id"], p["name"]) for p in lockers] == [
        ("IN1043", "Instabox ICA Nära Drottninggatan"),
        ("IN2217", "Instabox Pressbyrån T-Centralen"),
    ]
    assert [(s["start"], s["end"]) for s in slots] == [
        ("2026-05-05T17:00:00+02:00", "2026-05-05T22:00:00+02:00"),
        ("2026-05-06T08:00:00+02:00", "2026-05-06T12:00:00+02:00"),
    ]
    assert [item["url"] for item in label] == [
        f"https://labels.integration.instabee.com/{PARCEL_ID}.pdf"
    ]


def test_the_parsers_cover_every_operation_instabee_answers() -> None:
    assert sorted(InstaboxAdapter.parsers) == [
        "availability",
        "booking",
        "error",
        "label",
        "service_points",
        "timeslots",
        "tracking",
    ]
