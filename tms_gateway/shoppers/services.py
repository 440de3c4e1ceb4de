"""Remember a shopper's confirmed choice, apply it to their next answer, forget it.

``choice_apply`` runs inside every options answer of a shop that has remembered choices on: one
indexed query, none when the shop has them off or the session carries no e-mail or number.
``choice_remember`` runs after a confirm is committed and never fails it. Erasure
(``shopper_forget``) and retention (``remembered_choices_forget_expired``) delete rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from merchants.audit import AuditAction, audit_record
from merchants.models import Merchant
from tms_gateway.checkout.types import OfferedOption, Session
from tms_gateway.checkout.types import RememberedChoice as Remembered
from tms_gateway.common.errors import ApplicationError

from .identity import Identity, hash_keys, identities, identity_hash
from .models import IdentityKind, RememberedChoice

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None


def _hashes(*, merchant: Merchant, found: tuple[Identity, ...]) -> dict[str, tuple[Identity, str]]:
    """Every hash of the identities under every key: hash → (identity, key id)."""
    return {
        identity_hash(merchant=merchant, identity=identity, key=key): (identity, key.kid)
        for identity in found
        for key in hash_keys()
    }


def _session_identities(session: Session) -> tuple[Identity, ...]:
    recipient = session.recipient
    return identities(
        email=recipient.email, phone=recipient.phone, country=recipient.address.country
    )


def choice_apply(
    *, merchant: Merchant, session: Session, options: tuple[OfferedOption, ...]
) -> tuple[tuple[OfferedOption, ...], Remembered | None]:
    """Preselect the option the shopper chose last time, with its pickup point first, when it
    is offered again; otherwise the options unchanged. Never raises: a failed lookup answers
    the shop's normal order."""
    if not merchant.remember_choices or not options:
        return options, None
    found = _session_identities(session)
    if not found or not hash_keys():
        return options, None
    try:
        return _apply(merchant=merchant, found=found, options=options)
    except Exception:
        logger.warning("remembered choice lookup failed", exc_info=True)
        return options, None


def _apply(
    *, merchant: Merchant, found: tuple[Identity, ...], options: tuple[OfferedOption, ...]
) -> tuple[tuple[OfferedOption, ...], Remembered | None]:
    hashes = _hashes(merchant=merchant, found=found)
    since = timezone.now() - dt.timedelta(days=merchant.remember_days)
    row = (
        RememberedChoice.objects.filter(
            merchant_id=merchant.pk, identity_hash__in=list(hashes), last_used_at__gte=since
        )
        .order_by("-last_used_at", "-pk")
        .first()
    )
    if row is None:
        return options, None
    identity, kid = hashes[row.identity_hash]
    if kid != hash_keys()[0].kid:
        _rehash(merchant=merchant, row=row, identity=identity)
    if not any(o.id == row.option_id for o in options):
        return options, None
    pickup_point_id = ""
    applied = []
    for option in options:
        if option.id != row.option_id:
            applied.append(replace(option, preselected=False))
            continue
        locations = option.locations
        first = next((loc for loc in locations if loc.id == row.pickup_point_id), None)
        if row.pickup_point_id and first is not None:
            pickup_point_id = first.id
            locations = (first, *(loc for loc in locations if loc is not first))
        applied.append(replace(option, preselected=True, locations=locations))
    return tuple(applied), Remembered(
        option_id=row.option_id,
        pickup_point_id=pickup_point_id,
        reason=row.identity_kind,
        chosen_at=row.last_used_at,
    )


def _rehash(*, merchant: Merchant, row: RememberedChoice, identity: Identity) -> None:
    """A row found under an older key is written under the newest (rotation): once every row
    has been used or expired, the old key can go."""
    newest = hash_keys()[0]
    new_hash = identity_hash(merchant=merchant, identity=identity, key=newest)
    try:
        with transaction.atomic():
            taken = RememberedChoice.objects.filter(merchant_id=merchant.pk, identity_hash=new_hash)
            if taken.exists():
                row.delete()
            else:
                RememberedChoice.objects.filter(pk=row.pk).update(
                    identity_hash=new_hash, key_id=newest.kid
                )
    except Exception:
        logger.warning("remembered choice rehash failed", exc_info=True)


def choice_remember(
    *,
    merchant: Merchant,
    recipient: Mapping[str, Any],
    option_id: str,
    pickup_point_id: str = "",
    carrier: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Remember a confirmed choice under the shopper's e-mail and number (as stored on the
    shipment: ``recipient`` has "email", "phone", "country"); how many identities were
    written. Nothing when the shop has it off. Never raises: a confirm must not fail for it."""
    if not merchant.remember_choices or not option_id or not hash_keys():
        return 0
    try:
        return _remember(
            merchant=merchant,
            found=identities(
                email=str(recipient.get("email") or ""),
                phone=str(recipient.get("phone") or ""),
                country=str(recipient.get("country") or ""),
            ),
            option_id=option_id,
            pickup_point_id=pickup_point_id,
            carrier=carrier,
            now=now or timezone.now(),
        )
    except Exception:
        logger.warning("remembering a choice failed", exc_info=True)
        return 0


def _remember(
    *,
    merchant: Merchant,
    found: tuple[Identity, ...],
    option_id: str,
    pickup_point_id: str,
    carrier: str,
    now: dt.datetime,
) -> int:
    if not found:
        return 0
    newest = hash_keys()[0]
    hashes = _hashes(merchant=merchant, found=found)
    current = {identity_hash(merchant=merchant, identity=i, key=newest): i for i in found}
    with transaction.atomic():
        existing = list(
            RememberedChoice.objects.select_for_update()
            .filter(merchant_id=merchant.pk, identity_hash__in=list(hashes))
            .order_by("-last_used_at")
        )
        # The e-mail and number of this checkout stay linked (one erasure forgets both).
        ref = existing[0].shopper_ref if existing else uuid.uuid4()
        stale = [r.pk for r in existing if r.identity_hash not in current]
        if stale:
            RememberedChoice.objects.filter(pk__in=stale).delete()
        RememberedChoice.objects.bulk_create(
            [
                RememberedChoice(
                    merchant_id=merchant.pk,
                    identity_kind=identity.kind,
                    identity_hash=value,
                    key_id=newest.kid,
                    shopper_ref=ref,
                    option_id=option_id[:64],
                    pickup_point_id=pickup_point_id[:255],
                    carrier=carrier[:32],
                    last_used_at=now,
                )
                for value, identity in current.items()
            ],
            update_conflicts=True,
            unique_fields=["merchant", "identity_hash"],
            update_fields=[
                "key_id",
                "shopper_ref",
                "option_id",
                "pickup_point_id",
                "carrier",
                "last_used_at",
            ],
        )
    return len(current)


class NoShopperGiven(ApplicationError):
    code = "no_shopper"


def shopper_forget(
    *, merchant: Merchant, email: str = "", phone: str = "", country: str = "", actor: Actor
) -> int:
    """Forget one shopper of ``merchant`` (a data-subject request): every remembered choice
    under the e-mail or number, and those kept with them; how many rows were deleted. Audited
    with the kinds given and the count, never the e-mail or number. Another shop's shoppers are
    out of reach: the hashes are the shop's own."""
    found = identities(email=email, phone=phone, country=country)
    if not found:
        raise NoShopperGiven("Give the shopper's e-mail address or a valid phone number.")
    with transaction.atomic():
        matched = RememberedChoice.objects.filter(
            merchant_id=merchant.pk,
            identity_hash__in=list(_hashes(merchant=merchant, found=found)),
        )
        refs = list(matched.values_list("shopper_ref", flat=True))
        forgotten, _ = RememberedChoice.objects.filter(
            merchant_id=merchant.pk, shopper_ref__in=refs
        ).delete()
        labels = dict(IdentityKind.choices)
        audit_record(
            merchant=merchant,
            actor=actor if isinstance(actor, User) else None,
            action=AuditAction.SHOPPER_FORGET,
            obj=merchant,
            changes={
                "identified_by": ", ".join(str(labels[i.kind]) for i in found),
                "remembered_choices": [forgotten, 0],
            },
        )
    return forgotten


def remembered_choices_forget_expired(*, now: dt.datetime | None = None) -> int:
    """Forget every choice older than its shop's ``remember_days``, and every choice of a shop
    that has switched remembering off; how many were deleted."""
    now = now or timezone.now()
    forgotten = 0
    shops = Merchant.objects.filter(
        pk__in=RememberedChoice.objects.values("merchant_id")
    ).values_list("pk", "remember_choices", "remember_days")
    for merchant_id, on, days in shops:
        rows = RememberedChoice.objects.filter(merchant_id=merchant_id)
        if on:
            rows = rows.filter(last_used_at__lt=now - dt.timedelta(days=days))
        deleted, _ = rows.delete()
        forgotten += deleted
    return forgotten
