"""Reads on tenant data."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from .models import DeliveryOption, DeliveryOptionAddon, KlarnaCredential, Merchant, Store


def klarna_credential_get_by_identifier(*, identifier: str) -> KlarnaCredential | None:
    """The active credential for an identifier, with its merchant; None if unknown or revoked."""
    return (
        KlarnaCredential.objects.select_related("merchant")
        .filter(identifier=identifier, revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )


def klarna_credential_accepted_keys(*, credential: KlarnaCredential, now: dt.datetime) -> list[str]:
    keys = [credential.key]
    if (
        credential.previous_key
        and credential.previous_key_valid_until
        and credential.previous_key_valid_until > now
    ):
        keys.append(credential.previous_key)
    return keys


def delivery_options_for_checkout(*, merchant: Merchant) -> QuerySet[DeliveryOption]:
    """A merchant's active options with what building them needs, in a fixed query count."""
    return (
        DeliveryOption.objects.filter(merchant=merchant, is_active=True)
        .select_related("agreement")
        .prefetch_related(
            Prefetch("addons", queryset=DeliveryOptionAddon.objects.order_by("sort_order", "id")),
            Prefetch(
                "stores",
                queryset=Store.objects.filter(is_active=True).order_by("name", "id"),
            ),
        )
        .order_by("sort_order", "id")
    )
