"""A shipment starts as Klarna's reservation and ends booked with a carrier.

reserved → confirmed → booking → booked | failed | expired | cancelled. Every transition is a
ShipmentEvent (time, actor, reason): the history the portal shows.
"""

import uuid

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.fields.json import KT
from django.utils.translation import pgettext_lazy

from merchants.models import DeliveryOption, Merchant
from tms_gateway.common.models import BaseModel

from .search import phone_digits, search_text_index_expression
from .snapshot import CARRIER_LOOKUP, OPTION_ID_LOOKUP, SelectionSnapshot


class ShipmentStatus(models.TextChoices):
    """The labels are translated (the portal and the admin speak Swedish too); the stored
    values never change."""

    RESERVED = "reserved", pgettext_lazy("shipment status", "Reserved")
    CONFIRMED = "confirmed", pgettext_lazy("shipment status", "Confirmed")
    BOOKING = "booking", pgettext_lazy("shipment status", "Booking")
    BOOKED = "booked", pgettext_lazy("shipment status", "Booked")
    FAILED = "failed", pgettext_lazy("shipment status", "Failed")
    EXPIRED = "expired", pgettext_lazy("shipment status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("shipment status", "Cancelled")


class ConfirmSource(models.TextChoices):
    """Who said the purchase went through. Whichever comes first confirms; the others find
    the shipment confirmed and change nothing."""

    KLARNA = "klarna", "Klarna's confirm"
    SHOP = "shop", "The shop's order flow (merchant API)"
    CHECKOUT_API = "checkout_api", "Klarna's checkout order (read by the gateway)"
    STAFF = "staff", "By hand"


class Shipment(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="shipments")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session_id = models.CharField(max_length=255)
    status = models.CharField(
        max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.RESERVED
    )
    option = models.ForeignKey(
        DeliveryOption, on_delete=models.SET_NULL, null=True, related_name="shipments"
    )
    # The selection exactly as validated (option code, carrier, product, location, timeslot,
    # add-ons with the shopper's input, prices): the option row may change later. Written and
    # read as a SelectionSnapshot (snapshot.py), the one place that knows its keys.
    selection = models.JSONField()
    # The selection's carrier and option code as columns PostgreSQL keeps in step with
    # ``selection`` (stored, generated; never written by us): the portal filters and counts a
    # big shop's bookings by them from an index alone (migration 0003; snapshot.py still
    # names the keys: CARRIER_LOOKUP, OPTION_ID_LOOKUP).
    selection_carrier = models.GeneratedField(
        expression=KT(CARRIER_LOOKUP), output_field=models.TextField(), db_persist=True
    )
    selection_option_id = models.GeneratedField(
        expression=KT(OPTION_ID_LOOKUP), output_field=models.TextField(), db_persist=True
    )
    recipient = models.JSONField(default=dict)
    order = models.JSONField(default=dict)
    klarna_order_id = models.CharField(max_length=255, blank=True, db_index=True)
    currency = models.CharField(max_length=3)
    locale = models.CharField(max_length=35, blank=True)
    price = models.PositiveIntegerField(help_text="Total shipping price, minor units, tax incl.")
    tax_rate = models.PositiveIntegerField()
    selection_changed_at = models.DateTimeField(
        help_text="Last POST/PUT by Klarna; the reservation expires an hour after it."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=20, choices=ConfirmSource.choices, blank=True)
    merchant_reference = models.CharField(
        max_length=255, blank=True, help_text="The shop's own order reference."
    )

    # A reservation that expired while its order might have been paid: shown to the shop and
    # to staff until someone confirms it by hand or dismisses it.
    attention_since = models.DateTimeField(null=True, blank=True)
    attention_reason = models.CharField(max_length=255, blank=True)

    # Reading the order from Klarna's checkout API when Klarna has not confirmed.
    klarna_order_status = models.CharField(
        max_length=40, blank=True, help_text="The checkout order's status when last read."
    )
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)
    reconcile_next_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    # The booking. ``booking_started_at`` is the lease of the attempt in flight: while it is
    # fresh no other worker touches the carrier for this shipment.
    booking_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current booking window (confirm, retry)."
    )
    booking_attempts = models.PositiveIntegerField(default=0)
    booking_started_at = models.DateTimeField(null=True, blank=True)
    booking_outcome_unknown = models.BooleanField(
        default=False,
        help_text="The last attempt may have reached the carrier (its answer was lost): look the "
        "booking up by reference before sending it again.",
    )
    booking_error = models.TextField(blank=True, help_text="The carrier's own words.")
    next_booking_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    carrier_shipment_id = models.CharField(max_length=100, blank=True)
    carrier_data = models.JSONField(
        default=dict, blank=True, help_text="What the carrier needs back later (e.g. to cancel)."
    )
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_numbers = models.JSONField(default=list, blank=True)
    tracking_url = models.URLField(max_length=1024, blank=True)
    tracking_status = models.CharField(max_length=30, blank=True)
    tracking_checked_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "session_id"], name="shipment_unique_session"
            )
        ]
        indexes = [
            models.Index(fields=["status", "selection_changed_at"]),
            models.Index(fields=["status", "confirmed_at"]),
            models.Index(fields=["status", "tracking_checked_at"]),
            models.Index(fields=["merchant", "klarna_order_id"]),
            models.Index(
                fields=["attention_since"],
                name="shipment_attention",
                condition=models.Q(attention_since__isnull=False),
            ),
            # The portal at a big shop's size (migration 0003; tests/portal/test_query_plans.py):
            # a shop's bookings newest first, a page at a time, by date range (the dashboard
            # counts its days, carriers and options from this index alone) ...
            models.Index(
                fields=["merchant", "-created_at", "-id"],
                include=["status", "selection_carrier", "selection_option_id"],
                name="shipment_merchant_created",
            ),
            # ... by status, carrier, option, needing attention ...
            models.Index(
                fields=["merchant", "status", "-created_at", "-id"],
                name="shipment_merchant_status",
            ),
            models.Index(
                fields=["merchant", "selection_carrier", "-created_at", "-id"],
                name="shipment_merchant_carrier",
            ),
            models.Index(
                fields=["merchant", "selection_option_id", "-created_at", "-id"],
                name="shipment_merchant_option",
            ),
            models.Index(
                fields=["merchant", "-created_at", "-id"],
                name="shipment_merchant_attention",
                condition=models.Q(attention_since__isnull=False),
            ),
            # ... and the search, part of any order number, e-mail, name, tracking number or
            # phone (search.py): trigram indexes, PostgreSQL only (the migration skips them
            # elsewhere).
            GinIndex(
                OpClass(search_text_index_expression(), name="gin_trgm_ops"),
                name="shipment_search_trgm",
            ),
            GinIndex(
                OpClass(phone_digits(), name="gin_trgm_ops"),
                name="shipment_phone_trgm",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def needs_attention(self) -> bool:
        return self.attention_since is not None

    @property
    def booking_reference(self) -> str:
        """The reference every carrier receives for this shipment, the same on every attempt."""
        return self.public_id.hex

    @property
    def snapshot(self) -> SelectionSnapshot:
        """``selection`` as a typed value: the only way the code reads it."""
        return SelectionSnapshot.from_json(self.selection)


class ShipmentLabel(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="labels")
    created_at = models.DateTimeField(auto_now_add=True)
    format = models.CharField(max_length=10, default="pdf")
    content = models.BinaryField(blank=True)
    url = models.URLField(max_length=2048, blank=True)

    def __str__(self) -> str:
        return f"label {self.format} of {self.shipment_id}"


class ShipmentTrackingEvent(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    at = models.DateTimeField()
    status = models.CharField(max_length=30)
    carrier_code = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "at", "carrier_code", "status"], name="tracking_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"


class ShipmentEvent(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.CharField(max_length=100, help_text="klarna, system, or a staff user.")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"
