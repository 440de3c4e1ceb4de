"""Budbee transport: URLs, vendor media types, HTTP Basic auth. Returns raw answers.

Every call sends the endpoint's vendor media type as Content-Type and Accept (Budbee picks the
endpoint version from it; budbee/budbee-php sends both) and ``api_key:api_secret`` as HTTP
Basic credentials (budbee-js, Setono/budbee-php-sdk). Paths and bodies come from mappers.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp, HttpResponse
from carriers.types import AgreementCredentials, CarrierMessage

from . import units
from .mappers import SLUG, PathQuery


def _booking_timeout() -> tuple[float, float]:
    return (settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT)


def _auth(agreement: AgreementCredentials) -> tuple[str, str]:
    key = str(agreement.credentials.get(units.CREDENTIAL_API_KEY) or "")
    secret = str(agreement.credentials.get(units.CREDENTIAL_API_SECRET) or "")
    if not key or not secret:
        raise CarrierRejected(
            "budbee agreement has no API key and secret",
            carrier=SLUG,
            messages=(
                CarrierMessage(
                    "credentials",
                    f"Credentials need {units.CREDENTIAL_API_KEY!r} and "
                    f"{units.CREDENTIAL_API_SECRET!r}.",
                ),
            ),
        )
    return key, secret


class BudbeeClient:
    def __init__(self, http: CarrierHttp) -> None:
        self.http = http

    def _call(
        self,
        method: str,
        base_url: str,
        request: PathQuery,
        *,
        agreement: AgreementCredentials,
        operation: str,
        media_type: str,
        json_body: Any = None,
        accept: tuple[int, ...] = (),
        timeout: tuple[float, float] | None = None,
        retries: int = 0,
    ) -> HttpResponse:
        return self.http.request(
            method,
            f"{base_url}{request.path}",
            ctx=CallContext(carrier=SLUG, operation=operation, agreement=agreement),
            params=dict(request.params) if request.params else None,
            json_body=json_body,
            headers={"Content-Type": media_type, "Accept": media_type},
            auth=_auth(agreement),
            accept=accept,
            timeout=timeout,
            retries=retries,
        )

    # --- checkout (default timeouts, no retries: the checkout has a deadline) -------------

    def validate_postal_code(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> HttpResponse:
        """200 with the serving collection point(s), or 404: not served (an answer)."""
        return self._call(
            "GET",
            base_url,
            request,
            agreement=agreement,
            operation="availability",
            media_type=units.MEDIA_POSTALCODES,
            accept=(404,),
        )

    def intervals(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> HttpResponse:
        return self._call(
            "GET",
            base_url,
            request,
            agreement=agreement,
            operation="timeslots",
            media_type=units.MEDIA_INTERVALS,
            accept=(404,),
        )

    def lockers(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> HttpResponse:
        """Budbee Boxes for a postal code, best first; 404 when Budbee has none there."""
        return self._call(
            "GET",
            base_url,
            request,
            agreement=agreement,
            operation="service_points",
            media_type=units.MEDIA_BOXES,
            accept=(404,),
        )

    # --- bookings (booking timeout; POSTs never retried) ----------------------------------

    def create_order(
        self, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> Any:
        return self._call(
            "POST",
            base_url,
            PathQuery("/multiple/orders"),
            agreement=agreement,
            operation="booking",
            media_type=units.MEDIA_ORDERS_V2,
            json_body=body,
            timeout=_booking_timeout(),
        ).json()

    def add_parcels(
        self,
        base_url: str,
        agreement: AgreementCredentials,
        request: PathQuery,
        parcels: list[dict[str, Any]],
    ) -> Any:
        return self._call(
            "POST",
            base_url,
            request,
            agreement=agreement,
            operation="booking_parcels",
            media_type=units.MEDIA_ORDERS_V2,
            json_body=parcels,
            timeout=_booking_timeout(),
        ).json()

    def search_orders(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> Any:
        return self._call(
            "GET",
            base_url,
            request,
            agreement=agreement,
            operation="find_booking",
            media_type=units.MEDIA_ORDERS_V1,
            timeout=_booking_timeout(),
            retries=1,
        ).json()

    def order_tracking_url(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> Any:
        return self._call(
            "GET",
            base_url,
            request,
            agreement=agreement,
            operation="tracking_url",
            media_type=units.MEDIA_ORDERS_V1,
            timeout=_booking_timeout(),
            retries=1,
        ).json()

    def cancel_order(
        self, base_url: str, agreement: AgreementCredentials, request: PathQuery
    ) -> None:
        self._call(
            "DELETE",
            base_url,
            request,
            agreement=agreement,
            operation="cancel",
            media_type=units.MEDIA_ORDERS_V1,
            timeout=_booking_timeout(),
        )

    def download_label(self, agreement: AgreementCredentials, url: str) -> bytes:
        """A label PDF from its pre-signed URL: the URL carries its own signature, so no
        credentials are sent with it (and it is used as given, never re-encoded)."""
        return self.http.request(
            "GET",
            url,
            ctx=CallContext(carrier=SLUG, operation="label", agreement=agreement),
            headers={"Accept": "application/pdf"},
            timeout=_booking_timeout(),
            retries=1,
        ).body
