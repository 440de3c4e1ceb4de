"""The benchmark's pure parts: percentiles, aggregation, address generation, the checks.

No servers here: ``make bench`` itself is the end-to-end run.
"""

from __future__ import annotations

import json

import pytest

from tms_gateway.devtools.bench import Check, checks_evaluate
from tms_gateway.devtools.loadgen import (
    HOT_ADDRESSES,
    UNIQUE_BLOCK_SIZE,
    UNIQUE_BLOCKS,
    Client,
    ClientThread,
    Outcome,
    ScenarioStats,
    WorkerResult,
    Workload,
    aggregate,
    layout,
    options_body,
    percentile,
    unique_address,
    window_count,
    window_index,
)

# --- percentile ------------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


def test_percentile_returns_a_measured_value_never_an_interpolation() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    assert percentile([10.0, 20.0], 1) == 10.0


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([7.5], 50) == 7.5
    assert percentile([7.5], 99) == 7.5


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 99) is None


@pytest.mark.parametrize("q", [0, -1, 100.5])
def test_percentile_refuses_q_out_of_range(q: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], q)


# --- recording and aggregation ---------------------------------------------------------------


def test_record_counts_unexpected_status_and_connection_errors_as_errors() -> None:
    result = WorkerResult()

    result.record(Outcome(ms=5.0, status=200), expected_status=200)
    result.record(Outcome(ms=6.0, status=401, body=b""), expected_status=200)
    result.record(Outcome(ms=7.0, error="connection error: refused"), expected_status=200)
    result.record(Outcome(ms=8.0, status=200, reconnected=True), expected_status=200)

    assert result.latencies_ms == [5.0, 6.0, 7.0, 8.0]
    assert result.errors == 2
    assert result.connection_errors == 1
    assert result.reconnects == 1
    assert result.statuses == {200: 2, 401: 1}
    assert result.error_samples == ["HTTP 401: ", "connection error: refused"]


def test_error_samples_are_distinct_and_capped() -> None:
    result = WorkerResult()
    for status in [500, 500, 501, 502, 503, 504, 505, 506]:
        result.record(Outcome(ms=1.0, status=status), expected_status=200)

    assert result.errors == 8
    assert len(result.error_samples) == 5
    assert len(set(result.error_samples)) == 5


def test_aggregate_merges_workers_and_computes_rate_and_percentiles() -> None:
    first = WorkerResult(latencies_ms=[float(v) for v in range(1, 51)], statuses={200: 50})
    second = WorkerResult(
        latencies_ms=[float(v) for v in range(51, 101)],
        statuses={200: 49, 503: 1},
        errors=1,
        error_samples=["HTTP 503: busy"],
    )

    stats = aggregate([first, second], seconds=4.0)

    assert stats.requests == 100
    assert stats.errors == 1
    assert stats.rps == 25.0
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms) == (50.0, 95.0, 99.0, 100.0)
    assert stats.statuses == {"200": 99, "503": 1}
    assert stats.error_samples == ["HTTP 503: busy"]


def test_aggregate_does_not_depend_on_the_order_latencies_arrive_in() -> None:
    stats = aggregate([WorkerResult(latencies_ms=[30.0, 10.0, 20.0])], seconds=1.0)

    assert (stats.p50_ms, stats.max_ms) == (20.0, 30.0)


def test_aggregate_of_nothing_has_no_latencies() -> None:
    stats = aggregate([WorkerResult(), WorkerResult()], seconds=3.0)

    assert stats.requests == 0
    assert stats.rps == 0.0
    assert stats.p50_ms is None
    assert stats.max_ms is None
    assert stats.as_dict()["p99_ms"] is None


def test_aggregate_refuses_an_empty_window() -> None:
    with pytest.raises(ValueError):
        aggregate([], seconds=0)


# --- windows ---------------------------------------------------------------------------------


def test_record_with_a_window_counts_the_request_in_the_total_and_in_its_window() -> None:
    result = WorkerResult()

    result.record(Outcome(ms=5.0, status=200), expected_status=200, window=0)
    result.record(Outcome(ms=9.0, status=500), expected_status=200, window=2)

    assert result.latencies_ms == [5.0, 9.0]
    assert result.errors == 1
    assert [w.latencies_ms for w in result.windows] == [[5.0], [], [9.0]]
    assert [w.errors for w in result.windows] == [0, 0, 1]


def test_merge_adds_windows_up_one_by_one() -> None:
    first = WorkerResult()
    first.record(Outcome(ms=1.0, status=200), expected_status=200, window=0)
    second = WorkerResult()
    second.record(Outcome(ms=2.0, status=200), expected_status=200, window=0)
    second.record(Outcome(ms=3.0, status=200), expected_status=200, window=1)

    first.merge(second)

    assert [sorted(w.latencies_ms) for w in first.windows] == [[1.0, 2.0], [3.0]]


def test_aggregate_gives_each_window_its_own_numbers() -> None:
    result = WorkerResult()
    for ms in (10.0, 20.0, 30.0, 40.0):
        result.record(Outcome(ms=ms, status=200), expected_status=200, window=0)
    result.record(Outcome(ms=100.0, status=503), expected_status=200, window=1)

    stats = aggregate([result], seconds=30.0, window_seconds=10.0)

    assert stats.requests == 5
    assert [w.requests for w in stats.windows] == [4, 1, 0]
    assert [w.rps for w in stats.windows] == [0.4, 0.1, 0.0]
    assert [w.errors for w in stats.windows] == [0, 1, 0]
    assert stats.windows[0].p99_ms == 40.0
    assert stats.windows[2].p99_ms is None
    assert stats.windows[0].windows == []
    assert "windows" not in stats.as_dict()


def test_aggregate_rates_a_shorter_last_window_over_its_own_length() -> None:
    result = WorkerResult()
    result.record(Outcome(ms=1.0, status=200), expected_status=200, window=1)

    stats = aggregate([result], seconds=15.0, window_seconds=10.0)

    assert len(stats.windows) == 2
    assert stats.windows[1].rps == 0.2


def test_aggregate_without_windows_has_none() -> None:
    assert aggregate([WorkerResult(latencies_ms=[1.0])], seconds=1.0).windows == []


@pytest.mark.parametrize(
    ("seconds", "window", "expected"),
    [(90.0, 30.0, 3), (600.0, 30.0, 20), (100.0, 30.0, 4), (5.0, 30.0, 1), (90.0, 0.0, 0)],
)
def test_window_count(seconds: float, window: float, expected: int) -> None:
    assert window_count(seconds, window) == expected


def test_window_index_puts_a_request_in_the_window_it_started_in() -> None:
    assert window_index(0.0, window_seconds=30.0, count=3) == 0
    assert window_index(29.99, window_seconds=30.0, count=3) == 0
    assert window_index(30.0, window_seconds=30.0, count=3) == 1
    assert window_index(89.9, window_seconds=30.0, count=3) == 2
    # Started at the very end (clock granularity): the last window, never a fourth.
    assert window_index(90.0, window_seconds=30.0, count=3) == 2


def test_window_index_refuses_a_negative_offset() -> None:
    with pytest.raises(ValueError):
        window_index(-0.1, window_seconds=30.0, count=3)


def test_scenario_dict_has_the_report_keys() -> None:
    stats = aggregate([WorkerResult(latencies_ms=[1.234, 2.0])], seconds=2.0)

    data = stats.as_dict()

    assert {"requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms"} <= set(data)
    assert data["p50_ms"] == 1.23


# --- layout and addresses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concurrency", "workers", "expected"),
    [(16, 4, (4, 4)), (10, 4, (2, 5)), (7, 4, (1, 7)), (3, 8, (3, 1)), (1, 1, (1, 1))],
)
def test_layout_splits_clients_evenly(
    concurrency: int, workers: int, expected: tuple[int, int]
) -> None:
    processes, threads = layout(concurrency, workers)

    assert (processes, threads) == expected
    assert processes * threads == concurrency


def test_unique_addresses_are_distinct_within_a_block_and_between_blocks() -> None:
    count = 4 * UNIQUE_BLOCK_SIZE
    blocks = [{unique_address(i, block=b)[:2] for i in range(count)} for b in range(UNIQUE_BLOCKS)]

    assert all(len(block) == count for block in blocks)
    assert len(set().union(*blocks)) == count * UNIQUE_BLOCKS


def test_unique_addresses_never_hit_a_hot_address() -> None:
    hot = {(country, code) for country, code, _ in HOT_ADDRESSES}
    generated = {
        unique_address(i, block=b)[:2]
        for b in range(UNIQUE_BLOCKS)
        for i in range(4 * UNIQUE_BLOCK_SIZE)
    }

    assert not hot & generated


def test_unique_postal_codes_have_each_countrys_format() -> None:
    widths = {"SE": 5, "NO": 4, "DK": 4, "FI": 5}
    for block in range(UNIQUE_BLOCKS):
        for i in [0, 1, 2, 3, 4 * UNIQUE_BLOCK_SIZE - 4, 4 * UNIQUE_BLOCK_SIZE - 1]:
            country, code, city = unique_address(i, block=block)
            assert len(code) == widths[country], (country, code)
            assert code.isdigit()
            assert city


def test_unique_address_refuses_an_unknown_block() -> None:
    with pytest.raises(ValueError):
        unique_address(0, block=UNIQUE_BLOCKS)


# --- what the clients send -------------------------------------------------------------------


def _thread(workload: Workload, *, number: int, total: int) -> ClientThread:
    thread = ClientThread(
        client=Client("127.0.0.1", 1, timeout=1.0), workload=workload, number=number, total=total
    )
    thread.hot_bodies = [options_body(workload, *a) for a in HOT_ADDRESSES]
    thread.token = "token"
    return thread


def _address(thread: ClientThread, seq: int) -> tuple[str, str]:
    body = thread.request(seq).body
    assert body is not None
    recipient = json.loads(body)["recipient"]
    return recipient["country"], recipient["postal_code"]


HOT = {(country, code) for country, code, _ in HOT_ADDRESSES}


def test_a_mixed_workload_asks_the_hot_addresses_and_one_new_postal_code_in_n() -> None:
    workload = Workload("options", 200, addresses="mixed", unique_block=3, unique_every=20)
    total = 8
    new: list[tuple[str, str]] = []
    asked_hot: set[tuple[str, str]] = set()
    for number in range(total):
        thread = _thread(workload, number=number, total=total)
        addresses = [_address(thread, seq) for seq in range(200)]
        fresh = [a for a in addresses if a not in HOT]
        assert len(fresh) == 10, number  # 200 requests, one in 20
        new += fresh
        asked_hot |= {a for a in addresses if a in HOT}

    assert len(set(new)) == len(new)  # no client asks a code another (or itself) asked
    assert set(new) <= {unique_address(i, block=3)[:2] for i in range(4 * UNIQUE_BLOCK_SIZE)}
    assert asked_hot == HOT


def test_a_mixed_workload_spreads_the_new_codes_over_the_clients_turns() -> None:
    workload = Workload("options", 200, addresses="mixed", unique_every=4)
    firsts = []
    for number in range(4):
        thread = _thread(workload, number=number, total=4)
        seqs = [seq for seq in range(8) if _address(thread, seq) not in HOT]
        firsts.append(seqs[0])

    assert sorted(firsts) == [0, 1, 2, 3]


def test_hot_and_unique_workloads_ask_what_they_did_before() -> None:
    hot = _thread(Workload("options", 200, addresses="hot"), number=3, total=4)
    unique = _thread(
        Workload("options", 200, addresses="unique", unique_block=1), number=3, total=4
    )

    assert {_address(hot, seq) for seq in range(50)} == HOT
    assert [_address(unique, seq) for seq in range(3)] == [
        unique_address(3 + seq * 4, block=1)[:2] for seq in range(3)
    ]


# --- checks ----------------------------------------------------------------------------------


def _stats(
    *, rps: float = 100.0, p99: float = 50.0, top: float = 80.0, errors: int = 0
) -> ScenarioStats:
    return ScenarioStats(
        requests=1000,
        errors=errors,
        connection_errors=0,
        reconnects=0,
        rps=rps,
        p50_ms=10.0,
        p95_ms=p99,
        p99_ms=p99,
        max_ms=top,
    )


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_checks_pass_when_every_aim_is_met() -> None:
    scenarios = {
        "floor": _stats(rps=1000.0),
        "options_hot": _stats(rps=500.0),
        "options_cold": _stats(p99=160.0),
        "options_one_carrier_hangs": _stats(top=1600.0),
    }

    checks = _by_name(checks_evaluate(scenarios, deadline_s=1.5))

    assert checks["options_hot_rps"].passed
    assert checks["options_hot_rps"].measured == 500.0
    assert checks["options_hot_rps"].target == 500.0
    assert checks["options_cold_p99"].passed
    assert checks["options_cold_p99"].target == 160.0
    assert checks["options_one_carrier_hangs_max"].passed
    assert checks["options_one_carrier_hangs_max"].target == 1600.0


def test_checks_fail_when_an_aim_is_missed() -> None:
    scenarios = {
        "floor": _stats(rps=1000.0),
        "options_hot": _stats(rps=499.0),
        "options_cold": _stats(p99=160.1),
        "options_one_carrier_hangs": _stats(top=2100.0),
    }

    checks = checks_evaluate(scenarios, deadline_s=1.5)

    assert [c.passed for c in checks] == [False, False, False]
    assert _by_name(checks)["options_one_carrier_hangs_max"].measured == 2100.0


def test_hang_target_follows_the_deadline() -> None:
    checks = _by_name(
        checks_evaluate({"options_one_carrier_hangs": _stats(top=900.0)}, deadline_s=0.8)
    )

    assert checks["options_one_carrier_hangs_max"].target == 900.0
    assert checks["options_one_carrier_hangs_max"].passed


def test_a_check_fails_when_its_scenario_had_errors() -> None:
    checks = _by_name(checks_evaluate({"options_cold": _stats(p99=20.0, errors=3)}, deadline_s=1.5))

    cold = checks["options_cold_p99"]
    assert not cold.passed
    assert cold.measured == 20.0
    assert any("3 errors" in note for note in cold.notes)


def test_a_check_whose_scenario_did_not_run_fails_without_a_measurement() -> None:
    checks = _by_name(checks_evaluate({"options_hot": _stats(rps=10.0)}, deadline_s=1.5))

    hot = checks["options_hot_rps"]
    assert not hot.passed
    assert hot.target is None
    assert any("floor has no measurement" in note for note in hot.notes)
    assert checks["options_cold_p99"].measured is None
    assert not checks["options_cold_p99"].passed


def test_checks_note_when_no_carrier_was_called() -> None:
    scenarios = {
        "options_cold": _stats(p99=20.0),
        "options_one_carrier_hangs": _stats(top=30.0),
    }
    calls = {
        "options_cold": {},
        "options_one_carrier_hangs": {"postnord": 40, "budbee": 0},
    }

    checks = _by_name(checks_evaluate(scenarios, deadline_s=1.5, carrier_calls=calls))

    assert any("no call reached the sandbox" in n for n in checks["options_cold_p99"].notes)
    hang_notes = checks["options_one_carrier_hangs_max"].notes
    assert any("for budbee" in n for n in hang_notes)


def test_checks_note_carrier_calls_during_the_hot_scenario() -> None:
    scenarios = {"floor": _stats(rps=100.0), "options_hot": _stats(rps=90.0)}

    checks = _by_name(
        checks_evaluate(scenarios, deadline_s=1.5, carrier_calls={"options_hot": {"budbee": 7}})
    )

    assert checks["options_hot_rps"].passed
    assert any("7 carrier calls" in n for n in checks["options_hot_rps"].notes)


def test_check_dict_has_measured_target_and_verdict() -> None:
    check = checks_evaluate({"options_cold": _stats(p99=12.345)}, deadline_s=1.5)[1]

    data = check.as_dict()

    assert data["measured"] == 12.35
    assert data["target"] == 160.0
    assert data["passed"] is True
    assert data["comparison"] == "<="
