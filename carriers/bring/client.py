"""Bring transport: URLs, the three Mybring headers, timeouts; returns decoded bodies.

Every call goes through ``carriers.http.CarrierHttp`` (tracing, redaction, error mapping). The
API key travels in ``X-Mybring-API-Key``, a header CarrierHttp always redacts; the login and
client URL are credential values, redacted wherever they appear.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

from carriers.http import CallContext, CarrierHttp
from carriers.types import AgreementCredentials

from . import units

CARRIER = "bring"
SHIPPING_GUIDE_PATH = "/shippingguide/api/v2/products"
PICKUP_POINTS_PATH = "/pickuppoint/api/pickuppoint/{country}/postalCode/{postal_code}.json"
BOOKING_PATH = "/booking/api/booking"
TRACKING_PATH = "/tracking/api/v2/tracking.json"
#: Label links answer with a redirect to storage (carriers/FIDELITY.md, Bring: label); a few
#: hops at most.
MAX_REDIRECTS = 3
#: Domains that get the Mybring headers when a label is fetched (besides the agreement's host).
BRING_DOMAINS = ("bring.com", "mybring.com")
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def auth_headers(agreement: AgreementCredentials) -> dict[str, str]:
    credentials = agreement.credentials
    return {
        units.HEADER_API_UID: str(credentials.get(units.CREDENTIAL_API_UID, "")),
        units.HEADER_API_KEY: str(credentials.get(units.CREDENTIAL_API_KEY, "")),
        units.HEADER_CLIENT_URL: str(credentials.get(units.CREDENTIAL_CLIENT_URL, "")),
        "Accept": "application/json",
    }


class BringClient:
    def __init__(self, http: CarrierHttp) -> None:
        self.http = http

    def products(
        self,
        *,
        base_url: str,
        agreement: AgreementCredentials,
        body: dict[str, Any],
        operation: str,
    ) -> Any:
        """Shipping Guide API v2: prices, expected delivery, time slots (a checkout call)."""
        response = self.http.request(
            "POST",
            base_url + SHIPPING_GUIDE_PATH,
            ctx=CallContext(carrier=CARRIER, operation=operation, agreement=agreement),
            json_body=body,
            headers=auth_headers(agreement),
        )
        return response.json()

    def pickup_points(
        self,
        *,
        base_url: str,
        agreement: AgreementCredentials,
        country: str,
        postal_code: str,
        params: dict[str, Any],
    ) -> Any:
        """Pickup Point API: the points nearest a postal code (a checkout call)."""
        path = PICKUP_POINTS_PATH.format(
            country=quote(country, safe=""), postal_code=quote(postal_code, safe="")
        )
        response = self.http.request(
            "GET",
            base_url + path,
            ctx=CallContext(carrier=CARRIER, operation="service_points", agreement=agreement),
            params=params,
            headers=auth_headers(agreement),
        )
        return response.json()

    def book(self, *, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]) -> Any:
        """Booking API; sent once (a repeat could book twice), with the booking timeout."""
        response = self.http.request(
            "POST",
            base_url + BOOKING_PATH,
            ctx=CallContext(carrier=CARRIER, operation="booking", agreement=agreement),
            json_body=body,
            headers=auth_headers(agreement),
            timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
            retries=0,
        )
        return response.json()

    def label(self, *, base_url: str, agreement: AgreementCredentials, url: str) -> bytes:
        """The label PDF behind a booking's ``links.labels``, following Bring's redirect.

        Mybring headers go only to Bring's hosts (or the agreement's own), never to the
        storage a redirect points at.
        """
        ctx = CallContext(carrier=CARRIER, operation="label", agreement=agreement)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        send_auth = parts.netloc.lower() == urlsplit(base_url).netloc.lower() or any(
            host == domain or host.endswith("." + domain) for domain in BRING_DOMAINS
        )
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": "application/pdf"}
            if send_auth:
                headers = {**auth_headers(agreement), **headers}
            response = self.http.request(
                "GET",
                url,
                ctx=ctx,
                headers=headers,
                timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
                retries=1,
            )
            if response.status not in REDIRECTS:
                return response.body
            location = next((v for k, v in response.headers.items() if k.lower() == "location"), "")
            if not location:
                return b""
            url = urljoin(url, location)
            send_auth = False  # the redirect leads to storage: no credentials from here on
        return b""

    def tracking(
        self,
        *,
        base_url: str,
        agreement: AgreementCredentials,
        params: dict[str, str],
        operation: str,
    ) -> Any:
        """Tracking API v2 by package number, consignment number or reference.

        Bring answers "not found" in the body; a 404 is read the same way.
        """
        response = self.http.request(
            "GET",
            base_url + TRACKING_PATH,
            ctx=CallContext(carrier=CARRIER, operation=operation, agreement=agreement),
            params=params,
            headers=auth_headers(agreement),
            accept=(404,),
            retries=1,
        )
        return response.json()
