"""A shop acts on its bookings: a failed booking says why in plain words and who can fix it,
and is retried, or sent to partner staff, from its page; a booking is cancelled after a
confirmation where the carrier allows it. Each action is a CSRF-checked POST on the shop's own
booking (another shop's: 404), audited; in a state where it does not apply it changes nothing
and says why."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from merchants.models import AuditLog, Merchant
from tests.factories import ShipmentFactory
from tests.shipments.helpers import queue_clear, queued_bookings
from tms_gateway.shipments.explain import PARTNER_REQUESTED
from tms_gateway.shipments.models import Shipment, ShipmentEvent, ShipmentStatus

pytestmark = pytest.mark.django_db

S = ShipmentStatus
POSTAL_CODE_REFUSAL = "refused by DHL: Post code '99999' not found."
CREDENTIALS_REFUSAL = "refused by PostNord: Unauthorized"
CARRIER_DOWN = "carrier unavailable for too long: Injected fault: HTTP 503"


def failed(merchant: Merchant, error: str, *, order_id: str = "KO-9001") -> Shipment:
    return ShipmentFactory.create(
        merchant=merchant,
        option_id="postnord-home",
        small_order=True,
        confirmed=True,
        order_id=order_id,
        status=S.FAILED,
        booking_error=error,
    )


def url(name: str, shipment: Shipment) -> str:
    return reverse(f"portal:{name}", kwargs={"public_id": shipment.public_id})


def state(shipment: Shipment) -> tuple[object, ...]:
    shipment.refresh_from_db()
    return (shipment.status, shipment.booking_error, shipment.events.count())


def audit_actions(merchant: Merchant) -> list[tuple[str, str, str]]:
    return [
        (row.action, row.object_type, row.actor.username if row.actor else "")
        for row in AuditLog.objects.filter(merchant=merchant).order_by("id")
    ]


def test_a_failed_booking_explains_who_can_fix_it_with_the_carriers_words(
    client_a: Client, shop_a: Merchant
) -> None:
    shipment = failed(shop_a, POSTAL_CODE_REFUSAL)

    html = client_a.get(url("booking", shipment)).content.decode()

    assert "The carrier did not accept the recipient&#x27;s postal code." in html
    assert "You can fix this:" in html
    assert "correct the order in Klarna&#x27;s merchant portal" in html
    assert "Post code &#x27;99999&#x27; not found." in html  # the carrier's own words too
    # the shopper's data would be sent unchanged: neither retry nor the partner is offered
    assert url("booking_retry", shipment) not in html
    assert url("booking_partner_request", shipment) not in html
    assert url("booking_cancel", shipment) in html


def test_the_shop_retries_a_failed_booking_the_carrier_did_not_answer(
    client_a: Client,
    shop_a: Merchant,
    user_a: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    shipment = failed(shop_a, CARRIER_DOWN)
    queue_clear()
    page = client_a.get(url("booking", shipment)).content.decode()
    assert "Nobody needs to fix this:" in page
    assert url("booking_retry", shipment) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url("booking_retry", shipment), follow=True)

    shipment.refresh_from_db()
    assert shipment.status == S.CONFIRMED
    assert shipment.booking_error == ""
    last = shipment.events.order_by("-id").first()
    assert last is not None
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        "failed",
        "confirmed",
        "anna (portal)",
        "retry requested",
    )
    assert queued_bookings() == [shipment.pk]
    assert audit_actions(shop_a) == [("booking_retry", "Shipment", "anna")]
    assert "Retry queued" in response.content.decode()


def test_a_retry_that_cannot_help_changes_nothing(client_a: Client, shop_a: Merchant) -> None:
    shipment = failed(shop_a, POSTAL_CODE_REFUSAL)
    before = state(shipment)

    response = client_a.post(url("booking_retry", shipment), follow=True)

    assert state(shipment) == before
    assert "A retry cannot help here, so nothing was changed." in response.content.decode()
    assert audit_actions(shop_a) == []


def test_a_retry_of_a_booking_that_is_not_failed_changes_nothing(
    client_a: Client, shop_a: Merchant
) -> None:
    shipment = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="KO-9002"
    )
    before = state(shipment)

    response = client_a.post(url("booking_retry", shipment), follow=True)

    assert state(shipment) == before
    assert (
        "Only a failed booking can be retried; this one is confirmed. Nothing was changed."
        in response.content.decode()
    )
    assert audit_actions(shop_a) == []


def test_another_shops_booking_is_not_found_for_every_action(
    client_b: Client, shop_a: Merchant
) -> None:
    shipment = failed(shop_a, CREDENTIALS_REFUSAL)
    before = state(shipment)

    for name in ("booking_retry", "booking_partner_request", "booking_cancel"):
        assert client_b.post(url(name, shipment), {"confirm": "on"}).status_code == 404
    assert client_b.get(url("booking_cancel", shipment)).status_code == 404

    assert state(shipment) == before
    assert AuditLog.objects.count() == 0


def test_actions_are_post_only_and_need_the_csrf_token(user_a: User, shop_a: Merchant) -> None:
    shipment = failed(shop_a, CARRIER_DOWN)
    before = state(shipment)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user_a)

    assert strict.get(url("booking_retry", shipment)).status_code == 405
    assert strict.get(url("booking_partner_request", shipment)).status_code == 405
    assert strict.post(url("booking_retry", shipment)).status_code == 403
    assert strict.post(url("booking_partner_request", shipment)).status_code == 403
    assert strict.post(url("booking_cancel", shipment), {"confirm": "on"}).status_code == 403

    assert state(shipment) == before


def staff_user(username: str, email: str, *, can_change: bool) -> User:
    user = User.objects.create_user(username, email, "x", is_staff=True)
    if can_change:
        user.user_permissions.add(
            Permission.objects.get(codename="change_shipment", content_type__app_label="shipments")
        )
    return user


def test_the_shop_asks_partner_staff_once_and_they_are_mailed(
    client_a: Client,
    shop_a: Merchant,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.MANAGERS = []
    staff_user("olle", "olle@partner.example", can_change=True)
    staff_user("viewer", "viewer@partner.example", can_change=False)
    shipment = failed(shop_a, CREDENTIALS_REFUSAL)
    page = client_a.get(url("booking", shipment)).content.decode()
    assert "Your partner needs to fix this:" in page
    assert url("booking_partner_request", shipment) in page

    with django_capture_on_commit_callbacks(execute=True):
        first = client_a.post(url("booking_partner_request", shipment), follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = client_a.post(url("booking_partner_request", shipment), follow=True)

    requests = ShipmentEvent.objects.filter(shipment=shipment, reason=PARTNER_REQUESTED)
    assert [(e.from_status, e.to_status, e.actor) for e in requests] == [
        ("failed", "failed", "anna (portal)")
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olle@partner.example"]
    assert "Unauthorized" in message.body
    assert f"/admin/shipments/shipment/{shipment.pk}/change/" in message.body
    assert audit_actions(shop_a) == [("booking_partner_request", "Shipment", "anna")]
    assert "Your partner was asked to fix this" in first.content.decode()
    assert "already asked" in second.content.decode()
    html = second.content.decode()
    assert "You asked your partner to fix this on" in html
    assert "Failed → Failed" not in html  # a note without a change names the status once
    assert "you asked partner staff to fix the cause" in html
    assert url("booking_partner_request", shipment) not in html  # no second button
    shipment.refresh_from_db()
    assert shipment.status == S.FAILED


def test_a_shop_fixable_failure_is_not_sent_to_the_partner(
    client_a: Client, shop_a: Merchant
) -> None:
    shipment = failed(shop_a, POSTAL_CODE_REFUSAL)
    before = state(shipment)

    response = client_a.post(url("booking_partner_request", shipment), follow=True)

    assert state(shipment) == before
    assert "This is not for your partner to fix" in response.content.decode()
    assert mail.outbox == []


def test_cancel_asks_first_then_cancels_and_audits(client_a: Client, shop_a: Merchant) -> None:
    shipment = failed(shop_a, POSTAL_CODE_REFUSAL)

    page = client_a.get(url("booking_cancel", shipment))
    assert page.status_code == 200
    assert "Cancelling cannot be undone." in page.content.decode()
    unconfirmed = client_a.post(url("booking_cancel", shipment), {"reason": "shopper moved"})
    assert unconfirmed.status_code == 400
    assert shipment.events.count() == state(shipment)[2]
    assert state(shipment)[0] == S.FAILED

    response = client_a.post(
        url("booking_cancel", shipment), {"reason": "shopper moved", "confirm": "on"}, follow=True
    )

    shipment.refresh_from_db()
    assert shipment.status == S.CANCELLED
    last = shipment.events.order_by("-id").first()
    assert last is not None
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        "failed",
        "cancelled",
        "anna (portal)",
        "shopper moved",
    )
    assert audit_actions(shop_a) == [("booking_cancel", "Shipment", "anna")]
    assert "The booking was cancelled." in response.content.decode()


def test_a_booking_the_carrier_cannot_cancel_shows_why_and_changes_nothing(
    client_a: Client, shop_a: Merchant
) -> None:
    # The static PostNord adapter of the portal tests offers no cancel through its API.
    shipment = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id="KO-9003",
        status=S.BOOKED,
        carrier_shipment_id="PN-1",
    )
    before = state(shipment)

    page = client_a.get(url("booking", shipment)).content.decode()
    response = client_a.post(url("booking_cancel", shipment), {"confirm": "on"}, follow=True)

    assert url("booking_cancel", shipment) not in page
    assert "cancel it with the carrier directly" in page
    assert state(shipment) == before
    assert "Nothing was changed:" in response.content.decode()
    assert audit_actions(shop_a) == []


def test_a_cancelled_booking_cannot_be_cancelled_again(client_a: Client, shop_a: Merchant) -> None:
    shipment = failed(shop_a, POSTAL_CODE_REFUSAL)
    client_a.post(url("booking_cancel", shipment), {"confirm": "on"})
    before = state(shipment)

    response = client_a.post(url("booking_cancel", shipment), {"confirm": "on"}, follow=True)

    assert state(shipment) == before
    assert "This booking cannot be cancelled: it is cancelled." in response.content.decode()
