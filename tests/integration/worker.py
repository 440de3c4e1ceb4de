"""A real Celery worker (with beat) in a subprocess, and Klarna's side of a checkout.

The worker runs ``celery -A tms_gateway worker --beat`` against the database and Redis the test
process uses (the test database, so it sees what a ``transaction=True`` test commits). Its
schedules and booking leases are shortened to seconds. One worker serves a whole module;
``CeleryWorkers.ensure`` restarts it only when a test needs other settings, and a test may kill
it and start another. Each worker's output goes to a log file whose tail is added to the report
of a failing test (see ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from carriers.sandbox.server import SandboxServer
from merchants.demo import demo_merchant_seed
from tests.conftest import Sandbox
from tms_gateway.shipments.models import Shipment, ShipmentStatus

T = TypeVar("T")

# Short schedules and leases, so that a whole scenario takes seconds.
WORKER_ENV = {
    "SCHEDULE_REQUEUE_SECONDS": "1",
    "SCHEDULE_EXPIRE_SECONDS": "1",
    "BOOKING_REQUEUE_AFTER_SECONDS": "1",
    "BOOKING_LEASE_SECONDS": "3",
    "BOOKING_RETRY_BASE_SECONDS": "0.5",
    "BOOKING_RETRY_MAX_SECONDS": "2",
    "CARRIER_BOOKING_TIMEOUT": "2",
}
READY_SECONDS = 30.0
STOP_SECONDS = 10.0
POLL_SECONDS = 20.0

# PostNord's booking endpoint (EDI instruction with labels), as the sandbox sees its path.
POSTNORD_BOOKING_PATH = "/rest/shipment/v3/edi/labels/pdf"


def wait_for(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout: float = POLL_SECONDS,
    interval: float = 0.1,
) -> T:
    """Call ``probe`` until it returns something other than None (or False); return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def broker_unreachable() -> Iterator[None]:
    """This process publishes to a closed port (a real connection refusal) until the end.

    The app's connection and producer pools are swapped, not closed: a closed kombu pool
    refuses every later publish ("Acquire on closed pool"), even with the old URL restored.
    """
    from tms_gateway.celery import app

    saved = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def worker_database_url() -> str:
    """DATABASE_URL of the database this test process uses (the test database)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}"


@dataclass
class CeleryWorker:
    """One ``celery worker --beat`` subprocess, in its own process group."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    extra_env: dict[str, str]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Until the consumer is ready and beat has started (both say so in the log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(
                    f"celery worker {self.name} exited with {self.process.returncode}:\n"
                    + self.tail()
                )
            text = self.log()
            if " ready." in text and "beat: Starting..." in text:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"celery worker {self.name} not ready in {timeout:.0f} s:\n" + self.tail()
        )

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """kill -9 the worker and everything it started (the embedded beat)."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); kill -9 if it does not stop in time."""
        if self.alive:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_SECONDS)
        # Whatever is left of the group (the beat process) goes too.
        self._signal_group(signal.SIGKILL)
        if self.alive:
            self.process.wait(timeout=STOP_SECONDS)


@dataclass
class CeleryWorkers:
    """At most one worker at a time, started with the base environment plus a test's extras."""

    directory: Path
    base_env: dict[str, str]
    current: CeleryWorker | None = None
    started: list[CeleryWorker] = field(default_factory=list)
    _count: int = 0
    _test_start: int = 0

    def start(self, **extra_env: str) -> CeleryWorker:
        self.stop()
        self._count += 1
        name = f"it{self._count}-{uuid.uuid4().hex[:6]}"
        workdir = self.directory / name
        workdir.mkdir(parents=True)
        log_path = workdir / "worker.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tms_gateway",
            "worker",
            "--beat",
            "--schedule",
            str(workdir / "beat-schedule"),
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--queues",
            "celery",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        env = {**os.environ, **self.base_env, **extra_env}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = CeleryWorker(name=name, process=process, log_path=log_path, extra_env=extra_env)
        self.current = worker
        self.started.append(worker)
        try:
            worker.wait_ready()
        except BaseException:
            worker.stop()
            raise
        return worker

    def ensure(self, **extra_env: str) -> CeleryWorker:
        """The running worker if it has these settings, else a new one."""
        worker = self.current
        if worker is not None and worker.alive and worker.extra_env == extra_env:
            return worker
        return self.start(**extra_env)

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None

    def test_started(self) -> None:
        """From now on ``tails`` shows the workers of a new test (the running one included)."""
        self._test_start = len(self.started) - (1 if self.current is not None else 0)

    def tails(self, lines: int = 60) -> str:
        """The end of the log of every worker that served the current test."""
        return "\n\n".join(
            f"--- celery worker {w.name} ({w.log_path}) ---\n{w.tail(lines)}"
            for w in self.started[self._test_start :]
        )


@pytest.fixture(scope="module")
def _live_workers(
    django_db_setup: None,
    _sandbox_server: SandboxServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorkers]:
    """One worker manager per module: its worker outlives a test unless one asks otherwise."""
    base_env = {
        **WORKER_ENV,
        "DJANGO_SETTINGS_MODULE": "tms_gateway.settings.test",
        "DATABASE_URL": worker_database_url(),
        # This test worker's own Redis database already (settings/test.py): not moved again.
        "REDIS_URL": settings.REDIS_URL,
        "PYTEST_XDIST_WORKER": "",
        "KSA_RESERVATION_LIFETIME_SECONDS": str(
            int(settings.KSA_RESERVATION_LIFETIME.total_seconds())
        ),
        "PYTHONUNBUFFERED": "1",
    }
    workers = CeleryWorkers(directory=tmp_path_factory.mktemp("celery"), base_env=base_env)
    try:
        yield workers
    finally:
        workers.stop()


@pytest.fixture
def live_workers(_live_workers: CeleryWorkers) -> CeleryWorkers:
    """The module's workers, for a test that starts, restarts or kills them itself."""
    _live_workers.test_started()
    return _live_workers


@pytest.fixture
def live_worker(live_workers: CeleryWorkers) -> CeleryWorker:
    """A running worker with the default (short) settings, shared by the module's tests."""
    return live_workers.ensure()


# --- Klarna's side --------------------------------------------------------------------------

AUTH_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
SELECT_TYPE = "application/vdn.klarna.shipping.select_option-v1+json"
DEMO_IDENTIFIER = "demo"
DEMO_KEY = "demo-key"

RECIPIENT = {
    "given_name": "Testperson-se",
    "family_name": "Approved",
    "email": "youremail@email.com",
    "phone": "+46765260000",
    "street_address": "Drottninggatan 53",
    "postal_code": "11151",
    "city": "Stockholm",
    "country": "SE",
    "customer_type": "person",
}
ORDER = {
    "id": "f3392f8b-6116-4073-ab96-e330819e2c07",
    "total_amount": 59800,
    "total_tax": 11960,
    "total_weight": 1700,
    "lines": [
        {
            "reference": "19-402-SWE",
            "type": "physical",
            "quantity": 2,
            "unit_price": 29900,
            "tax_rate": 2500,
            "total_discount_amount": 0,
            "total_price_including_tax": 59800,
            "total_tax_amount": 11960,
            "attributes": {
                "weight": 850,
                "dimensions": {"height": 100, "width": 200, "length": 300},
            },
        }
    ],
}


def klarna_session(session_id: str | None = None) -> dict[str, Any]:
    """A checkout session with a full Swedish address."""
    return {
        "session_id": session_id or str(uuid.uuid4()),
        "currency": "SEK",
        "locale": "sv-SE",
        "order": json.loads(json.dumps(ORDER)),
        "recipient": dict(RECIPIENT),
    }


class Klarna:
    """Plays Klarna over Django's test client: auth, options, reserve, confirm, read."""

    def __init__(self, client: Client, *, identifier: str, key: str) -> None:
        self.client = client
        self.identifier = identifier
        self.key = key
        self.token = ""

    def login(self) -> Klarna:
        nonce = uuid.uuid4().hex
        response = self.client.post(
            "/ksa/v1/auth",
            data=json.dumps(
                {
                    "identifier": self.identifier,
                    "secret": {
                        "nonce": nonce,
                        "digest": hashlib.sha256((nonce + self.key).encode()).hexdigest(),
                    },
                }
            ),
            content_type=AUTH_TYPE,
        )
        assert response.status_code == 201, response.content
        self.token = response.json()["token"]
        return self

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, body: dict[str, Any], *, content_type: str = SELECT_TYPE) -> Any:
        return self.client.post(
            f"/ksa/v1/{path}",
            data=json.dumps(body),
            content_type=content_type,
            headers=self._headers(),
        )

    def get(self, path: str) -> Any:
        return self.client.get(f"/ksa/v1/{path}", headers=self._headers())

    def options(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post("shippingoptions", session, content_type="application/json")
        assert response.status_code == 200, response.content
        return list(response.json()["shipping_options"])

    def reserve_preselected(self, session: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ask for options, reserve the preselected one (at its first location, if any)."""
        session = session or klarna_session()
        options = self.options(session)
        preselected = [o for o in options if o.get("preselected")]
        assert len(preselected) == 1, options
        chosen: dict[str, Any] = {"id": preselected[0]["id"]}
        if preselected[0].get("locations"):
            chosen["location"] = {"id": preselected[0]["locations"][0]["id"]}
        response = self.post("shipment", {**session, "selected_shipping_option": chosen})
        assert response.status_code == 201, response.content
        return dict(response.json())

    def confirm(self, shipment_id: str) -> Any:
        return self.post(f"shipment/{shipment_id}/confirm", {})

    def shipment(self, shipment_id: str) -> Any:
        return self.get(f"shipment/{shipment_id}")


@pytest.fixture
def demo_klarna(transactional_db: None, sandbox: Sandbox, settings: Any) -> Klarna:
    """The demo shop (its carrier agreements at the test's sandbox), Klarna logged in."""
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    demo_merchant_seed(identifier=DEMO_IDENTIFIER, key=DEMO_KEY)
    return Klarna(Client(), identifier=DEMO_IDENTIFIER, key=DEMO_KEY).login()


# --- Reading the outcome --------------------------------------------------------------------

FINAL = {ShipmentStatus.BOOKED, ShipmentStatus.FAILED, ShipmentStatus.CANCELLED}


def shipment_by_public_id(public_id: str) -> Shipment:
    return Shipment.objects.get(public_id=public_id)


def wait_for_status(public_id: str, *statuses: str, timeout: float = POLL_SECONDS) -> Shipment:
    """The shipment once its status is one of ``statuses`` (or final: then the test can say
    what went wrong instead of timing out)."""
    wanted = set(statuses) | FINAL

    def probe() -> Shipment | None:
        shipment = shipment_by_public_id(public_id)
        return shipment if shipment.status in wanted else None

    return wait_for(
        probe, what=f"shipment {public_id} to become {'/'.join(statuses)}", timeout=timeout
    )


def transitions(shipment: Shipment) -> list[tuple[str, str, str]]:
    """(from, to, actor) of every event, oldest first."""
    return [(e.from_status, e.to_status, e.actor) for e in shipment.events.order_by("id")]
