"""Every Budbee sample in ../shared/carrier-samples and every fixture parses exactly, with the
adapter's parsers and through ``manage.py carrier_parse``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from carriers.budbee import BudbeeAdapter
from tests.conftest import carrier_sample

SAMPLES = carrier_sample("budbee")
FIXTURES = Path(__file__).parent / "fixtures"

#: Sample file -> the parser operation it is an answer of.
SAMPLE_OPERATIONS: dict[str, str] = {
    "boxes-by-id-response__setono-budbee-php-sdk.json": "service_points",
    "boxes-postalcodes-validate-response__setono-budbee-php-sdk.json": "service_points",
    "multiple-orders-create-response-error-400__budbee-magento-readme.json": "error",
}

#: Fixture (an answer) -> its carrier_parse operation; the others are compared in
#: test_mappers.py (requests built, the search read with the reference sought).
FIXTURE_OPERATIONS: dict[str, str] = {
    "postalcodes-validate-response.json": "availability",
    "postalcodes-validate-response-warehouse.json": "availability",
    "intervals-response.json": "timeslots",
    "order-response.json": "booking",
    "parcels-response.json": "label",
    "webhook-v2-delivered-to-consumer.json": "tracking",
}
READ_IN_TEST_MAPPERS = {
    "order-request-home.json",
    "order-request-box.json",
    "parcels-request.json",
    "orders-search-response.json",  # read with the reference sought (test_mappers.py)
    "tracking-url-response.json",  # no carrier_parse operation (test_mappers.py)
}


def carrier_parse(operation: str, path: Path) -> Any:
    out = io.StringIO()
    call_command("carrier_parse", "budbee", operation, str(path), stdout=out)
    return json.loads(out.getvalue())


def test_every_sample_and_fixture_is_claimed() -> None:
    samples = sorted(path.name for path in SAMPLES.iterdir() if path.is_file())
    fixtures = sorted(path.name for path in FIXTURES.glob("*.json"))

    assert samples == sorted(SAMPLE_OPERATIONS)
    assert fixtures == sorted({*FIXTURE_OPERATIONS, *READ_IN_TEST_MAPPERS})


def test_carrier_parse_reads_the_lockers_samples_exactly() -> None:
    (locker,) = carrier_parse(
        "service_points",
        SAMPLES / "boxes-postalcodes-validate-response__setono-budbee-php-sdk.json",
    )
    (office,) = carrier_parse(
        "service_points", SAMPLES / "boxes-by-id-response__setono-budbee-php-sdk.json"
    )

    assert (locker["id"], locker["name"], locker["kind"]) == (
        "BOX0001",
        "Budbee Kontorsbox",
        "locker",
    )
    assert locker["address"]["street_address"] == "Alströmergatan 39"
    assert locker["coordinates"] == {"lat": 59.336125, "lng": 18.02859}
    assert locker["distance_m"] == 50
    assert len(locker["opening_hours"]) == 6
    assert locker["extra"]["estimated_delivery"] == "2020-02-12T14:00:00Z"
    assert (office["id"], office["name"], office["address"]["city"]) == (
        "BOX0012",
        "Budbee CPH Office",
        "Hellerup",
    )
    assert office["coordinates"] == {"lat": 55.72806157181675, "lng": 12.57328965570486}
    assert len(office["opening_hours"]) == 6  # Sunday 00:00-00:00 is closed


def test_carrier_parse_keeps_budbees_error_text() -> None:
    messages = carrier_parse(
        "error", SAMPLES / "multiple-orders-create-response-error-400__budbee-magento-readme.json"
    )

    assert messages == [
        {"code": "", "text": "Can not deserialize instance of long out of START_ARRAY token"}
    ]


@pytest.mark.parametrize("name", sorted(FIXTURE_OPERATIONS))
def test_carrier_parse_reads_every_answer_fixture(name: str) -> None:
    operation = FIXTURE_OPERATIONS[name]

    printed = carrier_parse(operation, FIXTURES / name)

    # the command prints what the adapter's own parser returns
    parsed = BudbeeAdapter.parsers[operation]((FIXTURES / name).read_bytes())
    assert printed
    expected = {
        "availability": lambda: [p["id"] for p in printed] == [p.id for p in parsed],
        "timeslots": lambda: [s["id"] for s in printed] == [s.id for s in parsed],
        "booking": lambda: printed["tracking_numbers"] == list(parsed.tracking_numbers),
        "label": lambda: [label["url"] for label in printed] == [lb.url for lb in parsed],
        "tracking": lambda: (
            [(e["carrier_code"], e["status"]) for e in printed]
            == [(e.carrier_code, e.status.value) for e in parsed]
        ),
    }
    assert expected[operation](), name
