"""The DHL adapter: DHL Freight Sweden API Farm plus the DHL group's Location Finder and
Unified Tracking.

Which API answers what:

* Service points (103 DHL Service Point, 109 Parcel Connect): for recipients in SE, NO, DK and
  FI the API Farm's ``findnearestservicepoints`` (the network DHL Freight Sweden books to; no
  opening hours in it); elsewhere Location Finder - Unified ``find-by-address`` (with opening
  hours). Both are cached per country, postal code, option kind and limit.
* Home delivery (401): Swedish postal codes only; the API Farm's postal-code route says whether
  DHL books to the code (``bookable``) and delivers parcels home there
  (``homeDeliveryParcel``), cached per postal code.
* Booking: ``sendtransportinstruction``, then ``printdocumentsbyid`` for the PDF label, inside
  ``book``; ``label`` prints a booked id again. The API Farm has no lookup by reference and no
  cancel, so neither is offered.
* Tracking: Shipment Tracking - Unified (``/track/shipments``).

Credentials (declaration.py): ``client_key`` (API Farm), ``api_key`` (DHL API developer
portal: Location Finder and Unified Tracking), ``sent_ref``/``sent_carkey`` (Poland's SENT);
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
from collections.abc import Callable
from typing import Any, ClassVar

from carriers.base import Capability, CarrierAdapter, json_parsers
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
from .declaration import CREDENTIAL_SENT_CARKEY, CREDENTIAL_SENT_REF, DECLARATION

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
    declaration = DECLARATION
    capabilities = frozenset(
        {Capability.QUOTE, Capability.LOCATIONS, Capability.BOOKING, Capability.TRACKING}
    )
    hosts = {
        "live": "https://api.freight-logistics.dhl.com",
        "test": "https://test-api.freight-logistics.dhl.com",
    }
    #: Production hosts of the DHL group APIs, used when DHL is not pointed elsewhere.
    group_hosts: ClassVar[dict[str, str]] = {
        LOCATION_FINDER: "https://api.dhl.com",
        TRACKING: "https://api-eu.dhl.com",
    }
    other_hosts = tuple(group_hosts.values())
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {
        **json_parsers(
            mappers.read,
            service_points=mappers.parse_service_points,
            availability=mappers.parse_availability,
            booking=mappers.parse_booking,
            label=mappers.parse_label,
            tracking=mappers.parse_tracking,
        ),
        "error": mappers.parse_error_body,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = DhlClient(self.http)

    # --- where to call ------------------------------------------------------------------------

    def farm_base(self, agreement: AgreementCredentials) -> str:
        return self.base_url(agreement)

    def group_base(self, agreement: AgreementCredentials, api: str) -> str:
        """The DHL group API's own host, unless DHL is pointed elsewhere (then that base)."""
        base = self.base_url(agreement)
        mode = "test" if agreement.test_mode else "live"
        if base == self.hosts[mode].rstrip("/"):
            return self.group_hosts[api].rstrip("/")
        return base

    # --- quote --------------------------------------------------------------------------------

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        """Each product needs at most one call (service points, or the postal-code route for
        home delivery) and none needs another's answer: the distinct calls go out together.
        If several fail, the one of the first product asking is raised."""
        return quotes_resolve([self._plan(query, request) for query in products])

    def _plan(self, query: ProductQuery, request: QuoteRequest) -> Quote | Lookup:
        """The product's quote when no call is needed, else the call it needs."""
        country = request.recipient.country.strip().upper()
        if query.kind is ProductKind.LOCKER and not units.locker_allowed(query.code, country):
            return Quote(
                product=query.code,
                available=False,
                reason=f"product does not deliver to {query.kind.value} in {country}",
            )
        postal_code = mappers.dhl_postal_code(country, request.recipient.postal_code)
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
                response = self.client.service_points(
                    base_url=self.farm_base(agreement),
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
                        messages=mappers.error_messages(data, response.status),
                    )
                found = [] if refusal else mappers.parse_service_points(data)
            else:
                response = self.client.find_by_address(
                    base_url=self.group_base(agreement, LOCATION_FINDER),
                    agreement=agreement,
                    params=mappers.location_finder_request(
                        country=country, postal_code=postal_code, kind=kind, limit=limit
                    ),
                )
                if response.status == 404:  # "No result found": nothing near the code
                    return (), ""
                found = mappers.parse_service_points(response.json())
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
            where = mappers.availability_request(country=country, postal_code=postal_code)
            response = self.client.postal_code_route(
                base_url=self.farm_base(agreement), agreement=agreement, **where
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
            route = mappers.parse_availability(response.json())
            if not isinstance(route, mappers.PostalRoute):
                raise mappers.read.invalid("postal-code route is not an object")
            code = route.postal_code or postal_code
            if not route.bookable:
                return False, f"DHL does not book to postal code {code}"
            if not route.home_delivery_parcel:
                return False, f"DHL has no home delivery to postal code {code}"
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
        self._check_bookable(request)
        body = mappers.booking_request(request, payer_code=units.PAYER_CODES[request.product])
        response = self.client.send_transport_instruction(
            base_url=self.farm_base(request.agreement), agreement=request.agreement, body=body
        )
        data = response.json()
        if isinstance(data, dict) and "transportInstruction" not in data:
            messages = mappers.error_messages(data, response.status)
            if messages:  # an error DHL answered with HTTP 200
                raise CarrierRejected(
                    "dhl: transport instruction refused", carrier=self.slug, messages=messages
                )
        booked = mappers.parse_booking(data)
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

    def _check_bookable(self, request: BookingRequest) -> None:
        """What DHL would refuse, refused before the call with a clear reason."""
        if self.declaration is None or self.declaration.product(request.product) is None:
            raise self._refuse("unknown_product", f"DHL product {request.product!r} is unknown")
        if request.product in units.ACCESS_POINT_PRODUCTS and request.location is None:
            raise self._refuse(
                "location_required", f"DHL product {request.product} needs a chosen service point"
            )
        destination = request.recipient_address.country.strip().upper()
        if destination in units.CUSTOMS_COUNTRIES:
            # DHL books parcels leaving the EU only with customsInformation (commodity lines
            # with HS codes, values and origin, an export invoice) and a customs handling
            # service (karrio capture booking-2906762105-109-se-no-standard-customs). A
            # booking request carries no goods lines, so nothing true could be declared.
            raise self._refuse(
                "customs_required",
                f"DHL needs customs information (goods, HS codes, values) for parcels to "
                f"{destination}, which the booking does not carry; book this shipment in "
                f"DHL's own tools",
            )
        lane = {request.sender_address.country.upper(), destination}
        if not lane & units.SENT_COUNTRIES:
            return
        sent = (
            str(request.agreement.credentials.get(CREDENTIAL_SENT_REF) or "").strip(),
            str(request.agreement.credentials.get(CREDENTIAL_SENT_CARKEY) or "").strip(),
        )
        if any(sent) and not all(sent):
            raise self._refuse(
                "sent_incomplete",
                "DHL needs both the SENT reference and the SENT carrier key, or neither",
            )
        if any(len(value) > units.SENT_MAX_LENGTH for value in sent):
            raise self._refuse(
                "sent_invalid",
                f"DHL's SENT reference and carrier key have at most {units.SENT_MAX_LENGTH} "
                f"characters",
            )

    def label(self, *, agreement: AgreementCredentials, shipment_id: str) -> Label:
        """The label of a booked shipment (``printdocumentsbyid``); may be printed again."""
        response = self.client.print_documents(
            base_url=self.farm_base(agreement),
            agreement=agreement,
            body=mappers.label_request(shipment_id),
        )
        return mappers.parse_label(response.json())[0]

    def _refuse(self, code: str, text: str) -> CarrierRejected:
        return CarrierRejected(
            f"dhl: {text}", carrier=self.slug, messages=(CarrierMessage(code, text),)
        )

    # --- tracking -----------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        response = self.client.track(
            base_url=self.group_base(agreement, TRACKING),
            agreement=agreement,
            params=mappers.tracking_request(tracking_number),
        )
        if response.status == 404:  # "No result found": not (yet) known to DHL, no events
            return []
        return mappers.tracking_events(response.json(), tracking_number)
