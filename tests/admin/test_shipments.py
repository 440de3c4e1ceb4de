"""Shipments in the admin: searched and filtered, a read-only page with its history, tracking
and labels, and the two staff actions (retry a failed booking, cancel) through their services,
with the service's refusal shown as it is."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from merchants.models import Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments.booking import shipment_book
from tms_gateway.shipments.models import Shipment, ShipmentTrackingEvent
from tms_gateway.shipments.services import shipment_confirm

from .helpers import messages_of

pytestmark = pytest.mark.django_db

LIST = "/admin/shipments/shipment/"


def _failed(merchant: Merchant, **kwargs: str) -> Shipment:
    shipment = ShipmentFactory.create(merchant=merchant, option_id="postnord-home", **kwargs)
    Shipment.objects.filter(pk=shipment.pk).update(
        status="failed", booking_error="refused by PostNord: bad parcel"
    )
    shipment.refresh_from_db()
    return shipment


def _history(shipment: Shipment) -> list[tuple[str, str, str, str]]:
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in shipment.events.order_by("id")]


def test_shipments_are_searched_and_filtered(staff: Client, demo: Merchant) -> None:
    # given
    first = ShipmentFactory.create(
        merchant=demo, option_id="postnord-home", session_id="s-1", family_name="Lindqvist"
    )
    second = ShipmentFactory.create(
        merchant=demo, option_id="budbee-home", session_id="s-2", family_name="Berg"
    )

    # when
    by_name = staff.get(f"{LIST}?q=Lindqvist")
    by_id = staff.get(f"{LIST}?q={second.public_id}")
    by_order = staff.get(f"{LIST}?q=klarna-s-2")
    by_carrier = staff.get(f"{LIST}?carrier=budbee")
    by_status = staff.get(f"{LIST}?status__exact=reserved&merchant__id__exact={demo.pk}")
    today = timezone.localdate()
    by_date = staff.get(
        f"{LIST}?created_at__year={today.year}&created_at__month={today.month}"
        f"&created_at__day={today.day}"
    )

    # then
    def ids(response: object) -> set[str]:
        page = response.content.decode()  # type: ignore[attr-defined]
        return {str(s.public_id) for s in (first, second) if str(s.public_id) in page}

    assert ids(by_name) == {str(first.public_id)}
    assert ids(by_id) == {str(second.public_id)}
    assert ids(by_order) == {str(second.public_id)}
    assert ids(by_carrier) == {str(second.public_id)}
    assert ids(by_status) == {str(first.public_id), str(second.public_id)}
    assert ids(by_date) == {str(first.public_id), str(second.public_id)}


def test_the_shipment_page_is_read_only_with_history_tracking_and_label(
    staff: Client, demo: Merchant
) -> None:
    # given: booked with PostNord (the sandbox answers a PDF label), then tracked
    shipment = shipment_confirm(
        merchant=demo, shipment=ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    )
    shipment_book(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    ShipmentTrackingEvent.objects.create(
        merchant=demo,
        shipment=shipment,
        at=timezone.now(),
        status="in_transit",
        carrier_code="EE",
        description="Sorted at the terminal",
        location="Stockholm",
    )
    url = f"{LIST}{shipment.pk}/change/"

    # when
    page = staff.get(url)
    label = shipment.labels.get()
    download = staff.get(f"{LIST}{shipment.pk}/label/{label.pk}/")
    posted = staff.post(url, {"status": "cancelled"})

    # then
    content = page.content.decode()
    assert page.status_code == 200
    assert shipment.tracking_number in content
    assert "purchase completed" in content  # the history
    assert "Sorted at the terminal" in content  # the tracking events
    assert f"{LIST}{shipment.pk}/label/{label.pk}/" in content
    assert 'name="_save"' not in content
    assert "Cancel booking" in content
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    assert posted.status_code == 403
    shipment.refresh_from_db()
    assert shipment.status == "booked"


def test_retry_a_failed_booking(staff: Client, demo: Merchant) -> None:
    # given
    shipment = _failed(demo)

    # when
    response = staff.post(
        LIST, {"action": "retry_booking", "_selected_action": [shipment.pk]}, follow=True
    )

    # then
    assert messages_of(response) == [f"{shipment}: booking queued again."]
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.booking_error == ""
    assert _history(shipment)[-1] == ("failed", "confirmed", "staff:root", "retry requested")


def test_retry_from_the_shipment_page_and_its_refusal(staff: Client, demo: Merchant) -> None:
    # given
    failed = _failed(demo, session_id="s-1")
    reserved = ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-2")

    # when
    page = staff.get(f"{LIST}{failed.pk}/change/").content.decode()
    retried = staff.post(f"{LIST}{failed.pk}/retry/", follow=True)
    refused = staff.post(
        LIST, {"action": "retry_booking", "_selected_action": [reserved.pk]}, follow=True
    )

    # then
    assert "Retry failed booking" in page
    assert messages_of(retried) == [f"{failed}: booking queued again."]
    assert messages_of(refused) == [
        f"{reserved}: Only a failed booking can be retried; this one is reserved."
    ]
    reserved.refresh_from_db()
    assert reserved.status == "reserved"


def test_cancel_asks_for_a_reason_then_cancels(staff: Client, demo: Merchant) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")

    # when
    confirm = staff.post(LIST, {"action": "cancel_booking", "_selected_action": [shipment.pk]})
    shipment.refresh_from_db()
    status_while_asking = shipment.status
    done = staff.post(
        LIST,
        {
            "action": "cancel_booking",
            "_selected_action": [shipment.pk],
            "confirm": "yes",
            "reason": "customer called",
        },
        follow=True,
    )

    # then
    assert confirm.status_code == 200
    assert "customer" not in confirm.content.decode()
    assert 'name="reason"' in confirm.content.decode()
    assert status_while_asking == "reserved"
    assert messages_of(done) == [f"{shipment}: cancelled."]
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert _history(shipment)[-1] == ("reserved", "cancelled", "staff:root", "customer called")


def test_cancel_refused_by_the_service_shows_its_message(staff: Client, demo: Merchant) -> None:
    # given: an attempt in flight
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")
    Shipment.objects.filter(pk=shipment.pk).update(status="booking")

    # when
    response = staff.post(f"{LIST}{shipment.pk}/cancel/", {"reason": "too late"}, follow=True)

    # then
    assert messages_of(response) == [
        f"{shipment}: The booking is in progress; cancel it once it is booked or failed."
    ]
    assert 'class="error"' in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == "booking"


def test_cancel_of_a_booking_the_carrier_cannot_cancel(
    staff: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="bring-pickup-point", country="NO", postal_code="0150"
    )
    shipment = shipment_confirm(merchant=demo, shipment=shipment)
    shipment_book(shipment_id=shipment.pk)

    # when
    response = staff.post(f"{LIST}{shipment.pk}/cancel/", {"reason": ""}, follow=True)

    # then
    assert messages_of(response) == [
        f"{shipment}: Bring offers no cancel through its API; cancel it with the carrier."
    ]
    shipment.refresh_from_db()
    assert shipment.status == "booked"


def test_the_page_of_a_booking_the_carrier_cannot_cancel_says_so_instead_of_a_button(
    staff: Client, demo: Merchant, sandbox: Sandbox
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=demo, option_id="bring-pickup-point", country="NO", postal_code="0150"
    )
    shipment = shipment_confirm(merchant=demo, shipment=shipment)
    shipment_book(shipment_id=shipment.pk)

    # when
    page = staff.get(f"{LIST}{shipment.pk}/change/").content.decode()

    # then
    assert "Cancel booking</a>" not in page
    assert (
        "Cannot be cancelled here: Bring offers no cancel through its API; cancel it with the "
        "carrier." in page
    )


def test_support_sees_shipments_but_cannot_act(support: Client, demo: Merchant) -> None:
    # given
    shipment = _failed(demo)

    # when
    listing = support.get(LIST)
    page = support.get(f"{LIST}{shipment.pk}/change/")
    retry = support.post(f"{LIST}{shipment.pk}/retry/")
    cancel = support.post(f"{LIST}{shipment.pk}/cancel/", {"reason": "x"})
    action = support.post(LIST, {"action": "retry_booking", "_selected_action": [shipment.pk]})

    # then
    assert listing.status_code == page.status_code == 200
    assert 'name="action"' not in listing.content.decode()
    assert "Retry failed booking" not in page.content.decode()
    assert "Cancel booking" not in page.content.decode()
    assert retry.status_code == cancel.status_code == 403
    assert action.status_code in (200, 302)
    shipment.refresh_from_db()
    assert shipment.status == "failed"
