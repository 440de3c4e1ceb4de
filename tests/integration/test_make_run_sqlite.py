"""`make run` on SQLite under Klarna's bursts (security review, issue 13, item 10).

Klarna calls one session's endpoints in parallel and sends a confirm once: 40 concurrent calls
per session once had 420 of 600 reservations and 42 of 150 confirms answered 503 ("database is
locked"), and connections reset by runserver's listen backlog of 10. Here the gateway runs as
`make run` serves it (``manage.py runserver --noreload`` with the local settings, a temporary
SQLite file migrated and seeded, the carrier sandbox beside it) and is called over real HTTP:
every reservation and confirm must be answered 2xx, and the database must hold one confirmed
shipment per session, confirmed once. No worker runs (the broker is in memory), so nothing
moves a shipment past "confirmed".
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tms_gateway.devtools.harness import ROOT, Server, free_port, manage, servers_running
from tms_gateway.ksa.simulator import (
    AUTH_MEDIA_TYPE,
    SELECT_OPTION_MEDIA_TYPE,
    Scenario,
    auth_payload,
    scenario_build,
    selection_payload,
    session_payload,
)

PER_SESSION = 40
SESSIONS_PER_WAVE = 3
TIMEOUT = 30.0
# The environment of the pytest run points at PostgreSQL and Redis; `make run` has neither.
NOT_MAKE_RUN = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


Call = Callable[[], tuple[int, Any]]


@dataclass(frozen=True)
class Gateway:
    base_url: str
    database: Path
    token: str
    log: Path


def make_run_env(*, database: Path, sandbox_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_MAKE_RUN}
    env.update(
        DJANGO_SETTINGS_MODULE="tms_gateway.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        CARRIER_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        # The confirm's booking message stays in this process (no worker, nothing under var/).
        CELERY_BROKER_URL="memory://",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("make-run-sqlite")
    database = tmp / "db.sqlite3"
    web_port, sandbox_port = free_port(), free_port()
    env = make_run_env(database=database, sandbox_port=sandbox_port)
    manage(["migrate", "--noinput", "-v0"], env)
    manage(["seed_demo"], env)
    sandbox = Server(
        name="sandbox",
        argv=[sys.executable, "manage.py", "carrier_sandbox", "--port", str(sandbox_port)],
        env=env,
        port=sandbox_port,
        ready="/_sandbox/health",
        log_path=tmp / "sandbox.log",
    )
    web = Server(
        name="web",
        argv=[sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{web_port}"],
        env=env,
        port=web_port,
        ready="/healthz",
        log_path=tmp / "web.log",
    )
    with servers_running([sandbox, web]):
        base_url = f"http://127.0.0.1:{web_port}/ksa/v1"
        body = auth_payload(identifier="demo", key="demo-key", nonce=secrets.token_urlsafe(16))
        response = requests.post(
            f"{base_url}/auth",
            data=json.dumps(body),
            headers={"Content-Type": AUTH_MEDIA_TYPE},
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        yield Gateway(
            base_url=base_url, database=database, token=response.json()["token"], log=web.log_path
        )


def all_at_once(calls: list[Call]) -> list[tuple[int, Any]]:
    """Run the calls on a thread each, released together; (status or -1, body) in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Call) -> tuple[int, Any]:
        barrier.wait()
        try:
            return call()
        except requests.RequestException as exc:  # a reset connection is a lost call too
            return -1, repr(exc)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def reserve_call(gateway: Gateway, scenario: Scenario, selection: dict[str, Any]) -> Call:
    body = session_payload(scenario, preview=False) | {"selected_shipping_option": selection}

    def call() -> tuple[int, Any]:
        response = requests.post(
            f"{gateway.base_url}/shipment",
            data=json.dumps(body),
            headers={
                "Authorization": f"Bearer {gateway.token}",
                "Content-Type": SELECT_OPTION_MEDIA_TYPE,
            },
            timeout=TIMEOUT,
        )
        ok = response.status_code == 201
        return response.status_code, response.json()["shipment_id"] if ok else response.text

    return call


def confirm_call(gateway: Gateway, shipment_id: str) -> Call:
    def call() -> tuple[int, Any]:
        response = requests.post(
            f"{gateway.base_url}/shipment/{shipment_id}/confirm",
            headers={"Authorization": f"Bearer {gateway.token}"},
            timeout=TIMEOUT,
        )
        ok = response.status_code == 200
        return response.status_code, response.json()["status"] if ok else response.text

    return call


def offered_selection(gateway: Gateway, scenario: Scenario) -> dict[str, Any]:
    response = requests.post(
        f"{gateway.base_url}/shippingoptions",
        data=json.dumps(session_payload(scenario, preview=False)),
        headers={"Authorization": f"Bearer {gateway.token}", "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    options = response.json()["shipping_options"]
    option = next((o for o in options if o.get("preselected")), options[0])
    return selection_payload(option)


def test_make_run_on_sqlite_answers_40_concurrent_reservations_and_confirms_per_session(
    gateway: Gateway,
) -> None:
    # given two waves of Klarna sessions, 40 calls at once for each session
    wave_a = [
        scenario_build(base_url=gateway.base_url, identifier="demo", key="demo-key")
        for _ in range(SESSIONS_PER_WAVE)
    ]
    wave_b = [
        scenario_build(base_url=gateway.base_url, identifier="demo", key="demo-key")
        for _ in range(SESSIONS_PER_WAVE)
    ]
    selection = offered_selection(gateway, wave_a[0])

    # when wave A reserves; then wave A confirms while wave B reserves; then wave B confirms
    reserved_a = all_at_once(
        [reserve_call(gateway, s, selection) for s in wave_a for _ in range(PER_SESSION)]
    )
    ids_a = _shipment_ids(wave_a, reserved_a)
    mixed = all_at_once(
        [confirm_call(gateway, ids_a[s.session_id]) for s in wave_a for _ in range(PER_SESSION)]
        + [reserve_call(gateway, s, selection) for s in wave_b for _ in range(PER_SESSION)]
    )
    confirmed_a, reserved_b = mixed[: len(mixed) // 2], mixed[len(mixed) // 2 :]
    ids_b = _shipment_ids(wave_b, reserved_b)
    confirmed_b = all_at_once(
        [confirm_call(gateway, ids_b[s.session_id]) for s in wave_b for _ in range(PER_SESSION)]
    )

    # then no call was refused or lost: every reservation 201, every confirm 200 "confirmed"
    reservations = reserved_a + reserved_b
    confirms = confirmed_a + confirmed_b
    assert Counter(status for status, _ in reservations) == {201: len(reservations)}, _failures(
        reservations, gateway
    )
    assert Counter(confirms) == {(200, "confirmed"): len(confirms)}, _failures(confirms, gateway)
    # and each session's 40 reservations answered with the same shipment
    for wave, answers in ((wave_a, reserved_a), (wave_b, reserved_b)):
        by_session: dict[str, set[str]] = {}
        for scenario, (_, shipment_id) in zip(_each(wave), answers, strict=True):
            by_session.setdefault(scenario.session_id, set()).add(shipment_id)
        assert all(len(ids) == 1 for ids in by_session.values()), by_session

    # and the database holds one confirmed shipment per session, confirmed once, by Klarna
    sessions = [s.session_id for s in wave_a + wave_b]
    with closing(sqlite3.connect(f"file:{gateway.database}?mode=ro", uri=True)) as db:
        marks = ",".join("?" * len(sessions))
        rows = db.execute(
            "SELECT s.session_id, s.status, s.confirmed_by, COUNT(e.id) "
            "FROM shipments_shipment s LEFT JOIN shipments_shipmentevent e "
            "ON e.shipment_id = s.id AND e.to_status = 'confirmed' "
            f"WHERE s.session_id IN ({marks}) GROUP BY s.id",
            sessions,
        ).fetchall()
        journal_mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert sorted(rows) == sorted((session, "confirmed", "klarna", 1) for session in sessions)
    assert journal_mode == "wal"


def test_make_run_uses_sqlite_in_wal_mode_with_immediate_transactions_and_a_busy_timeout() -> None:
    # given `make run`'s environment: no DATABASE_URL, the local settings
    env = {k: v for k, v in os.environ.items() if k not in NOT_MAKE_RUN}
    env["DJANGO_SETTINGS_MODULE"] = "tms_gateway.settings.local"
    probe = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({'engine': d['ENGINE'], 'name': str(d['NAME']), "
        "'options': d.get('OPTIONS', {})}))"
    )

    # when Django reads its settings
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    # then the embedded SQLite database is opened in WAL mode, writers wait their turn
    database = json.loads(done.stdout.strip().splitlines()[-1])
    assert database == {
        "engine": "django.db.backends.sqlite3",
        "name": str(ROOT / "var" / "db.sqlite3"),
        "options": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20.0,
        },
    }


def test_runserver_of_make_run_listens_with_a_backlog_for_bursts() -> None:
    from django.core.management import get_commands, load_command_class

    # given the runserver command `make run` starts
    app = get_commands()["runserver"]
    command = load_command_class(app, "runserver")

    # then it is ours, still serves static files, and queues a burst instead of resetting it
    from django.contrib.staticfiles.management.commands.runserver import Command as Static

    assert app == "tms_gateway.common"
    assert isinstance(command, Static)
    assert command.server_cls.request_queue_size == 1024


def _each(wave: list[Scenario]) -> list[Scenario]:
    """The wave's scenarios in the order their calls were made (PER_SESSION each)."""
    return [scenario for scenario in wave for _ in range(PER_SESSION)]


def _shipment_ids(wave: list[Scenario], answers: list[tuple[int, Any]]) -> dict[str, str]:
    """Each session's shipment id from its answered reservations ("none" if none was)."""
    ids = {s.session_id: "none" for s in wave}
    for scenario, (status, answer) in zip(_each(wave), answers, strict=True):
        if status == 201:
            ids[scenario.session_id] = answer
    return ids


def _failures(answers: list[tuple[int, Any]], gateway: Gateway) -> str:
    refused = [answer for answer in answers if answer[0] not in (200, 201)][:5]
    log = gateway.log.read_text(errors="replace").splitlines()
    return f"first refused: {refused}\nweb log (tail):\n" + "\n".join(log[-20:])
