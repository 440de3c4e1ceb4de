"""What a shop changes of its own configuration in the portal: its delivery options' texts,
prices, free-shipping thresholds, order and whether they are offered, and its settings (time
zone, failed-booking e-mails).

The rest of an option (carrier, product, agreement, code, conditions) is what partner staff
agreed with the carriers and set up in the admin: these services take only the fields listed
here, whatever a caller passes. Every change is audited with the shop's user as the actor, so
partner staff see it in the admin's audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from tms_gateway.common.errors import ApplicationError, NotFound

from .audit import AuditAction, audit_changes, audit_record, audit_snapshot
from .models import Carrier, DeliveryOption, Merchant

#: What a shop may change of its own delivery options.
SHOP_OPTION_FIELDS = (
    "names",
    "descriptions",
    "prices",
    "free_shipping_thresholds",
    "sort_order",
    "is_active",
)
#: What a shop may change of its own settings.
SHOP_SETTINGS_FIELDS = (
    "time_zone",
    "notify_booking_failures",
    "notification_email",
    "remember_choices",
    "remember_days",
)
#: The gap between options' sort orders after a move: room to slot one in by hand.
SORT_STEP = 10

Actor = AbstractBaseUser | AnonymousUser | None


class ActivationRefused(ApplicationError):
    """A carrier option cannot be offered without an active agreement with its carrier (the
    checkout would skip it: ``no_agreement``)."""

    code = "agreement_inactive"


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def delivery_option_activation_refusal(*, option: DeliveryOption) -> str | None:
    """Why ``option`` cannot be switched on, or None when it can."""
    if option.carrier == Carrier.GENERIC:
        return None
    if option.agreement_id is None:
        return "no_agreement"
    if option.agreement is None or not option.agreement.is_active:
        return "agreement_inactive"
    return None


def _option_locked(*, merchant: Merchant, option_id: int) -> DeliveryOption:
    option = (
        DeliveryOption.objects.select_for_update(of=("self",))
        .select_related("agreement", "merchant")
        .filter(merchant=merchant, pk=option_id)
        .first()
    )
    if option is None:
        raise NotFound("No such delivery option.", code="option_not_found")
    return option


def _option_save(*, option: DeliveryOption, fields: list[str], actor: Actor) -> dict[str, Any]:
    before = audit_snapshot(DeliveryOption.objects.get(pk=option.pk))
    option.save(update_fields=[*fields, "updated_at"])
    changes = audit_changes(before=before, after=audit_snapshot(option))
    if changes:
        audit_record(
            merchant=option.merchant,
            actor=_user(actor),
            action=AuditAction.UPDATE,
            obj=option,
            changes=changes,
        )
    return changes


def delivery_option_shop_update(
    *, merchant: Merchant, option_id: int, values: Mapping[str, Any], actor: Actor
) -> dict[str, Any]:
    """Change the shop-editable fields of one of ``merchant``'s options; the audited changes.

    Keys other than SHOP_OPTION_FIELDS are ignored. Switching on a carrier option without an
    active agreement is refused (``ActivationRefused``) and nothing is saved; an option already
    on stays on when its other fields change. Another shop's option is not found.
    """
    fields = [name for name in SHOP_OPTION_FIELDS if name in values]
    with transaction.atomic():
        option = _option_locked(merchant=merchant, option_id=option_id)
        was_active = option.is_active
        for name in fields:
            setattr(option, name, values[name])
        if option.is_active and not was_active:
            refusal = delivery_option_activation_refusal(option=option)
            if refusal:
                raise ActivationRefused(
                    f"{option.code} needs an active agreement with its carrier to be offered.",
                    code=refusal,
                )
        return _option_save(option=option, fields=fields, actor=actor)


def delivery_option_move(
    *, merchant: Merchant, option_id: int, step: int, actor: Actor
) -> list[DeliveryOption]:
    """Move one of ``merchant``'s options ``step`` places (-1 up, +1 down) in the order the
    checkout offers them; the options renumbered SORT_STEP apart, each change audited. At the
    top or the bottom nothing moves."""
    with transaction.atomic():
        options = list(
            DeliveryOption.objects.select_for_update()
            .select_related("merchant")
            .filter(merchant=merchant)
            .order_by("sort_order", "id")
        )
        at = next((i for i, o in enumerate(options) if o.pk == option_id), None)
        if at is None:
            raise NotFound("No such delivery option.", code="option_not_found")
        to = at + (1 if step > 0 else -1)
        if not 0 <= to < len(options):
            return options
        options[at], options[to] = options[to], options[at]
        for position, option in enumerate(options, start=1):
            if option.sort_order != position * SORT_STEP:
                option.sort_order = position * SORT_STEP
                _option_save(option=option, fields=["sort_order"], actor=actor)
        return options


def merchant_shop_settings_update(
    *, merchant: Merchant, values: Mapping[str, Any], actor: Actor
) -> dict[str, Any]:
    """Change the shop's own settings (SHOP_SETTINGS_FIELDS; other keys are ignored); the
    audited changes."""
    fields = [name for name in SHOP_SETTINGS_FIELDS if name in values]
    with transaction.atomic():
        stored = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = audit_snapshot(stored)
        for name in fields:
            setattr(stored, name, values[name])
        stored.full_clean(exclude=[f.name for f in Merchant._meta.fields if f.name not in fields])
        stored.save(update_fields=[*fields, "updated_at"])
        changes = audit_changes(before=before, after=audit_snapshot(stored))
        if changes:
            audit_record(
                merchant=stored,
                actor=_user(actor),
                action=AuditAction.UPDATE,
                obj=stored,
                changes=changes,
            )
    for name in fields:
        setattr(merchant, name, getattr(stored, name))
    return changes
