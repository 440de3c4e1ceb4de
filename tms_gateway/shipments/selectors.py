"""Reads on shipments; every lookup is scoped to one merchant."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from carriers.exceptions import CarrierRejected
from carriers.types import AgreementCredentials
from merchants.models import CarrierAgreement, Merchant

from .models import Shipment, ShipmentLabel, ShipmentStatus


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


def shipment_labels_booked_between(
    *, merchant: Merchant, since: dt.datetime, until: dt.datetime
) -> QuerySet[ShipmentLabel]:
    """The labels of the merchant's shipments booked in [since, until) and still booked (a
    cancelled parcel's label must not be printed), in booking order, with their shipments."""
    return (
        ShipmentLabel.objects.filter(
            merchant=merchant,
            shipment__merchant=merchant,
            shipment__status=ShipmentStatus.BOOKED,
            shipment__booked_at__gte=since,
            shipment__booked_at__lt=until,
        )
        .select_related("shipment")
        .order_by("shipment__booked_at", "shipment_id", "pk")
    )


def shipment_agreement_get(*, shipment: Shipment) -> CarrierAgreement:
    """The shop's agreement with the shipment's carrier (an active one first); a shop without
    one is a refusal, as the carrier would give."""
    carrier = shipment.snapshot.carrier
    agreement = (
        CarrierAgreement.objects.filter(merchant_id=shipment.merchant_id, carrier=carrier)
        .order_by("-is_active", "pk")
        .first()
    )
    if agreement is None:
        raise CarrierRejected(f"The shop has no agreement with {carrier}.", carrier=carrier)
    return agreement


def agreement_credentials(
    *, agreement: CarrierAgreement, merchant: Merchant
) -> AgreementCredentials:
    """What an adapter receives of the agreement: explicit credentials, never the row."""
    return AgreementCredentials(
        agreement_id=agreement.pk,
        customer_number=agreement.customer_number,
        credentials=agreement.credentials,
        test_mode=agreement.test_mode,
        merchant_id=merchant.pk,
        base_url=agreement.api_base_url,
    )
