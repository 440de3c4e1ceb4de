"""Tracking webhooks: carriers that cannot be asked (Budbee, Instabox) push their events to
``/webhooks/<carrier>/<token>``, one address per agreement, and they are stored for that
agreement's shop only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from carriers.sandbox.budbee import webhook_events
from merchants.audit import AuditAction
from merchants.models import AuditLog, CarrierAgreement, Merchant
from merchants.services import carrier_agreement_webhook_issue
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory, MerchantFactory, ShipmentFactory
from tms_gateway.shipments.models import Shipment

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(settings.BASE_DIR) / "tests" / "carriers"


def _issue(merchant: Merchant, carrier: str) -> str:
    agreement = CarrierAgreement.objects.get(merchant=merchant, carrier=carrier)
    return carrier_agreement_webhook_issue(agreement=agreement, actor=None)


def _post(client: Client, carrier: str, token: str, body: Any) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/webhooks/{carrier}/{token}", data=data, content_type="application/json")


def _at(stamp: Any) -> dt.datetime:
    return (
        dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)
        if isinstance(stamp, int)
        else dt.datetime.fromisoformat(stamp)
    )


def _stored(shipment: Shipment) -> list[tuple[str, str]]:
    return list(shipment.tracking_events.values_list("status", "carrier_code"))


def test_budbee_events_are_stored_once_for_the_parcel(
    client: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", booked=True)
    (package,) = shipment.tracking_numbers
    token = _issue(demo, "budbee")
    # What has happened so far (Budbee's sandbox lists the steps still to come too).
    now = timezone.now()
    body = [e for e in webhook_events(package) if _at(e["timestamp"]) <= now]
    assert body

    first = _post(client, "budbee", token, body)
    again = _post(client, "budbee", token, body)

    assert first.status_code == 200, first.content
    assert first.json() == {"events": len(body), "shipments": 1, "unknown": []}
    assert again.json() == {"events": 0, "shipments": 1, "unknown": []}
    assert _stored(shipment) == [("pending", "PARCEL_CREATED")]
    shipment.refresh_from_db()
    assert shipment.tracking_status == "pending"


def test_budbees_documented_v2_body_moves_the_parcel_to_delivered(
    client: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", booked=True)
    (package,) = shipment.tracking_numbers
    token = _issue(demo, "budbee")
    body = json.loads(
        (FIXTURES / "budbee/fixtures/webhook-v2-delivered-to-consumer.json").read_text()
    )
    body["packageId"] = package

    response = _post(client, "budbee", token, body)

    assert response.json() == {"events": 1, "shipments": 1, "unknown": []}
    shipment.refresh_from_db()
    assert shipment.tracking_status == "delivered"
    assert shipment.delivered_at is not None


def test_instabox_checkpoints_are_stored_by_parcel_id(
    client: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="instabox-locker", booked=True)
    token = _issue(demo, "instabox")
    body = json.loads(
        (FIXTURES / "instabox/fixtures/webhook-locker-checkpoint-docs-example.json").read_text()
    )
    body["parcelId"] = shipment.tracking_number

    response = _post(client, "instabox", token, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"events": 1, "shipments": 1, "unknown": []}
    assert [code for _, code in _stored(shipment)] == ["CustomerPickupCheckpoint"]


def test_a_parcel_of_another_shop_is_acknowledged_and_not_stored(
    client: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", booked=True)
    (package,) = shipment.tracking_numbers
    other = CarrierAgreementFactory.create(merchant=MerchantFactory.create(), carrier="budbee")
    token = carrier_agreement_webhook_issue(agreement=other, actor=None)
    body = {"eventType": "DELIVERED_TO_CONSUMER", "timestamp": "2026-01-05T10:00:00Z"}

    response = _post(client, "budbee", token, {**body, "packageId": package})

    assert response.status_code == 200
    assert response.json() == {"events": 0, "shipments": 0, "unknown": [package]}
    assert _stored(shipment) == []


@pytest.mark.parametrize("carrier", ["budbee", "postnord", "nosuch"])
def test_an_address_no_agreement_has_is_not_found_and_stores_nothing(
    client: Client, demo: Merchant, sandbox: Sandbox, carrier: str
) -> None:
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", booked=True)
    (package,) = shipment.tracking_numbers
    _issue(demo, "budbee")
    body = {"eventType": "DELIVERED_TO_CONSUMER", "timestamp": "2026-01-05T10:00:00Z"}

    response = _post(client, carrier, "not-the-token", {**body, "packageId": package})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _stored(shipment) == []


def test_an_issued_token_works_only_for_its_own_carrier(
    client: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    token = _issue(demo, "budbee")

    response = _post(client, "instabox", token, {"parcelId": "X", "type": "T"})

    assert response.status_code == 404


def test_a_new_token_replaces_the_old_one(client: Client, demo: Merchant, sandbox: Sandbox) -> None:
    old = _issue(demo, "budbee")
    new = _issue(demo, "budbee")
    body = {"eventType": "PARCEL_CREATED", "timestamp": "2026-01-05T10:00:00Z", "packageId": "P"}

    assert _post(client, "budbee", old, body).status_code == 404
    assert _post(client, "budbee", new, body).status_code == 200
    agreement = CarrierAgreement.objects.get(merchant=demo, carrier="budbee")
    assert new not in agreement.webhook_token_hash and len(agreement.webhook_token_hash) == 64
    audits = AuditLog.objects.filter(merchant=demo, action=AuditAction.WEBHOOK_ISSUE)
    assert audits.count() == 2
    assert new not in json.dumps(list(audits.values_list("changes", flat=True)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "events[0] is not an object"),
        (b'{"eventType": "PARCEL_CREATED", "timestamp": "2026-01-05T10:00:00Z"}', "packageId"),
        (b'{"packageId": "P", "eventType": "PARCEL_CREATED", "timestamp": "soon"}', "timestamp"),
    ],
)
def test_an_unreadable_body_is_a_400_that_says_why(
    client: Client, demo: Merchant, sandbox: Sandbox, body: bytes, message: str
) -> None:
    token = _issue(demo, "budbee")

    response = _post(client, "budbee", token, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_webhook"
    assert message in response.json()["message"]


def test_an_oversize_body_is_refused(
    client: Client, demo: Merchant, sandbox: Sandbox, settings: Any
) -> None:
    settings.CARRIER_WEBHOOK_MAX_BYTES = 100
    token = _issue(demo, "budbee")

    response = _post(client, "budbee", token, b"[" + b" " * 200 + b"]")

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_only_post_is_accepted(client: Client, demo: Merchant, sandbox: Sandbox) -> None:
    token = _issue(demo, "budbee")

    assert client.get(f"/webhooks/budbee/{token}").status_code == 405
