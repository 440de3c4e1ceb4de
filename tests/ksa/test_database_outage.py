"""A database outage answers 503 with Retry-After in Klarna's shape, and ends by itself."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.db.utils import IntegrityError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from tms_gateway.common.middleware import DatabaseUnavailableMiddleware
from tms_gateway.ksa.authentication import _principals, _tokens
from tms_gateway.shipments.confirms import JOURNAL_KEY, ConfirmsReplayed, confirms_replay
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


# --- Confirms while the database is down: recorded, applied when it is back ----------------


@pytest.fixture
def journal() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(JOURNAL_KEY)
    yield client
    client.delete(JOURNAL_KEY)


def _reserved(klarna: Klarna) -> Shipment:
    options = klarna.options(session())
    response = klarna.reserve(selection_body(options[0]["id"]))
    assert response.status_code == 201, response.content
    return Shipment.objects.get(public_id=response.json()["shipment_id"])


def test_a_confirm_while_the_database_is_down_is_recorded_and_applied_once_it_is_back(
    klarna: Klarna, journal: redis.Redis
) -> None:
    # given: a reservation, and a token whose principal is no longer cached in this process
    shipment = _reserved(klarna)
    _tokens.clear()
    _principals.clear()
    before = timezone.now()

    # when: Klarna confirms during the outage (it sends a confirm once, whatever we answer)
    with database_down():
        response = klarna.post(f"shipment/{shipment.public_id}/confirm")
        still_down = confirms_replay()

    # then: recorded, not refused; nothing applied while the database is still down
    assert response.status_code == 202, response.content
    assert response.json()["shipment_id"] == str(shipment.public_id)
    assert still_down == ConfirmsReplayed()
    assert journal.llen(JOURNAL_KEY) == 1
    shipment.refresh_from_db()
    assert shipment.status == "reserved"

    # when: the database is back and beat's sweep runs
    assert confirms_replay() == ConfirmsReplayed(done=1, confirmed=1)

    # then: confirmed as of the moment Klarna confirmed, and its booking queued
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.confirmed_at is not None
    assert before <= shipment.confirmed_at <= timezone.now()
    assert journal.llen(JOURNAL_KEY) == 0
    assert confirms_replay() == ConfirmsReplayed()


def test_a_confirm_with_a_forged_token_during_the_outage_is_not_recorded(
    klarna: Klarna, journal: redis.Redis
) -> None:
    shipment = _reserved(klarna)
    klarna.token = klarna.token[:-4] + ("AAAA" if not klarna.token.endswith("AAAA") else "BBBB")

    with database_down():
        response = klarna.post(f"shipment/{shipment.public_id}/confirm")

    assert response.status_code == 401  # the signature is checked without the database
    assert journal.llen(JOURNAL_KEY) == 0


def test_a_recorded_confirm_for_another_shops_shipment_is_dropped(
    klarna: Klarna, klarna_b: Klarna, journal: redis.Redis, caplog: Any
) -> None:
    # given: shop B's token names shop A's shipment
    shipment = _reserved(klarna)
    with database_down():
        response = klarna_b.post(f"shipment/{shipment.public_id}/confirm")
    assert response.status_code == 202

    # when
    caplog.set_level("INFO")
    assert confirms_replay() == ConfirmsReplayed(done=1)

    # then: nothing confirmed across shops
    shipment.refresh_from_db()
    assert shipment.status == "reserved"
    assert "applied: no such shipment" in caplog.text
