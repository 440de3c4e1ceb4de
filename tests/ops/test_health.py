"""/healthz, /readyz: what answers, which dependency it names, and when it answers 503.

Only the database makes /readyz answer 503; Redis (cache, broker) down is 200 "degraded", so a
Redis outage does not take every web pod out of the Service. ``?strict=1`` is 503 on any failure.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from django.test import Client

from tms_gateway.ops import views

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_is_alive(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_ok_when_everything_answers(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def _redis_cache_at(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "tms_gateway.common.cache.RedisCache",  # as settings/base.py
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def _redis_down(settings: Any) -> None:
    """Cache and broker both pointed at a closed port: Redis is down."""
    port = closed_port()
    settings.CACHES = _redis_cache_at(port)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"


def _database_down() -> None:
    raise ConnectionError("database unreachable")


def test_readyz_stays_ready_but_degraded_when_the_broker_is_down(
    client: Client, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 3
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")


def test_readyz_stays_ready_but_degraded_when_the_cache_is_down(
    client: Client, settings: Any
) -> None:
    settings.CACHES = _redis_cache_at(closed_port())

    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["cache"]
    assert body["checks"]["cache"].startswith("error: ")
    assert body["checks"]["database"] == "ok"


def test_a_whole_redis_outage_keeps_readyz_ready(client: Client, settings: Any) -> None:
    _redis_down(settings)

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 3
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["broker", "cache"]
    assert body["checks"]["cache"] == "error: CacheUnavailable"
    assert body["checks"]["database"] == "ok"


@pytest.mark.parametrize("flag", ["1", "true", "TRUE", "yes"])
def test_strict_readyz_answers_503_when_redis_is_down(
    client: Client, settings: Any, flag: str
) -> None:
    _redis_down(settings)

    response = client.get("/readyz", {"strict": flag})

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker", "cache"]
    assert body["checks"]["database"] == "ok"


def test_strict_readyz_names_a_single_failing_check(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/readyz?strict=1")

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


@pytest.mark.parametrize("flag", ["0", "false", ""])
def test_strict_off_values_keep_the_degraded_answer(
    client: Client, settings: Any, flag: str
) -> None:
    _redis_down(settings)

    response = client.get("/readyz", {"strict": flag})

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"


def test_strict_readyz_is_ok_when_everything_answers(client: Client) -> None:
    response = client.get("/readyz?strict=1")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_readyz_answers_503_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(views.CHECKS, "database", _database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"] == {
        "database": "error: ConnectionError",
        "cache": "ok",
        "broker": "ok",
    }


def test_readyz_answers_503_naming_everything_when_the_database_and_redis_are_down(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(views.CHECKS, "database", _database_down)
    _redis_down(settings)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker", "cache", "database"]


def test_a_hanging_cache_is_degraded_within_the_timeout(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OPS_READYZ_TIMEOUT_SECONDS = 0.2
    monkeypatch.setitem(views.CHECKS, "cache", lambda: time.sleep(2))

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 1.5
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] == ["cache"]
    assert body["checks"]["cache"] == "error: timeout"


def test_readyz_never_waits_past_its_timeout(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OPS_READYZ_TIMEOUT_SECONDS = 0.2
    monkeypatch.setitem(views.CHECKS, "database", lambda: time.sleep(2))

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: timeout"


def test_readyz_filesystem_broker_needs_its_folder(settings: Any, tmp_path: Any) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    views.check_broker()

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    with pytest.raises(RuntimeError):
        views.check_broker()
