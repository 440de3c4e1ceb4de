"""The bench's comparison of checkout analytics off and on, its pure parts: the plans (off and
on alternating, each on its own gunicorn) and the checks of on against off."""

from __future__ import annotations

import pytest

from tms_gateway.devtools.bench import (
    COMPUTED_ENV,
    args_parse,
    checks_format,
    plans_build,
    recording_checks_evaluate,
    recording_table_format,
)
from tms_gateway.devtools.loadgen import ScenarioStats


def stats(rps: float, p50: float, *, errors: int = 0) -> ScenarioStats:
    return ScenarioStats(
        requests=int(rps * 15),
        errors=errors,
        connection_errors=0,
        reconnects=0,
        rps=rps,
        p50_ms=p50,
        p95_ms=p50 * 2,
        p99_ms=p50 * 3,
        max_ms=p50 * 5,
    )


def test_off_and_on_alternate_on_gunicorns_of_their_own() -> None:
    plans = [p for p in plans_build(identifier="demo", key="k") if p.name.startswith("recording_")]

    assert [p.name for p in plans] == [
        "recording_hot_off_1",
        "recording_hot_on_1",
        "recording_hot_off_2",
        "recording_hot_on_2",
        "recording_hot_off_3",
        "recording_hot_on_3",
        "recording_computed_off_1",
        "recording_computed_on_1",
        "recording_computed_off_2",
        "recording_computed_on_2",
        "recording_computed_off_3",
        "recording_computed_on_3",
    ]
    env = {p.name: dict(p.web_env) for p in plans}
    assert env["recording_hot_off_1"] == {"INSIGHTS_RECORDING": "0"}
    assert env["recording_hot_on_2"] == {"INSIGHTS_RECORDING": "1"}
    assert env["recording_computed_on_1"] == {**dict(COMPUTED_ENV), "INSIGHTS_RECORDING": "1"}
    assert all(p.fresh_cache == p.name.startswith("recording_computed") for p in plans)


def test_zero_rounds_leave_the_comparison_out() -> None:
    plans = plans_build(identifier="demo", key="k", recording_rounds=0)

    assert not [p for p in plans if p.name.startswith("recording_")]
    assert args_parse(["--recording-rounds", "0"]).recording_rounds == 0


def test_on_within_ten_percent_of_off_passes() -> None:
    scenarios = {
        "recording_hot_off_1": stats(1000, 10.0),
        "recording_hot_on_1": stats(950, 10.5),
        "recording_hot_off_2": stats(980, 10.2),
        "recording_hot_on_2": stats(960, 10.4),
    }

    checks = {c.name: c for c in recording_checks_evaluate(scenarios)}

    assert set(checks) == {"recording_hot_rps", "recording_hot_p50"}
    assert checks["recording_hot_rps"].passed
    assert checks["recording_hot_rps"].measured == pytest.approx(955 / 990)
    assert checks["recording_hot_p50"].passed
    assert "off 990.0 rps" in checks["recording_hot_rps"].notes[0]
    assert "PASS  recording_hot_rps: 0.965 >= 0.900 x" in checks_format(list(checks.values()))


def test_one_disturbed_round_does_not_decide() -> None:
    scenarios = {
        "recording_computed_off_1": stats(100, 140.0),
        "recording_computed_on_1": stats(99, 142.0),
        "recording_computed_off_2": stats(101, 95.0),  # the machine was quiet for a moment
        "recording_computed_on_2": stats(60, 210.0),  # or busy
        "recording_computed_off_3": stats(98, 145.0),
        "recording_computed_on_3": stats(97, 144.0),
    }

    checks = recording_checks_evaluate(scenarios)

    assert all(c.passed for c in checks)
    assert "options_computed" in recording_table_format(scenarios)


def test_on_slower_by_more_than_ten_percent_fails() -> None:
    scenarios = {
        "recording_computed_off_1": stats(200, 40.0),
        "recording_computed_on_1": stats(170, 47.0),
    }

    checks = {c.name: c for c in recording_checks_evaluate(scenarios)}

    assert not checks["recording_computed_rps"].passed
    assert not checks["recording_computed_p50"].passed


def test_errors_or_a_missing_state_fail_the_comparison() -> None:
    errors = recording_checks_evaluate(
        {"recording_hot_off_1": stats(100, 5.0), "recording_hot_on_1": stats(100, 5.0, errors=3)}
    )
    alone = recording_checks_evaluate({"recording_hot_off_1": stats(100, 5.0)})

    assert not any(c.passed for c in errors)
    assert not any(c.passed for c in alone)
