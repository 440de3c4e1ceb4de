"""/healthz, /readyz: what answers, and which dependency a 503 names."""

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


def test_readyz_names_the_broker_when_it_is_down(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"


def test_readyz_names_the_cache_when_it_is_down(client: Client, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


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
