"""Writes on tenant data: Klarna credentials (issue, rotate, revoke), shop users (invite),
carrier webhook URLs (issue), merchant API tokens (issue, revoke)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from tms_gateway.common.errors import ApplicationError, NotFound

from .audit import AuditAction, audit_record
from .models import CarrierAgreement, KlarnaCredential, Merchant, MerchantApiToken, MerchantUser
from .selectors import API_TOKEN_SCHEME, api_token_hash


def webhook_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def carrier_agreement_webhook_issue(
    *, agreement: CarrierAgreement, actor: Any, now: dt.datetime | None = None
) -> str:
    """A new webhook token for the agreement (the previous one stops working); returned once,
    only its hash is stored. The carrier posts its tracking events to
    ``/webhooks/<carrier>/<token>``."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = CarrierAgreement.objects.select_for_update().get(pk=agreement.pk)
        had_one = bool(locked.webhook_token_hash)
        locked.webhook_token_hash = webhook_token_hash(token)
        locked.webhook_issued_at = now or timezone.now()
        locked.save(update_fields=["webhook_token_hash", "webhook_issued_at", "updated_at"])
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.WEBHOOK_ISSUE,
            obj=locked,
            changes={"webhook_token": ["***" if had_one else None, "***"]},
        )
    agreement.refresh_from_db()
    return token


def klarna_key_generate() -> str:
    return secrets.token_urlsafe(32)


def klarna_identifier_generate(*, merchant: Merchant) -> str:
    return f"{merchant.slug}-{secrets.token_hex(6)}"


@transaction.atomic
def klarna_credential_create(
    *, merchant: Merchant, identifier: str | None = None, key: str | None = None
) -> tuple[KlarnaCredential, str]:
    """Issue a credential; the plain key is returned once, to paste into Klarna's portal."""
    identifier = identifier or klarna_identifier_generate(merchant=merchant)
    if KlarnaCredential.objects.filter(identifier=identifier).exists():
        raise ApplicationError(
            f"The identifier {identifier!r} is already in use.", code="identifier_taken"
        )
    plain_key = key or klarna_key_generate()
    credential = KlarnaCredential.objects.create(
        merchant=merchant, identifier=identifier, key=plain_key
    )
    return credential, plain_key


@transaction.atomic
def klarna_credential_rotate(
    *,
    credential: KlarnaCredential,
    grace: dt.timedelta | None = None,
    key: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Replace the key; the previous one stays valid for ``grace`` (KSA_KEY_ROTATION_GRACE)."""
    now = now or timezone.now()
    grace = settings.KSA_KEY_ROTATION_GRACE if grace is None else grace
    locked = KlarnaCredential.objects.select_for_update().get(pk=credential.pk)
    if locked.revoked_at is not None:
        raise ApplicationError("A revoked credential cannot be rotated.", code="revoked")
    plain_key = key or klarna_key_generate()
    locked.previous_key = locked.key
    locked.previous_key_valid_until = now + grace
    locked.key = plain_key
    locked.rotated_at = now
    locked.save(
        update_fields=[
            "key",
            "previous_key",
            "previous_key_valid_until",
            "rotated_at",
            "updated_at",
        ]
    )
    credential.refresh_from_db()
    return plain_key


def klarna_credential_revoke(
    *, credential: KlarnaCredential, now: dt.datetime | None = None
) -> None:
    """Stop accepting the credential at once; tokens issued for it stop working too."""
    credential.revoked_at = now or timezone.now()
    credential.previous_key = ""
    credential.previous_key_valid_until = None
    credential.save(
        update_fields=["revoked_at", "previous_key", "previous_key_valid_until", "updated_at"]
    )


def merchant_user_invite(*, merchant: Merchant, email: str, actor: Any) -> MerchantUser:
    """Create the portal account (username = e-mail, unusable password) of a shop user, or
    find the pending one of this shop again; the caller sends the invitation mail."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = (
        User.objects.filter(username__iexact=email).first()
        or User.objects.filter(email__iexact=email).first()
    )
    if user is not None:
        membership = MerchantUser.objects.filter(user=user).select_related("merchant").first()
        if membership is None or membership.merchant_id != merchant.pk:
            raise ApplicationError(
                f"{email} already has an account"
                + (f" with {membership.merchant}." if membership else " (staff)."),
                code="user_exists",
            )
        return membership
    with transaction.atomic():
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        membership = MerchantUser.objects.create(user=user, merchant=merchant)
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.USER_INVITE,
            obj=membership,
            changes={"email": [None, email]},
        )
    return membership


API_TOKEN_NAME_MAX_LENGTH = 100


def merchant_api_token_issue(
    *, merchant: Merchant, name: str, actor: AbstractBaseUser | AnonymousUser | None
) -> tuple[MerchantApiToken, str]:
    """A new bearer token of the merchant API for ``merchant``, returned once: only its SHA-256
    and its prefix (``tms_<8 hex>``, to tell tokens apart) are kept, and the audit records the
    name and the prefix only."""
    name = name.strip()
    if not name or len(name) > API_TOKEN_NAME_MAX_LENGTH:
        raise ApplicationError(
            f"The token needs a name of 1 to {API_TOKEN_NAME_MAX_LENGTH} characters.",
            code="invalid_name",
        )
    user = actor if isinstance(actor, User) else None
    prefix = f"{API_TOKEN_SCHEME}_{secrets.token_hex(4)}"
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_token = MerchantApiToken.objects.create(
            merchant=merchant,
            name=name,
            prefix=prefix,
            token_hash=api_token_hash(token),
            created_by=user,
        )
        audit_record(
            merchant=merchant,
            actor=user,
            action=AuditAction.API_TOKEN_ISSUE,
            obj=api_token,
            changes={"name": [None, name], "prefix": [None, prefix]},
        )
    return api_token, token


def merchant_api_token_revoke(
    *,
    merchant: Merchant,
    token_id: int,
    actor: AbstractBaseUser | AnonymousUser | None,
    now: dt.datetime | None = None,
) -> MerchantApiToken:
    """Stop accepting the token at once. Idempotent: a revoked token stays as it was revoked.
    Another shop's token is not found, the same as an unknown one."""
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        api_token = (
            MerchantApiToken.objects.select_for_update()
            .filter(merchant=merchant, pk=token_id)
            .first()
        )
        if api_token is None:
            raise NotFound("No such API token.", code="api_token_not_found")
        if api_token.revoked_at is not None:
            return api_token
        api_token.revoked_at = now or timezone.now()
        api_token.revoked_by = user
        api_token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(
            merchant=merchant,
            actor=user,
            action=AuditAction.API_TOKEN_REVOKE,
            obj=api_token,
            changes={"revoked_at": [None, api_token.revoked_at.isoformat()]},
        )
    return api_token
