"""Reads of the merchant API; every one is scoped to the calling token's merchant."""

from __future__ import annotations

from django.db.models import QuerySet

from merchants.models import Merchant
from tms_gateway.shipments.models import Shipment


def merchant_shipments(
    *, merchant: Merchant, needs_attention: bool | None = None
) -> QuerySet[Shipment]:
    """The merchant's shipments: those needing attention newest attention first (what a shop
    polls), the others or all newest first. The order is total (ties broken by id), so pages
    do not overlap."""
    rows = Shipment.objects.filter(merchant=merchant)
    if needs_attention is True:
        return rows.filter(attention_since__isnull=False).order_by("-attention_since", "-pk")
    if needs_attention is False:
        rows = rows.filter(attention_since__isnull=True)
    return rows.order_by("-created_at", "-pk")
