"""Checkout API transport: the shop's credentials as HTTP Basic auth, one read per call.

Every call goes through ``carriers.http.CarrierHttp`` ("klarna-checkout"): a timeout always,
a CarrierTrace row (merchant, URL, status, duration, bodies) with the credentials redacted, and
failures mapped once. On top of that mapping this module tells the reconcile what it must
handle differently: an unknown order (``None``), refused credentials (``CheckoutRefused``) and
Klarna's rate limit (``CheckoutRateLimited``).
"""

from __future__ import annotations

from django.conf import settings

from carriers.exceptions import CarrierRejected, CarrierUnavailable
from carriers.http import CallContext, CarrierHttp
from carriers.types import AgreementCredentials, CarrierMessage
from merchants.models import KlarnaCheckoutCredential

from . import mappers
from .mappers import CheckoutOrder
from .units import BASE_URLS, SLUG, host_for

# Its calls may go to Klarna's and Kustom's hosts (carriers/hosts.py: plus the sandbox when set).
http = CarrierHttp(SLUG, error_parser=mappers.parse_error, hosts=BASE_URLS.values())

#: Statuses read here rather than mapped by the transport.
_NOT_FOUND = 404
_REFUSED = (401, 403)
_RATE_LIMIT_CODE = "TOO_MANY_REQUESTS"


class CheckoutRefused(CarrierRejected):
    """401/403: Klarna refused the shop's API credentials (wrong, revoked, another store's)."""

    def __init__(
        self, message: str, *, status: int, messages: tuple[CarrierMessage, ...] = ()
    ) -> None:
        super().__init__(message, carrier=SLUG, messages=messages)
        self.status = status


class CheckoutRateLimited(CarrierUnavailable):
    """429: too many reads for this shop; ``retry_after`` seconds when Klarna said."""


def base_url(credential: KlarnaCheckoutCredential) -> str:
    """The credential's own host (``api_base_url``: the sandbox, a proxy) or its provider's
    for its region and mode."""
    if credential.api_base_url:
        return credential.api_base_url.rstrip("/")
    return host_for(
        provider=credential.provider, region=credential.region, test_mode=credential.test_mode
    )


def credential_agreement(credential: KlarnaCheckoutCredential) -> AgreementCredentials:
    """The call context's credentials: their values are redacted wherever a trace would show
    them; no carrier agreement (the trace's agreement is empty)."""
    return AgreementCredentials(
        agreement_id=0,
        customer_number="",
        credentials={"username": credential.username, "password": credential.password},
        test_mode=credential.test_mode,
        merchant_id=credential.merchant_id,
        base_url=base_url(credential),
    )


def _timeout() -> tuple[float, float]:
    return (settings.CARRIER_CONNECT_TIMEOUT, settings.KLARNA_CHECKOUT_TIMEOUT)


def checkout_order_read(
    *, credential: KlarnaCheckoutCredential, order_id: str
) -> CheckoutOrder | None:
    """Klarna's checkout order ``order_id`` read with the shop's credentials; None when Klarna
    knows no such order (404).

    Raises ``CheckoutRefused`` (401/403), ``CheckoutRateLimited`` (429), ``CarrierUnavailable``
    (timeout, 5xx, a body that is not an order) and ``CarrierRejected`` (another 4xx).
    """
    agreement = credential_agreement(credential)
    try:
        response = http.request(
            "GET",
            f"{agreement.base_url}{mappers.order_path(order_id)}",
            ctx=CallContext(carrier=SLUG, operation="read_order", agreement=agreement),
            headers={"Accept": "application/json"},
            auth=(credential.username, credential.password),
            timeout=_timeout(),
            accept=(_NOT_FOUND, *_REFUSED),
        )
    except CarrierUnavailable as exc:
        # The transport maps 429 with 5xx; a shop's rate limit is not an outage.
        if str(exc).endswith("HTTP 429") or any(m.code == _RATE_LIMIT_CODE for m in exc.messages):
            raise CheckoutRateLimited(
                str(exc), carrier=SLUG, messages=exc.messages, retry_after=exc.retry_after
            ) from exc
        raise
    if response.status == _NOT_FOUND:
        return None
    if response.status in _REFUSED:
        messages = mappers.parse_error(response)
        raise CheckoutRefused(
            f"{SLUG}: HTTP {response.status}: " + "; ".join(m.text for m in messages)[:500],
            status=response.status,
            messages=messages,
        )
    return mappers.parse_order(response.body)
