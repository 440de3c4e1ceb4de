"""``manage.py carrier_parse postnord OPERATION FILE`` on every PostNord sample and fixture."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from .conftest import FIXTURES, SAMPLES
from .test_samples import SAMPLE_OPERATIONS

#: Our fixtures (fixtures/SOURCES.md) that are answers, and the operation that reads each.
FIXTURE_OPERATIONS = {
    "edi-labels-pdf-response__booking-swagger.json": "booking",
    "customs-declaration-response__karrio-live-note.json": "booking",
    "labels-ids-pdf-response__booking-swagger.json": "label",
    "edi-response-error-unable-to-find__karrio-live-note.json": "error",
}


def carrier_parse(operation: str, path: str) -> Any:
    out = io.StringIO()
    call_command("carrier_parse", "postnord", operation, path, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("name", "operation"),
    [(name, op) for name, op in sorted(SAMPLE_OPERATIONS.items()) if op != "request"],
)
def test_every_shared_sample_parses_through_the_command(name: str, operation: str) -> None:
    parsed = carrier_parse(operation, str(SAMPLES / name))

    assert isinstance(parsed, list) and parsed, name


def test_the_shop_gets_points_with_ids_addresses_and_hours() -> None:
    points = carrier_parse(
        "service_points",
        str(SAMPLES / "servicepoints-v5-nearest-byaddress-response__shipping-connector.json"),
    )

    first = points[0]
    assert (first["id"], first["name"], first["kind"], first["distance_m"]) == (
        "376062",
        "ICA KVANTUM GISLAVED",
        "service_point",
        0,
    )
    assert first["address"]["street_address"] == "Stinsgatan 2"
    assert first["coordinates"] == {"lat": 57.303955262565, "lng": 13.5433674461746}
    assert first["opening_hours"][0] == {"weekday": 0, "opens": "07:00:00", "closes": "20:00:00"}


def test_errors_are_printed_verbatim() -> None:
    (message,) = carrier_parse(
        "error", str(SAMPLES / "api-gateway-response-error-403__karrio-joaqim-test.json")
    )

    assert message == {"code": "Forbidden", "text": "Invalid API Key"}


@pytest.mark.parametrize(("name", "operation"), sorted(FIXTURE_OPERATIONS.items()))
def test_every_answer_fixture_parses_through_the_command(name: str, operation: str) -> None:
    parsed = carrier_parse(operation, str(FIXTURES / name))

    assert parsed


def test_a_booking_prints_its_tracking_number_label_and_print_id() -> None:
    booking = carrier_parse(
        "booking", str(FIXTURES / "edi-labels-pdf-response__booking-swagger.json")
    )

    assert booking["tracking_numbers"] == ["00373500454541020957"]
    assert booking["tracking_url"] == "https://tracking.postnord.com/se/?id=00373501093010042961"
    assert booking["labels"] == [{"content": "<15 bytes>", "url": "", "format": "pdf"}]
    assert booking["extra"]["print_id"] == "31eed2dad84b48a2ba92a26590a0a69f"


def test_a_reprint_prints_its_label() -> None:
    labels = carrier_parse("label", str(FIXTURES / "labels-ids-pdf-response__booking-swagger.json"))

    assert labels == [{"content": "<15 bytes>", "url": "", "format": "pdf"}]
