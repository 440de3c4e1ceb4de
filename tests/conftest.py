"""Test-suite wiring: real PostgreSQL and Redis, a clean cache per test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings

from carriers.sandbox.server import Fault, SandboxServer

#: What the project keeps beside the checkout (``../shared``): the carriers' real payloads in
#: ``carrier-samples`` and their published specifications in ``carrier-specs``. Tests read them
#: in place; they are never copied into the repository.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CARRIER_SAMPLES = SHARED / "carrier-samples"


def carrier_sample(relative: str = "") -> Path:
    """A file or folder under ``../shared/carrier-samples`` (``carrier_sample("postnord")``).

    Raises (a collection error, or the test's failure, that says what is missing) when the
    folder is not beside the checkout: the carriers' real answers are part of what is tested.
    """
    if not CARRIER_SAMPLES.is_dir():
        raise FileNotFoundError(
            f"The carrier samples are not at {CARRIER_SAMPLES}: the tests read the carriers' "
            "real payloads from ../shared/carrier-samples beside the checkout (CI lays shared/ "
            "there). Put the shared folder beside this checkout, never a copy inside it."
        )
    return CARRIER_SAMPLES / relative


_HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


#: Marks given by where a test lives (path prefix under tests/) — the kinds of slow test.
_MARKS_BY_PATH = {
    "browser/": "browser",
    "integration/test_fault_drill.py": "process",
    "integration/test_make_run_sqlite.py": "process",
    "insights/test_flusher.py": "process",
    "api/test_fuzz.py": "fuzz",
}
_WORKER_FIXTURES = frozenset({"live_worker", "live_workers"})


#: Tests that run alone, after the parallel part of ``make test`` (``-m serial``): the fault drill
#: starts a whole gateway, its worker, PostgreSQL and Redis and proves that no booking is lost or
#: doubled; on a busy machine its timings are not the ones it proves.
_SERIAL_PATHS = ("integration/test_fault_drill.py",)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow kinds, so ``pytest -m "not slow"`` (``make test-fast``) leaves them out;
    keep each module's real-Celery-worker tests on one parallel worker (``--dist loadgroup``),
    in file order, sharing the one Celery worker their module starts."""
    root = config.rootpath / "tests"
    for item in items:
        try:
            relative = item.path.relative_to(root).as_posix()
        except ValueError:
            continue
        kinds = {mark for prefix, mark in _MARKS_BY_PATH.items() if relative.startswith(prefix)}
        if _WORKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            kinds.add("worker")
            item.add_marker(pytest.mark.xdist_group(name=relative))
        for kind in sorted(kinds):
            item.add_marker(kind)
        if kinds:
            item.add_marker("slow")
        if relative.startswith(_SERIAL_PATHS):
            item.add_marker("serial")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    db = settings.DATABASES["default"]
    redis = urlparse(settings.REDIS_URL)
    needed = [
        ("PostgreSQL", db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432), "DATABASE_URL"),
        ("Redis", redis.hostname or "127.0.0.1", redis.port or 6379, "REDIS_URL"),
    ]
    for name, host, port, variable in needed:
        if not _reachable(host, port):
            pytest.exit(
                f"{name} is not reachable at {host}:{port} ({variable}). Start it with:\n"
                f"  {_HOW_TO_START[name]}",
                returncode=3,
            )


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: the test client runs requests in
    this thread, and LocaleMiddleware leaves a request's language (e.g. the portal's Swedish)
    active in it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    from django.core.cache import cache

    from carriers.traces import trace_buffer_clear

    cache.clear()
    trace_buffer_clear()
    yield
    trace_buffer_clear()


class Sandbox:
    """The carrier sandbox as tests use it: base URLs, faults and booking counts."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server

    def url(self, carrier: str) -> str:
        return f"{self.server.url}/{carrier}"

    def fault(self, carrier: str, **fault: Any) -> None:
        self.server.state.set_fault(carrier, Fault(**fault))

    def clear_faults(self) -> None:
        self.server.state.clear_faults()

    def requests(self, carrier: str) -> int:
        return int(self.server.state.stats()["requests"].get(carrier, 0))

    def bookings(self, carrier: str) -> dict[str, int]:
        return dict(self.server.state.stats()["bookings"].get(carrier, {}))


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer("127.0.0.1", 0)
    server.start_in_thread()
    yield server
    server.shutdown()


@pytest.fixture
def sandbox(_sandbox_server: SandboxServer) -> Iterator[Sandbox]:
    """A running carrier sandbox, reset before each test; breakers start closed."""
    from carriers.breaker import breaker

    _sandbox_server.state.reset()
    breaker.reset()
    yield Sandbox(_sandbox_server)
    _sandbox_server.state.clear_faults()
    breaker.reset()
