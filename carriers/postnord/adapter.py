"""The PostNord adapter: quotes from Service Points v5 and Transit Time v2, bookings through
EDI instruction v3 with PDF labels, reprint by printId, Track & Trace v7 (by id, and by
reference for lookups) and cancel by Deletion where PostNord supports it (Sweden, Z12).

Credentials (``AgreementCredentials.credentials``):

* ``api_key`` (required): the PostNord API key, sent as the ``apikey`` query parameter;
* ``application_id`` (optional): the EDI application id PostNord issued (an integer);
* ``issuer_code`` (optional): Z11 DK, Z12 SE, Z13 NO, Z14 FI; default from the sender country;
* ``origin_postal_code`` / ``origin_country`` (optional): where parcels leave from, for the
  transit-time ETA. Without them quotes carry the product's default estimate.

The customer number (EDI consignor party id, partyIdType 160) is the agreement's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from django.utils import timezone

from carriers.base import Capability, CarrierAdapter, json_parsers
from carriers.cache import cached
from carriers.calendar import business_days_between, local_today, zone_for
from carriers.declaration import CarrierProduct
from carriers.exceptions import CarrierRejected, OperationNotSupported
from carriers.http import CarrierHttp
from carriers.parallel import call_all
from carriers.types import (
    AgreementCredentials,
    Booking,
    BookingRequest,
    CarrierMessage,
    DeliveryEstimate,
    Label,
    Location,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
    TrackingEvent,
)

from . import mappers, units
from .client import PostNordClient
from .declaration import DECLARATION

logger = logging.getLogger(__name__)

TRACKING_LOCALE = "en"

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class _Outcome(Generic[T]):
    """What one call of a quote gave: its value, or the exception it raised. Kept rather than
    raised at once, so the quote raises the error it would have met asking one call after the
    other (and ignores the error of a call it turns out not to need)."""

    value: T | None = None
    error: Exception | None = None

    def get(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # None only when T allows it


def _attempt(call: Callable[[], T]) -> Callable[[], _Outcome[T]]:
    def run() -> _Outcome[T]:
        try:
            return _Outcome(value=call())
        except Exception as exc:
            return _Outcome(error=exc)

    return run


def delivery_estimate(
    available: mappers.ServiceAvailability | None, *, today: dt.date, default: CarrierProduct
) -> DeliveryEstimate:
    """PostNord's ETA as business days from ``today``; the product's declared estimate without
    one. A weekend arrival counts as a day: PostNord delivers on Saturdays."""
    if available is not None:
        if available.days_min is not None or available.days_max is not None:
            return DeliveryEstimate(available.days_min, available.days_max)
        latest = available.arrival_latest or available.arrival_earliest
        if latest is not None:
            earliest = available.arrival_earliest or latest
            return DeliveryEstimate(
                business_days_between(today, earliest.date(), weekend_end=True),
                business_days_between(today, latest.date(), weekend_end=True),
            )
    estimate = default.estimate or (None, None)
    return DeliveryEstimate(*estimate)


class PostNordAdapter(CarrierAdapter):
    declaration = DECLARATION
    capabilities = frozenset(
        {
            Capability.QUOTE,
            Capability.LOCATIONS,
            Capability.BOOKING,
            Capability.CANCEL,
            Capability.TRACKING,
        }
    )
    hosts = {"live": "https://api2.postnord.com", "test": "https://atapi2.postnord.com"}
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
        self.client = PostNordClient(self.http)

    # --- Quote -----------------------------------------------------------------------------

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        country = request.recipient.country.strip().upper()
        postal_code = mappers.postal_code_normalise(request.recipient.postal_code)
        codes = sorted({query.code for query in products})
        # One service-point search per kind (the same search serves every query of that kind),
        # whichever product asks for it.
        kinds = list(
            dict.fromkeys(
                query.kind
                for query in products
                if query.wants_locations and query.kind in units.LOCATION_KINDS
            )
        )
        # Transit time and the searches go out together: a search needs nothing from transit
        # time, which only says whether its product is offered here at all. So a search is made
        # (or read from the cache) even for a product that then turns out unavailable; its
        # answer, or its failure, is then simply not used.
        services_outcome, *searches = call_all(
            _attempt(
                lambda: self._services(request, codes, country=country, postal_code=postal_code)
            ),
            *(
                _attempt(self._locations_call(request, kind, country, postal_code))
                for kind in kinds
            ),
        )
        # Errors surface in the order the calls used to be made: transit time first, then the
        # search of the first product that needs one.
        services = services_outcome.get()
        locations = dict(zip(kinds, searches, strict=True))
        today = local_today(request.now, zone_for(country))
        return [
            self._quote_product(
                query,
                units.PRODUCTS[query.code],
                services.get(query.code) if services is not None else None,
                locations=locations,
                today=today,
            )
            for query in products
        ]

    def _quote_product(
        self,
        query: ProductQuery,
        product: CarrierProduct,
        service: mappers.ServiceAvailability | None,
        *,
        locations: Mapping[ProductKind, _Outcome[tuple[Location, ...]]],
        today: dt.date,
    ) -> Quote:
        if service is not None and not service.available:
            return Quote(
                query.code,
                available=False,
                reason=service.reason or "PostNord does not offer this service here",
            )
        found: tuple[Location, ...] = ()
        if query.wants_locations and query.kind in units.LOCATION_KINDS:
            found = locations[query.kind].get()
        return Quote(
            query.code,
            available=True,
            locations=found,
            delivery=delivery_estimate(service, today=today, default=product),
        )

    def _locations_call(
        self, request: QuoteRequest, kind: ProductKind, country: str, postal_code: str
    ) -> Callable[[], tuple[Location, ...]]:
        return lambda: self._locations(request, kind, country=country, postal_code=postal_code)

    def _locations(
        self, request: QuoteRequest, kind: ProductKind, *, country: str, postal_code: str
    ) -> tuple[Location, ...]:
        limit = max(0, min(request.max_locations, units.MAX_SERVICE_POINTS))
        if limit == 0:
            return ()
        params = mappers.service_points_request(
            country=country, postal_code=postal_code, kind=kind, limit=limit
        )
        wanted = units.LOCATION_KINDS[kind]
        base_url = self.base_url(request.agreement)

        def compute() -> tuple[Location, ...]:
            data = self.client.service_points(
                base_url=base_url, agreement=request.agreement, params=params
            )
            # The typeId filter asks for one kind; a point of the other kind never slips in.
            points = [p for p in mappers.parse_service_points(data) if p.kind is wanted]
            return tuple(points[:limit])

        return cached(
            carrier=self.slug,
            agreement_id=request.agreement.agreement_id,
            operation="service_points",
            params={**params, "host": base_url},
            compute=compute,
        )

    def _services(
        self, request: QuoteRequest, codes: list[str], *, country: str, postal_code: str
    ) -> dict[str, mappers.ServiceAvailability] | None:
        """Transit time per service code, or None when it cannot be asked (no origin known)
        or PostNord refuses this key for the Transit Time API (then quotes use defaults)."""
        credentials = request.agreement.credentials
        # The agreement may name its own origin; else the merchant's sender address.
        origin_postal_code = mappers.postal_code_normalise(
            str(credentials.get(units.CREDENTIAL_ORIGIN_POSTAL_CODE) or request.sender.postal_code)
        )
        if not origin_postal_code:
            return None
        origin_country = str(
            credentials.get(units.CREDENTIAL_ORIGIN_COUNTRY) or request.sender.country or "SE"
        ).upper()
        # The hand-over time as local time, to the hour: the answer (and its cache entry)
        # holds for the hour, and PostNord's cut-offs are on the hour anyway.
        start = request.now.astimezone(zone_for(origin_country)).replace(
            minute=0, second=0, microsecond=0, tzinfo=None
        )
        params = mappers.availability_request(
            origin_country=origin_country,
            origin_postal_code=origin_postal_code,
            destination_country=country,
            destination_postal_code=postal_code,
            codes=codes,
            start=start,
        )

        base_url = self.base_url(request.agreement)

        def compute() -> dict[str, mappers.ServiceAvailability]:
            data = self.client.transit_times(
                base_url=base_url, agreement=request.agreement, params=params
            )
            return mappers.base_services(mappers.parse_availability(data))

        try:
            return cached(
                carrier=self.slug,
                agreement_id=request.agreement.agreement_id,
                operation="availability",
                params={**params, "host": base_url},
                compute=compute,
            )
        except CarrierRejected as exc:
            # Transit Time is a separate PostNord product a key may not be subscribed to; the
            # ETA is a nicety, so the quote goes on with defaults (the trace keeps the answer).
            logger.warning("PostNord transit time refused: %s", exc)
            return None

    # --- Booking -----------------------------------------------------------------------------

    def _issuer_code(self, agreement: AgreementCredentials, sender_country: str) -> str:
        configured = str(agreement.credentials.get(units.CREDENTIAL_ISSUER_CODE) or "")
        return configured or units.ISSUER_CODES.get(sender_country.strip().upper(), "Z12")

    def _application_id(self, agreement: AgreementCredentials) -> int | str | None:
        value = agreement.credentials.get(units.CREDENTIAL_APPLICATION_ID)
        if value in (None, ""):
            return None
        text = str(value).strip()
        # PostNord wants an integer; anything else is sent as it is, for its verbatim refusal.
        return int(text) if text.isdigit() else text

    def book(self, *, request: BookingRequest) -> Booking:
        product = units.PRODUCTS.get(request.product)
        if product is None or request.kind not in product.kinds:
            raise CarrierRejected(
                f"{self.slug}: product {request.product!r} cannot deliver to {request.kind}",
                carrier=self.slug,
                messages=(
                    CarrierMessage("unknown_product", f"Unknown product {request.product!r}"),
                ),
            )
        issuer_code = self._issuer_code(request.agreement, request.sender_address.country)
        body = mappers.booking_request(
            request,
            now=timezone.now().astimezone(zone_for(request.sender_address.country)),
            issuer_code=issuer_code,
            application_id=self._application_id(request.agreement),
        )
        data = self.client.book_with_labels(
            base_url=self.base_url(request.agreement),
            agreement=request.agreement,
            body=body,
            locale=_locale(request.recipient_address.country),
        )
        booking = mappers.parse_booking(data, country=request.recipient_address.country)
        return dataclasses.replace(
            booking,
            extra={**booking.extra, **mappers.booking_extra(request, issuer_code=issuer_code)},
        )

    def reprint_labels(
        self, *, agreement: AgreementCredentials, booking: Booking
    ) -> tuple[Label, ...]:
        """The booking's labels again, by the printIds its booking answer gave."""
        print_ids = mappers.print_ids(booking)
        if not print_ids:
            raise OperationNotSupported(
                f"{self.slug}: booking {booking.carrier_shipment_id} has no printId to reprint "
                "its labels by (PostNord reprints by the booking answer's printId only)",
                carrier=self.slug,
            )
        return mappers.parse_label(
            self.client.reprint_labels(
                base_url=self.base_url(agreement),
                agreement=agreement,
                body=mappers.label_reprint_request(print_ids),
            )
        )

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        """The shipment booked with ``reference`` (our CU reference), found by Track & Trace v7.

        It has no labels: PostNord reprints by the booking answer's printId, which Track &
        Trace does not give (the item id answers "id not found").
        """
        data = self.client.find_by_reference(
            base_url=self.base_url(agreement),
            agreement=agreement,
            request=mappers.find_booking_request(
                agreement.customer_number, reference, locale=TRACKING_LOCALE
            ),
        )
        return None if data is None else mappers.parse_find_booking(data, reference=reference)

    def cancel_refusal(self, *, agreement: AgreementCredentials, booking: Booking) -> str:
        """PostNord deletes an EDI instruction only for a Swedish (Z12) agreement (booking
        swagger ``updateIndicator``), and only one we booked with its EDI data."""
        if "product" not in booking.extra:
            return f"PostNord booking {booking.carrier_shipment_id} lacks its EDI data"
        issuer_code = booking.extra.get("issuer_code") or self._issuer_code(
            agreement, booking.extra.get("sender_country", "")
        )
        if not units.cancel_supported(issuer_code):
            country = units.ISSUER_COUNTRIES.get(issuer_code, issuer_code)
            return (
                f"PostNord cannot cancel a booking of its {country} agreement (issuer "
                f"{issuer_code}) through the API; ask PostNord customer service"
            )
        return ""

    def cancel(self, *, agreement: AgreementCredentials, booking: Booking) -> None:
        """Re-send the instruction with ``updateIndicator: Deletion``, only where PostNord
        supports it (``cancel_refusal``)."""
        refusal = self.cancel_refusal(agreement=agreement, booking=booking)
        if refusal:
            raise OperationNotSupported(refusal, carrier=self.slug)
        data = self.client.send_instruction(
            base_url=self.base_url(agreement),
            agreement=agreement,
            body=mappers.cancel_request(
                booking,
                agreement=agreement,
                now=timezone.now().astimezone(zone_for(booking.extra.get("sender_country", "SE"))),
                application_id=self._application_id(agreement),
            ),
        )
        mappers.parse_cancel(data, booking=booking)

    # --- Tracking ----------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        data = self.client.track(
            base_url=self.base_url(agreement),
            agreement=agreement,
            request=mappers.tracking_request(tracking_number, locale=TRACKING_LOCALE),
        )
        if data is None:  # PostNord knows no such id (yet): no events, not a failure
            return []
        return mappers.events_for(mappers.parse_shipments(data), tracking_number)


def _locale(country: str) -> str:
    """Language of PostNord's SMS and e-mail to the recipient."""
    return {"SE": "sv", "NO": "no", "DK": "da", "FI": "fi"}.get(country.strip().upper(), "en")
