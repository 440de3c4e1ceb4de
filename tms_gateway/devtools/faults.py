"""``make faults``: run the whole gateway, break its parts one after another, count the damage.

Run as ``.venv/bin/python -m tms_gateway.devtools.faults [--bookings N] [--clients N] ...``.

What it starts, every part a real process of its own on free ports, stopped at the end:

* its own **PostgreSQL** cluster (``initdb`` into a temporary folder; as root it runs as the
  ``postgres`` user) and its own **Redis** server, so that stopping them harms nothing else on the
  machine;
* the **carrier sandbox**, **gunicorn** (``deploy/gunicorn.conf.py``), one **Celery worker**
  (prefork, as ``deploy/entrypoint.sh worker`` runs it) and one **beat**, as in production.

Klarna's side is played by :mod:`tms_gateway.ksa.simulator` on ``--clients`` threads, without a
pause from start to end: every checkout creates its order at the sandbox's fake Klarna Checkout
API (the demo shop's checkout credential reads it there), then /auth, /shippingoptions twice,
POST /shipment, completes the order (the purchase went through), /confirm and GET /shipment,
each choosing in turn one of the demo shop's carrier options, so every completed checkout is a
booking owed. Meanwhile the phases run in order:

1. ``baseline``: nothing broken.
2. ``confirms_forgotten``: Klarna forgets the confirm of one checkout in ``--forget-every``
   (default 5) whose purchase went through. Half of them (in turn) the shop's order flow
   confirms through the merchant API ``--shop-confirm-delay`` seconds after the purchase; the
   others are left to the gateway, which reads the order from the checkout API
   (``shipments_reconcile``, every 2 s here, for reservations unconfirmed 5 s after their
   last change).
3. ``carrier_hang``: Budbee never answers.
4. ``carrier_5xx``: PostNord answers 503 and Bring 500.
5. ``carrier_garbage``: Instabox and DHL answer 200 with a broken body.
6. ``redis_down``: Redis (cache, nonces, broker) stopped, then started empty.
7. ``postgres_restart``: PostgreSQL stopped, then started.
8. ``worker_killed``: until ``--bookings`` more checkouts are confirmed, the Celery worker is
   killed (SIGKILL, its pool with it) every ``--kill-every`` seconds and started again.

Then it waits (``--settle-seconds`` at most) until no booking is in progress, and compares the
gateway's shipments with the sandbox's booking ledger. It writes ``var/faults.json``:

* per phase and in all: requests, answered (any HTTP status), unanswered (timeouts, refused
  connections), 5xx, status counts, checkouts completed and failed, and for each fault the time
  to recover: from the moment the part is back (or the fault cleared) to the last failed request
  that followed (0 when none did);
* bookings: confirmed (every confirm Klarna sent, whatever we answered: Klarna sends it once
  and ignores the answer, plus every purchase whose confirm Klarna forgot), booked, failed
  (with the carrier's words, for staff), lost (confirmed but neither booked nor failed, or
  booked without a booking at the carrier), duplicated (a reference booked more than once at a
  carrier), and our answers to the confirms;
* forgotten confirms: how many, who confirmed them (the shop's call, the checkout API read),
  booked, lost, duplicated, and the seconds from the purchase to the booking (median, p95, max)
  per path.

The booking timings are shortened (seconds, not minutes) so that the drill takes minutes; they
are written to the report. The exit status is 0 when nothing was lost or duplicated and there
was no 5xx outside the PostgreSQL outage, 1 otherwise, 2 when the drill itself could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .harness import (
    GUNICORN_THREADS,
    VAR,
    WEB_CONCURRENCY,
    BenchError,
    Sandbox,
    Server,
    free_port,
    manage,
    raise_interrupt,
    reachable,
)
from .harness import child_env as bench_child_env

OUTPUT = VAR / "faults.json"

#: The demo shop's options that book with a carrier, with a country that offers them; the
#: clients choose them in turn.
CARRIER_OPTIONS = (
    ("postnord-home", "SE"),
    ("budbee-home", "SE"),
    ("instabox-locker", "SE"),
    ("postnord-service-point", "SE"),
    ("dhl-service-point", "DE"),
    ("bring-pickup-point", "NO"),
    ("budbee-box", "SE"),
)
#: Seconds between a phase's start and its fault, so requests still in flight from the phase
#: before are not counted against it.
PHASE_LEAD_SECONDS = 1.0

#: Booking timings for the drill (production defaults are minutes; see settings/base.py).
WORKER_ENV = {
    "SCHEDULE_REQUEUE_SECONDS": "2",
    "SCHEDULE_EXPIRE_SECONDS": "5",
    "BOOKING_REQUEUE_AFTER_SECONDS": "5",
    "BOOKING_QUEUED_SECONDS": "30",
    # A whole booking (Budbee: lookup, order, parcels, each up to 0.5 + 5 s) within one lease.
    "BOOKING_LEASE_SECONDS": "20",
    "BOOKING_RETRY_BASE_SECONDS": "1",
    "BOOKING_RETRY_MAX_SECONDS": "8",
    "CARRIER_BOOKING_TIMEOUT": "5",
    "KLARNA_CHECKOUT_RECONCILE_AFTER_SECONDS": "5",
    "KLARNA_CHECKOUT_RECONCILE_INTERVAL_SECONDS": "2",
    "KLARNA_CHECKOUT_READS_PER_MINUTE": "1200",
}
#: The phase in which Klarna forgets confirms.
FORGET_PHASE = "confirms_forgotten"
#: Who rescues a forgotten confirm, in turn.
RESCUERS = ("shop", "checkout_api")
DATABASE = "tms_gateway_faults"
WORKER_CONCURRENCY = 4
CLIENT_TIMEOUT_SECONDS = 10.0
READY_SECONDS = 30.0
SETTLED = ("booked", "failed", "cancelled", "expired")


class FaultsError(RuntimeError):
    """The drill cannot run; the text says why."""


# --------------------------------------------------------------------------------------------
# Klarna's side: checkouts on threads, every request recorded


@dataclass(frozen=True, slots=True)
class Request:
    at: float  # time.monotonic() when sent
    phase: str
    step: str
    status: int | None  # None: no answer (timeout, refused)
    ms: int


@dataclass(frozen=True, slots=True)
class Checkout:
    at: float
    phase: str
    ok: bool
    confirmed: bool
    shipment_id: str | None
    failed_step: str | None
    failure: str | None = None
    confirm_status: int | None = None  # our answer to the confirm (None: not sent or no answer)
    #: Klarna forgot this confirm although the purchase went through (a booking still owed).
    forgotten: bool = False
    #: Who is to confirm a forgotten one: "shop" (merchant API) or "checkout_api" (reconcile).
    rescuer: str | None = None
    order_id: str = ""
    purchased_at: float | None = None  # time.time() when the checkout order was completed


@dataclass
class Recorder:
    """Everything the clients saw, and which phase was running when they saw it."""

    phase: str = "starting"
    requests: list[Request] = field(default_factory=list)
    checkouts: list[Checkout] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def checkout(self, checkout: Checkout) -> None:
        with self.lock:
            self.checkouts.append(checkout)

    forget_every: int = 0  # 0: Klarna forgets nothing
    forgotten_count: int = 0
    shop_confirms: Counter[str] = field(default_factory=Counter)  # our answers to the shop

    def forget_next(self) -> str | None:
        """Whether Klarna forgets this checkout's confirm, and who then rescues it."""
        with self.lock:
            if self.phase != FORGET_PHASE or self.forget_every <= 0:
                return None
            self.forgotten_count += 1
            if self.forgotten_count % self.forget_every:
                return None
            return RESCUERS[(self.forgotten_count // self.forget_every) % len(RESCUERS)]

    def shop_confirm(self, answer: str) -> None:
        with self.lock:
            self.shop_confirms[answer] += 1

    def confirmed_since(self, since: float) -> int:
        with self.lock:
            return sum(1 for c in self.checkouts if c.confirmed and c.at >= since)


def _step_name(path: str, method: str) -> str:
    if path.endswith("/auth"):
        return "auth"
    if path.endswith("/shippingoptions"):
        return "shippingoptions"
    if path.endswith("/confirm"):
        return "confirm"
    return "shipment_create" if method == "POST" else "shipment_get"


def clients_run(
    *,
    base_url: str,
    identifier: str,
    key: str,
    clients: int,
    recorder: Recorder,
    stop: threading.Event,
    checkout_api: str = "",
    shop_api: str = "",
    shop_token: str = "",
    shop_confirm_delay: float = 2.0,
) -> list[threading.Thread]:
    """Start ``clients`` threads, each doing checkouts until ``stop`` is set.

    With ``checkout_api`` every checkout's order lives there; a forgotten confirm whose rescuer
    is the shop is confirmed at ``shop_api`` (the merchant API) with ``shop_token``,
    ``shop_confirm_delay`` seconds after the purchase.
    """
    from tms_gateway.ksa import simulator

    options = itertools.cycle(CARRIER_OPTIONS)
    options_lock = threading.Lock()

    class RecordingClient(simulator.KsaClient):
        def send(self, method: str, path: str, **kwargs: Any) -> simulator.Exchange:
            phase = recorder.phase
            at = time.monotonic()
            exchange = super().send(method, path, **kwargs)
            recorder.request(
                Request(at, phase, _step_name(path, method), exchange.status, exchange.ms)
            )
            return exchange

    def loop() -> None:
        client = RecordingClient(base_url, timeout=CLIENT_TIMEOUT_SECONDS)
        while not stop.is_set():
            with options_lock:
                option_id, country = next(options)
            rescuer = recorder.forget_next() if checkout_api else None
            scenario = simulator.scenario_build(
                base_url=base_url,
                identifier=identifier,
                key=key,
                country=country,
                option_id=option_id,
                checkout_api=checkout_api,
                confirm=rescuer is None,
            )
            phase, at = recorder.phase, time.monotonic()
            report = simulator.checkout_run(scenario, client=client)
            purchased_at = time.time() if report.checkout_completed else None
            failed = next((s for s in report.steps if not s.ok and not s.skipped), None)
            # Klarna sends the confirm once the purchase has gone through and ignores our
            # answer (but 401): a sent confirm is a booking owed, whatever we answered. So is
            # a completed purchase whose confirm Klarna forgot.
            confirm = next(s for s in report.steps if s.name == "confirm")
            forgotten = rescuer is not None and report.checkout_completed
            confirmed = (report.confirm_sent or forgotten) and bool(report.shipment_id)
            if forgotten and rescuer == "shop":
                timer = threading.Timer(
                    shop_confirm_delay,
                    _shop_confirm,
                    kwargs={
                        "api": shop_api,
                        "token": shop_token,
                        "order_id": report.order_id,
                        "recorder": recorder,
                    },
                )
                timer.daemon = True
                timer.start()
            recorder.checkout(
                Checkout(
                    at=at,
                    phase=phase,
                    ok=report.ok,
                    confirmed=confirmed,
                    shipment_id=report.shipment_id if confirmed else None,
                    confirm_status=confirm.status if report.confirm_sent else None,
                    failed_step=failed.name if failed else None,
                    failure=_UUID.sub("…", f"{failed.name}: {failed.error}")[:200]
                    if failed
                    else None,
                    forgotten=forgotten,
                    rescuer=rescuer if forgotten else None,
                    order_id=report.order_id,
                    purchased_at=purchased_at,
                )
            )
            if not report.ok:
                time.sleep(0.2)  # as Klarna would: no hot loop against a failing gateway

    threads = [
        threading.Thread(target=loop, name=f"klarna-{n}", daemon=True) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    return threads


def _shop_confirm(*, api: str, token: str, order_id: str, recorder: Recorder) -> None:
    """The shop's order flow confirms a paid order through the merchant API (retrying, as an
    order system would, while the gateway does not answer)."""
    import requests

    url = f"{api.rstrip('/')}/orders/{order_id}/confirm"
    answer = "none"
    for attempt in range(5):
        try:
            response = requests.post(
                url,
                json={"merchant_reference": f"drill-{order_id[:8]}"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=CLIENT_TIMEOUT_SECONDS,
            )
            answer = str(response.status_code)
            if response.status_code < 500:
                break
        except requests.RequestException:
            answer = "none"
        time.sleep(1.0 + attempt)
    recorder.shop_confirm(answer)


# --------------------------------------------------------------------------------------------
# Our own PostgreSQL and Redis


def _run(argv: Sequence[str], *, what: str, user: str | None = None) -> str:
    command = list(argv)
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise FaultsError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _postgres_bin() -> Path:
    """The folder with initdb, pg_ctl and createdb (Debian keeps them out of PATH)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found))
    for initdb in candidates:
        if all((initdb.parent / tool).exists() for tool in ("pg_ctl", "createdb")):
            return initdb.parent
    raise FaultsError(
        "initdb, pg_ctl and createdb are not installed: install PostgreSQL's server package "
        "(Debian: postgresql)"
    )


class Postgres:
    """A throwaway PostgreSQL cluster on a free port, stopped and started at will."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tms-faults-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            shutil.chown(self.dir, user=self.user, group=self.user)
        self.data = self.dir / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def init(self) -> None:
        _run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"],
            what="initdb",
            user=self.user,
        )
        self.start()
        _run(
            [
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                DATABASE,
            ],
            what="createdb",
            user=self.user,
        )

    def _ctl(self, *args: str) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.data), *args], what="pg_ctl", user=self.user)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._ctl("-l", str(self.dir / "postgres.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(FaultsError):
            self._ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A redis-server of our own (nothing kept on disk, as in deploy/), stopped and started."""

    def __init__(self) -> None:
        found = shutil.which("redis-server")
        if found is None:
            raise FaultsError("redis-server is not installed (Debian: redis-server)")
        self.executable = found
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed argv
            [
                self.executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if reachable("127.0.0.1", self.port):
                return
            time.sleep(0.05)
        raise FaultsError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


# --------------------------------------------------------------------------------------------
# Celery


class Celery(Server):
    """``celery worker`` or ``celery beat``; ready when its log says so."""

    def __init__(self, *, name: str, argv: Sequence[str], env: Mapping[str, str], ready: str):
        log_path = VAR / f"faults-{name}.log"
        super().__init__(
            name=name, argv=argv, env=env, port=0, ready="", log_path=log_path, append=True
        )
        self.ready_text = ready

    def wait_ready(self) -> None:
        assert self.proc is not None
        start = self.log_path.stat().st_size if self.log_path.exists() else 0
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FaultsError(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            with self.log_path.open("rb") as log:
                log.seek(max(0, start - 4096))
                if self.ready_text.encode() in log.read():
                    return
            time.sleep(0.1)
        raise FaultsError(f"{self.name} not ready in {READY_SECONDS:g} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole group: the main process and its pool, no warm shutdown."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


# --------------------------------------------------------------------------------------------
# The report (pure)


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    status: str
    booking_error: str
    confirmed_by: str = ""
    booked_at: float | None = None  # epoch seconds


@dataclass(frozen=True, slots=True)
class Window:
    """One phase: when it ran and, for an outage or a carrier fault, when the part came back."""

    name: str
    description: str
    start: float
    end: float
    restored: float | None = None


def _failed_request(request: Request) -> bool:
    return request.status is None or request.status >= 500


def phase_summary(
    window: Window, requests: Sequence[Request], checkouts: Sequence[Checkout]
) -> dict[str, Any]:
    mine = [r for r in requests if r.phase == window.name]
    answered = [r for r in mine if r.status is not None]
    statuses = Counter(str(r.status) if r.status is not None else "none" for r in mine)
    done = [c for c in checkouts if c.phase == window.name]
    summary: dict[str, Any] = {
        "description": window.description,
        "seconds": round(window.end - window.start, 1),
        "requests": len(mine),
        "answered": len(answered),
        "unanswered": len(mine) - len(answered),
        "server_errors_5xx": sum(1 for r in answered if r.status is not None and r.status >= 500),
        "statuses": dict(sorted(statuses.items())),
        "checkouts": len(done),
        "checkouts_completed": sum(1 for c in done if c.ok),
        "checkouts_failed": dict(
            sorted(Counter(c.failed_step or "?" for c in done if not c.ok).items())
        ),
        "checkout_failures": dict(
            Counter(c.failure or "?" for c in done if not c.ok).most_common(5)
        ),
    }
    if window.restored is not None:
        summary["time_to_recover_s"] = time_to_recover(window.restored, mine)
    return summary


def time_to_recover(restored: float, requests: Sequence[Request]) -> float:
    """Seconds from the part coming back to the last failed request sent after it (0: none).

    ``requests`` are the phase's own: the next phase's fault is not this one's recovery.
    """
    late = [r.at for r in requests if r.at >= restored and _failed_request(r)]
    return round(max(late) - restored, 2) if late else 0.0


_REFERENCE = re.compile(r"\b[0-9a-f]{32}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def bookings_summary(
    *,
    confirmed: Sequence[str],
    shipments: Mapping[str, ShipmentRow | tuple[str, str]],
    ledger: Mapping[str, Mapping[str, int]],
    phase_of: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Klarna's confirmed shipments against the gateway's rows and the carriers' ledger.

    ``confirmed``: public ids (hex or with dashes) of the shipments Klarna sent a confirm for,
    whatever we answered (Klarna does not send it again);
    ``shipments``: public id hex -> (status, booking_error); ``ledger``: carrier -> reference
    (public id hex) -> bookings made; ``phase_of``: public id hex -> the phase its checkout
    started in. Failure reasons are grouped with the references in them left out.
    """
    phase_of = phase_of or {}
    at_carrier: Counter[str] = Counter()
    for references in ledger.values():
        for reference, count in references.items():
            at_carrier[reference] += count
    statuses: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    failed_by_phase: Counter[str] = Counter()
    lost: list[str] = []
    for public_id in (c.replace("-", "") for c in confirmed):
        row = shipments.get(public_id, ("missing", ""))
        status, error = (row.status, row.booking_error) if isinstance(row, ShipmentRow) else row
        statuses[status] += 1
        if status == "booked" and at_carrier[public_id] == 0:
            lost.append(public_id)  # we say booked; the carrier has nothing
        elif status == "failed":
            reason = _REFERENCE.sub("…", error.splitlines()[0])[:160] if error else "(no reason)"
            failures[reason] += 1
            failed_by_phase[phase_of.get(public_id, "?")] += 1
        elif status not in SETTLED:
            lost.append(public_id)  # never booked and never given up: Klarna's order waits
    duplicated = sorted(ref for ref, count in at_carrier.items() if count > 1)
    return {
        "confirmed": len(confirmed),
        "booked": statuses.get("booked", 0),
        "failed": statuses.get("failed", 0),
        "failed_reasons": dict(failures.most_common(10)),
        "failed_by_phase": dict(sorted(failed_by_phase.items())),
        "lost_by_phase": dict(sorted(Counter(phase_of.get(i, "?") for i in lost).items())),
        "statuses": dict(sorted(statuses.items())),
        "lost": len(lost),
        "lost_sample": lost[:10],
        "duplicated": len(duplicated),
        "duplicated_sample": duplicated[:10],
    }


def _seconds_stats(values: Sequence[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"median": None, "p95": None, "max": None}
    return {
        "median": round(ordered[len(ordered) // 2], 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max": round(ordered[-1], 2),
    }


def forgotten_summary(
    *,
    checkouts: Sequence[Checkout],
    shipments: Mapping[str, ShipmentRow],
    ledger: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    """The purchases whose confirm Klarna forgot: who confirmed them, whether each was booked
    exactly once at its carrier, and how long from the purchase to the booking."""
    at_carrier: Counter[str] = Counter()
    for references in ledger.values():
        for reference, count in references.items():
            at_carrier[reference] += count
    forgotten = [c for c in checkouts if c.forgotten and c.shipment_id]
    by_source: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    seconds: dict[str, list[float]] = {}
    booked = failed = lost = duplicated = 0
    for checkout in forgotten:
        public_id = (checkout.shipment_id or "").replace("-", "")
        row = shipments.get(public_id)
        asked[checkout.rescuer or "?"] += 1
        if row is None:
            lost += 1
            continue
        by_source[row.confirmed_by or "(not confirmed)"] += 1
        count = at_carrier[public_id]
        if count > 1:
            duplicated += 1
        if row.status == "booked" and count >= 1:
            booked += 1
            if row.booked_at is not None and checkout.purchased_at is not None:
                seconds.setdefault(row.confirmed_by or "?", []).append(
                    max(0.0, row.booked_at - checkout.purchased_at)
                )
        elif row.status in ("failed", "cancelled"):
            failed += 1  # given up with the carrier's words, for staff: not lost
        else:
            lost += 1
    return {
        "forgotten": len(forgotten),
        "rescuer_asked": dict(sorted(asked.items())),
        "confirmed_by": dict(sorted(by_source.items())),
        "booked": booked,
        "failed": failed,
        "lost": lost,
        "duplicated": duplicated,
        "seconds_purchase_to_booked": {
            source: _seconds_stats(values) for source, values in sorted(seconds.items())
        },
    }


# --------------------------------------------------------------------------------------------
# The drill


def _log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} {message}", flush=True)


def _sleep(seconds: float, stop: threading.Event | None = None) -> None:
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)


def _shipments_read(database_url: str) -> dict[str, ShipmentRow]:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT public_id, status, booking_error, confirmed_by, "
            "extract(epoch FROM booked_at) FROM shipments_shipment"
        ).fetchall()
    return {
        row[0].hex: ShipmentRow(
            row[1], row[2] or "", row[3] or "", float(row[4]) if row[4] is not None else None
        )
        for row in rows
    }


def _forgotten_waiting(database_url: str, public_ids: Sequence[str]) -> int:
    """Forgotten confirms not yet confirmed by anyone (still reserved, or expired)."""
    if not public_ids:
        return 0
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(database_url, connect_timeout=5) as c:
        row = c.execute(
            "SELECT count(*) FROM shipments_shipment WHERE status IN ('reserved', 'expired') "
            "AND public_id = ANY(%s::uuid[])",
            (list(public_ids),),
        ).fetchone()
        return int(row[0]) if row else -1
    return -1


def _in_progress(database_url: str) -> int:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(database_url, connect_timeout=5) as c:
        row = c.execute(
            "SELECT count(*) FROM shipments_shipment WHERE status IN ('confirmed', 'booking')"
        ).fetchone()
        return int(row[0]) if row else -1
    return -1


@dataclass
class Drill:
    args: argparse.Namespace
    env: dict[str, str]
    sandbox: Sandbox
    postgres: Postgres
    redis: Redis
    worker: Celery
    recorder: Recorder
    windows: list[Window] = field(default_factory=list)
    worker_kills: int = 0

    @contextlib.contextmanager
    def phase(self, name: str, description: str) -> Iterator[dict[str, float]]:
        _log(f"→ {name}: {description}")
        self.recorder.phase = name
        marks: dict[str, float] = {}
        start = time.monotonic()
        _sleep(PHASE_LEAD_SECONDS)
        try:
            yield marks
        finally:
            self.windows.append(
                Window(name, description, start, time.monotonic(), marks.get("restored"))
            )

    def carrier_phase(self, name: str, description: str, faults: Sequence[dict[str, Any]]) -> None:
        with self.phase(name, description) as marks:
            for fault in faults:
                self.sandbox.control("POST", "/faults", fault)
            _sleep(self.args.phase_seconds)
            self.sandbox.faults_clear()
            marks["restored"] = time.monotonic()
            _sleep(self.args.recover_seconds)

    def run(self) -> None:
        seconds = self.args.phase_seconds
        with self.phase("baseline", "nothing broken"):
            _sleep(seconds)
        if self.recorder.forget_every > 0:
            with self.phase(
                FORGET_PHASE,
                f"Klarna forgets one confirm in {self.recorder.forget_every}; the shop's order "
                "flow and the checkout API read confirm them in turn",
            ):
                _sleep(seconds)
        self.carrier_phase(
            "carrier_hang", "Budbee never answers", [{"carrier": "budbee", "hang": True}]
        )
        self.carrier_phase(
            "carrier_5xx",
            "PostNord answers 503, Bring 500",
            [{"carrier": "postnord", "status": 503}, {"carrier": "bring", "status": 500}],
        )
        self.carrier_phase(
            "carrier_garbage",
            "Instabox and DHL answer 200 with a broken body",
            [{"carrier": "instabox", "malformed": True}, {"carrier": "dhl", "malformed": True}],
        )
        with self.phase(
            "redis_down", f"Redis stopped for {self.args.outage_seconds:g} s, started empty"
        ) as marks:
            self.redis.stop()
            _sleep(self.args.outage_seconds)
            self.redis.start()
            marks["restored"] = time.monotonic()
            _sleep(self.args.recover_seconds)
        with self.phase(
            "postgres_restart", f"PostgreSQL stopped for {self.args.outage_seconds:g} s"
        ) as marks:
            self.postgres.stop()
            _sleep(self.args.outage_seconds)
            self.postgres.start()
            marks["restored"] = time.monotonic()
            _sleep(self.args.recover_seconds)
        with self.phase(
            "worker_killed",
            f"the Celery worker killed every {self.args.kill_every:g} s "
            f"until {self.args.bookings} more checkouts were confirmed",
        ) as marks:
            since = time.monotonic()
            deadline = since + self.args.bookings_timeout
            while self.recorder.confirmed_since(since) < self.args.bookings:
                if time.monotonic() > deadline:
                    _log(f"  gave up waiting for {self.args.bookings} confirmed checkouts")
                    break
                _sleep(self.args.kill_every)
                self.worker.kill()
                self.worker_kills += 1
                _sleep(self.args.worker_down_seconds)
                self.worker.start()
                self.worker.wait_ready()
                _log(
                    f"  worker killed {self.worker_kills}x; "
                    f"{self.recorder.confirmed_since(since)} confirmed so far"
                )
            marks["restored"] = time.monotonic()


def child_env(
    *, web_port: int, sandbox_port: int, database_url: str, redis_url: str
) -> dict[str, str]:
    """The bench's environment for our own PostgreSQL and Redis, with the drill's timings."""
    env = bench_child_env(
        web_port=web_port, sandbox_port=sandbox_port, database_url=database_url, redis_url=redis_url
    )
    env.update(DJANGO_DEBUG="false", **WORKER_ENV)
    return env


def args_parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tms_gateway.devtools.faults",
        description="Break the gateway's parts under load; write var/faults.json.",
    )
    number = parser.add_argument
    number("--bookings", type=int, default=1000, help="checkouts confirmed while the worker is "
           "being killed (default 1000)")  # fmt: skip
    number("--clients", type=int, default=8, help="Klarna's concurrent checkouts (default 8)")
    number("--phase-seconds", type=float, default=20, help="length of each fault (default 20)")
    number("--outage-seconds", type=float, default=10,
           help="how long Redis and PostgreSQL stay down (default 10)")  # fmt: skip
    number("--recover-seconds", type=float, default=10,
           help="load after each fault ends, before the next (default 10)")  # fmt: skip
    number("--kill-every", type=float, default=8, help="seconds between worker kills (default 8)")
    number("--worker-down-seconds", type=float, default=1,
           help="seconds a killed worker stays down (default 1)")  # fmt: skip
    number("--bookings-timeout", type=float, default=900,
           help="give up on reaching --bookings after this long (default 900)")  # fmt: skip
    number("--settle-seconds", type=float, default=300,
           help="at most this long for bookings in progress to finish (default 300)")  # fmt: skip
    number("--forget-every", type=int, default=5,
           help="in the confirms_forgotten phase Klarna forgets one confirm in this many "
           "(default 5; 0 skips the phase)")  # fmt: skip
    number("--shop-confirm-delay", type=float, default=2.0,
           help="seconds from a purchase to the shop's own confirm (default 2)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default var/faults.json")
    args = parser.parse_args(argv)
    if args.bookings < 0 or args.clients < 1:
        parser.error("--bookings must not be negative and --clients must be at least 1")
    if args.forget_every < 0 or args.forget_every == 1 or args.shop_confirm_delay < 0:
        parser.error("--forget-every must be 0 or at least 2; --shop-confirm-delay not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = args_parse(argv)
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        return run(args)
    except (FaultsError, BenchError) as exc:
        print(f"faults: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nfaults: interrupted; everything started is stopped", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    identifier = os.environ.get("DEMO_KSA_IDENTIFIER", "demo")
    key = os.environ.get("DEMO_KSA_KEY", "demo-key")
    VAR.mkdir(exist_ok=True)
    started_at = dt.datetime.now(dt.UTC)
    with contextlib.ExitStack() as stack:
        _log("Starting PostgreSQL and Redis of our own")
        postgres = Postgres()
        stack.callback(postgres.destroy)
        postgres.init()
        redis = Redis()
        stack.callback(redis.stop)
        redis.start()
        web_port, sandbox_port = free_port(), free_port()
        env = child_env(
            web_port=web_port,
            sandbox_port=sandbox_port,
            database_url=postgres.url,
            redis_url=redis.url,
        )
        _log("Migrating and seeding the demo shop")
        manage(["migrate", "--noinput"], env)
        manage(["seed_demo"], env)
        shop_token = manage(
            ["api_token_issue", "--merchant", "demo", "--name", "fault drill order flow"], env
        ).strip()

        bin_dir = Path(sys.executable).parent
        sandbox = Server(
            name="sandbox",
            argv=[sys.executable, "manage.py", "carrier_sandbox", "--port", str(sandbox_port)],
            env=env,
            port=sandbox_port,
            ready="/_sandbox/health",
            log_path=VAR / "faults-sandbox.log",
        )
        web = Server(
            name="gunicorn",
            argv=[str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "tms_gateway.wsgi"],
            env=env,
            port=web_port,
            ready="/healthz",
            log_path=VAR / "faults-gunicorn.log",
        )
        celery = str(bin_dir / "celery")
        worker = Celery(
            name="worker",
            argv=[
                celery,
                "--app",
                "tms_gateway",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(WORKER_CONCURRENCY),
                "--hostname",
                "faults@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            env=env,
            ready=" ready.",
        )
        beat_dir = Path(tempfile.mkdtemp(prefix="tms-faults-beat-"))
        stack.callback(shutil.rmtree, beat_dir, True)
        beat = Celery(
            name="beat",
            argv=[
                celery,
                "--app",
                "tms_gateway",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(beat_dir / "schedule"),
            ],
            env=env,
            ready="beat: Starting...",
        )
        for part in (worker, beat):
            part.log_path.unlink(missing_ok=True)
        for server in (sandbox, web, worker, beat):
            stack.callback(server.stop)
            server.start()
        for server in (sandbox, web, worker, beat):
            server.wait_ready()
        control = Sandbox(sandbox_port)
        control.control("POST", "/reset", {})

        recorder = Recorder(forget_every=args.forget_every)
        stop = threading.Event()
        recorder.phase = "warmup"
        threads = clients_run(
            base_url=f"http://127.0.0.1:{web_port}/ksa/v1",
            identifier=identifier,
            key=key,
            clients=args.clients,
            recorder=recorder,
            stop=stop,
            checkout_api=f"http://127.0.0.1:{sandbox_port}/klarna",
            shop_api=f"http://127.0.0.1:{web_port}/api/v1",
            shop_token=shop_token,
            shop_confirm_delay=args.shop_confirm_delay,
        )
        drill = Drill(args, env, control, postgres, redis, worker, recorder)
        try:
            _sleep(3)
            drill.run()
        finally:
            stop.set()
            for thread in threads:
                thread.join(CLIENT_TIMEOUT_SECONDS * 2)

        _log("Klarna stopped; waiting for the bookings in progress to finish")
        settle_start = time.monotonic()
        forgotten_ids = [c.shipment_id for c in recorder.checkouts if c.forgotten and c.shipment_id]

        def waiting() -> int:
            busy = _in_progress(postgres.url)
            unrescued = _forgotten_waiting(postgres.url, forgotten_ids)
            return -1 if -1 in (busy, unrescued) else busy + unrescued

        left = waiting()
        while left != 0 and time.monotonic() - settle_start < args.settle_seconds:
            time.sleep(1)
            left = waiting()
        settle_s = round(time.monotonic() - settle_start, 1)
        _log(f"  {left} still in progress after {settle_s:g} s")

        confirmed = [c.shipment_id for c in recorder.checkouts if c.shipment_id]
        confirm_answers = Counter(str(c.confirm_status) for c in recorder.checkouts if c.confirmed)
        ledger = control.control("GET", "/stats").get("bookings") or {}
        rows = _shipments_read(postgres.url)
        forgotten = forgotten_summary(checkouts=recorder.checkouts, shipments=rows, ledger=ledger)
        forgotten["shop_confirm_answers"] = dict(sorted(recorder.shop_confirms.items()))
        bookings = bookings_summary(
            confirmed=confirmed,
            shipments=rows,
            ledger=ledger,
            phase_of={
                c.shipment_id.replace("-", ""): c.phase for c in recorder.checkouts if c.shipment_id
            },
        )
        bookings["confirm_answers"] = dict(sorted(confirm_answers.items()))
        bookings["settle_seconds"] = settle_s
        bookings["in_progress_at_end"] = left
        bookings["worker_kills"] = drill.worker_kills

    report = report_build(args, drill, recorder, bookings, started_at, forgotten)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(report_format(report))
    print(f"\nWrote {output}")
    return 0 if report["passed"] else 1


def report_build(
    args: argparse.Namespace,
    drill: Drill,
    recorder: Recorder,
    bookings: dict[str, Any],
    started_at: dt.datetime,
    forgotten: dict[str, Any] | None = None,
) -> dict[str, Any]:
    phases = {
        w.name: phase_summary(w, recorder.requests, recorder.checkouts) for w in drill.windows
    }
    totals = phase_summary(
        Window("all", "", 0, 0),
        [replace(r, phase="all") for r in recorder.requests if r.phase != "warmup"],
        [replace(c, phase="all") for c in recorder.checkouts if c.phase != "warmup"],
    )
    totals.pop("seconds")
    totals.pop("description")
    outside_pg = sum(p["server_errors_5xx"] for n, p in phases.items() if n != "postgres_restart")
    forgotten = forgotten or {"forgotten": 0, "lost": 0, "duplicated": 0}
    passed = (
        bookings["lost"] == 0
        and bookings["duplicated"] == 0
        and outside_pg == 0
        and forgotten["lost"] == 0
        and forgotten["duplicated"] == 0
    )
    return {
        "generated_at": started_at.isoformat(timespec="seconds"),
        "passed": passed,
        "verdict": (
            "no booking lost or duplicated, no 5xx outside the PostgreSQL outage"
            if passed
            else "FAILED: see bookings.lost, bookings.duplicated and server_errors_5xx"
        ),
        "config": {
            "clients": args.clients,
            "bookings_asked": args.bookings,
            "phase_seconds": args.phase_seconds,
            "outage_seconds": args.outage_seconds,
            "recover_seconds": args.recover_seconds,
            "kill_every_seconds": args.kill_every,
            "worker_down_seconds": args.worker_down_seconds,
            "forget_every": args.forget_every,
            "shop_confirm_delay_seconds": args.shop_confirm_delay,
            "web": f"gunicorn {WEB_CONCURRENCY} workers x {GUNICORN_THREADS} threads",
            "worker": f"celery prefork x {WORKER_CONCURRENCY}, one beat",
            "booking_timings": WORKER_ENV,
            "cpu_count": os.cpu_count(),
        },
        "totals": totals,
        "phases": phases,
        "bookings": bookings,
        "forgotten_confirms": forgotten,
    }


def report_format(report: Mapping[str, Any]) -> str:
    header = (
        f"{'phase':<18}{'requests':>9}{'answered':>9}{'5xx':>6}{'no ans':>7}"
        f"{'checkouts ok':>13}{'recover s':>10}"
    )
    lines = [header, "-" * len(header)]
    rows: list[tuple[str, Mapping[str, Any]]] = list(report["phases"].items())
    rows.append(("all", report["totals"]))
    for name, p in rows:
        recover = p.get("time_to_recover_s")
        checkouts = f"{p.get('checkouts_completed', 0)}/{p.get('checkouts', 0)}"
        lines.append(
            f"{name:<18}{p['requests']:>9}{p['answered']:>9}{p['server_errors_5xx']:>6}"
            f"{p['unanswered']:>7}{checkouts:>13}{'-' if recover is None else recover:>10}"
        )
    b = report["bookings"]
    lines.append("")
    lines.append(
        f"bookings: {b['confirmed']} confirmed, {b['booked']} booked, {b['failed']} failed "
        f"(for staff), {b['lost']} lost, {b['duplicated']} duplicated; "
        f"worker killed {b['worker_kills']}x; settled in {b['settle_seconds']} s"
    )
    f = report.get("forgotten_confirms") or {}
    if f.get("forgotten"):
        timing = "; ".join(
            f"{source}: median {t['median']} s, p95 {t['p95']} s, max {t['max']} s"
            for source, t in f["seconds_purchase_to_booked"].items()
        )
        by = ", ".join(f"{source} {n}" for source, n in f["confirmed_by"].items())
        lines.append(
            f"forgotten confirms: {f['forgotten']}, confirmed by {by}; {f['booked']} booked, "
            f"{f['failed']} failed, {f['lost']} lost, {f['duplicated']} duplicated; "
            f"purchase to booked: {timing}"
        )
    for reason, count in b["failed_reasons"].items():
        lines.append(f"  failed {count}x: {reason}")
    if b["failed_by_phase"]:
        by_phase = ", ".join(f"{phase} {n}" for phase, n in b["failed_by_phase"].items())
        lines.append(f"  failed by the phase their checkout started in: {by_phase}")
    lines.append(f"verdict: {report['verdict']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
