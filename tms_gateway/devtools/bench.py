"""``make bench``: load the gateway the way Klarna does and report how it holds up.

Run as ``.venv/bin/python -m tms_gateway.devtools.bench [--seconds N] [--concurrency N] ...``.

1. Checks PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); uses its own database
   ``tms_gateway_bench`` (created when missing) and Redis db 13 (emptied first, so no carrier
   answer or nonce of an earlier run is in the cache); migrates and seeds the demo shop there.
2. Starts the carrier sandbox and gunicorn (2 workers x 16 threads) on free ports, every carrier
   pointed at the sandbox (``CARRIER_SANDBOX_URL``); stops both at the end, on errors and on
   Ctrl-C. Their output goes to ``var/bench-sandbox.log`` and ``var/bench-gunicorn.log``.
3. Runs the scenarios in order (:func:`plans_build`) with :mod:`tms_gateway.devtools.loadgen`.
4. Writes ``var/bench.json`` and prints a table and the checks against the aims.

It reports and does not judge: the exit status is 0 whatever the numbers (1 only when the bench
itself could not run, 130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import IO, Any, Literal

from .loadgen import LoadConfig, LoadError, ScenarioStats, Workload, layout, prime, run_scenario

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
OUTPUT = VAR / "bench.json"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
BENCH_DATABASE = "tms_gateway_bench"
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{BENCH_DATABASE}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/13"
SETTINGS_MODULE = "tms_gateway.settings.local"
WEB_CONCURRENCY = 2
GUNICORN_THREADS = 16

_HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}

CARRIERS = ("postnord", "budbee", "instabox", "dhl", "bring")
#: options_cold gives every carrier this latency in the sandbox.
COLD_CARRIER_LATENCY_MS = 100
HANGING_CARRIER = "budbee"

# The aims the checks compare against.
HOT_TO_FLOOR_RATIO = 0.5
COLD_P99_MARGIN_MS = 60.0
HANG_MAX_MARGIN_MS = 100.0

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


class BenchError(RuntimeError):
    """The bench cannot run (a service down, a server that does not start); the text says why."""


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


def plans_build(*, identifier: str, key: str) -> tuple[Plan, ...]:
    def options(addresses: Literal["hot", "unique"], block: int = 0) -> Workload:
        return Workload(
            "options",
            200,
            identifier=identifier,
            key=key,
            addresses=addresses,
            unique_block=block,
        )

    return (
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
            "options_cold",
            f"shippingoptions, a new postal code each time, every carrier "
            f"+{COLD_CARRIER_LATENCY_MS} ms",
            options("unique", 0),
            faults=tuple({"carrier": c, "latency_ms": COLD_CARRIER_LATENCY_MS} for c in CARRIERS),
        ),
        Plan(
            "options_cold_4_clients",
            f"as options_cold with 4 clients: the latency the gateway adds when the machine "
            f"(gateway, sandbox and clients on the same {os.cpu_count()} CPUs) is not saturated",
            options("unique", 2),
            faults=tuple({"carrier": c, "latency_ms": COLD_CARRIER_LATENCY_MS} for c in CARRIERS),
            concurrency=4,
        ),
        Plan(
            "options_one_carrier_hangs",
            f"shippingoptions, a new postal code each time, {HANGING_CARRIER} hangs",
            options("unique", 1),
            faults=({"carrier": HANGING_CARRIER, "hang": True},),
            warmup=False,
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


# --------------------------------------------------------------------------------------------
# Services, database, processes


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def services_check() -> None:
    down = [
        f"{name} is not reachable at {host}:{port}. Start it with:\n  {_HOW_TO_START[name]}"
        for name, host, port in (
            ("PostgreSQL", PG_HOST, PG_PORT),
            ("Redis", REDIS_HOST, REDIS_PORT),
        )
        if not _reachable(host, port)
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


def redis_flush() -> None:
    """Empty the bench's Redis db, so nothing of an earlier run is a cache hit."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {REDIS_URL} refused: {exc}") from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(*, web_port: int, sandbox_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CARRIER_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        HOST="127.0.0.1",
        PORT=str(web_port),
        WEB_CONCURRENCY=str(WEB_CONCURRENCY),
        GUNICORN_THREADS=str(GUNICORN_THREADS),
        PYTHONUNBUFFERED="1",
    )
    # local settings default to DEBUG on, which records every SQL query: not what production
    # runs. DJANGO_DEBUG=true in the environment still wins.
    env.setdefault("DJANGO_DEBUG", "false")
    # One demo merchant carries the whole load here: its per-merchant rate limits (sized for a
    # shop's real traffic) would turn the measurement into one of 429s. Set them to measure
    # the limiter itself.
    env.setdefault("KSA_RATE_LIMIT_PER_MINUTE", "0")
    env.setdefault("KSA_RATE_LIMIT_AUTH_PER_MINUTE", "0")
    return env


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def manage(args: Sequence[str], env: Mapping[str, str]) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=ROOT, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(
            f"`manage.py {' '.join(args)}` failed ({done.returncode}):\n"
            + _tail(done.stdout + done.stderr)
        )
    return done.stdout


_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "deadline_s": settings.CHECKOUT_DEADLINE_SECONDS,
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
        raise BenchError("could not read the settings:\n" + _tail(done.stdout + done.stderr))
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def http_get(port: int, path: str, *, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A child server in its own session (Ctrl-C reaches us, not it), output to a log file."""

    def __init__(
        self, *, name: str, argv: Sequence[str], env: Mapping[str, str], port: int, ready: str
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.port = port
        self.ready_path = ready
        self.log_path = VAR / f"bench-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv of our own tools
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        assert self.proc is not None
        limit = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < limit:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited ({self.proc.returncode}) before answering; "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = http_get(self.port, self.ready_path, timeout=1.0)
                if status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(
            f"{self.name} did not answer {self.ready_path} within {READY_TIMEOUT_SECONDS:g} s; "
            f"{self.log_path}:\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after a while; then no member is left."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            with contextlib.suppress(ProcessLookupError):  # workers the master left behind
                os.killpg(proc.pid, signal.SIGKILL)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


@contextlib.contextmanager
def servers_running(servers: Sequence[Server]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        for server in servers:
            server.wait_ready()
        yield


class Sandbox:
    """The carrier sandbox's control API."""

    def __init__(self, port: int) -> None:
        self.port = port

    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, f"/_sandbox{path}", payload, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise BenchError(f"carrier sandbox {method} {path}: {exc}") from exc
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"carrier sandbox {method} {path}: HTTP {response.status} {data!r}")
        return json.loads(data)

    def request_counts(self) -> dict[str, int]:
        stats = self.control("GET", "/stats")
        return {str(k): int(v) for k, v in (stats.get("requests") or {}).items()}

    def faults_clear(self) -> None:
        self.control("DELETE", "/faults")


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


def checks_format(checks: Sequence[Check]) -> str:
    lines = []
    for check in checks:
        measured = "-" if check.measured is None else f"{check.measured:.1f}"
        target = "-" if check.target is None else f"{check.target:.1f}"
        verdict = "PASS" if check.passed else "FAIL"
        lines.append(
            f"{verdict}  {check.name}: {measured} {check.comparison} {target} {check.unit}"
            f"  ({check.description})"
        )
        lines.extend(f"      note: {note}" for note in check.notes)
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
        help="comma-separated subset of: floor, auth, options_hot, options_cold, "
        "options_one_carrier_hangs (default: all, in that order)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default var/bench.json")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--seconds and --timeout must be positive, --warmup not negative")
    if args.concurrency < 1 or args.workers < 1:
        parser.error("--concurrency and --workers must be at least 1")
    return args


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: stop the servers like Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    args = args_parse(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
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
    plans = plans_build(identifier=identifier, key=key)
    if args.scenarios:
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        unknown = sorted(set(wanted) - {p.name for p in plans})
        if unknown:
            raise BenchError(f"unknown scenarios: {', '.join(unknown)}")
        plans = tuple(p for p in plans if p.name in wanted)

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
    print(f"Migrating and seeding {BENCH_DATABASE} (Redis db 13)")
    manage(["migrate", "--noinput"], env)
    manage(["seed_demo"], env)
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
    print(f"Starting the carrier sandbox (:{sandbox_port}) and gunicorn (:{web_port})")
    with servers_running([sandbox, web]):
        control = Sandbox(sandbox_port)
        for plan in plans:
            warmup_s = warmups[plan.name] = config.warmup_seconds if plan.warmup else 0.0
            clients = plan.concurrency or config.concurrency
            print(
                f"→ {plan.name}: {plan.title} — {clients} clients, "
                f"{warmup_s:g} s warm-up + {config.seconds:g} s",
                flush=True,
            )
            notes[plan.name] = []
            control.faults_clear()
            try:
                for fault in plan.faults:
                    control.control("POST", "/faults", fault)
                if plan.prime:
                    notes[plan.name] += prime(config, plan.workload)
                before = control.request_counts()
                plan_config = replace(
                    config,
                    warmup_seconds=warmup_s,
                    concurrency=plan.concurrency or config.concurrency,
                    workers=min(config.workers, plan.concurrency or config.workers),
                )
                try:
                    results[plan.name] = run_scenario(plan_config, plan.workload)
                except LoadError as exc:
                    raise BenchError(f"{plan.name}: {exc}") from exc
                after = control.request_counts()
            finally:
                if plan.faults:
                    with contextlib.suppress(BenchError):
                        control.faults_clear()
            carrier_calls[plan.name] = {
                c: after.get(c, 0) - before.get(c, 0) for c in sorted(set(after) | set(before))
            }
            stats = results[plan.name]
            for problem in stats.setup_errors + stats.error_samples:
                print(f"    {problem}")

    checks = checks_evaluate(results, deadline_s=deadline_s, carrier_calls=carrier_calls)
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
            "carrier_adapters": probe.get("carrier_adapters"),
        },
        "scenarios": {
            name: {
                **stats.as_dict(),
                "description": next(p.title for p in plans if p.name == name),
                "warmup_s": warmups.get(name),
                "carrier_calls": carrier_calls.get(name, {}),
                "notes": notes.get(name, []),
            }
            for name, stats in results.items()
        },
        "checks": {check.name: check.as_dict() for check in checks},
    }
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(table_format(results, carrier_calls))
    print()
    print(checks_format(checks))
    print(f"\nWrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
