"""A small Klarna-like load generator for the benchmark (``make bench``).

Layout: ``workers`` processes (multiprocessing, spawned) of ``threads`` threads each; every thread
is one client holding one persistent keep-alive connection (``http.client``) and sending its next
request as soon as the previous answer is read (a closed loop, so the concurrency is the number
of requests in flight). All threads start together (a barrier), send for ``warmup_seconds``
without recording, then record every request *started* in the next ``seconds`` (a request still
in flight at the end is awaited and recorded: a slow tail must not escape the measurement).

Two additions serve the soak (``make bench``'s long scenario):

* ``rate`` (requests per second, all clients together; 0 = the closed loop above) paces the
  clients: each sends at most every ``concurrency / rate`` seconds, phases spread evenly, and
  waits for its next turn after an answer. A client that falls behind (an answer slower than
  its interval) sends at once and does not burst to catch up, so a server that cannot keep up
  shows as fewer requests per second, and the latency is the server's, without queueing in the
  client.
* ``window_seconds`` splits the measured time into back-to-back windows of that length: every
  request also counts in the window it started in (:attr:`ScenarioStats.windows`), and
  :func:`run_scenario` calls ``on_window(i)`` in this process as window ``i`` ends, while the
  load goes on (the bench reads the servers' memory there).

Latency is ``time.perf_counter()`` around sending the request and reading the whole answer,
for every request, errors included. An answer whose status is not the expected one is an error;
so is a request that got no answer (connection refused or reset, timeout): a *connection error*,
counted in ``errors`` and on its own. A keep-alive connection found closed by the server
(a gunicorn worker recycled after ``max_requests``) is reopened and the request sent again once,
within the same measured time, as an HTTP client library would do; that is a ``reconnect``.

The pure parts (:func:`percentile`, :func:`aggregate`, :func:`unique_address`, :func:`layout`,
:func:`window_count`, :func:`window_index`, :meth:`ClientThread.request`) are unit-tested in
``tests/devtools``; nothing here imports Django.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import multiprocessing
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any, Literal

from tms_gateway.ksa.simulator import auth_payload, scenario_build, session_payload

AUTH_MEDIA_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
JSON_MEDIA_TYPE = "application/json"
ACCEPT = "application/json, application/*+json"

#: How long threads wait for each other (process start, connection, token) before giving up.
BARRIER_TIMEOUT_SECONDS = 60.0
#: Distinct error texts kept per scenario, to show what went wrong without flooding the report.
ERROR_SAMPLES = 5

# --------------------------------------------------------------------------------------------
# Addresses: a fixed hot set, and unique postal codes that no run has asked before

#: Full addresses asked over and over in ``options_hot`` (the warm-up has asked them all).
HOT_ADDRESSES: tuple[tuple[str, str, str], ...] = (
    ("SE", "11151", "Stockholm"),
    ("SE", "41119", "Göteborg"),
    ("NO", "0150", "Oslo"),
    ("NO", "0250", "Oslo"),
    ("DK", "1050", "København K"),
    ("DK", "1100", "København K"),
    ("FI", "00100", "Helsinki"),
    ("FI", "00120", "Helsinki"),
)


@dataclass(frozen=True, slots=True)
class UniqueRange:
    """Where a country's generated postal codes start, and their width (zero-padded)."""

    city: str
    low: int
    digits: int


#: Generated codes stay clear of the hot codes above (SE from 50000, NO from 1000, DK from 2000,
#: FI from 10000), so a cold request never hits a hot cache entry.
UNIQUE_RANGES: dict[str, UniqueRange] = {
    "SE": UniqueRange("Stockholm", 50000, 5),
    "NO": UniqueRange("Oslo", 1000, 4),
    "DK": UniqueRange("Aarhus C", 2000, 4),
    "FI": UniqueRange("Helsinki", 10000, 5),
}
UNIQUE_COUNTRIES: tuple[str, ...] = tuple(UNIQUE_RANGES)
#: Codes per country in one block; a scenario uses its own block, so two scenarios of one run
#: never share a code. 4 countries x 1875 = 7,500 distinct addresses per scenario; 4 blocks keep
#: NO and DK codes within 4 digits.
UNIQUE_BLOCK_SIZE = 1875
UNIQUE_BLOCKS = 4


def unique_address(index: int, *, block: int) -> tuple[str, str, str]:
    """(country, postal code, city) number ``index`` of ``block``: countries in turn.

    Distinct for ``index`` below ``4 * UNIQUE_BLOCK_SIZE``; after that the codes repeat.
    """
    if not 0 <= block < UNIQUE_BLOCKS:
        raise ValueError(f"block must be in 0..{UNIQUE_BLOCKS - 1}")
    if index < 0:
        raise ValueError("index must not be negative")
    country = UNIQUE_COUNTRIES[index % len(UNIQUE_COUNTRIES)]
    spec = UNIQUE_RANGES[country]
    n = block * UNIQUE_BLOCK_SIZE + (index // len(UNIQUE_COUNTRIES)) % UNIQUE_BLOCK_SIZE
    return country, f"{spec.low + n:0{spec.digits}d}", spec.city


# --------------------------------------------------------------------------------------------
# Statistics (pure)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile of ascending values (None when there are none).

    Nearest rank (no interpolation): the result is always a latency that was measured, and
    p100 is the maximum.
    """
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    if not sorted_values:
        return None
    rank = math.ceil(q / 100 * len(sorted_values))
    return float(sorted_values[max(rank, 1) - 1])


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request as the client saw it: a status, or an error text when there was no answer."""

    ms: float
    status: int | None = None
    error: str = ""
    reconnected: bool = False
    body: bytes = b""


@dataclass(slots=True)
class WorkerResult:
    """What one thread, then one worker process (merged), recorded."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    connection_errors: int = 0
    reconnects: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    setup_errors: list[str] = field(default_factory=list)
    #: The same requests by the window they started in (only with ``window_seconds``).
    windows: list[WorkerResult] = field(default_factory=list)

    def record(self, outcome: Outcome, *, expected_status: int, window: int | None = None) -> None:
        if window is not None:
            self._window(window).record(outcome, expected_status=expected_status)
        self.latencies_ms.append(outcome.ms)
        if outcome.reconnected:
            self.reconnects += 1
        if outcome.status is None:
            self.errors += 1
            self.connection_errors += 1
            self._sample(outcome.error or "no answer")
            return
        self.statuses[outcome.status] = self.statuses.get(outcome.status, 0) + 1
        if outcome.status != expected_status:
            self.errors += 1
            self._sample(f"HTTP {outcome.status}: {outcome.body[:200].decode(errors='replace')}")

    def merge(self, other: WorkerResult) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.errors += other.errors
        self.connection_errors += other.connection_errors
        self.reconnects += other.reconnects
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        for sample in other.error_samples:
            self._sample(sample)
        self.setup_errors.extend(e for e in other.setup_errors if e not in self.setup_errors)
        for index, window in enumerate(other.windows):
            self._window(index).merge(window)

    def _window(self, index: int) -> WorkerResult:
        while len(self.windows) <= index:
            self.windows.append(WorkerResult())
        return self.windows[index]

    def _sample(self, text: str) -> None:
        if len(self.error_samples) < ERROR_SAMPLES and text not in self.error_samples:
            self.error_samples.append(text)


@dataclass(frozen=True, slots=True)
class ScenarioStats:
    requests: int
    errors: int
    connection_errors: int
    reconnects: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    statuses: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    setup_errors: list[str] = field(default_factory=list)
    #: One entry per window when the scenario was measured in windows (not in :meth:`as_dict`).
    windows: list[ScenarioStats] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": ms(self.p50_ms),
            "p95_ms": ms(self.p95_ms),
            "p99_ms": ms(self.p99_ms),
            "max_ms": ms(self.max_ms),
            "connection_errors": self.connection_errors,
            "reconnects": self.reconnects,
            "statuses": self.statuses,
            "error_samples": self.error_samples,
            "setup_errors": self.setup_errors,
        }


def aggregate(
    results: Sequence[WorkerResult], *, seconds: float, window_seconds: float = 0.0
) -> ScenarioStats:
    """One scenario's numbers from its workers' results over a measured time of ``seconds``.

    With ``window_seconds`` the time was split into windows of that length
    (:func:`window_count`): the result has one :class:`ScenarioStats` per window, a window
    nobody recorded in counting zero requests.
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    total = WorkerResult()
    for result in results:
        total.merge(result)
    per_window = [
        aggregate(
            [total.windows[i] if i < len(total.windows) else WorkerResult()],
            seconds=min(window_seconds, seconds - i * window_seconds),
        )
        for i in range(window_count(seconds, window_seconds))
    ]
    latencies = sorted(total.latencies_ms)
    return ScenarioStats(
        requests=len(latencies),
        errors=total.errors,
        connection_errors=total.connection_errors,
        reconnects=total.reconnects,
        rps=len(latencies) / seconds,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else None,
        statuses={str(k): v for k, v in sorted(total.statuses.items())},
        error_samples=total.error_samples,
        setup_errors=total.setup_errors,
        windows=per_window,
    )


def window_count(seconds: float, window_seconds: float) -> int:
    """How many windows of ``window_seconds`` the measured ``seconds`` hold (0: no windows).

    The last one is cut short when ``seconds`` is not a multiple; the bench avoids that.
    """
    if window_seconds <= 0:
        return 0
    return max(1, math.ceil(seconds / window_seconds - 1e-9))


def window_index(offset_seconds: float, *, window_seconds: float, count: int) -> int:
    """The window a request started ``offset_seconds`` into the measurement belongs to."""
    if offset_seconds < 0 or count < 1 or window_seconds <= 0:
        raise ValueError("offset must not be negative; window length and count positive")
    return min(int(offset_seconds // window_seconds), count - 1)


def layout(concurrency: int, workers: int) -> tuple[int, int]:
    """(processes, threads per process) for exactly ``concurrency`` clients.

    The most processes up to ``workers`` that divide ``concurrency`` evenly.
    """
    if concurrency < 1 or workers < 1:
        raise ValueError("concurrency and workers must be at least 1")
    processes = max(p for p in range(1, min(workers, concurrency) + 1) if concurrency % p == 0)
    return processes, concurrency // processes


# --------------------------------------------------------------------------------------------
# What the clients send


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Workload:
    """What one scenario's clients send (picklable: it crosses into the worker processes).

    ``kind``: ``healthz`` (GET /healthz), ``auth`` (POST /ksa/v1/auth, a fresh nonce each
    time) or ``options`` (POST /ksa/v1/shippingoptions with a full address, the bearer token
    obtained once per client); ``addresses``: the hot set, a new postal code every request
    (from ``unique_block``), or ``mixed``: the hot set, with every ``unique_every``-th request
    of a client a new postal code from ``unique_block``.
    """

    kind: Literal["healthz", "auth", "options"]
    expected_status: int
    identifier: str = "demo"
    key: str = "demo-key"
    addresses: Literal["hot", "unique", "mixed"] = "hot"
    unique_block: int = 0
    unique_every: int = 20
    api_prefix: str = "/ksa/v1"


def auth_request(workload: Workload) -> HttpRequest:
    nonce = secrets.token_hex(16)
    body = auth_payload(identifier=workload.identifier, key=workload.key, nonce=nonce)
    return HttpRequest(
        "POST",
        f"{workload.api_prefix}/auth",
        json.dumps(body).encode(),
        {"Accept": ACCEPT, "Content-Type": AUTH_MEDIA_TYPE},
    )


def options_body(workload: Workload, country: str, postal_code: str, city: str) -> bytes:
    """A Klarna session context for a full address (the simulator's wire format)."""
    scenario = scenario_build(
        base_url="",
        identifier=workload.identifier,
        key=workload.key,
        country=country,
        postal_code=postal_code,
        city=city,
    )
    return json.dumps(session_payload(scenario, preview=False)).encode()


class ClientThread:
    """One Klarna-like client: its connection, its token, and what it sends next."""

    def __init__(self, *, client: Client, workload: Workload, number: int, total: int) -> None:
        self.client = client
        self.workload = workload
        self.number = number  # 0 .. total-1 across every process
        self.total = total
        self.token = ""
        self.hot_bodies: list[bytes] = []

    def prepare(self) -> str:
        """Get what the requests need (the token, the hot bodies); an error text, or ''."""
        if self.workload.kind != "options":
            return ""
        if self.workload.addresses in ("hot", "mixed"):
            self.hot_bodies = [options_body(self.workload, *a) for a in HOT_ADDRESSES]
        outcome = self.client.send(auth_request(self.workload))
        if outcome.status != 201:
            text = outcome.error or f"HTTP {outcome.status}"
            return f"token: /auth answered {text}"
        try:
            self.token = str(json.loads(outcome.body)["token"])
        except (ValueError, KeyError, TypeError):
            return "token: /auth answered no token"
        return ""

    def request(self, seq: int) -> HttpRequest:
        kind = self.workload.kind
        if kind == "healthz":
            return HttpRequest("GET", "/healthz", None, {"Accept": ACCEPT})
        if kind == "auth":
            return auth_request(self.workload)
        unique_seq = self._unique_seq(seq)
        if unique_seq is None:
            body = self.hot_bodies[(self.number + seq) % len(self.hot_bodies)]
        else:
            index = self.number + unique_seq * self.total
            address = unique_address(index, block=self.workload.unique_block)
            body = options_body(self.workload, *address)
        headers = {
            "Accept": ACCEPT,
            "Content-Type": JSON_MEDIA_TYPE,
            "Authorization": f"Bearer {self.token}",
        }
        return HttpRequest("POST", f"{self.workload.api_prefix}/shippingoptions", body, headers)

    def _unique_seq(self, seq: int) -> int | None:
        """Which of this client's new postal codes request ``seq`` asks, or None: a hot one."""
        addresses = self.workload.addresses
        if addresses == "unique":
            return seq
        if addresses == "mixed":
            every = max(self.workload.unique_every, 1)
            # Clients take their turns at different requests, so new codes come evenly.
            if (seq + self.number) % every == every - 1:
                return (seq + self.number) // every
        return None


# --------------------------------------------------------------------------------------------
# Transport


class Client:
    """One persistent HTTP/1.1 connection; reopened when the server closes it."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, request: HttpRequest) -> Outcome:
        started = time.perf_counter()
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(request.method, request.path, request.body, request.headers)
                response = self.conn.getresponse()
                body = response.read()
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
                # http.client.RemoteDisconnected is a ConnectionResetError.
                self.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle keep-alive connection: send again
                return Outcome(_ms_since(started), error=_error_text(exc), reconnected=attempt > 0)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                return Outcome(_ms_since(started), error=_error_text(exc), reconnected=attempt > 0)
            if response.will_close:
                self.close()
            return Outcome(
                _ms_since(started), status=response.status, body=body, reconnected=attempt > 0
            )
        raise AssertionError("unreachable")  # pragma: no cover


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"connection error: {type(exc).__name__}: {text}"[:200]


# --------------------------------------------------------------------------------------------
# Running one scenario


@dataclass(frozen=True, slots=True)
class LoadConfig:
    host: str
    port: int
    concurrency: int = 16
    workers: int = 4
    seconds: float = 15.0
    warmup_seconds: float = 2.0
    timeout_seconds: float = 10.0
    #: Requests per second of all clients together; 0: each client as fast as it is answered.
    rate: float = 0.0
    #: Measure in windows of this length too (0: no windows).
    window_seconds: float = 0.0


class LoadError(RuntimeError):
    """The load could not be generated (the clients did not start or did not report)."""


def _thread_main(
    thread: ClientThread,
    config: LoadConfig,
    barrier: Barrier,
    stop: Event,
    result: WorkerResult,
) -> None:
    try:
        problem = thread.prepare()
    except Exception as exc:  # the requests then fail and are counted; the text says why
        problem = f"prepare: {type(exc).__name__}: {exc}"
    if problem:
        result.setup_errors.append(problem)
    try:
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
    except threading.BrokenBarrierError:
        result.setup_errors.append("the clients did not all start in time")
        thread.client.close()
        return
    started = time.monotonic()
    measure_from = started + config.warmup_seconds
    end = measure_from + config.seconds
    windows = window_count(config.seconds, config.window_seconds)
    interval = config.concurrency / config.rate if config.rate > 0 else 0.0
    next_at = started + interval * thread.number / thread.total  # phases spread evenly
    seq = 0
    while not stop.is_set():
        now = time.monotonic()
        if now >= end:
            break
        if interval and next_at > now:
            if stop.wait(min(next_at, end) - now):
                break
            now = time.monotonic()
            if now >= end:
                break
        next_at = max(next_at + interval, now)  # no burst to catch up when behind
        try:
            request = thread.request(seq)
        except Exception as exc:  # a bug in building requests: say so rather than hang
            result.setup_errors.append(f"request: {type(exc).__name__}: {exc}")
            break
        outcome = thread.client.send(request)
        seq += 1
        if now >= measure_from:
            window = (
                window_index(
                    now - measure_from, window_seconds=config.window_seconds, count=windows
                )
                if windows
                else None
            )
            result.record(outcome, expected_status=thread.workload.expected_status, window=window)
    thread.client.close()


def _worker_main(
    config: LoadConfig,
    workload: Workload,
    worker_index: int,
    threads: int,
    barrier: Barrier,
    stop: Event,
    results: Queue[WorkerResult],
) -> None:
    """One load process: ``threads`` clients; puts exactly one merged result on the queue."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    merged = WorkerResult()
    try:
        total = config.concurrency
        per_thread = [WorkerResult() for _ in range(threads)]
        running = []
        for t in range(threads):
            client = Client(config.host, config.port, timeout=config.timeout_seconds)
            thread = ClientThread(
                client=client, workload=workload, number=worker_index * threads + t, total=total
            )
            running.append(
                threading.Thread(
                    target=_thread_main,
                    args=(thread, config, barrier, stop, per_thread[t]),
                    name=f"client-{worker_index}-{t}",
                    daemon=True,
                )
            )
        for runner in running:
            runner.start()
        for runner in running:
            runner.join()
        for result in per_thread:
            merged.merge(result)
    except Exception as exc:  # report, never die silently: the parent waits for our result
        merged.setup_errors.append(f"worker {worker_index}: {type(exc).__name__}: {exc}")
        barrier.abort()
    results.put(merged)


def run_scenario(
    config: LoadConfig,
    workload: Workload,
    *,
    on_window: Callable[[int], None] | None = None,
) -> ScenarioStats:
    """Run one scenario with ``config.concurrency`` clients and return its numbers.

    With ``config.window_seconds``, ``on_window(i)`` is called here as window ``i`` ends (the
    clients keep sending meanwhile); an exception from it stops the load and is raised.
    """
    processes, threads = layout(config.concurrency, config.workers)
    windows = window_count(config.seconds, config.window_seconds)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes * threads + 1)  # every client, and this process
    stop = ctx.Event()
    results: Queue[WorkerResult] = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(config, workload, i, threads, barrier, stop, results),
            name=f"loadgen-{i}",
            daemon=True,
        )
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    collected: list[WorkerResult] = []
    try:
        try:
            barrier.wait(BARRIER_TIMEOUT_SECONDS)
        except threading.BrokenBarrierError:
            stop.set()
        else:
            if on_window is not None and windows:
                _windows_follow(config, windows, procs, on_window)
        limit = time.monotonic() + BARRIER_TIMEOUT_SECONDS
        limit += config.warmup_seconds + config.seconds + config.timeout_seconds * 2
        while len(collected) < processes:
            remaining = limit - time.monotonic()
            if remaining <= 0:
                raise LoadError("a load process did not report its results in time")
            try:
                collected.append(results.get(timeout=min(remaining, 1.0)))
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and results.empty():
                    raise LoadError("the load processes exited without reporting") from None
    finally:
        stop.set()
        # Drain the queue meanwhile: a child exits only once its result has left its pipe.
        limit = time.monotonic() + config.timeout_seconds + 5
        while any(p.is_alive() for p in procs) and time.monotonic() < limit:
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.1)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        results.close()
    return aggregate(collected, seconds=config.seconds, window_seconds=config.window_seconds)


def _windows_follow(
    config: LoadConfig,
    windows: int,
    procs: Sequence[multiprocessing.process.BaseProcess],
    on_window: Callable[[int], None],
) -> None:
    """Call ``on_window(i)`` as each window ends (the clients started with the barrier)."""
    measure_from = time.monotonic() + config.warmup_seconds
    for index in range(windows):
        ends = measure_from + min((index + 1) * config.window_seconds, config.seconds)
        while (remaining := ends - time.monotonic()) > 0:
            if not any(p.is_alive() for p in procs):
                return  # the clients are gone: the results say why
            time.sleep(min(remaining, 0.5))
        on_window(index)


def prime(config: LoadConfig, workload: Workload) -> list[str]:
    """Ask each hot address once, one at a time, so the carriers' answers are cached.

    Returns the problems met (empty when every answer had the expected status).
    """
    client = Client(config.host, config.port, timeout=config.timeout_seconds)
    thread = ClientThread(client=client, workload=workload, number=0, total=1)
    problems = []
    problem = thread.prepare()
    if problem:
        problems.append(problem)
    for seq in range(len(HOT_ADDRESSES)):
        outcome = client.send(thread.request(seq))
        if outcome.status != workload.expected_status:
            problems.append(f"priming: {outcome.error or f'HTTP {outcome.status}'}")
    client.close()
    return problems
