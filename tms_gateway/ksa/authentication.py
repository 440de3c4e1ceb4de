"""Klarna's /auth handshake and the bearer tokens it yields.

Klarna proves it holds a merchant's key by sending SHA-256(nonce + key); we answer an HS256
JWT bound to the merchant (``sub``) and the credential (``cid``), signed with the first of
KSA_SIGNING_KEYS and carrying its ``kid``, so keys can rotate: every listed key verifies.

A token also names the Klarna key that minted it (``kfp``, an HMAC of the key under the
token's signing secret): after the merchant's key is rotated, a token minted with the old key
works only while the old key does (``previous_key_valid_until``), not for its whole hour.

Whether an identifier exists is not told by the time /auth takes: a known and an unknown
identifier cost the same query, the same number of decryptions and digest computations.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from merchants import fields
from merchants.models import KlarnaCredential, Merchant
from merchants.selectors import (
    klarna_credential_accepted_keys,
    klarna_credential_get_by_identifier,
    klarna_credential_get_for_token,
)
from tms_gateway.common.cache import cache_claim
from tms_gateway.common.ttlcache import TtlCache

logger = logging.getLogger(__name__)

TOKEN_AUDIENCE = "ksa"
TOKEN_ISSUER = "tms-gateway"
#: Keys compared per /auth, whatever the identifier: a credential's key and its previous key
#: during a rotation's grace, padded with a key nobody knows.
KEYS_COMPARED = 2
#: The padding key: random per process, so no digest can match it.
_UNKNOWABLE_KEY = secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class KsaPrincipal:
    merchant: Merchant
    credential_id: int


def digest_compute(*, nonce: str, key: str) -> str:
    # surrogatepass: a body with a lone surrogate is refused before this, but a hash never fails
    return hashlib.sha256((nonce + key).encode("utf-8", "surrogatepass")).hexdigest()


def digest_matches(*, nonce: str, key: str, digest: str) -> bool:
    """Constant-time, case-insensitive comparison of a hex digest."""
    expected = digest_compute(nonce=nonce, key=key).encode()
    return hmac.compare_digest(expected, digest.strip().lower().encode("utf-8", "surrogatepass"))


def nonce_cache_key(*, identifier: str, nonce: str) -> str:
    raw = f"{identifier}\x00{nonce}".encode("utf-8", "surrogatepass")
    return "ksa:nonce:" + hashlib.sha256(raw).hexdigest()


def nonce_window_seconds() -> int:
    """How long a used nonce is remembered: KSA_NONCE_WINDOW, and never less than a token lives.

    The protocol carries no timestamp, so a captured /auth can be replayed; while the nonce is
    remembered a replay gets nothing, and after a token's lifetime it gets nothing the capture
    (which saw the token answered) did not already give.
    """
    window = max(settings.KSA_NONCE_WINDOW, settings.KSA_TOKEN_LIFETIME)
    return int(window.total_seconds())


def nonce_claim(*, identifier: str, nonce: str) -> bool:
    """True the first time a nonce is used for an identifier within the nonce window.

    ``cache.add`` is atomic in Redis, so two concurrent calls cannot both claim it. If the
    cache cannot be reached the nonce is accepted (the digest has already been checked):
    refusing every checkout because Redis is down would cost the shops their sales.
    """
    key = nonce_cache_key(identifier=identifier, nonce=nonce)
    claimed = cache_claim(key, timeout=nonce_window_seconds())
    if claimed is None:
        logger.warning("nonce store unreachable; nonce accepted without replay check")
        return True
    return claimed


def _signing_keys() -> list[tuple[str, str]]:
    keys = []
    for entry in settings.KSA_SIGNING_KEYS:
        kid, _, secret = entry.partition(":")
        if not secret:
            raise ValueError("KSA_SIGNING_KEYS entries are 'kid:secret'")
        keys.append((kid, secret))
    if not keys:
        raise ValueError("KSA_SIGNING_KEYS is empty")
    return keys


@dataclass(frozen=True, slots=True)
class AuthResult:
    """What /auth found: the credential and the key that matched, or why it failed."""

    credential: KlarnaCredential | None = None
    key: str = ""
    failure: str = ""  # unknown_identifier, wrong_digest, nonce_reused


@functools.cache
def _unknowable_token(encryption_keys: tuple[str, ...]) -> str:
    return fields.encrypt_str(_UNKNOWABLE_KEY)


def _decrypt_as_many_as_a_credential(decrypted: int) -> None:
    """Decrypt stand-ins so every /auth decrypts KEYS_COMPARED stored keys (loading a
    credential decrypts its key, and its previous key when one is set)."""
    token = _unknowable_token(tuple(settings.FIELD_ENCRYPTION_KEYS))
    for _ in range(KEYS_COMPARED - decrypted):
        fields.decrypt_str(token)


def credential_authenticate(*, identifier: str, nonce: str, digest: str) -> AuthResult:
    """The credential when the digest matches its key (or its previous key in grace).

    Known and unknown identifiers do the same work: one query, KEYS_COMPARED decryptions and
    KEYS_COMPARED constant-time digest comparisons; only a match goes on to claim the nonce.
    """
    credential = klarna_credential_get_by_identifier(identifier=identifier)
    keys: list[str] = []
    if credential is not None:
        _decrypt_as_many_as_a_credential(1 + bool(credential.previous_key))
        keys = klarna_credential_accepted_keys(credential=credential, now=timezone.now())
    else:
        _decrypt_as_many_as_a_credential(0)
    padded = keys + [_UNKNOWABLE_KEY] * max(0, KEYS_COMPARED - len(keys))
    # Every key is compared so the time taken does not tell which one matched, or whether any
    # is the credential's.
    matches = [digest_matches(nonce=nonce, key=k, digest=digest) for k in padded]
    matched = [k for k, ok in zip(keys, matches, strict=False) if ok]
    if credential is None:
        return AuthResult(failure="unknown_identifier")
    if not matched:
        return AuthResult(failure="wrong_digest")
    if not nonce_claim(identifier=identifier, nonce=nonce):
        return AuthResult(failure="nonce_reused")
    return AuthResult(credential=credential, key=matched[0])


def key_fingerprint(*, key: str, secret: str) -> str:
    """Names a Klarna key in a token without revealing it: HMAC under the signing secret."""
    mac = hmac.new(secret.encode(), b"ksa-key\x00" + key.encode("utf-8", "surrogatepass"), "sha256")
    return mac.hexdigest()[:32]


def token_issue(
    *, credential: KlarnaCredential, key: str | None = None, now: dt.datetime | None = None
) -> str:
    """A token for ``credential``, minted with ``key`` (its current key unless told)."""
    now = now or timezone.now()
    kid, secret = _signing_keys()[0]
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": str(credential.merchant.public_id),
        "cid": credential.pk,
        "kfp": key_fingerprint(key=credential.key if key is None else key, secret=secret),
        "iat": int(now.timestamp()),
        "exp": int((now + settings.KSA_TOKEN_LIFETIME).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


# Who a verified token belongs to, and until when the key that minted it is accepted, for
# KSA_PRINCIPAL_CACHE_SECONDS: a revoked credential or a deactivated merchant is refused within
# that many seconds rather than at once; the end of a rotation's grace is kept to the second.
_principals: TtlCache[tuple[KsaPrincipal, float]] = TtlCache(
    seconds=lambda: settings.KSA_PRINCIPAL_CACHE_SECONDS
)


# Tokens already verified, with the time they stop being accepted: Klarna sends the same token
# on every call of a checkout, and verifying a JWT costs more than the rest of a cached answer.
_tokens: TtlCache[tuple[KsaPrincipal, float]] = TtlCache(
    seconds=lambda: settings.KSA_PRINCIPAL_CACHE_SECONDS
)


def _now() -> float:
    """The clock tokens are judged by (one place, so tests can move it)."""
    return time.time()


def token_verify(*, token: str) -> KsaPrincipal | None:
    known = _tokens.get(token)
    if known is not None:
        principal, expires = known
        if expires > _now():
            return principal
    return _token_verify(token=token)


def token_claims(*, token: str) -> dict[str, Any] | None:
    """The claims of a token we signed and that has not expired; None otherwise.

    Signature and expiry only: whether the credential is still valid needs the database
    (:func:`token_verify`). Used alone where the database cannot be reached.
    """
    decoded = _token_decode(token=token)
    return None if decoded is None else decoded[0]


def _token_decode(*, token: str) -> tuple[dict[str, Any], str] | None:
    """The claims of a valid, unexpired token of ours and the secret that signed it."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    secret = dict(_signing_keys()).get(str(kid))
    if secret is None:
        return None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=TOKEN_AUDIENCE,
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "cid"]},
        )
    except jwt.PyJWTError:
        return None
    return claims, secret


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _key_accepted_until(
    *, claims: dict[str, Any], secret: str, credential: KlarnaCredential, now: float
) -> float | None:
    """Until when the Klarna key that minted the token is accepted (inf: while the credential
    is); None when it no longer is: rotated out and past its grace, or rotated twice."""
    grace_until: float | None = None
    if credential.previous_key and credential.previous_key_valid_until is not None:
        grace_until = credential.previous_key_valid_until.timestamp()
        if grace_until <= now:
            grace_until = None
    if "kfp" in claims:
        fingerprint = str(claims["kfp"]).encode("utf-8", "surrogatepass")
        current = key_fingerprint(key=credential.key, secret=secret).encode()
        if hmac.compare_digest(fingerprint, current):
            return math.inf
        previous = key_fingerprint(key=credential.previous_key, secret=secret).encode()
        if grace_until is not None and hmac.compare_digest(fingerprint, previous):
            return grace_until
        return None
    # A token minted before tokens named their key (only for one token lifetime after the
    # release that added ``kfp``): judged by when it was minted. One minted before the last
    # rotation was minted with a key rotated out since, so it ends with the grace.
    if credential.rotated_at is None or float(claims["iat"]) >= credential.rotated_at.timestamp():
        return math.inf
    return grace_until


def _token_verify(*, token: str) -> KsaPrincipal | None:
    decoded = _token_decode(token=token)
    if decoded is None:
        return None
    claims, secret = decoded
    now = _now()
    # The fingerprint is keyed by the signing secret, so it also tells the secret apart.
    fingerprint = claims.get("kfp")
    legacy_iat = None if "kfp" in claims else claims["iat"]
    cache_key = (claims["cid"], claims["sub"], str(fingerprint), legacy_iat)
    known = _principals.get(cache_key)
    if known is not None:
        principal, accepted_until = known
        if accepted_until <= now:
            return None
        _tokens.set(token, (principal, min(float(claims["exp"]), accepted_until)))
        return principal
    credential = klarna_credential_get_for_token(
        credential_id=claims["cid"], merchant_public_id=claims["sub"]
    )
    if credential is None:
        return None
    until = _key_accepted_until(claims=claims, secret=secret, credential=credential, now=now)
    if until is None:
        return None
    principal = KsaPrincipal(merchant=credential.merchant, credential_id=credential.pk)
    _principals.set(cache_key, (principal, until))
    _tokens.set(token, (principal, min(float(claims["exp"]), until)))
    return principal


class KsaTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, KsaPrincipal] | None:
        token = bearer_token(request)
        if token is None:
            return None
        principal = token_verify(token=token)
        if principal is None:
            raise AuthenticationFailed()
        return None, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="ksa"'


class IsKsaAuthenticated(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, KsaPrincipal)
