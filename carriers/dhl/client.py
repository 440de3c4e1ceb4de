"""Transport for the three DHL APIs the adapter uses: URLs, auth headers, one call each.

* DHL Freight Sweden API Farm (service points, postal-code route, booking, print):
  ``client-key`` header, the adapter's ``base_url``.
* DHL Location Finder - Unified and Shipment Tracking - Unified: ``DHL-API-Key`` header, their
  own hosts (``api.dhl.com``, ``api-eu.dhl.com``) in production. When the agreement or settings
  point DHL elsewhere (the sandbox, a proxy), both live under that same base:
  ``{base}/location-finder/v1/find-by-address`` and ``{base}/track/shipments``, the paths they
  have on DHL's hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp, HttpResponse
from carriers.types import AgreementCredentials, CarrierMessage

from . import units

SERVICE_POINTS_PATH = "/servicepointlocatorapi/v1/servicepoint/findnearestservicepoints"
ROUTE_PATH = "/postalcodeapi/v1/postalcodes/{country}/{postal_code}/route"
BOOK_PATH = "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction"
PRINT_PATH = "/printapi/v1/print/printdocumentsbyid"
LOCATION_FINDER_PATH = "/location-finder/v1/find-by-address"
TRACKING_PATH = "/track/shipments"

LOCATION_FINDER = "location_finder"
TRACKING = "tracking"


class DhlClient:
    def __init__(
        self,
        http: CarrierHttp,
        *,
        base_url: Callable[[AgreementCredentials], str],
        hosts: Mapping[str, str],
        group_hosts: Mapping[str, str],
    ) -> None:
        self.http = http
        self._base_url = base_url
        self._hosts = hosts
        self._group_hosts = group_hosts

    # --- where and how ------------------------------------------------------------------------

    def farm_base(self, agreement: AgreementCredentials) -> str:
        return self._base_url(agreement)

    def group_base(self, agreement: AgreementCredentials, api: str) -> str:
        """The DHL group API's own host, unless DHL is pointed elsewhere (then that base)."""
        base = self._base_url(agreement)
        mode = "test" if agreement.test_mode else "live"
        if base == self._hosts[mode].rstrip("/"):
            return self._group_hosts[api].rstrip("/")
        return base

    @staticmethod
    def _key(agreement: AgreementCredentials, name: str) -> str:
        value = agreement.credentials.get(name)
        if not value:
            raise CarrierRejected(
                f"dhl: the agreement has no {name!r} credential",
                carrier="dhl",
                messages=(CarrierMessage("missing_credentials", f"No {name} configured for DHL"),),
            )
        return str(value)

    def _farm_headers(self, agreement: AgreementCredentials) -> dict[str, str]:
        return {
            units.CLIENT_KEY_HEADER: self._key(agreement, units.CREDENTIAL_CLIENT_KEY),
            "Accept": "application/json",
        }

    def _group_headers(self, agreement: AgreementCredentials) -> dict[str, str]:
        # "DHL-API-Key" is not among carriers/http.py's secret header names; its value is still
        # redacted in traces because it is a credential value.
        return {
            units.API_KEY_HEADER: self._key(agreement, units.CREDENTIAL_API_KEY),
            "Accept": "application/json",
        }

    # --- calls --------------------------------------------------------------------------------

    def find_nearest_service_points(
        self, *, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        """400 is read by the caller: it is how DHL says "no matching service point"."""
        return self.http.request(
            "POST",
            self.farm_base(agreement) + SERVICE_POINTS_PATH,
            ctx=CallContext(carrier="dhl", operation="service_points", agreement=agreement),
            json_body=body,
            headers=self._farm_headers(agreement),
            accept=(400,),
        )

    def find_by_address(
        self, *, agreement: AgreementCredentials, params: dict[str, Any]
    ) -> HttpResponse:
        return self.http.request(
            "GET",
            self.group_base(agreement, LOCATION_FINDER) + LOCATION_FINDER_PATH,
            ctx=CallContext(carrier="dhl", operation="service_points", agreement=agreement),
            params=params,
            headers=self._group_headers(agreement),
            accept=(404,),
        )

    def postal_code_route(
        self, *, agreement: AgreementCredentials, country: str, postal_code: str
    ) -> HttpResponse:
        """400 is read by the caller: the postal-code API refuses codes it does not serve."""
        path = ROUTE_PATH.format(
            country=quote(country, safe=""), postal_code=quote(postal_code, safe="")
        )
        return self.http.request(
            "GET",
            self.farm_base(agreement) + path,
            ctx=CallContext(carrier="dhl", operation="availability", agreement=agreement),
            headers=self._farm_headers(agreement),
            accept=(400,),
        )

    def send_transport_instruction(
        self, *, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        # Not idempotent at DHL: never repeated.
        return self.http.request(
            "POST",
            self.farm_base(agreement) + BOOK_PATH,
            ctx=CallContext(carrier="dhl", operation="booking", agreement=agreement),
            json_body=body,
            headers=self._farm_headers(agreement),
            timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
            retries=0,
        )

    def print_documents(
        self, *, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> HttpResponse:
        # Printing a booked id again gives the same label: safe to repeat once.
        return self.http.request(
            "POST",
            self.farm_base(agreement) + PRINT_PATH,
            ctx=CallContext(carrier="dhl", operation="label", agreement=agreement),
            json_body=body,
            headers=self._farm_headers(agreement),
            timeout=(settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT),
            retries=1,
        )

    def track(self, *, agreement: AgreementCredentials, params: dict[str, str]) -> HttpResponse:
        """404 is read by the caller: a number DHL does not know (yet) has no events."""
        return self.http.request(
            "GET",
            self.group_base(agreement, TRACKING) + TRACKING_PATH,
            ctx=CallContext(carrier="dhl", operation="tracking", agreement=agreement),
            params=params,
            headers=self._group_headers(agreement),
            accept=(404,),
            retries=1,
        )
