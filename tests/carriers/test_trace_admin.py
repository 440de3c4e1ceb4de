"""Carrier traces are readable in the admin by staff, and cannot be edited there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from carriers.models import CarrierTrace
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trace() -> CarrierTrace:
    return CarrierTrace.objects.create(
        merchant=MerchantFactory.create(name="Trace Shop"),
        carrier="budbee",
        operation="availability",
        method="GET",
        url="https://api.budbee.com/postalcodes/validate/SE/11151",
        request_headers={"Authorization": "[redacted]"},
        status_code=400,
        duration_ms=87,
        response_body='{"message": "Postal code 99999 is not valid"}',
        error="HTTP 400",
        carrier_messages=[{"code": "400", "text": "Postal code 99999 is not valid"}],
    )


def test_staff_read_the_trace_list_and_detail(client: Client, trace: CarrierTrace) -> None:
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    client.login(username="ops", password="pw-ops-123456")

    listing = client.get("/admin/carriers/carriertrace/?carrier=budbee")
    detail = client.get(f"/admin/carriers/carriertrace/{trace.pk}/change/")

    assert listing.status_code == 200
    assert "Trace Shop" in listing.content.decode()
    assert detail.status_code == 200
    assert "Postal code 99999 is not valid" in detail.content.decode()
    assert "[redacted]" in detail.content.decode()


def test_traces_cannot_be_added_or_changed(client: Client, trace: CarrierTrace) -> None:
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    client.login(username="ops", password="pw-ops-123456")

    add = client.get("/admin/carriers/carriertrace/add/")
    change = client.post(f"/admin/carriers/carriertrace/{trace.pk}/change/", {"carrier": "x"})

    assert add.status_code == 403
    assert change.status_code == 403
    trace.refresh_from_db()
    assert trace.carrier == "budbee"


def test_anonymous_users_are_sent_to_login(client: Client, trace: CarrierTrace) -> None:
    response = client.get("/admin/carriers/carriertrace/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
