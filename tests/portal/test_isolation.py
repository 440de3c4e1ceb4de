"""Tenancy: a shop's user never sees another shop's bookings, labels or numbers.

Shop A is the demo shop; shop B has its own user and one booking. Every page, the export
and the label download are checked from B's side (A's rows absent, A's ids 404) and from A's.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentLabel, ShipmentStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 shop A's label"


@pytest.fixture
def a_booking(shop_a: Merchant) -> Shipment:
    return ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id="A-SECRET-1",
        given_name="Agnes",
        family_name="Alpha",
        status=ShipmentStatus.FAILED,
        tracking_number="ATRACK1",
        booking_error="A's carrier said no",
    )


@pytest.fixture
def a_label(shop_a: Merchant, a_booking: Shipment) -> ShipmentLabel:
    return ShipmentLabel.objects.create(merchant=shop_a, shipment=a_booking, content=PDF)


@pytest.fixture
def b_booking(shop_b: Merchant) -> Shipment:
    return ShipmentFactory.create(
        merchant=shop_b,
        option_id="b-courier",
        confirmed=True,
        order_id="B-ORDER-1",
        given_name="Bea",
        family_name="Beta",
    )


def test_another_shops_booking_is_not_found(
    client_b: Client, a_booking: Shipment, b_booking: Shipment
) -> None:
    url = reverse("portal:booking", kwargs={"public_id": a_booking.public_id})

    assert client_b.get(url).status_code == 404
    own = reverse("portal:booking", kwargs={"public_id": b_booking.public_id})
    assert client_b.get(own).status_code == 200


def test_another_shops_label_is_not_found(
    client_b: Client, a_label: ShipmentLabel, b_booking: Shipment
) -> None:
    response = client_b.get(reverse("portal:booking_label", kwargs={"label_id": a_label.pk}))

    assert response.status_code == 404
    assert PDF not in response.content


def test_another_shops_bookings_are_not_listed_or_found_by_search(
    client_b: Client, a_booking: Shipment, b_booking: Shipment
) -> None:
    for query in ({}, {"status": "all"}, {"q": "A-SECRET-1"}, {"q": "ATRACK1"}, {"q": "Agnes"}):
        response = client_b.get(reverse("portal:bookings"), query)
        assert a_booking.pk not in [r["shipment"].pk for r in response.context["rows"]]
        # after the filter form (which echoes the query)
        rows = response.content.decode().split('class="count"')[1]
        assert "A-SECRET-1" not in rows and "Agnes" not in rows
    listed = client_b.get(reverse("portal:bookings")).context["rows"]
    assert [r["shipment"].pk for r in listed] == [b_booking.pk]


def test_another_shops_bookings_are_not_exported(
    client_b: Client, a_booking: Shipment, b_booking: Shipment
) -> None:
    for query in ({}, {"status": "all"}, {"q": "A-SECRET-1"}, {"carrier": "postnord"}):
        response = client_b.get(reverse("portal:bookings_export"), query)
        body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
        assert "A-SECRET-1" not in body and "Agnes" not in body
    response = client_b.get(reverse("portal:bookings_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert body.splitlines()[1:] and "B-ORDER-1" in body
    assert len(body.splitlines()) == 2


def test_another_shops_bookings_are_not_counted_on_the_dashboard(
    client_b: Client, a_booking: Shipment, b_booking: Shipment
) -> None:
    response = client_b.get(reverse("portal:dashboard"))

    data = response.context["data"]
    assert data.total == 1
    assert data.per_carrier == [("generic", 1)]
    assert data.per_option == [("b-courier", 1)]
    assert data.failed_total == 0
    html = response.content.decode()
    assert "A-SECRET-1" not in html and "A&#x27;s carrier said no" not in html


def test_another_shops_options_are_not_in_the_fallback_block_or_filters(
    client_b: Client, shop_a: Merchant
) -> None:
    response = client_b.get(
        reverse("portal:fallback"), {"country": "SE", "currency": "SEK", "locale": "en-GB"}
    )

    assert '"b-courier"' in response.context["fallback_json"]
    assert "postnord" not in response.context["fallback_json"]
    bookings = client_b.get(reverse("portal:bookings")).content.decode()
    assert 'value="b-courier"' in bookings
    assert 'value="postnord-home"' not in bookings


def test_shop_a_sees_its_own_and_not_shop_bs(
    client_a: Client, a_booking: Shipment, a_label: ShipmentLabel, b_booking: Shipment
) -> None:
    assert (
        client_a.get(
            reverse("portal:booking", kwargs={"public_id": b_booking.public_id})
        ).status_code
        == 404
    )
    assert (
        client_a.get(reverse("portal:booking_label", kwargs={"label_id": a_label.pk})).content
        == PDF
    )
    html = client_a.get(reverse("portal:bookings")).content.decode()
    assert "A-SECRET-1" in html and "B-ORDER-1" not in html
    assert client_a.get(reverse("portal:dashboard")).context["data"].total == 1


def test_the_preview_builds_only_the_own_shops_options(client_b: Client, shop_a: Merchant) -> None:
    response = client_b.post(
        reverse("portal:preview"), {"country": "SE", "postal_code": "11151", "city": "Stockholm"}
    )

    assert [o["id"] for o in response.context["options"]] == ["b-courier"]
    assert response.context["not_offered"] == []
    assert "postnord" not in response.context["klarna_json"]
