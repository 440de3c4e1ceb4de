"""The audit log of merchant configuration: who changed what, and when.

``audit_snapshot`` takes a model's state (its fields and many-to-many relations) before and
after a change; ``audit_changes`` turns two states into ``{field: [old, new]}``; ``audit_record``
writes the row. Secrets (encrypted fields) never reach the log: a changed secret is recorded
as "(changed)", and for a credentials object per key (``credentials.api_key``), never a value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from .fields import EncryptedJSONField, EncryptedTextField
from .models import AuditLog, Merchant

#: What a changed secret looks like in the log.
MASKED = "(changed)"
#: Bookkeeping every row has; not a change anyone made.
_IGNORED = frozenset({"id", "created_at", "updated_at"})


class AuditAction:
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CREDENTIAL_ISSUE = "credential_issue"
    CREDENTIAL_ROTATE = "credential_rotate"
    CREDENTIAL_REVOKE = "credential_revoke"
    USER_INVITE = "user_invite"
    WEBHOOK_ISSUE = "webhook_issue"
    API_TOKEN_ISSUE = "api_token_issue"
    API_TOKEN_REVOKE = "api_token_revoke"
    BOOKING_RETRY = "booking_retry"
    BOOKING_CANCEL = "booking_cancel"
    BOOKING_PARTNER_REQUEST = "booking_partner_request"
    #: A shopper's remembered choices erased on request (no e-mail or number in the row).
    SHOPPER_FORGET = "shopper_forget"


@dataclass(frozen=True)
class Secret:
    """A secret's value, held in memory only to compare two states; never written or shown."""

    value: Any

    def __repr__(self) -> str:
        return "Secret(***)"


Snapshot = dict[str, Any]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def audit_snapshot(obj: models.Model) -> Snapshot:
    """The state of ``obj`` as the log compares it: plain values, related rows by name,
    many-to-many relations as sorted names (read now), secrets wrapped in ``Secret``."""
    state: Snapshot = {}
    for field in obj._meta.concrete_fields:
        if field.name in _IGNORED:
            continue
        if isinstance(field, EncryptedTextField | EncryptedJSONField):
            state[field.name] = Secret(getattr(obj, field.attname))
        elif field.is_relation:
            related_id = getattr(obj, field.attname)
            state[field.name] = str(getattr(obj, field.name)) if related_id is not None else None
        elif isinstance(field, models.DecimalField) and getattr(obj, field.attname) is not None:
            # As stored: 59.33 typed in a form is the 59.330000 read back later.
            value = Decimal(getattr(obj, field.attname))
            state[field.name] = str(value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0))))
        else:
            state[field.name] = _jsonable(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            state[m2m.name] = sorted(str(o) for o in getattr(obj, m2m.name).all())
    return state


def _secret_changes(name: str, old: Any, new: Any) -> dict[str, str]:
    if isinstance(old, dict | None) and isinstance(new, dict | None):
        old, new = old or {}, new or {}
        return {
            f"{name}.{key}": MASKED
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        }
    return {name: MASKED} if (old or "") != (new or "") else {}


def audit_changes(
    *, before: Snapshot | models.Model | None, after: Snapshot | models.Model | None
) -> dict[str, Any]:
    """``{field: [old, new]}`` between two states (None: the object did not exist); a secret
    that changed is ``{field: "(changed)"}`` (per key for a credentials object)."""
    old = audit_snapshot(before) if isinstance(before, models.Model) else (before or {})
    new = audit_snapshot(after) if isinstance(after, models.Model) else (after or {})
    changes: dict[str, Any] = {}
    for name in dict.fromkeys([*old, *new]):
        was, now = old.get(name), new.get(name)
        if isinstance(was, Secret) or isinstance(now, Secret):
            changes |= _secret_changes(
                name,
                was.value if isinstance(was, Secret) else None,
                now.value if isinstance(now, Secret) else None,
            )
        elif was != now:
            changes[name] = [was, now]
    return changes


def audit_merchant(obj: models.Model) -> Merchant:
    """The merchant a tenant row belongs to (a merchant is its own)."""
    if isinstance(obj, Merchant):
        return obj
    merchant = getattr(obj, "merchant", None)
    if not isinstance(merchant, Merchant):
        raise TypeError(f"{type(obj).__name__} has no merchant to audit under")
    return merchant


def audit_record(
    *,
    merchant: Merchant,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any],
) -> AuditLog:
    """Write one audit row. ``changes`` must already be masked (see ``audit_changes``)."""
    return AuditLog.objects.create(
        merchant=merchant,
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:255],
        changes=changes,
    )
