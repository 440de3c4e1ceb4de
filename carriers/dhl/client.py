"""Transport for the three DHL APIs the adapter uses: paths, auth headers, one call each.

* DHL Freight Sweden API Farm (service points, postal-code route, booking, print):
  ``client-key`` header.
* DHL Location Finder - Unified and Shipment Tracking - Unified: ``DHL-API-Key`` header.

The adapter says where to call (``base_url``): the API Farm's host, or the DHL group's hosts,
or one base for all when DHL is pointed elsewhere (the sandbox, a proxy). Every call goes
through ``CarrierHttp`` (timeouts, tracing; both key headers are declared secret).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp, HttpResponse
from carriers.types import AgreementCredentials, CarrierMessage

from . import units
from .declaration import CREDENTIAL_API_KEY, CREDENTIAL_CLIENT_KEY

SERVICE_POINTS_PATH = "/servicepointlocatorapi/v1/servicepoint/findnearestservicepoints"
ROUTE_PATH = "/postalcodeapi/v1/postalcodes/{country}/{postal_code}/route"
BOOK_PATH = "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction"
PRINT_PATH = "/printapi/v1/print/printdocumentsbyid"
LOCATION_FINDER_PATH = "/location-finder/v1/find-by-address"
TRACKING_PATH = "/track/shipments"

LOCATION_FINDER = "location_finder"
TRACKING = "tracking"
SLUG = "dhl"


def _key(agreement: AgreementCredentials, name: str) -> str:
    value = agreement.credentials.get(name)
    if not value:
        raise CarrierRejected(
            f"dhl: the agreement has no {name!r} credential",
            carrier=SLUG,
            messages=(CarrierMessage("missing_credentials", f"No {name} configured for DHL"),),
        )
    return str(value)


def _farm_headers(agreement: AgreementCredentials) -> dict[str, str]:
    return {
        units.CLIENT_KEY_HEADER: _key(agreement, CREDENTIAL_CLIENT_KEY),
        "Accept": "application/json",
    }


def _group_headers(agreement: AgreementCredentials) -> dict[str, str]:
    return {
        units.API_KEY_HEADER: _key(agreement, CREDENTIAL_API_KEY),
        "Accept": "application/json",
    }


def _booking_timeout() -> tuple[float, float]:
    return (settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT)


class DhlClient:
    def __init__(self, http: CarrierHttp) -> None:
        self.http = http

    def service_points(
        self, *, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        """API Farm locator. 400 is read by the caller: it is how DHL says "no matching
        service point"."""
        return self.http.request(
            "POST",
            base_url + SERVICE_POINTS_PATH,
            ctx=CallContext(carrier=SLUG, operation="service_points", agreement=agreement),
            json_body=body,
            headers=_farm_headers(agreement),
            accept=(400,),
        )

    def find_by_address(
        self, *, base_url: str, agreement: AgreementCredentials, params: dict[str, Any]
    ) -> HttpResponse:
        """Location Finder. 404 is read by the caller: "No result found"."""
        return self.http.request(
            "GET",
            base_url + LOCATION_FINDER_PATH,
            ctx=CallContext(carrier=SLUG, operation="service_points", agreement=agreement),
            params=params,
            headers=_group_headers(agreement),
            accept=(404,),
        )

    def postal_code_route(
        self, *, base_url: str, agreement: AgreementCredentials, country: str, postal_code: str
    ) -> HttpResponse:
        """400 is read by the caller: the postal-code API refuses codes it does not serve."""
        path = ROUTE_PATH.format(
            country=quote(country, safe=""), postal_code=quote(postal_code, safe="")
        )
        return self.http.request(
            "GET",
            base_url + path,
            ctx=CallContext(carrier=SLUG, operation="availability", agreement=agreement),
            headers=_farm_headers(agreement),
            accept=(400,),
        )

    def send_transport_instruction(
        self, *, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        # Not idempotent at DHL: never repeated.
        return self.http.request(
            "POST",
            base_url + BOOK_PATH,
            ctx=CallContext(carrier=SLUG, operation="booking", agreement=agreement),
            json_body=body,
            headers=_farm_headers(agreement),
            timeout=_booking_timeout(),
            retries=0,
        )

    def print_documents(
        self, *, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        # Printing a booked id again gives the same label: safe to repeat once.
        return self.http.request(
            "POST",
            base_url + PRINT_PATH,
            ctx=CallContext(carrier=SLUG, operation="label", agreement=agreement),
            json_body=body,
            headers=_farm_headers(agreement),
            timeout=_booking_timeout(),
            retries=1,
        )

    def track(
        self, *, base_url: str, agreement: AgreementCredentials, params: dict[str, str]
    ) -> HttpResponse:
        """404 is read by the caller: a number DHL does not know (yet) has no events."""
        return self.http.request(
            "GET",
            base_url + TRACKING_PATH,
            ctx=CallContext(carrier=SLUG, operation="tracking", agreement=agreement),
            params=params,
            headers=_group_headers(agreement),
            accept=(404,),
            retries=1,
        )
