"""The DHL adapter: DHL Freight Sweden API Farm plus the DHL group's Location Finder and
Unified Tracking.

Which API answers what:

* Service points (103 DHL Service Point, 109 Parcel Connect): for recipients in SE, NO, DK and
  FI the API Farm's ``findnearestservicepoints`` (the network DHL Freight Sweden books to; no
  opening hours in it); elsewhere Location Finder - Unified ``find-by-address`` (with opening
  hours). Both are cached per country, postal code, option kind and limit.
* Home delivery (401): Swedish postal codes only; the API Farm's postal-code route says whether
  DHL can book to the code (``bookable``), cached per postal code.
* Booking: ``sendtransportinstruction``, then ``printdocumentsbyid`` for the PDF label, inside
  ``book``. The API Farm has no lookup by reference and no cancel, so neither is offered.
* Tracking: Shipment Tracking - Unified (``/track/shipments``).

Credentials (``agreement.credentials``): ``{"client_key": "<API Farm client key>", "api_key":
"<DHL API developer portal key, for Location Finder and Unified Tracking>"}``;
``agreement.customer_number`` is the DHL Freight account number, sent as the consignor's id.

Hosts: ``hosts`` are the API Farm's. Location Finder and Unified Tracking live on other hosts
(``group_hosts``) in production; when the agreement's ``base_url``, ``CARRIER_BASE_URLS`` or
``CARRIER_SANDBOX_URL`` points DHL elsewhere, they are read under that same base at their real
paths (``{base}/location-finder/v1/...``, ``{base}/track/shipments``), which is how the sandbox
serves them.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, ClassVar

from carriers.base import Capability, CarrierAdapter
from carriers.cache import cached
from carriers.exceptions import CarrierError, CarrierRejected
from carriers.http import CarrierHttp
from carriers.parallel import Lookup, quotes_resolve
from carriers.types import (
    AgreementCredentials,
    Booking,
    BookingRequest,
    CarrierMessage,
    Label,
    Location,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
    TrackingEvent,
)

from . import mappers, units
from .client import LOCATION_FINDER, TRACKING, DhlClient

logger = logging.getLogger(__name__)


def _route_quote(product: str, route: tuple[bool, str]) -> Quote:
    bookable, reason = route
    return Quote(product=product, available=bookable, reason=reason)


def _service_points_quote(product: str, found: tuple[tuple[Location, ...], str]) -> Quote:
    locations, refusal = found
    if not locations:
        return Quote(
            product=product,
            available=False,
            reason=refusal or "no DHL service point near the postal code",
        )
    return Quote(product=product, available=True, locations=locations)


class DhlAdapter(CarrierAdapter):
    slug = "dhl"
    name = "DHL"
    capabilities = frozenset(
        {Capability.QUOTE, Capability.LOCATIONS, Capability.BOOKING, Capability.TRACKING}
    )
    products = units.PRODUCT_NAMES
    hosts = {
        "live": "https://api.freight-logistics.dhl.com",
        "test": "https://test-api.freight-logistics.dhl.com",
    }
    #: Production hosts of the DHL group APIs, used when DHL is not pointed elsewhere.
    group_hosts: ClassVar[dict[str, str]] = {
        LOCATION_FINDER: "https://api.dhl.com",
        TRACKING: "https://api-eu.dhl.com",
    }
    parsers = {
        "service_points": mappers.parse_any_service_points,
        "availability": mappers.parse_availability,
        "booking": mappers.parse_booking_document,
        "tracking": mappers.parse_saved_tracking,
        "error": mappers.parse_saved_error,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = DhlClient(
            self.http, base_url=self.base_url, hosts=self.hosts, group_hosts=self.group_hosts
        )

    # --- quote --------------------------------------------------------------------------------

    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        """Each product needs at most one call (service points, or the postal-code route for
        home delivery) and none needs another's answer: the distinct calls go out together.
        If several fail, the one of the first product asking is raised."""
        plans = [self._plan(query, request) for query in request.products]
        return quotes_resolve(plans)

    def _plan(self, query: ProductQuery, request: QuoteRequest) -> Quote | Lookup:
        """The product's quote when no call is needed, else the call it needs."""
        product = units.PRODUCTS.get(query.code)
        if product is None:
            return Quote(product=query.code, available=False, reason="unknown product")
        if query.kind not in product.kinds:
            return Quote(
                product=query.code,
                available=False,
                reason=f"product does not deliver to {query.kind.value}",
            )
        country = request.recipient.country.strip().upper()
        kinds = product.kinds_by_country.get(country)
        if kinds is None:
            return Quote(product=query.code, available=False, reason="country not served")
        if query.kind not in kinds:
            return Quote(
                product=query.code,
                available=False,
                reason=f"product does not deliver to {query.kind.value} in {country}",
            )
        postal_code = mappers.dhl_postal_code(country, request.recipient.postal_code)
        if not postal_code:  # preview: nothing to look up yet
            return Quote(product=query.code, available=True)
        if query.kind is ProductKind.HOME:
            return Lookup(
                key=("route", country, postal_code),
                call=functools.partial(self._route, request.agreement, country, postal_code),
                answer=functools.partial(_route_quote, query.code),
            )
        limit = max(0, min(request.max_locations, units.MAX_LOCATIONS))
        if not query.wants_locations or limit == 0:
            return Quote(product=query.code, available=True)
        return Lookup(
            key=("service_points", country, postal_code, query.kind, limit),
            call=functools.partial(
                self._service_points,
                request.agreement,
                country=country,
                postal_code=postal_code,
                kind=query.kind,
                limit=limit,
            ),
            answer=functools.partial(_service_points_quote, query.code),
        )

    def _service_points(
        self,
        agreement: AgreementCredentials,
        *,
        country: str,
        postal_code: str,
        kind: ProductKind,
        limit: int,
    ) -> tuple[tuple[Location, ...], str]:
        source = units.point_source(country)

        def compute() -> tuple[tuple[Location, ...], str]:
            if source is units.PointSource.API_FARM:
                response = self.client.find_nearest_service_points(
                    agreement=agreement,
                    body=mappers.service_points_request(
                        country=country, postal_code=postal_code, kind=kind, limit=limit
                    ),
                )
                data = response.json()
                refusal = mappers.service_point_refusal(data)
                if response.status == 400 and not refusal:  # a real validation error
                    raise CarrierRejected(
                        "dhl: service point search refused",
                        carrier=self.slug,
                        messages=mappers.parse_error_body(data, response.status),
                    )
                found = [] if refusal else mappers.parse_service_points(data)
            else:
                response = self.client.find_by_address(
                    agreement=agreement,
                    params=mappers.location_finder_params(
                        country=country, postal_code=postal_code, kind=kind, limit=limit
                    ),
                )
                if response.status == 404:  # "No result found": nothing near the code
                    return (), ""
                found = mappers.parse_locations(response.json())
                refusal = ""
            matching = [loc for loc in found if mappers.location_matches_kind(loc, kind)]
            return tuple(matching[:limit]), refusal

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="service_points",
            params={
                "source": source.value,
                "country": country,
                "postal_code": postal_code,
                "kind": kind.value,
                "limit": limit,
            },
            compute=compute,
        )

    def _route(
        self, agreement: AgreementCredentials, country: str, postal_code: str
    ) -> tuple[bool, str]:
        def compute() -> tuple[bool, str]:
            response = self.client.postal_code_route(
                agreement=agreement, country=country, postal_code=postal_code
            )
            if response.status == 400:
                messages = mappers.parse_error(response)
                refusals = [m for m in messages if m.code in units.ROUTE_REFUSAL_CODES]
                if not refusals:
                    raise CarrierRejected(
                        "dhl: postal-code route refused",
                        carrier=self.slug,
                        messages=messages,
                    )
                return False, refusals[0].text
            route = mappers.parse_route(response.json())
            if not route.bookable:
                return False, f"DHL does not book to postal code {route.postal_code or postal_code}"
            return True, ""

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="availability",
            params={"country": country, "postal_code": postal_code},
            compute=compute,
        )

    # --- booking ------------------------------------------------------------------------------

    def book(self, *, request: BookingRequest) -> Booking:
        product = units.PRODUCTS.get(request.product)
        if product is None:
            raise self._refuse("unknown_product", f"DHL product {request.product!r} is unknown")
        if product.needs_access_point and request.location is None:
            raise self._refuse(
                "location_required", f"DHL product {request.product} needs a chosen service point"
            )
        body = mappers.transport_instruction(
            request, payer_code=product.payer_code, access_point=product.needs_access_point
        )
        response = self.client.send_transport_instruction(agreement=request.agreement, body=body)
        data = response.json()
        if isinstance(data, dict) and "transportInstruction" not in data:
            messages = mappers.parse_error_body(data, response.status)
            if messages:  # an error DHL answered with HTTP 200
                raise CarrierRejected(
                    "dhl: transport instruction refused", carrier=self.slug, messages=messages
                )
        booked = mappers.parse_transport_instruction(data)
        extra: dict[str, str] = {"routing_code": booked.routing_code}
        labels: tuple[Label, ...] = ()
        try:
            labels = (self.label(agreement=request.agreement, shipment_id=booked.id),)
        except CarrierError as exc:
            # The shipment is booked and DHL bookings are not idempotent: hand it back without a
            # label (print it again with ``label``) rather than fail and invite a second booking.
            logger.warning("dhl: shipment %s booked but its label failed: %s", booked.id, exc)
            extra["label_error"] = str(exc)
        return Booking(
            carrier_shipment_id=booked.id,
            tracking_numbers=booked.piece_ids or (booked.id,),
            tracking_url=booked.tracking_url,
            labels=labels,
            extra=extra,
        )

    def label(self, *, agreement: AgreementCredentials, shipment_id: str) -> Label:
        """The label of a booked shipment (``printdocumentsbyid``); may be printed again."""
        response = self.client.print_documents(
            agreement=agreement, body=mappers.print_request(shipment_id)
        )
        return mappers.parse_labels(response.json())[0]

    def _refuse(self, code: str, text: str) -> CarrierRejected:
        return CarrierRejected(
            f"dhl: {text}", carrier=self.slug, messages=(CarrierMessage(code, text),)
        )

    # --- tracking -----------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        response = self.client.track(
            agreement=agreement, params=mappers.tracking_params(tracking_number)
        )
        if response.status == 404:  # not (yet) known to DHL: no events
            return []
        data: Any = response.json()
        return mappers.tracking_events(data, tracking_number)
