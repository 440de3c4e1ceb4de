"""manage.py carrier_parse: a saved carrier answer through the adapter's own parser."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import carrier_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = carrier_sample()


def parse(*args: str) -> object:
    out = io.StringIO()
    call_command("carrier_parse", *args, stdout=out)
    return json.loads(out.getvalue())


def test_postnord_service_points_are_printed_normalised() -> None:
    sample = (
        SAMPLES
        / "postnord"
        / "servicepoints-v5-nearest-byaddress-response__shipping-connector.json"
    )

    points = parse("postnord", "service_points", str(sample))

    assert isinstance(points, list) and points
    first = points[0]
    assert set(first) >= {"id", "name", "kind", "address", "coordinates", "opening_hours"}
    assert first["address"]["country"] in {"SE", "DK", "NO", "FI"}


def test_budbee_error_text_is_kept_verbatim() -> None:
    sample = (
        SAMPLES / "budbee" / "multiple-orders-create-response-error-400__budbee-magento-readme.json"
    )
    raw = json.loads(sample.read_text())

    messages = parse("budbee", "error", str(sample))

    assert isinstance(messages, list)
    assert messages[0]["text"] == raw["message"]


def test_dhl_tracking_events_carry_normalised_statuses() -> None:
    sample = (
        SAMPLES
        / "dhl"
        / "unified-tracking-response-parcel-de-00340434292135100056__netresearch.json"
    )

    events = parse("dhl", "tracking", str(sample))

    assert isinstance(events, list) and events
    assert {e["status"] for e in events} <= {
        "pending",
        "in_transit",
        "out_for_delivery",
        "ready_for_pickup",
        "delivered",
        "delivery_failed",
        "returned",
        "unknown",
    }


def test_a_file_that_does_not_parse_fails_with_the_reason(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("<html>gateway timeout</html>")

    with pytest.raises(CommandError, match="cannot parse"):
        parse("bring", "service_points", str(garbage))


def test_unknown_carrier_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown carrier 'fedex'"):
        parse("fedex", "tracking", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="cannot read"):
        parse("bring", "tracking", str(tmp_path / "missing.json"))


def test_the_command_exits_1_on_a_parse_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{")

    result = subprocess.run(
        [sys.executable, "manage.py", "carrier_parse", "postnord", "tracking", str(garbage)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "tms_gateway.settings.test", "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 1
    assert "cannot parse" in result.stderr
