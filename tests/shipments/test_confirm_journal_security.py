"""Security review (issue 13, item 8): a confirm noted in Redis during a database outage is
checked at replay as the live confirm would have been. Only the token's signature is checked
while the database is down, so a token of a revoked Klarna credential, or of a deactivated
merchant, is noted too; the replay refuses it (logged, dropped, counted) and books nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from merchants.models import KlarnaCredential, Merchant
from merchants.services import klarna_credential_revoke
from tests.factories import KlarnaCredentialFactory, ShipmentFactory
from tms_gateway.shipments import tasks
from tms_gateway.shipments.confirms import (
    JOURNAL_KEY,
    ConfirmsReplayed,
    confirm_journal,
    confirms_replay,
)
from tms_gateway.shipments.models import Shipment, ShipmentStatus

AUTH_TYPE = "application/vdn.klarna.shipping.auth-v1+json"


@pytest.fixture
def journal() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(JOURNAL_KEY)
    yield client
    client.delete(JOURNAL_KEY)


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


def refused_count(reason: str) -> float:
    value = REGISTRY.get_sample_value("tms_ksa_confirms_refused_total", {"reason": reason})
    return float(value or 0.0)


def klarna_token(client: Client, *, identifier: str, key: str) -> str:
    nonce = uuid.uuid4().hex
    response = client.post(
        "/ksa/v1/auth",
        data=json.dumps(
            {
                "identifier": identifier,
                "secret": {
                    "nonce": nonce,
                    "digest": hashlib.sha256((nonce + key).encode()).hexdigest(),
                },
            }
        ),
        content_type=AUTH_TYPE,
    )
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def history(shipment: Shipment) -> list[tuple[str, str]]:
    return [(e.from_status, e.to_status) for e in shipment.events.order_by("id")]


@pytest.mark.django_db(transaction=True)
def test_a_confirm_with_a_revoked_credentials_token_during_an_outage_is_refused_at_replay(
    demo: Merchant, journal: redis.Redis, caplog: Any
) -> None:
    # given: a reservation, and a token Klarna got for the shop's credential
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    client = Client()
    token = klarna_token(client, identifier="demo", key="demo-key")
    # given: staff revoke the credential (a leaked key); the token's signature stays valid
    credential = KlarnaCredential.objects.get(identifier="demo")
    klarna_credential_revoke(credential=credential)
    before_history = history(shipment)
    before_refused = refused_count("credential_revoked")

    # when: the token's holder confirms while the database is down: noted
    with database_down():
        response = client.post(
            f"/ksa/v1/shipment/{shipment.public_id}/confirm",
            data="{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 202, response.content
    assert journal.llen(JOURNAL_KEY) == 1

    # when: the database is back and beat's sweep replays the journal (and counts)
    caplog.set_level("INFO")
    assert tasks.shipments_requeue() == 0  # nothing to book

    # then: refused as the live confirm is, dropped, counted; nothing confirmed or booked
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RESERVED
    assert shipment.confirmed_at is None
    assert history(shipment) == before_history
    assert journal.llen(JOURNAL_KEY) == 0
    assert refused_count("credential_revoked") == before_refused + 1
    assert f"confirm of shipment {shipment.public_id} received at " in caplog.text
    assert "refused and dropped: credential_revoked" in caplog.text
    # and the live path refuses the same token
    live = client.post(
        f"/ksa/v1/shipment/{shipment.public_id}/confirm",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert live.status_code == 401


@pytest.mark.django_db
def test_a_confirm_noted_for_a_merchant_deactivated_since_is_refused_at_replay(
    demo: Merchant, journal: redis.Redis, caplog: Any
) -> None:
    # given: a confirm noted during an outage with the shop's (valid) credential
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    credential = KlarnaCredential.objects.get(identifier="demo")
    assert confirm_journal(
        merchant_public_id=str(demo.public_id),
        credential_id=credential.pk,
        shipment_id=str(shipment.public_id),
        now=timezone.now(),
    )
    # given: partner staff deactivate the merchant before the replay
    Merchant.objects.filter(pk=demo.pk).update(is_active=False)
    before_history = history(shipment)

    # when
    replayed = confirms_replay()

    # then: refused, for the task to count
    assert replayed == ConfirmsReplayed(done=1, refused=Counter(merchant_inactive=1))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RESERVED
    assert history(shipment) == before_history
    assert journal.llen(JOURNAL_KEY) == 0
    assert "refused and dropped: merchant_inactive" in caplog.text


@pytest.mark.django_db
def test_a_credential_id_of_another_merchant_is_refused_at_replay(
    demo: Merchant, journal: redis.Redis
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    foreign = KlarnaCredentialFactory.create()
    assert confirm_journal(
        merchant_public_id=str(demo.public_id),
        credential_id=foreign.pk,
        shipment_id=str(shipment.public_id),
        now=timezone.now(),
    )

    replayed = confirms_replay()

    assert replayed == ConfirmsReplayed(done=1, refused=Counter(credential_revoked=1))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RESERVED


@pytest.mark.django_db
def test_a_refused_confirm_does_not_hold_up_the_valid_ones_behind_it(
    demo: Merchant, journal: redis.Redis
) -> None:
    # given: the shop rotated to a new credential and revoked the old one; one confirm was
    # noted under each
    old = KlarnaCredential.objects.get(identifier="demo")
    new = KlarnaCredentialFactory.create(merchant=demo, identifier="demo-2")
    first = ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-1")
    second = ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-2")
    now = timezone.now()
    for credential, shipment in ((old, first), (new, second)):
        assert confirm_journal(
            merchant_public_id=str(demo.public_id),
            credential_id=credential.pk,
            shipment_id=str(shipment.public_id),
            now=now,
        )
    klarna_credential_revoke(credential=old)

    # when
    replayed = confirms_replay()

    # then: both done, one confirmed
    assert replayed == ConfirmsReplayed(done=2, confirmed=1, refused=Counter(credential_revoked=1))

    # then: the revoked one refused, the valid one applied as Klarna's confirm
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ShipmentStatus.RESERVED
    assert second.status == ShipmentStatus.CONFIRMED
    assert second.confirmed_at == now
    assert second.confirmed_by == "klarna"
    assert journal.llen(JOURNAL_KEY) == 0
