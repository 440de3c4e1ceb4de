"""A shopper's identity as the gateway keeps it: normalised, then hashed with a secret key.

The e-mail is trimmed and case-folded; the phone number is read in the recipient's country and
written in E.164 ("070-123 45 67" in SE is +46701234567). The hash is HMAC-SHA256 of the shop's
public id, the kind and that value, under a key of SHOPPER_HASH_KEYS ("kid:secret" entries,
newest first): without the key nobody can test a guessed e-mail against the table, the same
shopper has unrelated hashes at two shops, and the key rotates (lookups try every key; the
newest writes). The clear value lives only in the request that carries it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from phonenumbers import NumberParseException

from merchants.models import Merchant

from .models import IdentityKind


@dataclass(frozen=True, slots=True)
class Identity:
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class HashKey:
    kid: str
    secret: bytes


@cache
def _parse_keys(entries: tuple[str, ...]) -> tuple[HashKey, ...]:
    keys = []
    for entry in entries:
        kid, separator, secret = entry.partition(":")
        if not separator or not kid.strip() or not secret:
            raise ImproperlyConfigured("SHOPPER_HASH_KEYS entries are 'kid:secret'")
        keys.append(HashKey(kid=kid.strip()[:32], secret=secret.encode()))
    return tuple(keys)


def hash_keys() -> tuple[HashKey, ...]:
    """The keys, newest first; empty when none is configured (nothing is remembered then)."""
    return _parse_keys(tuple(getattr(settings, "SHOPPER_HASH_KEYS", ()) or ()))


def email_normalize(email: str) -> str:
    """The e-mail as compared: no surrounding spaces, case-folded; "" when it is none."""
    value = email.strip().casefold()
    return value if "@" in value else ""


def phone_normalize(*, phone: str, country: str) -> str:
    """The number in E.164, national formats read in ``country``; "" when it is no number."""
    if not phone.strip():
        return ""
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
    except NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identities(*, email: str, phone: str, country: str) -> tuple[Identity, ...]:
    """The shopper's identities that can be remembered: e-mail first, then number."""
    found = []
    normalised_email = email_normalize(email)
    if normalised_email:
        found.append(Identity(kind=IdentityKind.EMAIL, value=normalised_email))
    normalised_phone = phone_normalize(phone=phone, country=country)
    if normalised_phone:
        found.append(Identity(kind=IdentityKind.PHONE, value=normalised_phone))
    return tuple(found)


def identity_hash(*, merchant: Merchant, identity: Identity, key: HashKey) -> str:
    message = f"{merchant.public_id}\x1f{identity.kind}\x1f{identity.value}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()
