"""Every Instabox payload we hold parses with the adapter's own parsers (manage.py carrier_parse).

../shared/carrier-samples has no Instabox folder: no real Instabee payload is public (INDEX.md).
So the files covered are our own fixtures, written from the documented field names.
"""

from __future__ import annotations

import json
from pathlib import Path

from carriers.instabox import InstaboxAdapter, mappers

from .builders import FIXTURES, REFERENCE, TOKEN, booking_request

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "carrier-samples" / "instabox"

#: file name -> operation of ``InstaboxAdapter.parsers`` ("request": a body we send).
SAMPLE_OPERATIONS: dict[str, str] = {
    "availability-locker-express-response.json": "service_points",
    "availability-locker-docs-example-response.json": "service_points",
    "availability-home-delivery-slots-response.json": "timeslots",
    "availability-home-delivery-eta-response.json": "availability",
    "order-post-purchase-request.json": "request",
    "order-post-packing-request.json": "request",
    "order-post-purchase-response.json": "booking",
    "order-post-packing-response.json": "booking",
    "error-400-validation-response.json": "error",
    "error-401-unauthorized-response.json": "error",
    "webhook-locker-checkpoints.json": "tracking",
    "webhook-home-delivery-v2-event.json": "tracking",
}


def _sample_files() -> list[Path]:
    folders = [FIXTURES] + ([SHARED] if SHARED.is_dir() else [])
    return sorted(p for folder in folders for p in folder.iterdir() if p.is_file())


def test_every_instabox_sample_parses() -> None:
    # given every payload file we hold for Instabox, each with its operation
    files = _sample_files()
    assert sorted(p.name for p in files) == sorted(SAMPLE_OPERATIONS)
    built = {
        "order-post-purchase-request.json": mappers.order_request(
            request=booking_request(),
            parcel_id=mappers.parcel_id(customer_number="SHOP", reference=REFERENCE),
            token=TOKEN,
            sort_code="IN1043",
        ),
        "order-post-packing-request.json": mappers.packing_request(
            request=booking_request(),
            parcel_id=mappers.parcel_id(customer_number="SHOP", reference=REFERENCE),
            token=TOKEN,
        ),
    }
    for path in files:
        operation = SAMPLE_OPERATIONS[path.name]
        if operation == "request":
            # then a request file is exactly what our builder sends
            assert json.loads(path.read_bytes()) == built[path.name], path.name
            continue
        # then a response file parses into something non-empty
        parsed = InstaboxAdapter.parsers[operation](path.read_bytes())
        assert parsed, path.name


def test_the_parsers_cover_every_operation_instabee_has() -> None:
    assert sorted(InstaboxAdapter.parsers) == [
        "availability",
        "booking",
        "error",
        "service_points",
        "timeslots",
        "tracking",
    ]
