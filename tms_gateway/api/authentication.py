"""Who calls the merchant API: ``Authorization: Bearer <token>`` with a token the shop issued
in the portal (``/portal/api-tokens/``).

No header (or another scheme) is 401 ``not_authenticated``; an unknown, malformed or revoked
token, or one of a deactivated shop, is 401 ``authentication_failed``. Both carry
``WWW-Authenticate: Bearer realm="api"`` and the ``{code, message, extra}`` body.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from merchants.models import MerchantApiToken
from merchants.selectors import merchant_api_token_authenticate

REALM = "api"


class MerchantTokenAuthentication(BaseAuthentication):
    """``request.auth`` is the caller's ``MerchantApiToken`` (its merchant loaded)."""

    def authenticate(self, request: Request) -> tuple[None, MerchantApiToken] | None:
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        api_token = merchant_api_token_authenticate(token=token) if token else None
        if api_token is None:
            raise AuthenticationFailed(
                "The API token is unknown or revoked.", code="authentication_failed"
            )
        return None, api_token

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{REALM}"'


class HasMerchantApiToken(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, MerchantApiToken)
