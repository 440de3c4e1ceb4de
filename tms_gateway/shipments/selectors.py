"""Reads on shipments; every lookup is scoped to one merchant."""

from __future__ import annotations

import uuid

from merchants.models import Merchant

from .models import Shipment


def shipment_get(*, merchant: Merchant, shipment_id: str) -> Shipment | None:
    """The merchant's shipment by its public id; None for unknown ids and other shops' ids."""
    try:
        public_id = uuid.UUID(shipment_id)
    except ValueError:
        return None
    return Shipment.objects.filter(merchant=merchant, public_id=public_id).first()


def shipments_needing_attention_count(*, merchant: Merchant | None = None) -> int:
    """Expired reservations whose order may have been paid (all shops unless ``merchant``)."""
    rows = Shipment.objects.filter(attention_since__isnull=False)
    if merchant is not None:
        rows = rows.filter(merchant=merchant)
    return rows.count()
