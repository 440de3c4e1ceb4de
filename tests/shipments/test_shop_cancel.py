"""A shop cancels a booked parcel from the portal where the carrier allows it: the carrier is
asked first (the sandbox's Budbee), then the booking is cancelled and audited; where the carrier
offers no cancel (Bring) the page says to cancel with the carrier and nothing changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from merchants.models import AuditLog, Merchant, MerchantUser
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments.booking import Outcome, shipment_book
from tms_gateway.shipments.models import Shipment, ShipmentStatus

pytestmark = pytest.mark.django_db


def booked(merchant: Merchant, option_id: str, **session: str) -> Shipment:
    shipment = ShipmentFactory.create(
        merchant=merchant, option_id=option_id, confirmed=True, **session
    )
    assert shipment_book(shipment_id=shipment.pk).outcome is Outcome.BOOKED
    shipment.refresh_from_db()
    return shipment


@pytest.fixture
def shop_client(demo: Merchant) -> Client:
    user = User.objects.create_user("lager@shop.example", "lager@shop.example", "x")
    MerchantUser.objects.create(user=user, merchant=demo)
    client = Client()
    client.force_login(user)
    return client


def test_a_booked_parcel_is_cancelled_with_the_carrier_first(
    demo: Merchant, sandbox: Sandbox, shop_client: Client
) -> None:
    shipment = booked(demo, "budbee-home")
    cancel = reverse("portal:booking_cancel", kwargs={"public_id": shipment.public_id})
    page = shop_client.get(reverse("portal:booking", kwargs={"public_id": shipment.public_id}))
    assert cancel in page.content.decode()
    requests_before = sandbox.requests("budbee")

    confirm = shop_client.get(cancel)
    response = shop_client.post(cancel, {"confirm": "on"}, follow=True)

    assert "The booking is cancelled with the carrier first" in confirm.content.decode()
    assert "The booking was cancelled." in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CANCELLED
    assert sandbox.requests("budbee") > requests_before  # the carrier was asked
    assert list(AuditLog.objects.values_list("action", "changes")) == [
        ("booking_cancel", {"status": ["booked", "cancelled"]})
    ]


def test_a_carrier_without_cancel_is_named_and_nothing_changes(
    demo: Merchant, sandbox: Sandbox, shop_client: Client
) -> None:
    shipment = booked(demo, "bring-pickup-point", country="NO", postal_code="0150")
    cancel = reverse("portal:booking_cancel", kwargs={"public_id": shipment.public_id})
    requests_before = sandbox.requests("bring")

    page = shop_client.get(reverse("portal:booking", kwargs={"public_id": shipment.public_id}))
    response = shop_client.post(cancel, {"confirm": "on"}, follow=True)

    assert cancel not in page.content.decode()
    assert "Bring offers no cancel through its API" in page.content.decode()
    assert "Nothing was changed:" in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.BOOKED
    assert sandbox.requests("bring") == requests_before
    assert not AuditLog.objects.exists()
