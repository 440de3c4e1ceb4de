"""The booking pages in the shop's language: statuses, the history's reasons and actors, a
failure's explanation and the actions are Swedish when the portal is; the stored notes stay as
written (the carrier's words shown beside their explanation)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tms_gateway.shipments.models import Shipment, ShipmentEvent, ShipmentStatus

pytestmark = pytest.mark.django_db

S = ShipmentStatus


def event(shipment: Shipment, from_status: str, to_status: str, actor: str, reason: str) -> None:
    ShipmentEvent.objects.create(
        merchant=shipment.merchant,
        shipment=shipment,
        at=timezone.now(),
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
    )


@pytest.fixture
def failed_booking(shop_a: Merchant) -> Shipment:
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id="KO-SV-1",
        status=S.FAILED,
        booking_error="refused by PostNord: Invalid postal code 99999",
    )
    event(shipment, "confirmed", "booking", "system", "attempt 1")
    event(
        shipment,
        "booking",
        "confirmed",
        "system",
        "carrier unavailable (Injected fault: HTTP 503); retry in 31 s",
    )
    event(shipment, "confirmed", "booking", "system", "attempt 2")
    event(shipment, "booking", "failed", "system", "refused by PostNord: Invalid postal code 99999")
    return shipment


def swedish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    return client


def test_the_booking_page_in_swedish(client_a: Client, failed_booking: Shipment) -> None:
    url = reverse("portal:booking", kwargs={"public_id": failed_booking.public_id})

    html = swedish(client_a).get(url).content.decode()

    assert '<span class="status status-failed">Misslyckad</span>' in html
    # the failure explained, who fixes it, what to do
    assert "Varför bokningen misslyckades" in html
    assert "Transportören godtog inte mottagarens postnummer." in html
    assert "Ni kan åtgärda detta:" in html
    assert "Kontrollera uppgifterna med kunden" in html
    assert "Avbryt bokningen" in html
    # the history: statuses, the gateway as actor, reasons translated, carrier's words kept
    assert "Bekräftad → Bokas" in html
    assert "Bokas → Misslyckad" in html
    assert "gatewayen" in html
    assert ">försök 1<" in html and ">försök 2<" in html
    assert "transportören svarade inte; nästa försök om 31 s" in html
    assert "Transportörens meddelande: <q>Injected fault: HTTP 503</q>" in html
    assert "Transportörens meddelande: <q>Invalid postal code 99999</q>" in html
    # the stored notes are not rewritten
    failed_booking.refresh_from_db()
    assert failed_booking.booking_error == "refused by PostNord: Invalid postal code 99999"
    assert ShipmentEvent.objects.filter(shipment=failed_booking, reason="attempt 1").exists()


def test_the_same_page_in_english(client_a: Client, failed_booking: Shipment) -> None:
    url = reverse("portal:booking", kwargs={"public_id": failed_booking.public_id})

    html = client_a.get(url).content.decode()

    assert '<span class="status status-failed">Failed</span>' in html
    assert "The carrier did not accept the recipient&#x27;s postal code." in html
    assert "Confirmed → Booking" in html
    assert "the gateway" in html
    assert "the carrier did not answer; next try in 31 s" in html


def test_the_bookings_list_statuses_and_labels_form_in_swedish(
    client_a: Client, failed_booking: Shipment
) -> None:
    html = swedish(client_a).get(reverse("portal:bookings")).content.decode()

    assert '<span class="status status-failed">Misslyckad</span>' in html
    assert "Dagens etiketter (PDF)" in html


def test_the_status_choices_are_translated_everywhere(failed_booking: Shipment) -> None:
    with translation.override("sv"):
        assert failed_booking.get_status_display() == "Misslyckad"
        assert dict(S.choices)["booked"] == "Bokad"
    with translation.override("en"):
        assert failed_booking.get_status_display() == "Failed"


def test_the_partner_request_and_retry_in_swedish(client_a: Client, shop_a: Merchant) -> None:
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id="KO-SV-2",
        status=S.FAILED,
        booking_error="refused by PostNord: Unauthorized",
    )
    url = reverse("portal:booking", kwargs={"public_id": shipment.public_id})
    page = swedish(client_a).get(url).content.decode()
    assert "Er partner behöver åtgärda detta:" in page
    assert "Be partnern åtgärda" in page
    assert "Försök boka igen" in page

    response = client_a.post(
        reverse("portal:booking_partner_request", kwargs={"public_id": shipment.public_id}),
        follow=True,
    )

    html = response.content.decode()
    assert "Er partner har ombetts åtgärda detta" in html
    assert "ni bad partnern att åtgärda orsaken" in html  # the history entry, translated
    assert "Ni bad er partner åtgärda detta" in html
