"""Transport to the Instabee API: URLs, headers, auth, timeouts. Returns raw responses."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp, HttpResponse
from carriers.types import AgreementCredentials, CarrierMessage

from . import units

SLUG = "instabox"


class InstaboxClient:
    def __init__(self, http: CarrierHttp) -> None:
        self.http = http

    @staticmethod
    def headers(agreement: AgreementCredentials) -> dict[str, str]:
        """``Authorization: ApiKey <key>`` and ``Accept-Version``; CarrierHttp redacts the key."""
        api_key = str(agreement.credentials.get(units.CREDENTIAL_API_KEY) or "")
        if not api_key:
            raise CarrierRejected(
                f"{SLUG}: the agreement has no {units.CREDENTIAL_API_KEY!r} credential",
                carrier=SLUG,
                messages=(
                    CarrierMessage(
                        "missing_credentials",
                        f"Add the Instabee API key as {units.CREDENTIAL_API_KEY!r}.",
                    ),
                ),
            )
        return {
            "Authorization": f"ApiKey {api_key}",
            "Accept-Version": units.API_VERSION,
            "Accept": "application/json",
        }

    def delivery_options(
        self,
        *,
        base_url: str,
        agreement: AgreementCredentials,
        operation: str,
        country: str,
        postal_code: str,
        params: dict[str, str],
    ) -> HttpResponse:
        """``GET /availability/countries/{cc}/postal-codes/{pc}/delivery-options``; 404 = not served.

        A checkout call: the default (short) timeout and no retry.
        """
        url = (
            f"{base_url}/availability/countries/{quote(country, safe='')}"
            f"/postal-codes/{quote(postal_code, safe='')}/delivery-options"
        )
        return self.http.request(
            "GET",
            url,
            ctx=CallContext(carrier=SLUG, operation=operation, agreement=agreement),
            params=params,
            headers=self.headers(agreement),
            accept=(404,),
        )

    def put_order(
        self, *, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        """``PUT /orders`` (post-purchase and post-packing alike). Never retried here."""
        return self.http.request(
            "PUT",
            f"{base_url}/orders",
            ctx=CallContext(carrier=SLUG, operation="booking", agreement=agreement),
            json_body=body,
            headers=self.headers(agreement),
            timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
            retries=0,
        )

    def label(self, *, base_url: str, agreement: AgreementCredentials, url: str) -> HttpResponse:
        """Download the label Instabee links to. The API key goes only to the API's own host."""
        headers = self.headers(agreement) if url.startswith(f"{base_url}/") else {}
        headers["Accept"] = "application/pdf"
        return self.http.request(
            "GET",
            url,
            ctx=CallContext(carrier=SLUG, operation="label", agreement=agreement),
            headers=headers,
            timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
            retries=1,
        )
