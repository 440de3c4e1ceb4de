"""PostNord transport: URLs, the ``apikey`` query parameter, timeouts; returns parsed JSON.

Every call goes through ``CarrierHttp`` (tracing, redaction: ``apikey`` is a secret query
parameter there, and the key's value is redacted wherever else it appears). Every PostNord
specification authenticates with the ``apikey`` query parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from carriers.exceptions import CarrierRejected
from carriers.http import CallContext, CarrierHttp
from carriers.types import AgreementCredentials

from . import mappers, units

SERVICE_POINTS_PATH = "/rest/businesslocation/v5/servicepoints/nearest/byaddress"
TRANSIT_TIME_PATH = "/rest/transport/v2/transittime/addresstoaddress"
EDI_PATH = "/rest/shipment/v3/edi"
EDI_LABELS_PATH = "/rest/shipment/v3/edi/labels/pdf"
LABELS_BY_ID_PATH = "/rest/shipment/v3/labels/ids/pdf"
TRACKING_PATH = mappers.TRACKING_PATH
TRACKING_BY_REFERENCE_PATH = mappers.FIND_BOOKING_PATH
SLUG = "postnord"


def _booking_timeout() -> tuple[float, float]:
    return (settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_BOOKING_TIMEOUT)


class PostNordClient:
    def __init__(self, http: CarrierHttp) -> None:
        self.http = http

    def _params(
        self, agreement: AgreementCredentials, params: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        key = str(agreement.credentials.get(units.CREDENTIAL_API_KEY) or "")
        # Without a key the call still goes out: PostNord's own 403 names the problem.
        return {**({"apikey": key} if key else {}), **(params or {})}

    def service_points(
        self, *, base_url: str, agreement: AgreementCredentials, params: Mapping[str, str]
    ) -> Any:
        response = self.http.request(
            "GET",
            base_url + SERVICE_POINTS_PATH,
            ctx=CallContext(carrier=SLUG, operation="service_points", agreement=agreement),
            params=self._params(agreement, params),
        )
        return response.json()

    def transit_times(
        self, *, base_url: str, agreement: AgreementCredentials, params: Mapping[str, str]
    ) -> Any:
        response = self.http.request(
            "GET",
            base_url + TRANSIT_TIME_PATH,
            ctx=CallContext(carrier=SLUG, operation="availability", agreement=agreement),
            params=self._params(agreement, params),
        )
        return response.json()

    def book_with_labels(
        self, *, base_url: str, agreement: AgreementCredentials, body: Any, locale: str
    ) -> Any:
        response = self.http.request(
            "POST",
            base_url + EDI_LABELS_PATH,
            ctx=CallContext(carrier=SLUG, operation="booking", agreement=agreement),
            params=self._params(agreement, {"paperSize": units.LABEL_PAPER_SIZE, "locale": locale}),
            json_body=body,
            timeout=_booking_timeout(),
            retries=0,  # never repeat a booking: a lost answer is reconciled by reference
        )
        return response.json()

    def send_instruction(self, *, base_url: str, agreement: AgreementCredentials, body: Any) -> Any:
        response = self.http.request(
            "POST",
            base_url + EDI_PATH,
            ctx=CallContext(carrier=SLUG, operation="cancel", agreement=agreement),
            params=self._params(agreement),
            json_body=body,
            timeout=_booking_timeout(),
            retries=0,
        )
        return response.json()

    def reprint_labels(self, *, base_url: str, agreement: AgreementCredentials, body: Any) -> Any:
        response = self.http.request(
            "POST",
            base_url + LABELS_BY_ID_PATH,
            ctx=CallContext(carrier=SLUG, operation="label_reprint", agreement=agreement),
            params=self._params(agreement, {"paperSize": units.LABEL_PAPER_SIZE}),
            json_body=body,
            timeout=_booking_timeout(),
        )
        return response.json()

    def track(
        self, *, base_url: str, agreement: AgreementCredentials, request: mappers.PathQuery
    ) -> Any | None:
        """Track & Trace v7 by identifier; None when PostNord answers its own 404."""
        return self._find(base_url, agreement, request, operation="tracking")

    def find_by_reference(
        self, *, base_url: str, agreement: AgreementCredentials, request: mappers.PathQuery
    ) -> Any | None:
        """The shipments booked with a reference; None when PostNord answers its own 404."""
        return self._find(base_url, agreement, request, operation="find_booking")

    def _find(
        self,
        base_url: str,
        agreement: AgreementCredentials,
        request: mappers.PathQuery,
        *,
        operation: str,
    ) -> Any | None:
        response = self.http.request(
            "GET",
            base_url + request.path,
            ctx=CallContext(carrier=SLUG, operation=operation, agreement=agreement),
            params=self._params(agreement, request.params),
            accept=(404,),
            retries=1,
        )
        if response.status == 404:
            if mappers.is_not_found(response):
                return None
            # The API gateway's 404 (an unknown path): a refusal, not "no such shipment".
            messages = mappers.parse_error(response)
            raise CarrierRejected(
                f"{SLUG}: HTTP 404: " + "; ".join(m.text for m in messages)[:500],
                carrier=SLUG,
                messages=messages,
            )
        return response.json()
