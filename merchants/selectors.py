"""Reads on tenant data."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import (
    DeliveryOption,
    DeliveryOptionAddon,
    KlarnaCredential,
    Merchant,
    MerchantApiToken,
    Store,
)


def klarna_credential_get_by_identifier(*, identifier: str) -> KlarnaCredential | None:
    """The active credential for an identifier, with its merchant; None if unknown or revoked."""
    return (
        KlarnaCredential.objects.select_related("merchant")
        .filter(identifier=identifier, revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )


def klarna_credential_get_for_token(
    *, credential_id: int, merchant_public_id: str
) -> KlarnaCredential | None:
    """The credential a bearer token names (its ``cid`` and ``sub``), with its merchant; None
    when it is revoked, its shop deactivated, or the two do not belong together."""
    return (
        KlarnaCredential.objects.select_related("merchant")
        .filter(
            pk=credential_id,
            revoked_at__isnull=True,
            merchant__is_active=True,
            merchant__public_id=merchant_public_id,
        )
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
            # As lists (to_attr): building an answer reads them without a related manager each.
            Prefetch(
                "addons",
                queryset=DeliveryOptionAddon.objects.order_by("sort_order", "id"),
                to_attr="checkout_addons",
            ),
            Prefetch(
                "stores",
                queryset=Store.objects.filter(is_active=True).order_by("name", "id"),
                to_attr="checkout_stores",
            ),
        )
        .order_by("sort_order", "id")
    )


#: Every merchant API token reads ``tms_<8 hex>_<secret>``.
API_TOKEN_SCHEME = "tms"
#: A token is 4 + 9 + 43 characters; anything much longer is not one of ours.
_API_TOKEN_MAX_LENGTH = 200
#: How stale ``last_used_at`` may get: it is written at most once a minute per token.
API_TOKEN_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def merchant_api_token_authenticate(
    *, token: str, now: dt.datetime | None = None
) -> MerchantApiToken | None:
    """The live token (with its merchant) a bearer token is; None when unknown, revoked or
    of an inactive merchant.

    The token is found by its SHA-256, so the time taken says nothing about how much of a
    guess was right. ``last_used_at`` is written here, at most once a minute per token, so
    that a shop polling the API does not write a row on every call.
    """
    if not token.startswith(f"{API_TOKEN_SCHEME}_") or len(token) > _API_TOKEN_MAX_LENGTH:
        return None
    api_token = (
        MerchantApiToken.objects.select_related("merchant")
        .filter(token_hash=api_token_hash(token), revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )
    if api_token is None:
        return None
    now = now or timezone.now()
    stale = now - API_TOKEN_LAST_USED_RESOLUTION
    if api_token.last_used_at is None or api_token.last_used_at <= stale:
        MerchantApiToken.objects.filter(pk=api_token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        api_token.last_used_at = now
    return api_token


def merchant_api_tokens(*, merchant: Merchant) -> QuerySet[MerchantApiToken]:
    """The merchant's API tokens, live and revoked, newest first, with who issued and revoked."""
    return (
        MerchantApiToken.objects.filter(merchant=merchant)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )
