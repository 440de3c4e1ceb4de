"""The PostNord adapter: quotes from Service Points v5 and Transit Time v2, bookings through
EDI instruction v3 with PDF labels, Track & Trace, lookup by reference and (GUESS) cancel.

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
from zoneinfo import ZoneInfo

from django.utils import timezone

from carriers.base import Capability, CarrierAdapter
from carriers.cache import cached
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


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after ``start`` up to and including ``end``; a weekend ``end`` counts as a day
    too, since PostNord delivers on Saturdays (0 when ``end`` is not later)."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 or day == end:
            days += 1
    return days


def delivery_estimate(
    available: mappers.ServiceAvailability | None, *, today: dt.date, default: units.Product
) -> DeliveryEstimate:
    """PostNord's ETA as business days from ``today``; the product's default without one."""
    if available is not None:
        if available.days_min is not None or available.days_max is not None:
            return DeliveryEstimate(available.days_min, available.days_max)
        latest = available.arrival_latest or available.arrival_earliest
        if latest is not None:
            earliest = available.arrival_earliest or latest
            return DeliveryEstimate(
                business_days_between(today, earliest.date()),
                business_days_between(today, latest.date()),
            )
    return DeliveryEstimate(default.earliest_days, default.latest_days)


class PostNordAdapter(CarrierAdapter):
    slug = "postnord"
    name = "PostNord"
    capabilities = frozenset(
        {
            Capability.QUOTE,
            Capability.LOCATIONS,
            Capability.BOOKING,
            Capability.CANCEL,
            Capability.TRACKING,
        }
    )
    products = units.PRODUCT_NAMES
    hosts = {"live": "https://api2.postnord.com", "test": "https://atapi2.postnord.com"}
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {
        "service_points": mappers.parse_service_points_body,
        "availability": mappers.parse_availability_body,
        "booking": mappers.parse_booking_body,
        "tracking": mappers.parse_tracking_body,
        "error": mappers.parse_error_body,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = PostNordClient(self.http)

    # --- Quote -----------------------------------------------------------------------------

    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        country = request.recipient.country.strip().upper()
        postal_code = mappers.postal_code_normalise(request.recipient.postal_code)
        quotes: list[Quote | None] = []
        to_ask: list[tuple[int, ProductQuery, units.Product]] = []
        for index, query in enumerate(request.products):
            product = units.PRODUCTS.get(query.code)
            if product is None:
                quotes.append(Quote(query.code, available=False, reason="unknown product"))
            elif query.kind not in product.kinds:
                quotes.append(
                    Quote(
                        query.code,
                        available=False,
                        reason=f"product does not deliver to {query.kind.value}",
                    )
                )
            elif country not in units.COUNTRIES:
                quotes.append(Quote(query.code, available=False, reason="country not served"))
            elif not postal_code:  # a preview: nothing to look near yet, no carrier call
                quotes.append(
                    Quote(
                        query.code,
                        available=True,
                        delivery=DeliveryEstimate(product.earliest_days, product.latest_days),
                    )
                )
            else:
                quotes.append(None)
                to_ask.append((index, query, product))
        if to_ask:
            codes = sorted({query.code for _, query, _ in to_ask})
            # One service-point search per kind (the same search serves every query of that
            # kind), whichever product asks for it.
            kinds = list(
                dict.fromkeys(
                    query.kind
                    for _, query, _ in to_ask
                    if query.wants_locations and query.kind in units.LOCATION_KINDS
                )
            )
            # Transit time and the searches go out together: a search needs nothing from
            # transit time, which only says whether its product is offered here at all. So a
            # search is made (or read from the cache) even for a product that then turns out
            # unavailable; its answer, or its failure, is then simply not used.
            services_outcome, *searches = call_all(
                _attempt(
                    lambda: self._services(request, codes, country=country, postal_code=postal_code)
                ),
                *(
                    _attempt(self._locations_call(request, kind, country, postal_code))
                    for kind in kinds
                ),
            )
            # Errors surface in the order the calls used to be made: transit time first, then
            # the search of the first product that needs one.
            services = services_outcome.get()
            locations = dict(zip(kinds, searches, strict=True))
            today = request.now.astimezone(ZoneInfo(units.timezone_name(country))).date()
            for index, query, product in to_ask:
                quotes[index] = self._quote_product(
                    query,
                    product,
                    services.get(query.code) if services is not None else None,
                    locations=locations,
                    today=today,
                )
        return [quote for quote in quotes if quote is not None]

    def _quote_product(
        self,
        query: ProductQuery,
        product: units.Product,
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
        params = mappers.service_points_params(
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
        start = request.now.astimezone(ZoneInfo(units.timezone_name(origin_country))).replace(
            minute=0, second=0, microsecond=0, tzinfo=None
        )
        params = mappers.transit_time_params(
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
        body = mappers.edi_instruction(
            request,
            now=timezone.now().astimezone(
                ZoneInfo(units.timezone_name(request.sender_address.country))
            ),
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

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        """The shipment booked with ``reference`` (our CU reference), found by Track & Trace;
        its labels reprinted by item id when PostNord still has them."""
        base_url = self.base_url(agreement)
        data = self.client.find_by_reference(
            base_url=base_url, agreement=agreement, reference=reference, locale=TRACKING_LOCALE
        )
        shipments = mappers.parse_shipments(data) if data is not None else []
        if not shipments:
            return None
        shipment = shipments[0]
        item_ids = tuple(item.item_id for item in shipment.items if item.item_id)
        labels: tuple[Label, ...] = ()
        if item_ids:
            try:
                labels = mappers.parse_labels(
                    self.client.reprint_labels(
                        base_url=base_url,
                        agreement=agreement,
                        body=mappers.label_reprint_body(item_ids),
                    )
                )
            except CarrierRejected:  # PostNord's test server keeps no labels (§1.5)
                logger.warning("PostNord labels of %s could not be reprinted", reference)
        first = item_ids[0] if item_ids else shipment.shipment_id
        return Booking(
            carrier_shipment_id=shipment.shipment_id,
            tracking_numbers=item_ids,
            tracking_url=mappers.tracking_url(first, shipment.country),
            labels=labels,
            extra={"reference": reference},
        )

    def cancel(self, *, agreement: AgreementCredentials, booking: Booking) -> None:
        """Re-send the instruction with ``updateIndicator: Deletion`` (GUESS, §1.5)."""
        if "product" not in booking.extra:
            raise OperationNotSupported(
                f"{self.slug}: booking {booking.carrier_shipment_id} lacks its EDI data",
                carrier=self.slug,
            )
        data = self.client.send_instruction(
            base_url=self.base_url(agreement),
            agreement=agreement,
            body=mappers.deletion_instruction(
                booking,
                agreement=agreement,
                now=timezone.now().astimezone(
                    ZoneInfo(units.timezone_name(booking.extra.get("sender_country", "SE")))
                ),
                application_id=self._application_id(agreement),
            ),
        )
        mappers.check_instruction_answer(data)

    # --- Tracking ----------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        data = self.client.track(
            base_url=self.base_url(agreement),
            agreement=agreement,
            identifier=tracking_number,
            locale=TRACKING_LOCALE,
        )
        return mappers.events_for(mappers.parse_shipments(data), tracking_number)


def _locale(country: str) -> str:
    """Language of PostNord's SMS and e-mail to the recipient."""
    return {"SE": "sv", "NO": "no", "DK": "da", "FI": "fi"}.get(country.strip().upper(), "en")
