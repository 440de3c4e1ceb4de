"""The merchant API's input and output shapes.

Inputs are strict: a field of the wrong JSON type (a number for a string), an unknown field or
query parameter, a value too long is refused with 400 ``invalid_request`` and the reasons per
field in ``extra.fields``. Output strings are ``""`` when there is nothing to say; only
``confirmed_at`` is ``null`` (not confirmed yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from tms_gateway.common.errors import ApplicationError
from tms_gateway.shipments.models import ConfirmSource, Shipment, ShipmentStatus

#: The longest Klarna order id we store; a longer one cannot name any shipment.
ORDER_ID_MAX_LENGTH = 255
PAGE_SIZE = 50
PAGE_SIZE_MAX = 100


class InvalidRequest(ApplicationError):
    status_code = 400
    code = "invalid_request"


class StrictCharField(serializers.CharField):
    """A JSON string only: a number or a boolean is refused rather than turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field must not be silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def _parse(serializer: serializers.Serializer, *, what: str) -> dict[str, Any]:
    if not isinstance(serializer.initial_data, Mapping):
        raise InvalidRequest(f"The {what} must be a JSON object.")
    if serializer.is_valid():
        return dict(serializer.validated_data)
    fields = {
        str(name): [str(message) for message in messages]
        for name, messages in serializer.errors.items()
    }
    name, messages = next(iter(fields.items()))
    raise InvalidRequest(f"{name}: {messages[0]}", extra={"fields": fields})


# --- inputs -------------------------------------------------------------------------------------


class OrderConfirmIn(StrictSerializer):
    """The body of a confirm: empty, ``{}``, or the shop's order reference."""

    merchant_reference = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=255,
        help_text="The shop's own order reference (optional; up to 255 characters). Kept on "
        "the shipment unless it already has one.",
    )


def order_confirm_parse(data: Any) -> str:
    """The merchant reference of a confirm's body (``""`` when absent, null or empty)."""
    parsed = _parse(OrderConfirmIn(data=data), what="body")
    return str(parsed.get("merchant_reference") or "")


class ShipmentListIn(StrictSerializer):
    """The query of the shipment list; unknown parameters are refused."""

    needs_attention = serializers.BooleanField(
        required=False,
        help_text="true: only shipments needing attention, newest attention first; false: only "
        "the others; absent: all the shop's shipments, newest first.",
    )
    limit = serializers.IntegerField(
        required=False,
        default=PAGE_SIZE,
        min_value=1,
        max_value=PAGE_SIZE_MAX,
        help_text=f"Page size, 1 to {PAGE_SIZE_MAX} (default {PAGE_SIZE}).",
    )
    offset = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=1_000_000_000,
        help_text="How many shipments to skip (default 0).",
    )


def shipment_list_parse(query: Mapping[str, str]) -> dict[str, Any]:
    # One value per parameter (a QueryDict's item is its last value).
    return _parse(ShipmentListIn(data={name: query[name] for name in query}), what="query")


def order_id_parse(klarna_order_id: str) -> str | None:
    """The order id of a path, or None when it cannot be one we store (so: not found)."""
    if not klarna_order_id or len(klarna_order_id) > ORDER_ID_MAX_LENGTH:
        return None
    if "\x00" in klarna_order_id:  # PostgreSQL cannot compare text with NUL in it
        return None
    return klarna_order_id


# --- outputs ------------------------------------------------------------------------------------


class ShipmentOut(serializers.Serializer):
    """A shipment as the shop's systems see it."""

    shipment_id = serializers.UUIDField(
        help_text="The gateway's id of the shipment (Klarna's shipment_id)."
    )
    klarna_order_id = serializers.CharField(help_text="Klarna's order id; empty if not known.")
    status = serializers.ChoiceField(
        # Values only, as the KSA schema lists them: the two APIs share one StatusEnum.
        choices=list(ShipmentStatus.values),
        help_text="reserved → confirmed → booking → booked, or failed, expired, cancelled.",
    )
    option_id = serializers.CharField(help_text="The shop's delivery option the shopper chose.")
    carrier = serializers.CharField(
        help_text="The carrier (postnord, budbee, instabox, dhl, bring; generic for the shop's "
        "own options)."
    )
    carrier_product = serializers.CharField(help_text="The carrier's product code; may be empty.")
    confirmed_by = serializers.ChoiceField(
        choices=ConfirmSource.choices,
        allow_blank=True,
        help_text="Who confirmed first: klarna, shop (this API), checkout_api (the gateway read "
        "Klarna's order), staff; empty while not confirmed.",
    )
    confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was confirmed (UTC); null while not confirmed."
    )
    merchant_reference = serializers.CharField(
        help_text="The shop's order reference sent with a confirm; empty if none."
    )
    needs_attention = serializers.BooleanField(
        help_text="The reservation expired without a confirm and its order may have been paid: "
        "confirm it (POST …/confirm) if it was."
    )
    attention_reason = serializers.CharField(help_text="Why it needs attention; empty if not.")
    tracking_number = serializers.CharField(help_text="The carrier's; empty until booked.")
    tracking_url = serializers.CharField(help_text="The carrier's tracking page; may be empty.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return dict(super().to_representation(_shipment_fields(instance)))


def _shipment_fields(shipment: Shipment) -> dict[str, Any]:
    chosen = shipment.snapshot
    return {
        "shipment_id": shipment.public_id,
        "klarna_order_id": shipment.klarna_order_id,
        "status": shipment.status,
        "option_id": chosen.option_id,
        "carrier": chosen.carrier,
        "carrier_product": chosen.carrier_product,
        "confirmed_by": shipment.confirmed_by,
        "confirmed_at": shipment.confirmed_at,
        "merchant_reference": shipment.merchant_reference,
        "needs_attention": shipment.needs_attention,
        "attention_reason": shipment.attention_reason,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
    }


def shipment_render(shipment: Shipment) -> dict[str, Any]:
    return dict(ShipmentOut(shipment).data)


class ShipmentPageOut(serializers.Serializer):
    """One page of shipments and where the neighbouring pages are."""

    count = serializers.IntegerField(help_text="Shipments matching, over all pages.")
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="null on the first page.")
    results = ShipmentOut(many=True)
