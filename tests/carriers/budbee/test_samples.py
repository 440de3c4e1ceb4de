"""Every Budbee sample in ../shared/carrier-samples parses with the adapter's parsers."""

from __future__ import annotations

from pathlib import Path

from carriers.budbee import BudbeeAdapter
from carriers.types import CarrierMessage, Location

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "carrier-samples" / "budbee"

#: Sample file -> the parser operation it is an answer of.
SAMPLE_OPERATIONS: dict[str, str] = {
    "boxes-by-id-response__setono-budbee-php-sdk.json": "service_points",
    "boxes-postalcodes-validate-response__setono-budbee-php-sdk.json": "service_points",
    "multiple-orders-create-response-error-400__budbee-magento-readme.json": "error",
}


def test_every_budbee_sample_parses() -> None:
    # given every file of the sample folder, each mapped to an operation
    files = sorted(path.name for path in SAMPLES.iterdir() if path.is_file())
    assert files == sorted(SAMPLE_OPERATIONS)

    for name in files:
        # when
        parsed = BudbeeAdapter.parsers[SAMPLE_OPERATIONS[name]]((SAMPLES / name).read_bytes())

        # then
        if SAMPLE_OPERATIONS[name] == "error":
            assert parsed and all(isinstance(m, CarrierMessage) and m.text for m in parsed), name
        else:
            assert parsed and all(isinstance(loc, Location) and loc.id for loc in parsed), name
