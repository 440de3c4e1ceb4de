"""A database outage answers 503 with Retry-After in Klarna's shape, and ends by itself."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.utils import IntegrityError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from tms_gateway.common.middleware import DatabaseUnavailableMiddleware
from tms_gateway.shipments.models import Shipment

from .conftest import Klarna, selection_body, session

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """Every new connection of this process is refused until the end (a real refusal)."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def test_auth_answers_503_with_retry_after_while_the_database_is_down(
    klarna: Klarna, caplog: Any
) -> None:
    with database_down():
        response = klarna.auth()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "failure_reason": "service_unavailable",
        "message": "The gateway's database is unavailable. Retry shortly.",
    }
    assert "database unavailable: POST /ksa/v1/auth answered 503" in caplog.text
    assert "Traceback" not in caplog.text
    assert klarna.auth().status_code == 201  # back by itself: no restart needed


def test_a_reservation_refused_for_the_outage_changes_nothing_and_succeeds_after(
    klarna: Klarna,
) -> None:
    options = klarna.options(session())
    body = selection_body(options[0]["id"])

    with database_down():
        refused = klarna.reserve(body)

    assert refused.status_code == 503
    assert refused.json()["failure_reason"] == "service_unavailable"
    assert Shipment.objects.count() == 0
    accepted = klarna.reserve(body)
    assert accepted.status_code == 201, accepted.content
    assert Shipment.objects.count() == 1


def test_other_database_errors_are_still_server_errors() -> None:
    middleware = DatabaseUnavailableMiddleware(HttpResponse)
    request = RequestFactory().post("/ksa/v1/shipment")

    assert middleware.process_exception(request, IntegrityError("duplicate key")) is None
    assert middleware.process_exception(request, OperationalError("gone")) is not None
