"""Klarna's /auth handshake and the bearer tokens it yields.

Klarna proves it holds a merchant's key by sending SHA-256(nonce + key); we answer an HS256
JWT bound to the merchant (``sub``) and the credential (``cid``), signed with the first of
KSA_SIGNING_KEYS and carrying its ``kid``, so keys can rotate: every listed key verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from merchants.models import KlarnaCredential, Merchant
from merchants.selectors import klarna_credential_accepted_keys, klarna_credential_get_by_identifier
from tms_gateway.common.ttlcache import TtlCache

logger = logging.getLogger(__name__)

TOKEN_AUDIENCE = "ksa"
TOKEN_ISSUER = "tms-gateway"


@dataclass(frozen=True, slots=True)
class KsaPrincipal:
    merchant: Merchant
    credential_id: int


def digest_compute(*, nonce: str, key: str) -> str:
    return hashlib.sha256((nonce + key).encode()).hexdigest()


def digest_matches(*, nonce: str, key: str, digest: str) -> bool:
    """Constant-time, case-insensitive comparison of a hex digest."""
    expected = digest_compute(nonce=nonce, key=key).encode()
    return hmac.compare_digest(expected, digest.strip().lower().encode())


def nonce_claim(*, identifier: str, nonce: str) -> bool:
    """True the first time a nonce is used for an identifier within the nonce window.

    ``cache.add`` is atomic in Redis, so two concurrent calls cannot both claim it. If the
    cache cannot be reached the nonce is accepted (the digest has already been checked):
    refusing every checkout because Redis is down would cost the shops their sales.
    """
    key = "ksa:nonce:" + hashlib.sha256(f"{identifier}\x00{nonce}".encode()).hexdigest()
    try:
        return bool(cache.add(key, 1, timeout=int(settings.KSA_NONCE_WINDOW.total_seconds())))
    except Exception:  # the cache backend's own connection errors
        logger.warning("nonce store unreachable; nonce accepted without replay check")
        return True


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


def credential_authenticate(*, identifier: str, nonce: str, digest: str) -> KlarnaCredential | None:
    """The credential when the digest matches its key (or its previous key in grace)."""
    credential = klarna_credential_get_by_identifier(identifier=identifier)
    if credential is None:
        return None
    keys = klarna_credential_accepted_keys(credential=credential, now=timezone.now())
    # Every accepted key is compared so the time taken does not tell which one matched.
    matches = [digest_matches(nonce=nonce, key=k, digest=digest) for k in keys]
    if not any(matches):
        return None
    if not nonce_claim(identifier=identifier, nonce=nonce):
        return None
    return credential


def token_issue(*, credential: KlarnaCredential, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    kid, secret = _signing_keys()[0]
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": str(credential.merchant.public_id),
        "cid": credential.pk,
        "iat": int(now.timestamp()),
        "exp": int((now + settings.KSA_TOKEN_LIFETIME).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


# Who a verified token belongs to, for KSA_PRINCIPAL_CACHE_SECONDS: a revoked credential or a
# deactivated merchant is refused within that many seconds rather than at once.
_principals: TtlCache[KsaPrincipal] = TtlCache(seconds=lambda: settings.KSA_PRINCIPAL_CACHE_SECONDS)


# Tokens already verified, with their expiry: Klarna sends the same token on every call of a
# checkout, and verifying a JWT costs more than the rest of a cached options answer.
_tokens: TtlCache[tuple[KsaPrincipal, int]] = TtlCache(
    seconds=lambda: settings.KSA_PRINCIPAL_CACHE_SECONDS
)


def token_verify(*, token: str) -> KsaPrincipal | None:
    known = _tokens.get(token)
    if known is not None:
        principal, expires = known
        if expires > time.time():
            return principal
    return _token_verify(token=token)


def token_claims(*, token: str) -> dict[str, Any] | None:
    """The claims of a token we signed and that has not expired; None otherwise.

    Signature and expiry only: whether the credential is still valid needs the database
    (:func:`token_verify`). Used alone where the database cannot be reached.
    """
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
    return claims


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _token_verify(*, token: str) -> KsaPrincipal | None:
    claims = token_claims(token=token)
    if claims is None:
        return None
    cache_key = (claims["cid"], claims["sub"])
    principal = _principals.get(cache_key)
    if principal is not None:
        _tokens.set(token, (principal, int(claims["exp"])))
        return principal
    credential = (
        KlarnaCredential.objects.select_related("merchant")
        .filter(
            pk=claims["cid"],
            revoked_at__isnull=True,
            merchant__is_active=True,
            merchant__public_id=claims["sub"],
        )
        .first()
    )
    if credential is None:
        return None
    principal = KsaPrincipal(merchant=credential.merchant, credential_id=credential.pk)
    _principals.set(cache_key, principal)
    _tokens.set(token, (principal, int(claims["exp"])))
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
