"""E-mails about failed bookings: to the shop when a booking fails for good, and to partner
staff when a shop asks them to fix the cause.

The shop's mail goes out once per failure, after the failure is committed (booking.py queues
it with ``transaction.on_commit``), in the shop's language, and never breaks the booking: a
mail server that refuses is logged and the booking stays as recorded. A shop that turned
``notify_booking_failures`` off gets none; ``notification_email`` (else every active portal
user of the shop) receives it.

Partner staff are the admin's people who can act on a booking: Django's ``MANAGERS`` when the
deployment names them, else every active staff user allowed to change shipments.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merchants.models import Merchant, MerchantUser

from .explain import PARTNER_REQUESTED, failure_explain
from .models import Shipment, ShipmentEvent, ShipmentStatus
from .services import InvalidTransition

logger = logging.getLogger(__name__)
S = ShipmentStatus


def portal_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def merchant_language(merchant: Merchant) -> str:
    """The shop's language if the portal speaks it (``default_locale`` "sv-SE" → "sv"), else
    the portal's default."""
    code = (merchant.default_locale or "").replace("_", "-").lower()
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def merchant_failure_recipients(merchant: Merchant) -> list[str]:
    """Where a shop's failed-booking mails go: its notification address, else every active
    portal user's address."""
    if merchant.notification_email:
        return [merchant.notification_email]
    emails = (
        MerchantUser.objects.filter(merchant=merchant, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def _one_line(text: str) -> str:
    """A text fit for a mail header: a line break in a subject is refused by Django."""
    return " ".join(text.split())


def _booking_name(shipment: Shipment) -> str:
    return _one_line(
        shipment.merchant_reference or shipment.klarna_order_id or str(shipment.public_id)
    )


def shipment_failure_notify(*, shipment_id: int) -> int:
    """Mail the shop that its booking failed; returns how many mails were sent (0 when the
    shop does not want them, has no address, or the booking is no longer failed)."""
    try:
        return _failure_notify(shipment_id)
    except Exception:  # a mail must never break the booking path
        logger.exception("failed-booking mail for shipment %s not sent", shipment_id)
        return 0


def _failure_notify(shipment_id: int) -> int:
    shipment = Shipment.objects.select_related("merchant").filter(pk=shipment_id).first()
    if shipment is None or shipment.status != S.FAILED:
        return 0
    merchant = shipment.merchant
    if not merchant.notify_booking_failures:
        return 0
    recipients = merchant_failure_recipients(merchant)
    if not recipients:
        logger.warning("failed booking %s: shop %s has no address", shipment.pk, merchant.pk)
        return 0
    path = reverse("portal:booking", kwargs={"public_id": shipment.public_id})
    with translation.override(merchant_language(merchant)), timezone.override(merchant.zone):
        explanation = failure_explain(shipment)
        name = _booking_name(shipment)
        subject = _("Booking failed: order %(order)s") % {"order": name}
        lines = [
            _("The booking of order %(order)s with the carrier failed.") % {"order": name},
            "",
        ]
        if explanation is not None:
            lines += [explanation.summary, f"{explanation.who}: {explanation.advice}", ""]
            if explanation.original:
                words = _("The carrier's message: %(text)s") % {"text": explanation.original}
                lines += [words, ""]
        lines += [
            _("See the booking in the portal: %(url)s") % {"url": portal_url(path)},
            "",
            _(
                "You receive this because failed-booking e-mails are on for %(shop)s; they can "
                "be turned off in the portal's settings."
            )
            % {"shop": merchant.name},
            portal_url(reverse("portal:settings")),
        ]
    sent = send_mail(
        subject=subject,
        message="\n".join(lines),
        from_email=None,
        recipient_list=recipients,
        fail_silently=False,
    )
    logger.info("failed booking %s mailed to shop %s", shipment.pk, merchant.pk)
    return sent


def partner_staff_recipients() -> list[str]:
    """Partner staff who can act on a booking: MANAGERS if set, else active staff users with
    the permission to change shipments (superusers included)."""
    managers = [entry if isinstance(entry, str) else entry[1] for entry in settings.MANAGERS]
    if managers:
        return managers
    may_change = {"codename": "change_shipment", "content_type__app_label": "shipments"}
    users = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(**{f"user_permissions__{k}": v for k, v in may_change.items()})
            | Q(**{f"groups__permissions__{k}": v for k, v in may_change.items()})
        )
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return list(users)


class AlreadyRequested(InvalidTransition):
    code = "already_requested"


def shipment_partner_request(
    *, merchant: Merchant, shipment: Shipment, actor: str, now: dt.datetime | None = None
) -> ShipmentEvent:
    """The shop asks partner staff to fix the cause of its failed booking: a history entry
    (the booking page shows it) and, after commit, a mail to partner staff. Refused when the
    booking is not failed, or when the shop has asked since it last failed (a second click)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk, merchant=merchant)
        if locked.status != S.FAILED:
            raise InvalidTransition(
                f"Only a failed booking can be sent to partner staff; this one is {locked.status}."
            )
        last = locked.events.order_by("-at", "-id").first()
        if last is not None and last.reason == PARTNER_REQUESTED:
            raise AlreadyRequested(
                f"Partner staff were already asked on {last.at:%Y-%m-%d %H:%M} UTC."
            )
        event = ShipmentEvent.objects.create(
            merchant_id=locked.merchant_id,
            shipment=locked,
            at=now,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor,
            reason=PARTNER_REQUESTED,
        )
        shipment_pk = locked.pk
        transaction.on_commit(lambda: partner_request_notify(shipment_id=shipment_pk, actor=actor))
    return event


def partner_request_notify(*, shipment_id: int, actor: str) -> int:
    """Mail partner staff a shop's request; a refusing mail server is logged, not raised (the
    request is recorded on the booking either way)."""
    try:
        shipment = Shipment.objects.select_related("merchant").get(pk=shipment_id)
        recipients = partner_staff_recipients()
        if not recipients:
            logger.warning("partner request on shipment %s: no staff address", shipment_id)
            return 0
        admin_path = reverse("admin:shipments_shipment_change", args=(shipment.pk,))
        with translation.override(settings.LANGUAGE_CODE):
            explanation = failure_explain(shipment)
            lines = [
                f"{shipment.merchant.name} ({actor}) asks partner staff to fix the failed "
                f"booking of order {_booking_name(shipment)}.",
                "",
                f"Carrier: {shipment.snapshot.carrier}",
                f"Error: {shipment.booking_error}",
            ]
            if explanation is not None:
                lines.append(f"Cause: {explanation.cause.value} ({explanation.summary})")
            lines += ["", f"In the admin: {portal_url(admin_path)}"]
        return send_mail(
            subject=f"[{_one_line(shipment.merchant.name)}] Failed booking needs partner staff",
            message="\n".join(lines),
            from_email=None,
            recipient_list=recipients,
            fail_silently=False,
        )
    except Exception:  # the request is recorded either way
        logger.exception("partner request mail for shipment %s not sent", shipment_id)
        return 0
