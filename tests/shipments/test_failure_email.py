"""A booking that fails for good is mailed to its shop: once, after the failure is committed,
in the shop's language (English when the portal does not speak it), with the reason explained
and a link to the booking's portal page; to the shop's notification address, else its active
portal users; not at all when the shop turned it off. A mail server that refuses never breaks
the booking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from merchants.models import Merchant, MerchantUser
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.shipments.booking import Outcome, shipment_book
from tms_gateway.shipments.models import Shipment, ShipmentStatus
from tms_gateway.shipments.notifications import shipment_failure_notify

pytestmark = pytest.mark.django_db

REFUSAL = "refused by Budbee: Injected fault: HTTP 400"
BUDBEE_BOOKING_PATH = "/multiple/orders"


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise ConnectionRefusedError("mail server down")


def shop_users(merchant: Merchant, *emails: str, inactive: Sequence[str] = ()) -> None:
    for email in (*emails, *inactive):
        user = User.objects.create_user(email, email, "x", is_active=email not in inactive)
        MerchantUser.objects.create(user=user, merchant=merchant)


def refused_booking(
    merchant: Merchant,
    sandbox: Sandbox,
    capture: DjangoCaptureOnCommitCallbacks,
    **fields: Any,
) -> Shipment:
    """A Budbee booking refused by the carrier; asserts no mail left before the commit."""
    shipment = ShipmentFactory.create(
        merchant=merchant, option_id="budbee-home", confirmed=True, **fields
    )
    sandbox.fault("budbee", status=400, path=BUDBEE_BOOKING_PATH)
    with capture(execute=True):
        outcome = shipment_book(shipment_id=shipment.pk)
        assert outcome.outcome is Outcome.FAILED
        assert mail.outbox == []  # not before the failure is committed
    shipment.refresh_from_db()
    return shipment


def test_a_refused_booking_is_mailed_once_to_the_shops_active_users(
    demo: Merchant,
    sandbox: Sandbox,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example/"
    shop_users(demo, "b@shop.example", "a@shop.example", inactive=["gone@shop.example"])

    shipment = refused_booking(demo, sandbox, django_capture_on_commit_callbacks, order_id="KO-77")
    # the same failure read again (a task delivered twice) mails nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert shipment_book(shipment_id=shipment.pk).outcome is Outcome.SKIPPED

    assert shipment.status == ShipmentStatus.FAILED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@shop.example", "b@shop.example"]
    assert message.subject == "Booking failed: order KO-77"
    assert "The booking of order KO-77 with the carrier failed." in message.body
    assert "The carrier refused the booking." in message.body
    assert "The carrier's message: Injected fault: HTTP 400" in message.body
    assert f"https://portal.example/portal/bookings/{shipment.public_id}/" in message.body
    assert message.body.endswith("https://portal.example/portal/settings/")


def test_the_mail_is_in_the_shops_language(
    demo: Merchant,
    sandbox: Sandbox,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Merchant.objects.filter(pk=demo.pk).update(
        default_locale="sv-SE", notification_email="lager@shop.example"
    )
    demo.refresh_from_db()
    shop_users(demo, "a@shop.example")

    refused_booking(demo, sandbox, django_capture_on_commit_callbacks, order_id="KO-78")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lager@shop.example"]  # the notification address, not the users
    assert message.subject == "Bokningen misslyckades: order KO-78"
    assert "Transportören nekade bokningen." in message.body
    assert "Transportörens meddelande: Injected fault: HTTP 400" in message.body


def test_a_language_the_portal_does_not_speak_gets_english(
    demo: Merchant,
    sandbox: Sandbox,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Merchant.objects.filter(pk=demo.pk).update(default_locale="fi-FI")
    demo.refresh_from_db()
    shop_users(demo, "a@shop.example")

    refused_booking(demo, sandbox, django_capture_on_commit_callbacks, order_id="KO-79")

    assert [m.subject for m in mail.outbox] == ["Booking failed: order KO-79"]


def test_a_shop_that_turned_the_mails_off_gets_none(
    demo: Merchant,
    sandbox: Sandbox,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Merchant.objects.filter(pk=demo.pk).update(notify_booking_failures=False)
    demo.refresh_from_db()
    shop_users(demo, "a@shop.example")

    shipment = refused_booking(demo, sandbox, django_capture_on_commit_callbacks)

    assert shipment.status == ShipmentStatus.FAILED
    assert mail.outbox == []


def test_a_booking_still_retried_is_not_mailed(
    demo: Merchant,
    sandbox: Sandbox,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    shop_users(demo, "a@shop.example")
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", confirmed=True)
    sandbox.fault("budbee", status=503, path=BUDBEE_BOOKING_PATH)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = shipment_book(shipment_id=shipment.pk)

    assert outcome.outcome is Outcome.RETRY
    assert mail.outbox == []


def test_a_refusing_mail_server_never_breaks_the_booking(
    demo: Merchant,
    sandbox: Sandbox,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    shop_users(demo, "a@shop.example")

    shipment = refused_booking(demo, sandbox, django_capture_on_commit_callbacks)

    assert shipment.status == ShipmentStatus.FAILED
    assert shipment.booking_error == REFUSAL
    assert "failed-booking mail for shipment" in caplog.text


def test_a_booking_no_longer_failed_is_not_mailed(demo: Merchant) -> None:
    shop_users(demo, "a@shop.example")
    shipment = ShipmentFactory.create(merchant=demo, option_id="budbee-home", confirmed=True)

    assert shipment_failure_notify(shipment_id=shipment.pk) == 0
    assert mail.outbox == []


def test_a_line_break_in_the_order_reference_stays_out_of_the_subject(demo: Merchant) -> None:
    shop_users(demo, "a@shop.example")
    shipment = ShipmentFactory.create(
        merchant=demo,
        option_id="budbee-home",
        confirmed=True,
        status=ShipmentStatus.FAILED,
        booking_error=REFUSAL,
        merchant_reference="A-1\nBcc: someone@example.com",
    )

    assert shipment_failure_notify(shipment_id=shipment.pk) == 1
    assert mail.outbox[0].subject == "Booking failed: order A-1 Bcc: someone@example.com"
    assert mail.outbox[0].to == ["a@shop.example"]
