"""A shipment starts as Klarna's reservation and ends booked with a carrier.

reserved → confirmed → booking → booked | failed | expired | cancelled. Every transition is a
ShipmentEvent (time, actor, reason): the history the portal shows.
"""

import uuid

from django.db import models

from merchants.models import DeliveryOption, Merchant
from tms_gateway.common.models import BaseModel


class ShipmentStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    CONFIRMED = "confirmed", "Confirmed"
    BOOKING = "booking", "Booking"
    BOOKED = "booked", "Booked"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


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
    # add-ons with the shopper's input, prices): the option row may change later.
    selection = models.JSONField()
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

    # Filled by the booking (next issue).
    carrier_shipment_id = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=1024, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "session_id"], name="shipment_unique_session"
            )
        ]
        indexes = [models.Index(fields=["status", "selection_changed_at"])]

    def __str__(self) -> str:
        return str(self.public_id)


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
