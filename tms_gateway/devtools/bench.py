"""``make bench``: load the gateway the way Klarna does and report how it holds up.

Run as ``.venv/bin/python -m tms_gateway.devtools.bench [--seconds N] [--concurrency N] ...``.

1. Checks PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); uses its own database
   ``tms_gateway_bench`` (created when missing) and Redis db 13 (emptied first, so no carrier
   answer or nonce of an earlier run is in the cache); migrates and seeds the demo shop there.
2. Starts the carrier sandbox and gunicorn (2 workers x 16 threads) on free ports, every carrier
   pointed at the sandbox (``CARRIER_SANDBOX_URL``); stops both at the end, on errors and on
   Ctrl-C. Their output goes to ``var/bench-sandbox.log`` and ``var/bench-gunicorn.log``.
3. Runs the scenarios in order (:func:`plans_build`) with :mod:`tms_gateway.devtools.loadgen`,
   then the soak (below).
4. Writes ``var/bench.json`` and prints a table and the checks against the aims.

The soak (scenario ``soak``, last) holds a steady load for ``--soak-seconds`` (BENCH_SOAK_SECONDS,
default 600; 0 skips it) to show that memory and latency stay flat: 8 clients
(``--soak-concurrency``) paced to 60 requests/s together (``--soak-rate``; 0 = as fast as
answered), on /shippingoptions for the hot addresses with one request in 20 a postal code never
asked before (carrier calls, cache entries and traces keep coming). It is measured in windows of
about 30 s (``--soak-window``; at least 3 windows): per window rps, p50/p99/max and errors, and at
each window's end the resident memory of gunicorn (master and workers: the sum of VmRSS over its
process group) and of the carrier sandbox. Its checks (:func:`soak_checks_evaluate`): no errors;
gunicorn's memory grows by at most max(20 MiB, 10 %) from the end of the first window (warm) to the
end of the last; the p99 of the last third of the windows at most max(1.5 x, +20 ms) that of the
first third; their rps at least 0.8 x. After the hang scenario its warm-up lasts until the circuit
breakers have closed again (``CARRIER_BREAKER_RESET_SECONDS`` + 5 s). Only the soak, shorter::

    .venv/bin/python -m tms_gateway.devtools.bench --scenarios soak --soak-seconds 120

The other scenarios without the soak: ``--soak-seconds 0`` (or ``BENCH_SOAK_SECONDS=0 make bench``).

The recording comparison (``--scenarios recording``; ``--recording-rounds``, BENCH_RECORDING_ROUNDS,
default 3, 0 skips it) runs options_hot and options_computed on gunicorns of their own with
checkout analytics off (INSIGHTS_RECORDING=0) and on (=1), alternating off and on for each round,
in the same run; it prints both figures (the median of the rounds: one round disturbed by the
machine's other work does not decide) and on / off, and checks that on keeps at least 90 % of
off's rps and at most 1.11 x its p50 (:func:`recording_checks_evaluate`). No Celery worker drains
the recorded events meanwhile: the web processes' share (buffer, batches to Redis) is measured.

It reports and does not judge: the exit status is 0 whatever the numbers (1 only when the bench
itself could not run, 130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from .harness import (
    BENCH_DATABASE,
    COMPUTED_REDIS_URL,
    GUNICORN_THREADS,
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    ROOT,
    SETTINGS_MODULE,
    VAR,
    WEB_CONCURRENCY,
    BenchError,
    Sandbox,
    Server,
    child_env,
    free_port,
    manage,
    raise_interrupt,
    reachable,
    servers_running,
    text_tail,
)
from .loadgen import (
    UNIQUE_BLOCK_SIZE,
    UNIQUE_COUNTRIES,
    LoadConfig,
    LoadError,
    ScenarioStats,
    Workload,
    layout,
    prime,
    run_scenario,
)

OUTPUT = VAR / "bench.json"

_HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}

#: The sandbox's name for "every carrier" in a fault.
ALL_CARRIERS = "*"
#: options_cold gives every carrier this latency in the sandbox.
COLD_CARRIER_LATENCY_MS = 100
HANGING_CARRIER = "budbee"
#: options_computed's gunicorn: no answer cache, the sandbox answered in-process.
COMPUTED_ENV = (
    ("REDIS_URL", COMPUTED_REDIS_URL),
    ("CHECKOUT_ANSWER_CACHE_SECONDS", "0"),
    ("CARRIER_HTTP_TRANSPORT", "carriers.sandbox.transport.InProcessSandboxAdapter"),
)

#: Checkout analytics (tms_gateway/insights) off and on, in the same run: the options scenarios
#: are run alternately on gunicorns with INSIGHTS_RECORDING=0 and =1, this many rounds each.
RECORDING = "recording"
RECORDING_ROUNDS = 3
#: With recording on, rps at least this share of off's, and p50 at most 1 / it times off's.
RECORDING_RATIO = 0.9

# The aims the checks compare against.
HOT_TO_FLOOR_RATIO = 0.5
COLD_P99_MARGIN_MS = 60.0
HANG_MAX_MARGIN_MS = 100.0

# The soak: its load by default, and the aims of its stability checks.
SOAK_SECONDS = 600.0
SOAK_WINDOW_SECONDS = 30.0
SOAK_MIN_WINDOWS = 3
SOAK_CONCURRENCY = 8
SOAK_RATE = 60.0
#: One request in this many (per client) asks a postal code never asked before.
SOAK_UNIQUE_EVERY = 20
SOAK_UNIQUE_BLOCK = 3
SOAK_RSS_GROWTH_MB = 20.0
SOAK_RSS_GROWTH_RATIO = 0.10
SOAK_P99_RATIO = 1.5
SOAK_P99_MARGIN_MS = 20.0
SOAK_RPS_RATIO = 0.8
#: Below this share of the target rate in the first third, the machine did not keep up.
SOAK_RATE_SHORTFALL = 0.9


# --------------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    title: str
    workload: Workload
    faults: tuple[dict[str, Any], ...] = ()
    prime: bool = False
    #: False for the hang: the carrier's circuit breaker opens after a few calls, so a warm-up
    #: would hide exactly the requests that meet the hang (the server is warm by then anyway).
    warmup: bool = True
    #: Clients for this scenario only (None: the bench's concurrency).
    concurrency: int | None = None
    #: Measured seconds for this scenario only (None: the bench's).
    seconds: float | None = None
    #: Measured in windows of this length, the servers' memory read after each (0: no windows).
    window_seconds: float = 0.0
    #: Requests per second of all clients together (0: each client as fast as answered).
    rate: float = 0.0
    #: Settings for a gunicorn of this scenario's own, started beside the bench's (empty: the
    #: bench's gunicorn).
    web_env: tuple[tuple[str, str], ...] = ()
    #: Empty the Redis db of this scenario's gunicorn first (its carrier answers cached by an
    #: earlier scenario would make this one lighter than the one it is compared with).
    fresh_cache: bool = False


@dataclass(frozen=True, slots=True)
class SoakSettings:
    seconds: float = SOAK_SECONDS
    window_seconds: float = SOAK_WINDOW_SECONDS
    concurrency: int = SOAK_CONCURRENCY
    rate: float = SOAK_RATE


def soak_windows(seconds: float, window_seconds: float) -> tuple[int, float]:
    """(count, length): ``seconds`` cut into equal windows of about ``window_seconds``, at least
    :data:`SOAK_MIN_WINDOWS` of them (so there is a first and a last third to compare)."""
    if seconds <= 0 or window_seconds <= 0:
        raise ValueError("seconds and window_seconds must be positive")
    count = max(SOAK_MIN_WINDOWS, round(seconds / window_seconds))
    return count, seconds / count


def recording_plans(
    *, identifier: str, key: str, rounds: int = RECORDING_ROUNDS
) -> tuple[Plan, ...]:
    """options_hot and options_computed with checkout analytics off and on, each on a
    gunicorn of its own: ``recording_<hot|computed>_<off|on>_<round>``, off and on alternating
    so that a drift of the machine meets both alike."""
    plans = []
    kinds = (
        (
            "hot",
            "as options_hot",
            Workload("options", 200, identifier=identifier, key=key, addresses="hot"),
            (),
            True,
        ),
        (
            "computed",
            "as options_computed",
            Workload(
                "options", 200, identifier=identifier, key=key, addresses="unique", unique_block=0
            ),
            COMPUTED_ENV,
            False,
        ),
    )
    for kind, like, workload, env, primed in kinds:
        for number in range(1, rounds + 1):
            for state, value in (("off", "0"), ("on", "1")):
                plans.append(
                    Plan(
                        f"{RECORDING}_{kind}_{state}_{number}",
                        f"{like}, checkout analytics {state} (INSIGHTS_RECORDING={value}), "
                        f"round {number}",
                        workload,
                        prime=primed,
                        web_env=(*env, ("INSIGHTS_RECORDING", value)),
                        fresh_cache=kind == "computed",
                    )
                )
    return tuple(plans)


def plans_build(
    *,
    identifier: str,
    key: str,
    soak: SoakSettings | None = None,
    recording_rounds: int = RECORDING_ROUNDS,
) -> tuple[Plan, ...]:
    """The scenarios in order; the recording comparison after the hang (0 rounds: none); the
    soak last, when ``soak`` is given with positive seconds."""

    def options(addresses: Literal["hot", "unique"], block: int = 0) -> Workload:
        return Workload(
            "options",
            200,
            identifier=identifier,
            key=key,
            addresses=addresses,
            unique_block=block,
        )

    plans = (
        Plan("floor", "GET /healthz: static JSON, the ceiling", Workload("healthz", 200)),
        Plan(
            "auth",
            "POST /ksa/v1/auth, a fresh nonce each time",
            Workload("auth", 201, identifier=identifier, key=key),
        ),
        Plan(
            "options_hot",
            "POST /ksa/v1/shippingoptions, 8 full addresses already asked (cached)",
            options("hot"),
            prime=True,
        ),
        Plan(
            "options_computed",
            "shippingoptions, a new postal code each time, the answer cache off and the five "
            "carriers answered in-process (no HTTP): what the gateway itself costs per answer",
            # Block 0 as options_cold: its gunicorn has a Redis db of its own, so neither
            # finds the other's carrier answers cached.
            options("unique", 0),
            web_env=COMPUTED_ENV,
        ),
        Plan(
            "options_cold",
            f"shippingoptions, a new postal code each time, every carrier "
            f"+{COLD_CARRIER_LATENCY_MS} ms",
            options("unique", 0),
            faults=({"carrier": ALL_CARRIERS, "latency_ms": COLD_CARRIER_LATENCY_MS},),
        ),
        Plan(
            "options_cold_4_clients",
            f"as options_cold with 4 clients: the latency the gateway adds when the machine "
            f"(gateway, sandbox and clients on the same {os.cpu_count()} CPUs) is not saturated",
            options("unique", 2),
            faults=({"carrier": ALL_CARRIERS, "latency_ms": COLD_CARRIER_LATENCY_MS},),
            concurrency=4,
        ),
        Plan(
            "options_one_carrier_hangs",
            f"shippingoptions, a new postal code each time, {HANGING_CARRIER} hangs",
            options("unique", 1),
            faults=({"carrier": HANGING_CARRIER, "hang": True},),
            warmup=False,
        ),
        *recording_plans(identifier=identifier, key=key, rounds=recording_rounds),
    )
    if soak is None or soak.seconds <= 0:
        return plans
    count, length = soak_windows(soak.seconds, soak.window_seconds)
    rate = f"{soak.rate:g} requests/s" if soak.rate > 0 else "as fast as answered"
    return (
        *plans,
        Plan(
            "soak",
            f"shippingoptions for the hot addresses, 1 in {SOAK_UNIQUE_EVERY} a new postal code, "
            f"{rate}; {count} windows of {length:g} s",
            Workload(
                "options",
                200,
                identifier=identifier,
                key=key,
                addresses="mixed",
                unique_block=SOAK_UNIQUE_BLOCK,
                unique_every=SOAK_UNIQUE_EVERY,
            ),
            prime=True,
            concurrency=soak.concurrency,
            seconds=count * length,
            window_seconds=length,
            rate=soak.rate,
        ),
    )


# --------------------------------------------------------------------------------------------
# Checks (pure)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    description: str
    measured: float | None
    target: float | None
    comparison: Literal[">=", "<="]
    unit: str
    passed: bool
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "description": self.description,
            "measured": rounded(self.measured),
            "target": rounded(self.target),
            "comparison": self.comparison,
            "unit": self.unit,
            "passed": self.passed,
            "notes": self.notes,
        }


def _check(
    *,
    name: str,
    description: str,
    measured: float | None,
    target: float | None,
    comparison: Literal[">=", "<="],
    unit: str,
    involved: Sequence[tuple[str, ScenarioStats | None]],
    notes: list[str],
) -> Check:
    passed = measured is not None and target is not None
    for scenario, stats in involved:
        if stats is None or stats.requests == 0:
            notes.append(f"{scenario} has no measurement")
            passed = False
        elif stats.errors:
            notes.append(f"{scenario} had {stats.errors} errors of {stats.requests} requests")
            passed = False
    if passed and measured is not None and target is not None:
        passed = measured >= target if comparison == ">=" else measured <= target
    return Check(name, description, measured, target, comparison, unit, passed, notes)


def _carrier_notes(
    scenario: str, calls: Mapping[str, Mapping[str, int]] | None, *, carrier: str | None = None
) -> list[str]:
    if calls is None or scenario not in calls:
        return []
    counted = calls[scenario].get(carrier, 0) if carrier else sum(calls[scenario].values())
    if counted:
        return []
    who = carrier or "any carrier"
    return [
        f"no call reached the sandbox for {who} during {scenario}: the carrier adapters in use "
        "make no HTTP calls (CARRIER_ADAPTERS), so this does not measure a carrier effect"
    ]


def checks_evaluate(
    scenarios: Mapping[str, ScenarioStats],
    *,
    deadline_s: float,
    carrier_calls: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Check]:
    """The measured numbers against the aims; a check fails when its scenarios had errors.

    ``carrier_calls`` (scenario -> carrier -> sandbox requests) only adds notes.
    """
    floor = scenarios.get("floor")
    hot = scenarios.get("options_hot")
    cold = scenarios.get("options_cold")
    hang = scenarios.get("options_one_carrier_hangs")

    hot_notes = []
    if carrier_calls and sum(carrier_calls.get("options_hot", {}).values()):
        hot_notes.append(
            f"{sum(carrier_calls['options_hot'].values())} carrier calls during options_hot: "
            "not every answer came from the cache"
        )
    return [
        _check(
            name="options_hot_rps",
            description=f"options_hot rps >= {HOT_TO_FLOOR_RATIO} x floor rps",
            measured=hot.rps if hot and hot.requests else None,
            target=HOT_TO_FLOOR_RATIO * floor.rps if floor and floor.requests else None,
            comparison=">=",
            unit="rps",
            involved=[("floor", floor), ("options_hot", hot)],
            notes=hot_notes,
        ),
        _check(
            name="options_cold_p99",
            description=(
                f"options_cold p99 <= slowest carrier ({COLD_CARRIER_LATENCY_MS} ms) "
                f"+ {COLD_P99_MARGIN_MS:g} ms"
            ),
            measured=cold.p99_ms if cold else None,
            target=COLD_CARRIER_LATENCY_MS + COLD_P99_MARGIN_MS,
            comparison="<=",
            unit="ms",
            involved=[("options_cold", cold)],
            notes=_carrier_notes("options_cold", carrier_calls),
        ),
        _check(
            name="options_one_carrier_hangs_max",
            description=(
                f"options_one_carrier_hangs max <= deadline ({deadline_s:g} s) "
                f"+ {HANG_MAX_MARGIN_MS:g} ms"
            ),
            measured=hang.max_ms if hang else None,
            target=deadline_s * 1000 + HANG_MAX_MARGIN_MS,
            comparison="<=",
            unit="ms",
            involved=[("options_one_carrier_hangs", hang)],
            notes=_carrier_notes(
                "options_one_carrier_hangs", carrier_calls, carrier=HANGING_CARRIER
            ),
        ),
    ]


def recording_pairs(
    scenarios: Mapping[str, ScenarioStats], kind: str
) -> tuple[list[ScenarioStats], list[ScenarioStats]]:
    """The measured rounds of one kind (hot, computed): (off, on)."""
    prefix = f"{RECORDING}_{kind}_"
    off = [s for n, s in scenarios.items() if n.startswith(prefix + "off_")]
    on = [s for n, s in scenarios.items() if n.startswith(prefix + "on_")]
    return off, on


def _median(values: Sequence[float | None]) -> float | None:
    """The median of the rounds: one round disturbed by the machine's other work (a busy
    shared machine) does not decide, as it would a mean."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def recording_checks_evaluate(scenarios: Mapping[str, ScenarioStats]) -> list[Check]:
    """Recording on against off, per kind: the median rps of the on rounds at least
    :data:`RECORDING_RATIO` of the off rounds', and their median p50 at most 1 / it times."""
    checks = []
    for kind in ("hot", "computed"):
        off, on = recording_pairs(scenarios, kind)
        if not off and not on:
            continue
        involved = [
            (name, stats)
            for name, stats in scenarios.items()
            if name.startswith(f"{RECORDING}_{kind}_")
        ]
        off_rps, on_rps = _median([s.rps for s in off]), _median([s.rps for s in on])
        off_p50, on_p50 = _median([s.p50_ms for s in off]), _median([s.p50_ms for s in on])
        figures = (
            f"off {off_rps or 0:.1f} rps, p50 {_ms_text(off_p50)} ms; "
            f"on {on_rps or 0:.1f} rps, p50 {_ms_text(on_p50)} ms "
            f"(medians of {len(off)} + {len(on)} rounds, alternating)"
        )
        checks.append(
            _check(
                name=f"recording_{kind}_rps",
                description=f"options_{kind} with checkout analytics on: rps >= "
                f"{RECORDING_RATIO:g} x off's (on / off)",
                measured=on_rps / off_rps if on_rps is not None and off_rps else None,
                target=RECORDING_RATIO,
                comparison=">=",
                unit="x",
                involved=involved if off and on else [*involved, ("the other state", None)],
                notes=[figures],
            )
        )
        checks.append(
            _check(
                name=f"recording_{kind}_p50",
                description=f"options_{kind} with checkout analytics on: p50 <= "
                f"{1 / RECORDING_RATIO:.2f} x off's (on / off)",
                measured=on_p50 / off_p50 if on_p50 is not None and off_p50 else None,
                target=1 / RECORDING_RATIO,
                comparison="<=",
                unit="x",
                involved=involved if off and on else [*involved, ("the other state", None)],
                notes=[],
            )
        )
    return checks


def recording_table_format(scenarios: Mapping[str, ScenarioStats]) -> str:
    """Off and on side by side, per kind: the rounds' median rps and p50/p99, and on / off."""
    lines = [
        f"{'checkout analytics':<20}{'off rps':>9}{'on rps':>9}{'on/off':>8}"
        f"{'off p50':>9}{'on p50':>9}{'on/off':>8}{'off p99':>9}{'on p99':>9}"
    ]

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or not b else f"{a / b:.3f}"

    for kind in ("hot", "computed"):
        off, on = recording_pairs(scenarios, kind)
        if not off and not on:
            continue
        values = [
            _median([s.rps for s in off]),
            _median([s.rps for s in on]),
            _median([s.p50_ms for s in off]),
            _median([s.p50_ms for s in on]),
            _median([s.p99_ms for s in off]),
            _median([s.p99_ms for s in on]),
        ]
        off_rps, on_rps, off_p50, on_p50, off_p99, on_p99 = values
        lines.append(
            f"{'options_' + kind:<20}{_ms_text(off_rps):>9}{_ms_text(on_rps):>9}"
            f"{ratio(on_rps, off_rps):>8}{_ms_text(off_p50):>9}{_ms_text(on_p50):>9}"
            f"{ratio(on_p50, off_p50):>8}{_ms_text(off_p99):>9}{_ms_text(on_p99):>9}"
        )
    return "\n".join(lines) if len(lines) > 1 else ""


# --------------------------------------------------------------------------------------------
# The soak's windows and checks (pure)

KIB_PER_MIB = 1024


@dataclass(frozen=True, slots=True)
class SoakWindow:
    """One window of the soak: what the clients measured, and the servers as it ended."""

    stats: ScenarioStats
    #: Seconds from the start of the measurement to the end of this window.
    ended_s: float
    #: Sum of VmRSS over gunicorn's process group (master and workers), and how many they were.
    web_rss_kib: int | None = None
    web_processes: int = 0
    sandbox_rss_kib: int | None = None
    #: Requests the carrier sandbox received during the window.
    carrier_calls: int | None = None
    #: Keys in the bench's Redis db (carrier answers, answers, nonces) as the window ended.
    cache_keys: int | None = None
    load_1m: float | None = None

    def as_dict(self) -> dict[str, Any]:
        stats = self.stats.as_dict()
        return {
            "ended_s": round(self.ended_s, 1),
            **{k: stats[k] for k in ("requests", "errors", "rps", "p50_ms", "p99_ms", "max_ms")},
            "web_rss_mib": _mib(self.web_rss_kib),
            "web_processes": self.web_processes,
            "sandbox_rss_mib": _mib(self.sandbox_rss_kib),
            "carrier_calls": self.carrier_calls,
            "cache_keys": self.cache_keys,
            "load_1m": None if self.load_1m is None else round(self.load_1m, 2),
        }


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / KIB_PER_MIB, 1)


def soak_thirds(windows: Sequence[SoakWindow]) -> tuple[list[SoakWindow], list[SoakWindow]]:
    """The first and the last third of the windows (one window each at least)."""
    size = max(1, len(windows) // 3)
    return list(windows[:size]), list(windows[-size:])


def _median_p99(windows: Sequence[SoakWindow]) -> float | None:
    values = [w.stats.p99_ms for w in windows if w.stats.p99_ms is not None]
    return statistics.median(values) if values else None


def _mean_rps(windows: Sequence[SoakWindow]) -> float | None:
    return statistics.fmean(w.stats.rps for w in windows) if windows else None


def soak_checks_evaluate(windows: Sequence[SoakWindow], *, target_rate: float = 0.0) -> list[Check]:
    """Did the soak stay stable? Errors; gunicorn's memory from the first window's end (warm) to
    the last's; the last third of the windows against the first third for p99 (the median of
    the windows' p99s, so one noisy window does not decide) and rps (their mean).

    ``target_rate`` (the paced rate asked, 0 if none) only adds a note when the first third
    fell short of it: the load was then saturating, not steady.
    """
    enough = len(windows) >= 2
    missing = [] if enough else [f"the soak has {len(windows)} windows, 2 at least are needed"]
    requests = sum(w.stats.requests for w in windows)
    errors = sum(w.stats.errors for w in windows)
    error_notes = list(missing)
    if windows and not requests:
        error_notes.append("the soak made no requests")
    bad = [f"window {i + 1}: {w.stats.errors}" for i, w in enumerate(windows) if w.stats.errors]
    if bad:
        error_notes.append("errors by window: " + ", ".join(bad))
    checks = [
        Check(
            "soak_errors",
            "soak: no errors",
            float(errors) if windows else None,
            0.0,
            "<=",
            "errors",
            bool(windows) and bool(requests) and errors == 0,
            error_notes,
        )
    ]

    # Memory
    first = windows[0] if windows else None
    last = windows[-1] if windows else None
    growth = target = None
    rss_notes = list(missing)
    if first and last and enough:
        if first.web_rss_kib is None or last.web_rss_kib is None:
            rss_notes.append("gunicorn's memory could not be read (/proc)")
        else:
            growth = (last.web_rss_kib - first.web_rss_kib) / KIB_PER_MIB
            target = max(
                SOAK_RSS_GROWTH_MB, SOAK_RSS_GROWTH_RATIO * first.web_rss_kib / KIB_PER_MIB
            )
            rss_notes.append(
                f"gunicorn {first.web_rss_kib / KIB_PER_MIB:.1f} -> "
                f"{last.web_rss_kib / KIB_PER_MIB:.1f} MiB"
            )
        if first.web_processes != last.web_processes:
            rss_notes.append(
                f"gunicorn had {first.web_processes} processes after the first window and "
                f"{last.web_processes} after the last: a worker died or was replaced, which "
                "resets its memory"
            )
        if first.sandbox_rss_kib is not None and last.sandbox_rss_kib is not None:
            rss_notes.append(
                f"carrier sandbox (not judged) {first.sandbox_rss_kib / KIB_PER_MIB:.1f} -> "
                f"{last.sandbox_rss_kib / KIB_PER_MIB:.1f} MiB"
            )
    checks.append(
        Check(
            "soak_web_rss_growth",
            f"soak: gunicorn memory (VmRSS, master + workers) grows <= max({SOAK_RSS_GROWTH_MB:g} "
            f"MiB, {SOAK_RSS_GROWTH_RATIO:.0%}) from the end of window 1 to the end of the last",
            growth,
            target,
            "<=",
            "MiB",
            growth is not None
            and target is not None
            and growth <= target
            and (first is None or last is None or first.web_processes == last.web_processes),
            rss_notes,
        )
    )

    # Latency and throughput: last third against first third
    early, late = soak_thirds(windows) if enough else ([], [])
    thirds = (
        f"windows {_span(1, len(early))} vs {_span(len(windows) - len(late) + 1, len(windows))}"
        if enough
        else ""
    )
    p99_base, p99_late = _median_p99(early), _median_p99(late)
    p99_target = (
        max(SOAK_P99_RATIO * p99_base, p99_base + SOAK_P99_MARGIN_MS)
        if p99_base is not None
        else None
    )
    p99_notes = list(missing)
    if enough:
        p99_notes.append(f"{thirds}; first third p99 {_ms_text(p99_base)} ms")
    checks.append(
        Check(
            "soak_p99_drift",
            f"soak: p99 of the last third of the windows <= max({SOAK_P99_RATIO:g} x, "
            f"+{SOAK_P99_MARGIN_MS:g} ms) the first third's (median of the windows' p99)",
            p99_late,
            p99_target,
            "<=",
            "ms",
            p99_late is not None and p99_target is not None and p99_late <= p99_target,
            p99_notes,
        )
    )
    rps_base, rps_late = _mean_rps(early), _mean_rps(late)
    rps_target = SOAK_RPS_RATIO * rps_base if rps_base is not None else None
    rps_notes = list(missing)
    if enough:
        rps_notes.append(f"{thirds}; first third {rps_base or 0:.1f} rps")
    if rps_base is not None and target_rate > 0 and rps_base < SOAK_RATE_SHORTFALL * target_rate:
        rps_notes.append(
            f"the first third ran at {rps_base:.1f} of the {target_rate:g} requests/s asked: the "
            "machine did not keep up, so the load was saturating rather than steady"
        )
    checks.append(
        Check(
            "soak_rps_drift",
            f"soak: rps of the last third of the windows >= {SOAK_RPS_RATIO:g} x the first "
            "third's (mean of the windows)",
            rps_late,
            rps_target,
            ">=",
            "rps",
            rps_late is not None
            and rps_target is not None
            and rps_base is not None
            and rps_base > 0
            and rps_late >= rps_target,
            rps_notes,
        )
    )
    return checks


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _ms_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# --------------------------------------------------------------------------------------------
# Memory of the servers, from /proc


def proc_stat_pgrp(text: str) -> int:
    """The process group in a ``/proc/<pid>/stat`` line (after the name, which may hold
    spaces and parentheses: ``pid (comm) state ppid pgrp ...``)."""
    rest = text[text.rindex(")") + 2 :].split()
    return int(rest[2])


def proc_status_rss_kib(text: str) -> int | None:
    """VmRSS in kiB from a ``/proc/<pid>/status`` text (None for a zombie, which has none)."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            parts = line.split()
            return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    return None


def group_rss_kib(pgid: int, proc: Path = Path("/proc")) -> tuple[int, int] | None:
    """(sum of VmRSS in kiB, processes counted) over process group ``pgid``; None if it has
    no live member. Shared pages count once per process: a level to follow, not a total."""
    total = count = 0
    try:
        entries = list(proc.iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if proc_stat_pgrp((entry / "stat").read_text()) != pgid:
                continue
            rss = proc_status_rss_kib((entry / "status").read_text())
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        if rss is not None:
            total += rss
            count += 1
    return (total, count) if count else None


# --------------------------------------------------------------------------------------------
# Services, database, settings (the processes: harness.py)


def services_check() -> None:
    down = [
        f"{name} is not reachable at {host}:{port}. Start it with:\n  {_HOW_TO_START[name]}"
        for name, host, port in (
            ("PostgreSQL", PG_HOST, PG_PORT),
            ("Redis", REDIS_HOST, REDIS_PORT),
        )
        if not reachable(host, port)
    ]
    if down:
        raise BenchError("\n".join(down))


def database_ensure() -> None:
    """Create the bench's own database when it does not exist."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user=PG_USER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)
            ).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
                print(f"Created database {BENCH_DATABASE}")
    except psycopg.Error as exc:
        raise BenchError(
            f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}) refused: {exc}"
        ) from exc


def redis_flush(*urls: str) -> None:
    """Empty the bench's Redis dbs (or those given), so nothing of an earlier run (or of an
    earlier scenario) is a cache hit."""
    import redis

    for url in urls or (REDIS_URL, COMPUTED_REDIS_URL):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5).flushdb()
        except redis.RedisError as exc:
            raise BenchError(f"Redis at {url} refused: {exc}") from exc


_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "deadline_s": settings.CHECKOUT_DEADLINE_SECONDS,
    "breaker_reset_s": settings.CARRIER_BREAKER_RESET_SECONDS,
    "carrier_adapters": list(settings.CARRIER_ADAPTERS),
    "debug": settings.DEBUG,
}))
"""


def settings_probe(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings the gateway will run with, read by Django in a child process."""
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError("could not read the settings:\n" + text_tail(done.stdout + done.stderr))
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


@dataclass(frozen=True, slots=True)
class ServerSample:
    at: float
    web_rss_kib: int | None
    web_processes: int
    sandbox_rss_kib: int | None
    carrier_requests: int | None
    cache_keys: int | None
    load_1m: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "web_rss_mib": _mib(self.web_rss_kib),
            "web_processes": self.web_processes,
            "sandbox_rss_mib": _mib(self.sandbox_rss_kib),
            "cache_keys": self.cache_keys,
            "load_1m": round(self.load_1m, 2),
        }


class ServerSampler:
    """Reads the servers' memory, the sandbox's request count and the Redis db's size, as each
    soak window ends (called from :func:`loadgen.run_scenario`, while the load goes on)."""

    def __init__(self, *, web: Server, sandbox: Server, control: Sandbox) -> None:
        import redis

        self.web = web
        self.sandbox = sandbox
        self.control = control
        self.redis = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        self.start = self.sample()
        self.samples: list[ServerSample] = []

    def sample(self) -> ServerSample:
        web = _server_rss(self.web)
        sandbox = _server_rss(self.sandbox)
        carrier_requests = None
        with contextlib.suppress(BenchError):
            carrier_requests = sum(self.control.request_counts().values())
        cache_keys = None
        with contextlib.suppress(Exception):  # redis errors: the number is only informative
            cache_keys = int(self.redis.dbsize())  # type: ignore[arg-type]
        return ServerSample(
            at=time.monotonic(),
            web_rss_kib=web[0] if web else None,
            web_processes=web[1] if web else 0,
            sandbox_rss_kib=sandbox[0] if sandbox else None,
            carrier_requests=carrier_requests,
            cache_keys=cache_keys,
            load_1m=os.getloadavg()[0],
        )

    def on_window(self, index: int) -> None:
        self.samples.append(self.sample())

    def windows(self, stats: ScenarioStats, *, window_seconds: float) -> list[SoakWindow]:
        """The clients' windows with the samples taken as each ended."""
        out = []
        previous = self.start
        for i, window in enumerate(stats.windows):
            sample = self.samples[i] if i < len(self.samples) else None
            calls = None
            if (
                sample is not None
                and sample.carrier_requests is not None
                and previous.carrier_requests is not None
            ):
                calls = sample.carrier_requests - previous.carrier_requests
            out.append(
                SoakWindow(
                    stats=window,
                    ended_s=(i + 1) * window_seconds,
                    web_rss_kib=sample.web_rss_kib if sample else None,
                    web_processes=sample.web_processes if sample else 0,
                    sandbox_rss_kib=sample.sandbox_rss_kib if sample else None,
                    carrier_calls=calls,
                    cache_keys=sample.cache_keys if sample else None,
                    load_1m=sample.load_1m if sample else None,
                )
            )
            if sample:
                previous = sample
        return out


def replace_server_env(
    server: Server, changes: Sequence[tuple[str, str]], port: int, env: Mapping[str, str]
) -> Server:
    """A copy of the bench's gunicorn on ``port`` with ``changes`` to its environment."""
    return Server(
        name=f"{server.name}-{port}",
        argv=server.argv,
        env={**env, **dict(changes), "PORT": str(port)},
        port=port,
        ready="/healthz",
    )


def _server_rss(server: Server) -> tuple[int, int] | None:
    # start_new_session=True: the server's pid is its process group's id.
    return group_rss_kib(server.proc.pid) if server.proc is not None else None


def soak_notes(plan: Plan, stats: ScenarioStats) -> list[str]:
    """What a reader of the soak's numbers should know."""
    notes = []
    new_codes = stats.requests // SOAK_UNIQUE_EVERY
    distinct = len(UNIQUE_COUNTRIES) * UNIQUE_BLOCK_SIZE
    if new_codes > distinct:
        notes.append(
            f"about {new_codes} requests asked a new postal code, but there are {distinct}: "
            "after that they repeat and the carrier cache answers them"
        )
    if plan.rate > 0 and stats.rps < SOAK_RATE_SHORTFALL * plan.rate:
        notes.append(f"{stats.rps:.1f} rps of the {plan.rate:g} asked: the machine did not keep up")
    return notes


# --------------------------------------------------------------------------------------------
# Report


def table_format(
    scenarios: Mapping[str, ScenarioStats], carrier_calls: Mapping[str, Mapping[str, int]]
) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    header = (
        f"{'scenario':<27}{'requests':>9}{'errors':>8}{'rps':>9}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  carrier calls"
    )
    lines = [header, "-" * len(header)]
    for name, s in scenarios.items():
        calls = carrier_calls.get(name, {})
        calls_text = ", ".join(f"{c} {n}" for c, n in sorted(calls.items()) if n) or "0"
        lines.append(
            f"{name:<27}{s.requests:>9}{s.errors:>8}{s.rps:>9.1f}"
            f"{ms(s.p50_ms):>9}{ms(s.p95_ms):>9}{ms(s.p99_ms):>9}{ms(s.max_ms):>9}  {calls_text}"
        )
    return "\n".join(lines)


def soak_table_format(windows: Sequence[SoakWindow]) -> str:
    def num(value: float | None, spec: str = ".1f") -> str:
        return "-" if value is None else format(value, spec)

    header = (
        f"{'window':>6}{'end s':>8}{'requests':>9}{'errors':>7}{'rps':>7}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}{'gunicorn MiB':>13}{'sandbox MiB':>12}{'carrier':>8}"
        f"{'redis keys':>11}{'load':>6}"
    )
    lines = [header, "-" * len(header)]
    for i, w in enumerate(windows):
        s = w.stats
        web = _mib(w.web_rss_kib)
        web_text = "-" if web is None else f"{web:.1f} ({w.web_processes})"
        lines.append(
            f"{i + 1:>6}{w.ended_s:>8.0f}{s.requests:>9}{s.errors:>7}{s.rps:>7.1f}"
            f"{num(s.p50_ms):>8}{num(s.p99_ms):>8}{num(s.max_ms):>8}{web_text:>13}"
            f"{num(_mib(w.sandbox_rss_kib)):>12}{num(w.carrier_calls, 'd'):>8}"
            f"{num(w.cache_keys, 'd'):>11}{num(w.load_1m, '.2f'):>6}"
        )
    return "\n".join(lines)


def checks_format(checks: Sequence[Check]) -> str:
    lines = []
    for check in checks:
        spec = ".3f" if check.unit == "x" else ".1f"  # a ratio: 0.897 is not 0.9
        measured = "-" if check.measured is None else format(check.measured, spec)
        target = "-" if check.target is None else format(check.target, spec)
        verdict = "PASS" if check.passed else "FAIL"
        lines.append(
            f"{verdict}  {check.name}: {measured} {check.comparison} {target} {check.unit}"
            f"  ({check.description})"
        )
        lines.extend(f"      note: {note}" for note in check.notes)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The portal part (bench_portal.py, in a child process with the bench's settings and database)

PORTAL = "portal"


def portal_measure(env: Mapping[str, str]) -> dict[str, Any]:
    """Seed (or reuse) the bench shop's bookings and time the portal's pages: the child's
    progress goes to our terminal, its report is the last line of its output."""
    print(
        f"→ portal: the merchant portal with {os.environ.get('BENCH_PORTAL_BOOKINGS', '1000000')} "
        "bookings in one shop (seeded once, then reused)",
        flush=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "tms_gateway.devtools.bench_portal"],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise BenchError(f"the portal part failed ({done.returncode}):\n{text_tail(done.stdout)}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def portal_checks_evaluate(report: Mapping[str, Any]) -> list[Check]:
    """Each page's slowest run (to its first rows: an export streams) within the limit."""
    checks = []
    limit = float(report.get("limit_ms", 1000.0))
    for name, page in report.get("pages", {}).items():
        notes = [] if page["status"] == [200] else [f"answered {page['status']}"]
        checks.append(
            Check(
                name=f"portal_{name}",
                description=f"portal, {report.get('bookings'):,} bookings: {page['title']} "
                f"(max of {page['runs']})",
                measured=float(page["max_ms"]),
                target=limit,
                comparison="<=",
                unit="ms",
                passed=bool(page["passed"]),
                notes=notes,
            )
        )
    return checks


def portal_table_format(report: Mapping[str, Any]) -> str:
    lines = [
        f"portal: {report.get('bookings'):,} bookings in {report.get('shop')} "
        f"({report.get('client')}); ms to the first rows, and to the last byte",
        f"{'page':<20}{'median':>9}{'max':>9}{'complete':>10}{'bytes':>13}",
    ]
    for name, page in report.get("pages", {}).items():
        lines.append(
            f"{name:<20}{page['median_ms']:>9.1f}{page['max_ms']:>9.1f}"
            f"{page['complete_median_ms']:>10.1f}{page['bytes']:>13,}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"bench: {name}={raw!r} is not a number") from None


def args_parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tms_gateway.devtools.bench",
        description="Load the gateway like Klarna does; write var/bench.json.",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=_env_number("BENCH_SECONDS", 15),
        help="measured seconds per scenario (BENCH_SECONDS, default 15)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=_env_number("BENCH_WARMUP", 2),
        help="warm-up seconds before each scenario's measurement (BENCH_WARMUP, default 2)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(_env_number("BENCH_CONCURRENCY", 16)),
        help="concurrent clients (BENCH_CONCURRENCY, default 16)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(_env_number("BENCH_WORKERS", 4)),
        help="load processes at most; they share the clients evenly (BENCH_WORKERS, default 4)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="client timeout per request in seconds (default 10)",
    )
    parser.add_argument(
        "--scenarios",
        default="",
        help="comma-separated subset of: floor, auth, options_hot, options_computed, options_cold, "
        "options_cold_4_clients, options_one_carrier_hangs, recording, soak, portal (default: "
        "all; portal first, the soak last; recording: options_hot and options_computed with "
        "checkout analytics off and on, alternating; portal: the merchant portal with "
        "BENCH_PORTAL_BOOKINGS bookings in one shop, default 1,000,000, see bench_portal.py)",
    )
    parser.add_argument(
        "--soak-seconds",
        type=float,
        default=_env_number("BENCH_SOAK_SECONDS", SOAK_SECONDS),
        help=f"measured seconds of the soak, 0 to skip it "
        f"(BENCH_SOAK_SECONDS, default {SOAK_SECONDS:g})",
    )
    parser.add_argument(
        "--soak-window",
        type=float,
        default=_env_number("BENCH_SOAK_WINDOW", SOAK_WINDOW_SECONDS),
        help=f"about this many seconds per soak window, {SOAK_MIN_WINDOWS} windows at least "
        f"(BENCH_SOAK_WINDOW, default {SOAK_WINDOW_SECONDS:g})",
    )
    parser.add_argument(
        "--soak-concurrency",
        type=int,
        default=int(_env_number("BENCH_SOAK_CONCURRENCY", SOAK_CONCURRENCY)),
        help=f"clients during the soak (BENCH_SOAK_CONCURRENCY, default {SOAK_CONCURRENCY})",
    )
    parser.add_argument(
        "--soak-rate",
        type=float,
        default=_env_number("BENCH_SOAK_RATE", SOAK_RATE),
        help=f"requests per second of all soak clients together, 0 for as fast as answered "
        f"(BENCH_SOAK_RATE, default {SOAK_RATE:g})",
    )
    parser.add_argument(
        "--recording-rounds",
        type=int,
        default=int(_env_number("BENCH_RECORDING_ROUNDS", RECORDING_ROUNDS)),
        help="rounds of options_hot and options_computed with checkout analytics off and on, "
        f"alternating (BENCH_RECORDING_ROUNDS, default {RECORDING_ROUNDS}; 0 skips them)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default var/bench.json")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--seconds and --timeout must be positive, --warmup not negative")
    if args.concurrency < 1 or args.workers < 1:
        parser.error("--concurrency and --workers must be at least 1")
    if args.soak_seconds < 0 or args.soak_window <= 0 or args.soak_rate < 0:
        parser.error(
            "--soak-seconds and --soak-rate must not be negative, --soak-window must be positive"
        )
    if args.soak_concurrency < 1:
        parser.error("--soak-concurrency must be at least 1")
    if args.recording_rounds < 0:
        parser.error("--recording-rounds must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = args_parse(argv)
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; the servers are stopped", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    identifier = os.environ.get("DEMO_KSA_IDENTIFIER", "demo")
    key = os.environ.get("DEMO_KSA_KEY", "demo-key")
    soak = SoakSettings(
        seconds=args.soak_seconds,
        window_seconds=args.soak_window,
        concurrency=args.soak_concurrency,
        rate=args.soak_rate,
    )
    plans = plans_build(
        identifier=identifier, key=key, soak=soak, recording_rounds=args.recording_rounds
    )
    portal = True
    if args.scenarios:
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        if "soak" in wanted and soak.seconds <= 0:
            raise BenchError("--scenarios soak with --soak-seconds 0 (BENCH_SOAK_SECONDS): no soak")
        if RECORDING in wanted and args.recording_rounds <= 0:
            raise BenchError("--scenarios recording with --recording-rounds 0: no comparison")
        unknown = sorted(set(wanted) - {p.name for p in plans} - {PORTAL, RECORDING})
        if unknown:
            raise BenchError(f"unknown scenarios: {', '.join(unknown)}")
        plans = tuple(
            p
            for p in plans
            if p.name in wanted or (RECORDING in wanted and p.name.startswith(RECORDING + "_"))
        )
        portal = PORTAL in wanted

    load_at_start = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    if load_at_start > cpus:
        print(
            f"Note: the machine is busy (load {load_at_start:.1f} on {cpus} CPUs): "
            "the numbers will be noisy"
        )
    print(f"Checking PostgreSQL ({PG_HOST}:{PG_PORT}) and Redis ({REDIS_HOST}:{REDIS_PORT})")
    services_check()
    database_ensure()
    redis_flush()
    VAR.mkdir(exist_ok=True)
    web_port = free_port()
    sandbox_port = free_port()
    while sandbox_port == web_port:
        sandbox_port = free_port()
    env = child_env(web_port=web_port, sandbox_port=sandbox_port)
    print(f"Migrating and seeding {BENCH_DATABASE} (Redis db {REDIS_DB})")
    manage(["migrate", "--noinput"], env)
    manage(["seed_demo"], env)
    # The portal with a million bookings, before the load (it would disturb the measurements).
    portal_report = portal_measure(env) if portal else None
    probe = settings_probe(env)
    deadline_s = float(probe["deadline_s"])

    config = LoadConfig(
        host="127.0.0.1",
        port=web_port,
        concurrency=args.concurrency,
        workers=args.workers,
        seconds=args.seconds,
        warmup_seconds=args.warmup,
        timeout_seconds=args.timeout,
    )
    processes, threads = layout(config.concurrency, config.workers)
    bin_dir = Path(sys.executable).parent
    sandbox = Server(
        name="sandbox",
        argv=[sys.executable, "manage.py", "carrier_sandbox", "--port", str(sandbox_port)],
        env=env,
        port=sandbox_port,
        ready="/_sandbox/health",
    )
    web = Server(
        name="gunicorn",
        argv=[str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "tms_gateway.wsgi"],
        env=env,
        port=web_port,
        ready="/healthz",
    )

    results: dict[str, ScenarioStats] = {}
    carrier_calls: dict[str, dict[str, int]] = {}
    notes: dict[str, list[str]] = {}
    warmups: dict[str, float] = {}
    soak_windows_seen: list[SoakWindow] = []
    soak_extra: dict[str, Any] = {}
    if plans:
        print(f"Starting the carrier sandbox (:{sandbox_port}) and gunicorn (:{web_port})")
    with servers_running([sandbox, web]) if plans else contextlib.nullcontext():
        control = Sandbox(sandbox_port)
        hung_before = False
        for plan in plans:
            warmup_s = config.warmup_seconds if plan.warmup else 0.0
            if plan.window_seconds and hung_before:
                # The hang opened that carrier's circuit breaker in each worker: warm up until it
                # has closed again, or the first window would be lighter than the others.
                warmup_s = max(warmup_s, float(probe.get("breaker_reset_s", 30.0)) + 5.0)
            warmups[plan.name] = warmup_s
            hung_before = hung_before or any(f.get("hang") for f in plan.faults)
            clients = plan.concurrency or config.concurrency
            seconds = plan.seconds or config.seconds
            print(
                f"→ {plan.name}: {plan.title} — {clients} clients, "
                f"{warmup_s:g} s warm-up + {seconds:g} s",
                flush=True,
            )
            notes[plan.name] = []
            control.faults_clear()
            own_web = contextlib.ExitStack()
            try:
                if plan.fresh_cache:
                    redis_flush(dict(plan.web_env).get("REDIS_URL", REDIS_URL))
                if plan.web_env:
                    own_port = free_port()
                    own_web.enter_context(
                        servers_running([replace_server_env(web, plan.web_env, own_port, env)])
                    )
                    notes[plan.name].append(
                        "its own gunicorn: "
                        + ", ".join(f"{k}={v}" for k, v in plan.web_env if k != "REDIS_URL")
                    )
                for fault in plan.faults:
                    control.control("POST", "/faults", fault)
                if plan.prime:
                    notes[plan.name] += prime(config, plan.workload)
                before = control.request_counts()
                plan_config = replace(
                    config,
                    port=own_port if plan.web_env else config.port,
                    warmup_seconds=warmup_s,
                    concurrency=plan.concurrency or config.concurrency,
                    workers=min(config.workers, plan.concurrency or config.workers),
                    seconds=seconds,
                    rate=plan.rate,
                    window_seconds=plan.window_seconds,
                )
                sampler = (
                    ServerSampler(web=web, sandbox=sandbox, control=control)
                    if plan.window_seconds
                    else None
                )
                if sampler is not None:
                    soak_extra["servers_at_start"] = sampler.start.as_dict()
                try:
                    results[plan.name] = run_scenario(
                        plan_config,
                        plan.workload,
                        on_window=sampler.on_window if sampler is not None else None,
                    )
                except LoadError as exc:
                    raise BenchError(f"{plan.name}: {exc}") from exc
                after = control.request_counts()
                if sampler is not None:
                    soak_windows_seen[:] = sampler.windows(
                        results[plan.name], window_seconds=plan.window_seconds
                    )
                    notes[plan.name] += soak_notes(plan, results[plan.name])
            finally:
                own_web.close()
                if plan.faults:
                    with contextlib.suppress(BenchError):
                        control.faults_clear()
            carrier_calls[plan.name] = {
                c: after.get(c, 0) - before.get(c, 0) for c in sorted(set(after) | set(before))
            }
            stats = results[plan.name]
            for problem in stats.setup_errors + stats.error_samples:
                print(f"    {problem}")

    checks = (
        checks_evaluate(results, deadline_s=deadline_s, carrier_calls=carrier_calls)
        if any(p.name != "soak" and not p.name.startswith(RECORDING + "_") for p in plans)
        else []
    )
    checks += recording_checks_evaluate(results)
    if portal_report is not None:
        checks += portal_checks_evaluate(portal_report)
    soak_plan = next((p for p in plans if p.name == "soak"), None)
    if soak_plan is not None and "soak" in results:
        checks += soak_checks_evaluate(soak_windows_seen, target_rate=soak_plan.rate)
    report = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {
            "concurrency": config.concurrency,
            "seconds": config.seconds,
            "workers": processes,
            "threads": threads,
            "deadline_s": deadline_s,
            "warmup_s": config.warmup_seconds,
            "timeout_s": config.timeout_seconds,
            "cpu_count": cpus,
            "load_average_at_start": round(load_at_start, 2),
            "load_average_at_end": round(os.getloadavg()[0], 2),
            "web_concurrency": WEB_CONCURRENCY,
            "gunicorn_threads": GUNICORN_THREADS,
            "settings_module": SETTINGS_MODULE,
            "debug": probe.get("debug"),
            "recording_rounds": args.recording_rounds,
            "carrier_adapters": probe.get("carrier_adapters"),
            "soak": {
                "seconds": soak_plan.seconds,
                "window_seconds": soak_plan.window_seconds,
                "concurrency": soak_plan.concurrency,
                "rate": soak_plan.rate,
                "unique_every": SOAK_UNIQUE_EVERY,
            }
            if soak_plan is not None
            else None,
        },
        "scenarios": {
            name: {
                **stats.as_dict(),
                "description": next(p.title for p in plans if p.name == name),
                "warmup_s": warmups.get(name),
                "carrier_calls": carrier_calls.get(name, {}),
                "notes": notes.get(name, []),
                **(
                    {**soak_extra, "windows": [w.as_dict() for w in soak_windows_seen]}
                    if name == "soak"
                    else {}
                ),
            }
            for name, stats in results.items()
        },
        "portal": portal_report,
        "checks": {check.name: check.as_dict() for check in checks},
    }
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    if results:
        print(table_format(results, carrier_calls))
        recording_table = recording_table_format(results)
        if recording_table:
            print()
            print(recording_table)
    if portal_report is not None:
        print(portal_table_format(portal_report))
    if soak_windows_seen:
        print()
        print("soak, window by window (gunicorn: VmRSS of master + workers, their count):")
        print(soak_table_format(soak_windows_seen))
        for note in notes.get("soak", []):
            print(f"  note: {note}")
    print()
    print(checks_format(checks))
    print(f"\nWrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
