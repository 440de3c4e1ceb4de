"""What a shop does about its bookings from the portal: retry a failed booking, ask partner
staff to fix its cause, cancel a booking, and print the labels of a day.

Each change is a POST (CSRF-checked by Django's middleware) to a view that finds the booking
among the shop's own (another shop's: 404), checks the same rules the booking page used to
show the button (booking_state.py), calls one shipment service, writes an audit row and comes
back to the booking's page with a message saying what happened. A booking in a state where the
action does not apply is left as it is, and the message says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carriers.exceptions import CarrierError
from merchants.audit import AuditAction, audit_record
from tms_gateway.common.errors import ApplicationError
from tms_gateway.shipments.booking import shipment_cancel, shipment_retry
from tms_gateway.shipments.models import Shipment, ShipmentStatus
from tms_gateway.shipments.notifications import AlreadyRequested, shipment_partner_request
from tms_gateway.shipments.selectors import shipment_get

from . import labels
from .booking_state import booking_actions
from .daylabels import day_labels_build
from .views import BookingAttentionView, ShopPage

S = ShipmentStatus


def _booking_url(shipment: Shipment) -> str:
    return reverse("portal:booking", kwargs={"public_id": shipment.public_id})


def _actor(request: HttpRequest) -> str:
    # As BookingAttentionView.actor: ShipmentEvent.actor holds 100 characters.
    return f"{request.user.get_username()[:90]} (portal)"


def _status(shipment: Shipment) -> str:
    return labels.label(labels.STATUS, shipment.status).lower()


class BookingRetryView(BookingAttentionView):
    """Book a failed booking again (a new booking window, queued after commit), when a new
    attempt can help: not for the shopper's data, which would be sent unchanged."""

    def act(self, request: HttpRequest, shipment: Shipment) -> None:
        actions = booking_actions(shipment)
        if shipment.status != S.FAILED:
            messages.error(
                request,
                _(
                    "Only a failed booking can be retried; this one is %(status)s. Nothing was changed."
                )
                % {"status": _status(shipment)},
            )
            return
        if not actions.can_retry:
            explanation = actions.explanation
            messages.error(
                request,
                _("A retry cannot help here, so nothing was changed. %(advice)s")
                % {"advice": explanation.advice if explanation else ""},
            )
            return
        try:
            with transaction.atomic():
                shipment_retry(shipment=shipment, actor=self.actor(request))
                audit_record(
                    merchant=self.merchant,
                    actor=request.user,
                    action=AuditAction.BOOKING_RETRY,
                    obj=shipment,
                    changes={"status": [S.FAILED.value, S.CONFIRMED.value]},
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return
        messages.success(
            request, _("Retry queued: the booking with the carrier is being made again.")
        )


class BookingPartnerRequestView(BookingAttentionView):
    """Ask partner staff to fix what only they can (credentials, agreement, product, a booking
    the carrier must be asked about): recorded in the history and mailed to them, once per
    failure (a second click is refused)."""

    def act(self, request: HttpRequest, shipment: Shipment) -> None:
        actions = booking_actions(shipment)
        if shipment.status != S.FAILED:
            messages.error(
                request,
                _(
                    "Only a failed booking can be sent to your partner; this one is %(status)s. "
                    "Nothing was changed."
                )
                % {"status": _status(shipment)},
            )
            return
        explanation = actions.explanation
        if explanation is None or not explanation.partner_needed:
            messages.error(
                request,
                _("This is not for your partner to fix, so nothing was sent. %(advice)s")
                % {"advice": explanation.advice if explanation else ""},
            )
            return
        try:
            with transaction.atomic():
                event = shipment_partner_request(
                    merchant=self.merchant, shipment=shipment, actor=self.actor(request)
                )
                audit_record(
                    merchant=self.merchant,
                    actor=request.user,
                    action=AuditAction.BOOKING_PARTNER_REQUEST,
                    obj=shipment,
                    changes={"partner_request": [None, event.at.isoformat()]},
                )
        except AlreadyRequested:
            messages.info(
                request, _("Your partner was already asked to fix this; nothing was sent again.")
            )
            return
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return
        messages.success(
            request, _("Your partner was asked to fix this; you can follow it in the history.")
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (optional, kept in the history)"),
        required=False,
        max_length=500,
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, cancel this booking"),
        required=True,
    )


class BookingCancelView(ShopPage):
    """Cancel a booking, after a confirmation page: before booking the gateway cancels it,
    once booked the carrier does first (where its API allows it; else the page says to cancel
    with the carrier)."""

    template_name = "portal/booking_cancel.html"
    section = "bookings"
    shipment: Shipment

    def dispatch_shipment(self, public_id: Any) -> Shipment:
        shipment = shipment_get(merchant=self.merchant, shipment_id=str(public_id))
        if shipment is None:
            raise Http404
        return shipment

    def refused(self, request: HttpRequest, shipment: Shipment) -> HttpResponse | None:
        actions = booking_actions(shipment)
        if actions.can_cancel:
            return None
        text = _("Nothing was changed: %(why)s") % {"why": actions.cancel_refusal}
        if actions.cancel_refusal_original:
            text += f" ({actions.cancel_refusal_original})"
        messages.error(request, text)
        return HttpResponseRedirect(_booking_url(shipment))

    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        shipment = self.dispatch_shipment(public_id)
        return self.refused(request, shipment) or self.page(shipment, CancelForm())

    def page(self, shipment: Shipment, form: CancelForm, status: int = 200) -> HttpResponse:
        context = self.get_context_data(
            shipment=shipment,
            form=form,
            status_label=labels.label(labels.STATUS, shipment.status),
            with_carrier=shipment.status == S.BOOKED and not shipment.snapshot.own_delivery,
        )
        return self.render_to_response(context, status=status)

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        shipment = self.dispatch_shipment(public_id)
        refused = self.refused(request, shipment)
        if refused is not None:
            return refused
        form = CancelForm(request.POST)
        if not form.is_valid():
            return self.page(shipment, form, status=400)
        before = shipment.status
        try:
            with transaction.atomic():
                cancelled = shipment_cancel(
                    shipment=shipment,
                    actor=_actor(request),
                    reason=form.cleaned_data["reason"] or "cancelled",
                )
                audit_record(
                    merchant=self.merchant,
                    actor=request.user,
                    action=AuditAction.BOOKING_CANCEL,
                    obj=cancelled,
                    changes={"status": [before, cancelled.status]},
                )
        except (ApplicationError, CarrierError) as exc:
            message = exc.message if isinstance(exc, ApplicationError) else str(exc)
            messages.error(
                request,
                _("The booking was not cancelled: %(why)s") % {"why": message},
            )
            return HttpResponseRedirect(_booking_url(shipment))
        messages.success(request, _("The booking was cancelled."))
        return HttpResponseRedirect(_booking_url(shipment))


class DayLabelsForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Booked on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DayLabelsView(ShopPage):
    """The labels of the bookings booked on a day (the shop's), as one PDF: the page says
    which labels the PDF holds and lists the ones it cannot (with why); ``download=1`` sends
    the PDF itself. A day without a label to merge says so instead of sending an empty file."""

    template_name = "portal/day_labels.html"
    section = "bookings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        form = DayLabelsForm(request.GET or {"day": today.isoformat()})
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(form=form, result=None), status=400
            )
        day: dt.date = form.cleaned_data["day"]
        result = day_labels_build(merchant=self.merchant, day=day)
        if request.GET.get("download") and result.pdf is not None:
            response = HttpResponse(result.pdf, content_type="application/pdf")
            filename = f"labels-{self.merchant.slug}-{day:%Y%m%d}.pdf"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            response["Cache-Control"] = "private, no-store"
            return response
        # Asked for the file of a day that has none: the page says so (not found, no file).
        status = 404 if request.GET.get("download") else 200
        return self.render_to_response(
            self.get_context_data(
                form=form, result=result, day=day, time_zone=self.merchant.time_zone
            ),
            status=status,
        )
