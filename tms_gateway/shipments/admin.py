"""Shipments for partner staff: read-only, with their history, tracking and labels.

Staff act through the services, and only with the change permission: retry a failed booking
(``shipment_retry``), cancel (``shipment_cancel``, with the carrier where it allows it), and
settle a shipment that needs attention (its reservation expired without a confirm, but the
order may have been paid): confirm it by hand (``shipment_confirm`` from staff, which books it)
or dismiss it (``shipment_attention_dismiss``: not paid). The actor recorded is
``staff:<username>``.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from merchants.models import carrier_label, option_carrier_choices
from tms_gateway.common.errors import ApplicationError
from tms_gateway.ops import metrics

from .booking import shipment_cancel, shipment_cancel_refusal, shipment_retry
from .models import (
    ConfirmSource,
    Shipment,
    ShipmentEvent,
    ShipmentLabel,
    ShipmentStatus,
    ShipmentTrackingEvent,
)
from .services import CONFIRMED_OR_LATER, shipment_attention_dismiss, shipment_confirm_outcome
from .snapshot import carrier_is

LABEL_CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "text/plain", "png": "image/png"}
NO_SAVE = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,
}


def _plain(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def staff_actor(request: HttpRequest) -> str:
    return f"staff:{request.user.get_username()}"


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShipmentEventInline(_ReadOnlyInline):
    model = ShipmentEvent
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    verbose_name = "history entry"
    verbose_name_plural = "history"


class ShipmentTrackingEventInline(_ReadOnlyInline):
    model = ShipmentTrackingEvent
    fields = ("at", "status", "carrier_code", "description", "location")
    readonly_fields = fields
    verbose_name_plural = "tracking events"


class ShipmentLabelInline(_ReadOnlyInline):
    model = ShipmentLabel
    fields = ("created_at", "format", "download")
    readonly_fields = fields

    @admin.display(description="label")
    def download(self, obj: ShipmentLabel) -> SafeString | str:
        if not obj.pk or not (obj.content or obj.url):
            return "-"
        url = reverse("admin:shipments_shipment_label", args=(obj.shipment_id, obj.pk))
        return format_html('<a href="{}">Download</a>', url)


class CarrierFilter(admin.SimpleListFilter):
    """The carrier as chosen at checkout (the selection keeps it; the option may change)."""

    title = "carrier"
    parameter_name = "carrier"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in option_carrier_choices()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if carrier := self.value():
            return queryset.filter(carrier_is(carrier))
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    """Expired reservations whose order may have been paid, until confirmed or dismissed."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(attention_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(attention_since__isnull=True)
        return queryset


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Kept in the shipment's history.",
    )


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "status",
        "carrier",
        "option_code",
        "recipient_name",
        "klarna_order_id",
        "tracking_number",
        "needs_attention",
        "created_at",
    )
    list_filter = ("status", AttentionFilter, "merchant", CarrierFilter, "created_at")
    list_select_related = ("merchant",)
    search_fields = (
        "public_id",
        "klarna_order_id",
        "tracking_number",
        "session_id",
        "recipient__family_name",
        "recipient__given_name",
    )
    date_hierarchy = "created_at"
    inlines = [ShipmentEventInline, ShipmentTrackingEventInline, ShipmentLabelInline]
    actions = ["retry_booking", "cancel_booking", "confirm_by_hand", "dismiss_attention"]
    change_form_template = "admin/merchants/shipment/change_form.html"
    fieldsets = (
        (
            "Shipment",
            {
                "fields": (
                    "public_id",
                    "merchant",
                    "status",
                    "session_id",
                    "klarna_order_id",
                    "merchant_reference",
                    "created_at",
                    "confirmed_at",
                    "confirmed_by",
                )
            },
        ),
        ("Needs attention", {"fields": ("attention_since", "attention_reason")}),
        ("What the shopper chose", {"fields": ("option", "selection_view", "currency", "price")}),
        ("Recipient and order", {"fields": ("recipient_view", "order_view")}),
        (
            "Booking",
            {
                "fields": (
                    "booking_since",
                    "booking_attempts",
                    "booking_error",
                    "booking_outcome_unknown",
                    "next_booking_at",
                    "booked_at",
                    "carrier_shipment_id",
                )
            },
        ),
        (
            "Tracking",
            {
                "fields": (
                    "tracking_number",
                    "tracking_numbers",
                    "tracking_url",
                    "tracking_status",
                    "tracking_checked_at",
                    "delivered_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [name for _title, spec in self.fieldsets for name in spec["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Klarna reserves shipments

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is the record; cancel instead

    @admin.display(description="carrier")
    def carrier(self, obj: Shipment) -> str:
        return carrier_label(obj.snapshot.carrier)

    @admin.display(description="needs attention", boolean=True, ordering="attention_since")
    def needs_attention(self, obj: Shipment) -> bool:
        return obj.needs_attention

    @admin.display(description="option")
    def option_code(self, obj: Shipment) -> str:
        return obj.snapshot.option_id

    @admin.display(description="recipient")
    def recipient_name(self, obj: Shipment) -> str:
        r = obj.recipient or {}
        name = " ".join(p for p in (r.get("given_name"), r.get("family_name")) if p)
        return name or str(r.get("company_name") or "")

    @staticmethod
    def _pairs(data: dict[str, Any]) -> SafeString | str:
        if not data:
            return "-"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((k, _plain(v)) for k, v in data.items()),
            ),
        )

    @admin.display(description="selection")
    def selection_view(self, obj: Shipment) -> SafeString | str:
        return self._pairs(obj.selection)

    @admin.display(description="recipient")
    def recipient_view(self, obj: Shipment) -> SafeString | str:
        return self._pairs(obj.recipient)

    @admin.display(description="order")
    def order_view(self, obj: Shipment) -> SafeString | str:
        return self._pairs(obj.order)

    # --- Views -------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/label/<int:label_id>/",
                view(self.label_view),
                name="shipments_shipment_label",
            ),
            path("<path:object_id>/retry/", view(self.retry_view), name="shipments_shipment_retry"),
            path(
                "<path:object_id>/cancel/", view(self.cancel_view), name="shipments_shipment_cancel"
            ),
            path(
                "<path:object_id>/confirm-by-hand/",
                view(self.confirm_view),
                name="shipments_shipment_confirm",
            ),
            path(
                "<path:object_id>/dismiss-attention/",
                view(self.dismiss_view),
                name="shipments_shipment_dismiss",
            ),
            *super().get_urls(),
        ]

    def _shipment(self, request: HttpRequest, object_id: str) -> Shipment:
        shipment = self.get_object(request, object_id)
        if shipment is None or not self.has_view_permission(request, shipment):
            raise Http404
        return shipment

    def _change_url(self, shipment: Shipment) -> str:
        return reverse("admin:shipments_shipment_change", args=(shipment.pk,))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # read-only: the buttons have their own views
        context: dict[str, Any] = dict(NO_SAVE)
        shipment = self.get_object(request, object_id)
        if shipment is not None and self.has_change_permission(request, shipment):
            if shipment.status == ShipmentStatus.FAILED:
                context["retry_url"] = reverse(
                    "admin:shipments_shipment_retry", args=(shipment.pk,)
                )
            if shipment.needs_attention:
                context["attention_reason"] = shipment.attention_reason
                context["confirm_url"] = reverse(
                    "admin:shipments_shipment_confirm", args=(shipment.pk,)
                )
                context["dismiss_url"] = reverse(
                    "admin:shipments_shipment_dismiss", args=(shipment.pk,)
                )
            refusal = shipment_cancel_refusal(shipment=shipment)
            if refusal:
                context["cancel_refusal"] = refusal
            elif shipment.status not in (ShipmentStatus.CANCELLED, ShipmentStatus.EXPIRED):
                context["cancel_url"] = reverse(
                    "admin:shipments_shipment_cancel", args=(shipment.pk,)
                )
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def label_view(self, request: HttpRequest, object_id: str, label_id: int) -> HttpResponse:
        shipment = self._shipment(request, object_id)
        label = shipment.labels.filter(pk=label_id).first()
        if label is None:
            raise Http404
        content = bytes(label.content or b"")
        if content:
            fmt = (label.format or "pdf").lower()
            response = HttpResponse(
                content, content_type=LABEL_CONTENT_TYPES.get(fmt, "application/octet-stream")
            )
            extension = fmt if fmt.isalnum() else "bin"
            response["Content-Disposition"] = (
                f'attachment; filename="label-{shipment.public_id}-{label.pk}.{extension}"'
            )
            response["Cache-Control"] = "private, no-store"
            return response
        if label.url.startswith(("https://", "http://")):
            return HttpResponseRedirect(label.url)
        raise Http404

    def _retry(self, request: HttpRequest, shipment: Shipment) -> None:
        try:
            shipment_retry(shipment=shipment, actor=staff_actor(request))
        except ApplicationError as exc:
            self.message_user(request, f"{shipment}: {exc.message}", messages.ERROR)
        else:
            self.message_user(request, f"{shipment}: booking queued again.", messages.SUCCESS)

    def _cancel(self, request: HttpRequest, shipment: Shipment, reason: str) -> None:
        try:
            shipment_cancel(shipment=shipment, actor=staff_actor(request), reason=reason)
        except ApplicationError as exc:
            self.message_user(request, f"{shipment}: {exc.message}", messages.ERROR)
        else:
            self.message_user(request, f"{shipment}: cancelled.", messages.SUCCESS)

    def _confirm(
        self, request: HttpRequest, shipment: Shipment, merchant_reference: str = ""
    ) -> None:
        if shipment.status in CONFIRMED_OR_LATER:
            self.message_user(
                request,
                f"{shipment}: already confirmed ({shipment.get_confirmed_by_display()}); "
                "nothing changed.",
                messages.WARNING,
            )
            return
        if not shipment.needs_attention:
            self.message_user(
                request,
                f"{shipment}: does not need attention (it is {shipment.status}); nothing changed.",
                messages.WARNING,
            )
            return
        try:
            outcome = shipment_confirm_outcome(
                merchant=shipment.merchant,
                shipment=shipment,
                source=ConfirmSource.STAFF,
                actor=staff_actor(request),
                merchant_reference=merchant_reference,
            )
        except ApplicationError as exc:
            self.message_user(request, f"{shipment}: {exc.message}", messages.ERROR)
        else:
            metrics.shipment_confirm_observe(outcome)
            self.message_user(
                request, f"{shipment}: confirmed by hand; booking queued.", messages.SUCCESS
            )

    def _dismiss(self, request: HttpRequest, shipment: Shipment) -> None:
        if not shipment.needs_attention:
            self.message_user(
                request,
                f"{shipment}: does not need attention (it is {shipment.status}); nothing changed.",
                messages.WARNING,
            )
            return
        shipment_attention_dismiss(
            merchant=shipment.merchant, shipment=shipment, actor=staff_actor(request)
        )
        self.message_user(
            request,
            f"{shipment}: dismissed (not paid); it stays {shipment.status}.",
            messages.SUCCESS,
        )

    def _attention_post(self, request: HttpRequest, object_id: str) -> Shipment | HttpResponse:
        """The shipment of a confirm or dismiss button: POST only, with the change permission."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        shipment = self._shipment(request, object_id)
        if not self.has_change_permission(request, shipment):
            raise PermissionDenied
        return shipment

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        shipment = self._attention_post(request, object_id)
        if isinstance(shipment, HttpResponse):
            return shipment
        reference = str(request.POST.get("merchant_reference", "")).strip()[:255]
        self._confirm(request, shipment, reference)
        return HttpResponseRedirect(self._change_url(shipment))

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        shipment = self._attention_post(request, object_id)
        if isinstance(shipment, HttpResponse):
            return shipment
        self._dismiss(request, shipment)
        return HttpResponseRedirect(self._change_url(shipment))

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        shipment = self._shipment(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(shipment))
        if not self.has_change_permission(request, shipment):
            raise PermissionDenied
        self._retry(request, shipment)
        return HttpResponseRedirect(self._change_url(shipment))

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        shipment = self._shipment(request, object_id)
        if not self.has_change_permission(request, shipment):
            raise PermissionDenied
        form = CancelForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            self._cancel(request, shipment, form.cleaned_data["reason"])
            return HttpResponseRedirect(self._change_url(shipment))
        return self._cancel_page(request, [shipment], form, action_url=request.path)

    def _cancel_page(
        self,
        request: HttpRequest,
        shipments: list[Shipment],
        form: CancelForm,
        *,
        action_url: str = "",
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/merchants/shipment/cancel_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Cancel shipments" if len(shipments) > 1 else f"Cancel {shipments[0]}",
                "shipments": shipments,
                "form": form,
                "action_url": action_url,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    # --- Actions -----------------------------------------------------------------------------

    @admin.action(permissions=["change"], description="Retry failed booking")
    def retry_booking(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        for shipment in queryset.select_related("merchant"):
            self._retry(request, shipment)

    @admin.action(permissions=["change"], description="Cancel booking")
    def cancel_booking(
        self, request: HttpRequest, queryset: QuerySet[Shipment]
    ) -> TemplateResponse | None:
        shipments = list(queryset.select_related("merchant"))
        if request.POST.get("confirm") != "yes":
            return self._cancel_page(request, shipments, CancelForm())
        form = CancelForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        for shipment in shipments:
            self._cancel(request, shipment, reason)
        return None

    @admin.action(permissions=["change"], description="Confirm by hand (order was paid)")
    def confirm_by_hand(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        for shipment in queryset.select_related("merchant"):
            self._confirm(request, shipment)

    @admin.action(permissions=["change"], description="Dismiss (not paid)")
    def dismiss_attention(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        for shipment in queryset.select_related("merchant"):
            self._dismiss(request, shipment)
