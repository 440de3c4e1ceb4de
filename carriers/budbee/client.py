"""Budbee transport: URLs, vendor media types, HTTP Basic auth. Returns raw answers.

Every call sends the endpoint's vendor media type as Content-Type and Accept (Budbee picks
the endpoint version from it) and ``api_key:api_secret`` as HTTP Basic credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp, HttpResponse
from carriers.types import AgreementCredentials, CarrierMessage

from . import mappers, units

SLUG = "budbee"


def _segment(value: str) -> str:
    return quote(value, safe="")


def _booking_timeout() -> tuple[float, float]:
    return (settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT)


class BudbeeClient:
    def __init__(self) -> None:
        self.http = CarrierHttp(SLUG, error_parser=mappers.parse_error)

    @staticmethod
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

    def _call(
        self,
        method: str,
        url: str,
        *,
        agreement: AgreementCredentials,
        operation: str,
        media_type: str,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
        timeout: tuple[float, float] | None = None,
        retries: int = 0,
    ) -> HttpResponse:
        return self.http.request(
            method,
            url,
            ctx=CallContext(carrier=SLUG, operation=operation, agreement=agreement),
            params=params,
            json_body=json_body,
            headers={"Content-Type": media_type, "Accept": media_type},
            auth=self._auth(agreement),
            accept=accept,
            timeout=timeout,
            retries=retries,
        )

    # --- checkout (default timeouts, no retries: the checkout has a deadline) -------------

    def validate_postal_code(
        self, base_url: str, agreement: AgreementCredentials, *, country: str, postal_code: str
    ) -> HttpResponse:
        """200 with the serving collection point(s), or 404: not served (an answer)."""
        return self._call(
            "GET",
            f"{base_url}/postalcodes/validate/{_segment(country)}/{_segment(postal_code)}",
            agreement=agreement,
            operation="availability",
            media_type=units.MEDIA_POSTALCODES,
            accept=(404,),
        )

    def intervals(
        self,
        base_url: str,
        agreement: AgreementCredentials,
        *,
        country: str,
        postal_code: str,
        count: int,
    ) -> HttpResponse:
        return self._call(
            "GET",
            f"{base_url}/intervals/{_segment(country)}/{_segment(postal_code)}/{count}",
            agreement=agreement,
            operation="timeslots",
            media_type=units.MEDIA_INTERVALS,
            accept=(404,),
        )

    def lockers(
        self,
        base_url: str,
        agreement: AgreementCredentials,
        *,
        country: str,
        postal_code: str,
        collection_point_id: str,
    ) -> HttpResponse:
        """Budbee Boxes for a postal code, best first; 404 when Budbee has none there."""
        params = {"collectionPointId": collection_point_id} if collection_point_id else None
        return self._call(
            "GET",
            f"{base_url}/boxes/postalcodes/validate/{_segment(country)}/{_segment(postal_code)}",
            agreement=agreement,
            operation="service_points",
            media_type=units.MEDIA_BOXES,
            params=params,
            accept=(404,),
        )

    # --- bookings (booking timeout; POSTs never retried) ----------------------------------

    def create_order(
        self, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> Any:
        return self._call(
            "POST",
            f"{base_url}/multiple/orders",
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
        order_id: str,
        parcels: list[dict[str, Any]],
    ) -> Any:
        return self._call(
            "POST",
            f"{base_url}/multiple/orders/{_segment(order_id)}/parcels",
            agreement=agreement,
            operation="booking_parcels",
            media_type=units.MEDIA_ORDERS_V2,
            json_body=parcels,
            timeout=_booking_timeout(),
        ).json()

    def search_orders(self, base_url: str, agreement: AgreementCredentials, keyword: str) -> Any:
        return self._call(
            "GET",
            f"{base_url}/multiple/orders",
            agreement=agreement,
            operation="find_booking",
            media_type=units.MEDIA_ORDERS_V1,
            params={"keyword": keyword},
            timeout=_booking_timeout(),
            retries=1,
        ).json()

    def order_tracking_url(
        self, base_url: str, agreement: AgreementCredentials, order_id: str
    ) -> Any:
        return self._call(
            "GET",
            f"{base_url}/multiple/orders/{_segment(order_id)}/tracking-url",
            agreement=agreement,
            operation="tracking_url",
            media_type=units.MEDIA_ORDERS_V1,
            timeout=_booking_timeout(),
            retries=1,
        ).json()

    def cancel_order(self, base_url: str, agreement: AgreementCredentials, order_id: str) -> None:
        self._call(
            "DELETE",
            f"{base_url}/multiple/orders/{_segment(order_id)}",
            agreement=agreement,
            operation="cancel",
            media_type=units.MEDIA_ORDERS_V1,
            timeout=_booking_timeout(),
        )

    def download_label(self, agreement: AgreementCredentials, url: str) -> bytes:
        """A label PDF from its pre-signed URL: the URL carries its own signature, so no
        credentials are sent with it."""
        return self.http.request(
            "GET",
            url,
            ctx=CallContext(carrier=SLUG, operation="label", agreement=agreement),
            headers={"Accept": "application/pdf"},
            timeout=_booking_timeout(),
            retries=1,
        ).body

    # --- tracking ------------------------------------------------------------------------

    def parcel_events(self, base_url: str, agreement: AgreementCredentials, package_id: str) -> Any:
        """GUESS (carriers.md §3.4 documents tracking URLs and webhooks only): the parcel's
        V2 events, the webhook event objects as a list."""
        return self._call(
            "GET",
            f"{base_url}/parcels/{_segment(package_id)}/events",
            agreement=agreement,
            operation="tracking",
            media_type=units.MEDIA_PARCELS,
            timeout=_booking_timeout(),
            retries=1,
        ).json()
