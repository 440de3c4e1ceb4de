"""Test-suite wiring: real PostgreSQL and Redis, a clean cache per test."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

_HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


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
def _clean_cache() -> None:
    from django.core.cache import cache

    cache.clear()
