"""The bench's soak, its pure parts: windows, memory read from /proc, the stability checks.

No servers and no waiting here: ``make bench`` (or ``--scenarios soak``) is the real run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tms_gateway.devtools.bench import (
    SOAK_UNIQUE_BLOCK,
    Check,
    SoakSettings,
    SoakWindow,
    args_parse,
    group_rss_kib,
    plans_build,
    proc_stat_pgrp,
    proc_status_rss_kib,
    soak_checks_evaluate,
    soak_table_format,
    soak_thirds,
    soak_windows,
)
from tms_gateway.devtools.harness import child_env
from tms_gateway.devtools.loadgen import UNIQUE_BLOCKS, ScenarioStats

MIB = 1024

# --- windows and plans -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "window", "expected"),
    [
        (600.0, 30.0, (20, 30.0)),
        (90.0, 30.0, (3, 30.0)),
        (60.0, 30.0, (3, 20.0)),  # three windows at least: a first and a last third
        (10.0, 30.0, (3, 10 / 3)),
        (100.0, 30.0, (3, 100 / 3)),
        (120.0, 15.0, (8, 15.0)),
    ],
)
def test_soak_windows_cut_the_time_into_equal_windows(
    seconds: float, window: float, expected: tuple[int, float]
) -> None:
    count, length = soak_windows(seconds, window)

    assert (count, length) == pytest.approx(expected)
    assert count * length == pytest.approx(seconds)


@pytest.mark.parametrize(("seconds", "window"), [(0.0, 30.0), (60.0, 0.0)])
def test_soak_windows_refuse_nothing_to_cut(seconds: float, window: float) -> None:
    with pytest.raises(ValueError):
        soak_windows(seconds, window)


def test_the_soak_is_the_last_plan_with_its_windows_rate_and_clients() -> None:
    plans = plans_build(
        identifier="demo",
        key="k",
        soak=SoakSettings(seconds=90.0, window_seconds=30.0, concurrency=8, rate=60.0),
    )

    soak = plans[-1]
    assert soak.name == "soak"
    assert (soak.seconds, soak.window_seconds, soak.concurrency, soak.rate) == (90.0, 30.0, 8, 60.0)
    assert soak.workload.addresses == "mixed"
    assert soak.prime
    # Its own block of new postal codes, none another scenario of the run asks.
    assert soak.workload.unique_block == SOAK_UNIQUE_BLOCK < UNIQUE_BLOCKS
    others = {p.workload.unique_block for p in plans[:-1] if p.workload.addresses == "unique"}
    assert SOAK_UNIQUE_BLOCK not in others
    assert all(p.window_seconds == 0 for p in plans[:-1])


@pytest.mark.parametrize("soak", [None, SoakSettings(seconds=0.0)])
def test_no_soak_plan_without_soak_seconds(soak: SoakSettings | None) -> None:
    assert "soak" not in {p.name for p in plans_build(identifier="demo", key="k", soak=soak)}


def test_soak_options_come_from_the_environment_and_zero_skips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENCH_SOAK_SECONDS", "120")
    monkeypatch.setenv("BENCH_SOAK_RATE", "0")

    args = args_parse([])

    assert (args.soak_seconds, args.soak_rate, args.soak_window) == (120.0, 0.0, 30.0)
    assert args_parse(["--soak-seconds", "0"]).soak_seconds == 0.0


@pytest.mark.parametrize(
    "argv",
    [["--soak-seconds", "-1"], ["--soak-window", "0"], ["--soak-concurrency", "0"]],
)
def test_soak_options_refuse_nonsense(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        args_parse(argv)


# --- memory from /proc -----------------------------------------------------------------------


def _stat(pid: int, comm: str, pgrp: int, state: str = "S") -> str:
    return f"{pid} ({comm}) {state} 1 {pgrp} {pgrp} 0 -1 4194560 1234 0 0 0 12 3 0 0 20 0 17 0\n"


def _status(rss_kib: int | None) -> str:
    lines = ["Name:\tgunicorn", "State:\tS (sleeping)", "VmPeak:\t  300000 kB"]
    if rss_kib is not None:
        lines.append(f"VmRSS:\t  {rss_kib} kB")
    lines.append("Threads:\t20")
    return "\n".join(lines) + "\n"


def test_proc_stat_pgrp_reads_past_a_name_with_spaces_and_parentheses() -> None:
    assert proc_stat_pgrp(_stat(4242, "gunicorn: worker (x) [tms]", 4200)) == 4200
    assert proc_stat_pgrp(_stat(7, "python", 7)) == 7


def test_proc_status_rss_is_in_kib_and_absent_for_a_zombie() -> None:
    assert proc_status_rss_kib(_status(123456)) == 123456
    assert proc_status_rss_kib(_status(None)) is None


def _proc(root: Path, pid: int, *, pgrp: int, rss_kib: int | None, comm: str = "python") -> None:
    directory = root / str(pid)
    directory.mkdir()
    (directory / "stat").write_text(_stat(pid, comm, pgrp))
    (directory / "status").write_text(_status(rss_kib))


def test_group_rss_sums_the_live_members_of_one_process_group(tmp_path: Path) -> None:
    _proc(tmp_path, 100, pgrp=100, rss_kib=30 * MIB, comm="gunicorn")  # the master
    _proc(tmp_path, 101, pgrp=100, rss_kib=100 * MIB, comm="gunicorn (worker)")
    _proc(tmp_path, 102, pgrp=100, rss_kib=110 * MIB)
    _proc(tmp_path, 103, pgrp=100, rss_kib=None)  # a zombie: not counted
    _proc(tmp_path, 200, pgrp=200, rss_kib=999 * MIB)  # another group
    (tmp_path / "104").mkdir()  # gone between listing and reading
    (tmp_path / "self").mkdir()
    (tmp_path / "meminfo").write_text("MemTotal: 1 kB\n")

    assert group_rss_kib(100, proc=tmp_path) == (240 * MIB, 3)
    assert group_rss_kib(200, proc=tmp_path) == (999 * MIB, 1)


def test_group_rss_of_a_group_without_members_is_unknown(tmp_path: Path) -> None:
    _proc(tmp_path, 100, pgrp=100, rss_kib=1000)

    assert group_rss_kib(555, proc=tmp_path) is None
    assert group_rss_kib(100, proc=tmp_path / "missing") is None


# --- the soak's checks -----------------------------------------------------------------------


def _window(
    *,
    rps: float = 60.0,
    p99: float | None = 30.0,
    errors: int = 0,
    rss_mib: float | None = 250.0,
    processes: int = 3,
    ended_s: float = 30.0,
) -> SoakWindow:
    requests = int(rps * 30)
    return SoakWindow(
        stats=ScenarioStats(
            requests=requests,
            errors=errors,
            connection_errors=0,
            reconnects=0,
            rps=rps,
            p50_ms=None if p99 is None else p99 / 3,
            p95_ms=p99,
            p99_ms=p99,
            max_ms=None if p99 is None else p99 * 2,
        ),
        ended_s=ended_s,
        web_rss_kib=None if rss_mib is None else int(rss_mib * MIB),
        web_processes=processes,
        sandbox_rss_kib=90 * MIB,
        carrier_calls=90,
        cache_keys=1000,
        load_1m=1.5,
    )


def _steady(count: int = 6, **changes: Any) -> list[SoakWindow]:
    return [_window(ended_s=30.0 * (i + 1), **changes) for i in range(count)]


def _checks(windows: list[SoakWindow], **kwargs: float) -> dict[str, Check]:
    return {c.name: c for c in soak_checks_evaluate(windows, **kwargs)}


def test_a_steady_soak_passes_every_check() -> None:
    windows = _steady()
    windows[-1] = _window(rss_mib=265.0, p99=44.0, rps=49.0)  # within every bound

    checks = _checks(windows, target_rate=60.0)

    assert list(checks) == [
        "soak_errors",
        "soak_web_rss_growth",
        "soak_p99_drift",
        "soak_rps_drift",
    ]
    assert all(c.passed for c in checks.values()), [c for c in checks.values() if not c.passed]
    assert checks["soak_web_rss_growth"].measured == pytest.approx(15.0)
    assert checks["soak_web_rss_growth"].target == pytest.approx(25.0)  # 10 % of 250 MiB
    assert checks["soak_p99_drift"].target == pytest.approx(50.0)  # 30 ms + 20 ms
    assert checks["soak_rps_drift"].target == pytest.approx(48.0)
    assert not any("did not keep up" in n for n in checks["soak_rps_drift"].notes)


def test_errors_in_any_window_fail_the_soak() -> None:
    windows = _steady()
    windows[2] = _window(errors=4)

    check = _checks(windows)["soak_errors"]

    assert not check.passed
    assert check.measured == 4.0
    assert any("window 3: 4" in note for note in check.notes)


@pytest.mark.parametrize(
    ("first_mib", "last_mib", "passed"),
    [
        (100.0, 120.0, True),  # 20 MiB: the floor of the bound
        (100.0, 120.5, False),
        (400.0, 440.0, True),  # 10 % of a bigger server
        (400.0, 441.0, False),
        (250.0, 200.0, True),  # memory given back
    ],
)
def test_memory_growth_is_bounded_by_20_mib_or_10_percent(
    first_mib: float, last_mib: float, passed: bool
) -> None:
    windows = _steady(rss_mib=first_mib)
    windows[-1] = _window(rss_mib=last_mib)

    assert _checks(windows)["soak_web_rss_growth"].passed is passed


def test_memory_is_judged_from_the_first_window_end_not_the_start() -> None:
    # Growth within window 1 (warming up) does not count; only what follows it.
    windows = [_window(rss_mib=300.0), _window(rss_mib=305.0), _window(rss_mib=310.0)]

    check = _checks(windows)["soak_web_rss_growth"]

    assert check.passed
    assert check.measured == pytest.approx(10.0)


def test_a_replaced_worker_fails_the_memory_check_whatever_the_numbers() -> None:
    windows = _steady()
    windows[-1] = _window(processes=2)

    check = _checks(windows)["soak_web_rss_growth"]

    assert not check.passed
    assert any("a worker died or was replaced" in note for note in check.notes)


def test_unreadable_memory_fails_the_memory_check() -> None:
    windows = _steady()
    windows[0] = _window(rss_mib=None)

    check = _checks(windows)["soak_web_rss_growth"]

    assert not check.passed
    assert check.measured is None
    assert any("/proc" in note for note in check.notes)


def test_p99_drift_compares_the_last_third_with_the_first() -> None:
    windows = _steady(p99=100.0)
    windows[-2] = _window(p99=151.0)
    windows[-1] = _window(p99=160.0)

    check = _checks(windows)["soak_p99_drift"]

    assert not check.passed
    assert check.measured == pytest.approx(155.5)  # median of windows 5-6
    assert check.target == pytest.approx(150.0)  # 1.5 x 100 ms


def test_one_slow_window_in_the_last_third_does_not_decide() -> None:
    windows = _steady(count=9, p99=40.0)
    windows[-1] = _window(p99=400.0)  # a GC pause or a noisy neighbour

    check = _checks(windows)["soak_p99_drift"]

    assert check.passed
    assert check.measured == 40.0


def test_rps_drift_fails_when_the_server_slows_down() -> None:
    windows = _steady(rps=60.0)
    windows[-2] = _window(rps=45.0)
    windows[-1] = _window(rps=50.0)

    check = _checks(windows)["soak_rps_drift"]

    assert not check.passed
    assert check.measured == pytest.approx(47.5)
    assert check.target == pytest.approx(48.0)


def test_a_first_third_below_the_asked_rate_is_noted_as_saturating() -> None:
    checks = _checks(_steady(rps=40.0), target_rate=60.0)

    assert checks["soak_rps_drift"].passed  # stable, but not at the rate asked
    assert any("did not keep up" in n for n in checks["soak_rps_drift"].notes)


@pytest.mark.parametrize("count", [0, 1])
def test_too_few_windows_fail_the_stability_checks(count: int) -> None:
    checks = _checks(_steady(count=count))

    assert checks.pop("soak_errors").passed is (count == 1)  # one window can say "no errors"
    assert not any(c.passed for c in checks.values())
    assert all(any("2 at least" in n for n in c.notes) for c in checks.values())


def test_the_notes_name_the_windows_compared() -> None:
    checks = _checks(_steady(count=20))

    assert any("windows 1-6 vs 15-20" in n for n in checks["soak_p99_drift"].notes)
    assert any("windows 1 vs 3" in n for n in _checks(_steady(count=3))["soak_rps_drift"].notes)


def test_thirds_take_one_window_each_at_least() -> None:
    windows = _steady(count=7)

    early, late = soak_thirds(windows)

    assert early == windows[:2]
    assert late == windows[-2:]
    three = windows[:3]
    assert soak_thirds(three) == (three[:1], three[2:])


# --- report ----------------------------------------------------------------------------------


def test_window_dict_and_table_show_the_series() -> None:
    windows = _steady(count=3)
    windows[1] = _window(rss_mib=None, p99=None, ended_s=60.0)

    data = windows[0].as_dict()
    table = soak_table_format(windows)

    assert data["web_rss_mib"] == 250.0
    assert data["sandbox_rss_mib"] == 90.0
    assert {"ended_s", "requests", "errors", "rps", "p50_ms", "p99_ms", "max_ms"} <= set(data)
    assert len(table.splitlines()) == 2 + 3
    assert "250.0 (3)" in table
    assert table.splitlines()[3].split()[:3] == ["2", "60", "1800"]


def test_options_computed_runs_on_a_gunicorn_of_its_own_without_answer_cache_or_sockets() -> None:
    plans = {p.name: p for p in plans_build(identifier="demo", key="k")}

    computed = plans["options_computed"]
    env = dict(computed.web_env)
    assert env["CHECKOUT_ANSWER_CACHE_SECONDS"] == "0"
    assert env["CARRIER_HTTP_TRANSPORT"] == "carriers.sandbox.transport.InProcessSandboxAdapter"
    # a Redis db of its own: its carrier answers are no other scenario's cache hits
    assert env["REDIS_URL"] != child_env(web_port=1, sandbox_port=2)["REDIS_URL"]
    assert computed.workload.addresses == "unique"
    assert not computed.prime
    assert all(
        not p.web_env
        for name, p in plans.items()
        if name != "options_computed" and not name.startswith("recording_")
    )
