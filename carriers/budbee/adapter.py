"""The Budbee adapter: home delivery with intervals, Budbee Box lockers, orders.

Credentials (``agreement.credentials``): ``{"api_key": ..., "api_secret": ...}`` (HTTP Basic).
``agreement.customer_number`` is the Budbee collection point id (the merchant's warehouse,
``collectionId`` of an order, a number).

Quotes ask Budbee ``postalcodes/validate`` (home availability; 404 = not served), ``intervals``
(delivery windows) and ``boxes/postalcodes/validate`` (lockers). None of those calls needs
another's answer, so a quote makes every call its products need at the same time
(``carriers.parallel.call_all``) and then reads the answers in Budbee's documented order, as if
they had been asked one after the other: the same quotes, and the same error raised (the first
one that order meets; ``intervals`` of a postal code Budbee does not serve is not read at all).
Those answers do not depend on the cart and are cached per agreement, country and postal code.
A booking is an order (``POST /multiple/orders``) followed by its parcels
(``POST /multiple/orders/{id}/parcels``), whose pre-signed label URLs (valid ~48 h) are
downloaded at once.

Tracking: Budbee documents no API that answers a parcel's events, only tracking-page URLs and
webhooks it pushes (V2 events); ``track`` therefore raises ``OperationNotSupported`` and
``mappers.parse_tracking`` reads the webhook body.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from carriers.base import Capability, CarrierAdapter, json_parsers, tracking_updates
from carriers.cache import cached
from carriers.calendar import aware, business_days_between, zone_for
from carriers.exceptions import CarrierError, CarrierRejected, OperationNotSupported
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
    Timeslot,
    TrackingEvent,
    TrackingUpdate,
)

from . import mappers, units
from .client import BudbeeClient
from .declaration import DECLARATION

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Target:
    """What a product needs to be quoted by Budbee: its kind and where it goes."""

    kind: ProductKind
    country: str
    postal_code: str


@dataclass(frozen=True)
class _Call:
    """One quote call: ``availability`` (postalcodes/validate), ``timeslots`` (intervals) or
    ``service_points`` (boxes/postalcodes/validate) for a country and postal code."""

    operation: str
    country: str
    postal_code: str


class _Answers:
    """The outcomes of a quote's calls, made together. Each is handed out (or its error raised)
    when the quote reads it, so reading them in the order the quote used to ask them gives that
    order's result and first error. A call that was not made ahead is made when read."""

    def __init__(
        self, outcomes: dict[_Call, tuple[bool, Any]], ask: Callable[[_Call], Any]
    ) -> None:
        self._outcomes = outcomes
        self._ask = ask

    def get(self, call: _Call) -> Any:
        outcome = self._outcomes.get(call)
        if outcome is None:
            return self._ask(call)
        ok, value = outcome
        if not ok:
            raise value
        return value


def _captured(call: Callable[[], Any]) -> Callable[[], tuple[bool, Any]]:
    """The call with its error kept as its outcome: which error a quote raises is decided when
    the answers are read, never by which of the concurrent calls happened to fail."""

    def run() -> tuple[bool, Any]:
        try:
            return True, call()
        except Exception as exc:  # raised again when (and if) the quote reads this answer
            return False, exc

    return run


class BudbeeAdapter(CarrierAdapter):
    declaration = DECLARATION
    # A booking looks its reference up first and completes what it finds (see ``book``).
    idempotent_booking = True
    capabilities = frozenset(
        {
            Capability.QUOTE,
            Capability.LOCATIONS,
            Capability.TIMESLOTS,
            Capability.BOOKING,
            Capability.CANCEL,
        }
    )
    hosts: ClassVar[dict[str, str]] = {
        "live": "https://api.budbee.com",
        "test": "https://api.staging.budbee.com",
    }
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {
        **json_parsers(
            mappers.read,
            availability=mappers.parse_availability,
            timeslots=mappers.parse_timeslots,
            service_points=mappers.parse_service_points,
            booking=mappers.parse_booking,
            label=mappers.parse_label,
            tracking=mappers.parse_tracking,
        ),
        "error": mappers.parse_error_body,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = BudbeeClient(self.http)

    # --- quote ---------------------------------------------------------------------------

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        answers = self._ask_together(request, products)
        return [self._quote_product(query, request, answers) for query in products]

    def _ask_together(self, request: QuoteRequest, products: tuple[ProductQuery, ...]) -> _Answers:
        """Make every call the products may read at the same time (each through the cache)."""
        calls: list[_Call] = []
        for query in products:
            target = _target(query, request)
            if isinstance(target, Quote):
                continue
            calls.extend(call for call in _calls_of(query, target) if call not in calls)

        def ask(call: _Call) -> Any:
            return self._ask(request.agreement, call)

        outcomes = call_all(*(_captured(partial(ask, call)) for call in calls))
        return _Answers(dict(zip(calls, outcomes, strict=True)), ask)

    def _ask(self, agreement: AgreementCredentials, call: _Call) -> Any:
        """One call, through its cache (a hit makes no call)."""
        where = {"country": call.country, "postal_code": call.postal_code}
        if call.operation == "availability":
            return self._collection_points(agreement, **where)
        if call.operation == "timeslots":
            return self._intervals(agreement, **where)
        return self._lockers(agreement, **where)

    def _quote_product(
        self, query: ProductQuery, request: QuoteRequest, answers: _Answers
    ) -> Quote:
        target = _target(query, request)
        if isinstance(target, Quote):
            return target
        if target.kind is ProductKind.LOCKER:
            return self._quote_box(query, request, answers, target)
        return self._quote_home(query, request, answers, target)

    def _quote_home(
        self, query: ProductQuery, request: QuoteRequest, answers: _Answers, target: _Target
    ) -> Quote:
        country, postal_code = target.country, target.postal_code
        points: tuple[mappers.CollectionPoint, ...] | None = answers.get(
            _Call("availability", country, postal_code)
        )
        if points is None:
            return Quote(
                product=query.code,
                available=False,
                reason=f"Budbee does not deliver to {country} {postal_code}",
            )
        extra = {"collection_point_ids": ",".join(point.id for point in points)}
        if not query.wants_timeslots:
            return Quote(product=query.code, available=True, extra=extra)
        now = aware(request.now, dt.UTC)
        intervals: tuple[Timeslot, ...] = answers.get(_Call("timeslots", country, postal_code))
        slots = tuple(slot for slot in intervals if slot.cutoff is None or slot.cutoff > now)
        if not slots:
            return Quote(
                product=query.code,
                available=False,
                reason=f"Budbee has no delivery interval for {country} {postal_code}",
            )
        zone = zone_for(country)
        first_day = slots[0].start.astimezone(zone).date()
        days = business_days_between(now.astimezone(zone).date(), first_day)
        return Quote(
            product=query.code,
            available=True,
            timeslots=slots,
            delivery=DeliveryEstimate(earliest_days=days, latest_days=days),
            extra=extra,
        )

    def _quote_box(
        self, query: ProductQuery, request: QuoteRequest, answers: _Answers, target: _Target
    ) -> Quote:
        country, postal_code = target.country, target.postal_code
        lockers: tuple[Location, ...] = answers.get(_Call("service_points", country, postal_code))
        if not lockers:
            return Quote(
                product=query.code,
                available=False,
                reason=f"no Budbee Box near {country} {postal_code}",
            )
        # Budbee answers best first; the checkout shows nearest first (stable for equal ones).
        nearest = sorted(
            lockers, key=lambda loc: loc.distance_m if loc.distance_m is not None else 10**9
        )
        limit = max(0, request.max_locations)
        return Quote(
            product=query.code,
            available=True,
            locations=tuple(nearest[:limit]) if query.wants_locations else (),
            delivery=_locker_estimate(lockers[0], country=country, now=aware(request.now, dt.UTC)),
        )

    def _collection_points(
        self, agreement: AgreementCredentials, *, country: str, postal_code: str
    ) -> tuple[mappers.CollectionPoint, ...] | None:
        """The collection points serving a postal code; None when Budbee does not serve it."""

        def compute() -> tuple[mappers.CollectionPoint, ...] | None:
            response = self.client.validate_postal_code(
                self.base_url(agreement),
                agreement,
                mappers.availability_request(country=country, postal_code=postal_code),
            )
            if response.status == 404:
                return None
            return mappers.parse_availability(response.json())

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="availability",
            params={"country": country, "postal_code": postal_code},
            compute=compute,
        )

    def _intervals(
        self, agreement: AgreementCredentials, *, country: str, postal_code: str
    ) -> tuple[Timeslot, ...]:
        def compute() -> tuple[Timeslot, ...]:
            response = self.client.intervals(
                self.base_url(agreement),
                agreement,
                mappers.timeslots_request(
                    country=country, postal_code=postal_code, count=units.INTERVAL_COUNT
                ),
            )
            if response.status == 404:
                return ()
            return mappers.parse_timeslots(response.json())

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="timeslots",
            params={"country": country, "postal_code": postal_code, "n": units.INTERVAL_COUNT},
            compute=compute,
        )

    def _lockers(
        self, agreement: AgreementCredentials, *, country: str, postal_code: str
    ) -> tuple[Location, ...]:
        collection_point_id = _collection_id_text(agreement)

        def compute() -> tuple[Location, ...]:
            response = self.client.lockers(
                self.base_url(agreement),
                agreement,
                mappers.service_points_request(
                    country=country,
                    postal_code=postal_code,
                    collection_point_id=collection_point_id,
                ),
            )
            if response.status == 404:
                return ()
            return mappers.parse_service_points(response.json())

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="service_points",
            params={
                "country": country,
                "postal_code": postal_code,
                "collection_point_id": collection_point_id,
            },
            compute=compute,
        )

    # --- booking -------------------------------------------------------------------------

    def book(self, *, request: BookingRequest) -> Booking:
        """Order, then parcels. An order already made with this reference is used, not made
        again: one with parcels is the booking; one without (an earlier attempt's answer was
        lost between the two steps) gets its parcels. If the parcels cannot be added the order
        is cancelled (Budbee would cancel a parcel-less order anyway) and the error raised."""
        kind = units.PRODUCT_KINDS.get(request.product)
        if kind is None or kind is not request.kind:
            raise CarrierRejected(
                f"budbee cannot book {request.product!r} as {request.kind.value}",
                carrier=self.slug,
                messages=(
                    CarrierMessage(
                        "product", f"Unknown product {request.product!r} for {request.kind}"
                    ),
                ),
            )
        agreement = request.agreement
        base = self.base_url(agreement)
        body = mappers.booking_request(request, collection_id=_collection_id(agreement))
        existing = mappers.order_for_reference(
            self.client.search_orders(
                base, agreement, mappers.find_booking_request(request.reference)
            ),
            request.reference,
        )
        if existing is not None and mappers.booking_from(existing).tracking_numbers:
            return self._complete(agreement, mappers.booking_from(existing))
        order = (
            existing if existing is not None else self.client.create_order(base, agreement, body)
        )
        order_id = mappers.order_id(order)
        try:
            parcels = mappers.parse_parcels(
                self.client.add_parcels(
                    base,
                    agreement,
                    mappers.order_parcels_path(order_id),
                    mappers.parcels_request(request),
                )
            )
        except CarrierError:
            self._cancel_quietly(agreement, order_id)
            raise
        return self._complete(agreement, mappers.booking_from(order, parcels))

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        found = mappers.parse_find_booking(
            self.client.search_orders(
                self.base_url(agreement), agreement, mappers.find_booking_request(reference)
            ),
            reference,
        )
        return self._complete(agreement, found) if found is not None else None

    def cancel(self, *, agreement: AgreementCredentials, booking: Booking) -> None:
        self.client.cancel_order(
            self.base_url(agreement),
            agreement,
            mappers.cancel_request(booking.carrier_shipment_id),
        )

    def _cancel_quietly(self, agreement: AgreementCredentials, order_id: str) -> None:
        try:
            self.client.cancel_order(
                self.base_url(agreement), agreement, mappers.cancel_request(order_id)
            )
        except CarrierError:
            logger.warning("budbee: order %s without parcels could not be cancelled", order_id)

    def _complete(self, agreement: AgreementCredentials, booking: Booking) -> Booking:
        """Add the tracking URL and the label PDFs. The booking exists already, so neither
        may fail it: a missing URL or PDF leaves the label URL for a later download."""
        base = self.base_url(agreement)
        tracking_url = ""
        try:
            tracking_url = mappers.parse_tracking_url(
                self.client.order_tracking_url(
                    base, agreement, mappers.tracking_url_request(booking.carrier_shipment_id)
                )
            )
        except CarrierError:
            logger.warning("budbee: no tracking url for order %s", booking.carrier_shipment_id)
        labels = []
        for label in booking.labels:
            try:
                content = self.client.download_label(agreement, label.url)
            except CarrierError:
                logger.warning(
                    "budbee: label of order %s not downloaded", booking.carrier_shipment_id
                )
                content = b""
            labels.append(
                Label(content=content if content.startswith(b"%PDF") else b"", url=label.url)
            )
        return Booking(
            carrier_shipment_id=booking.carrier_shipment_id,
            tracking_numbers=booking.tracking_numbers,
            tracking_url=tracking_url,
            labels=tuple(labels),
            extra=booking.extra,
        )

    # --- tracking ------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        """Budbee answers no parcel events on request: it pushes them as webhooks (read by
        ``mappers.parse_tracking``) and offers only tracking-page URLs to call."""
        raise OperationNotSupported(
            "budbee documents no API to ask a parcel's events; it pushes them as webhooks "
            "(configured in Budbee's merchant portal) and links the tracking page",
            carrier=self.slug,
        )

    pushes_tracking = True

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]:
        """A webhook body Budbee pushed; the older body's time is its ``Timestamp`` header."""
        timestamp = next((v for k, v in headers.items() if k.lower() == "timestamp"), "")
        return tracking_updates(mappers.parse_webhook(mappers.read.load(body), timestamp=timestamp))


def _calls_of(query: ProductQuery, target: _Target) -> list[_Call]:
    """The calls quoting a product may read, in the order it reads them. Intervals go out with
    the availability check rather than after it (a round trip less); they are read only when
    Budbee serves the postal code, so their answer to one it does not serve changes nothing."""
    if target.kind is ProductKind.LOCKER:
        return [_Call("service_points", target.country, target.postal_code)]
    calls = [_Call("availability", target.country, target.postal_code)]
    if query.wants_timeslots:
        calls.append(_Call("timeslots", target.country, target.postal_code))
    return calls


def _target(query: ProductQuery, request: QuoteRequest) -> _Target | Quote:
    """Where Budbee must be asked to quote the product (the contract's skeleton has already
    refused unknown products, wrong kinds and countries), or its quote when no call is
    needed: a postal code with no letter or digit is a preview, as an empty one is."""
    product = DECLARATION.product(query.code)
    postal_code = mappers.postal_code_normalise(request.recipient.postal_code)
    if product is None or not postal_code:
        estimate = product.estimate if product is not None else None
        return Quote(
            product=query.code,
            available=product is not None,
            reason="" if product is not None else "unknown product",
            delivery=DeliveryEstimate(*estimate) if estimate else None,
        )
    return _Target(
        kind=units.PRODUCT_KINDS[query.code],
        country=request.recipient.country.strip().upper(),
        postal_code=postal_code,
    )


def _collection_id_text(agreement: AgreementCredentials) -> str:
    value = agreement.customer_number.strip()
    return value if value.isdigit() else ""


def _collection_id(agreement: AgreementCredentials) -> int:
    value = _collection_id_text(agreement)
    if not value:
        raise CarrierRejected(
            "budbee agreement has no collection point id",
            carrier="budbee",
            messages=(
                CarrierMessage(
                    "collectionId",
                    "The agreement's customer number must be the Budbee collection point id.",
                ),
            ),
        )
    return int(value)


def _locker_estimate(
    locker: Location, *, country: str, now: dt.datetime
) -> DeliveryEstimate | None:
    """Days until the best locker's ``estimatedDelivery``, and its ``cutoff`` as a clock time
    when that cut-off is today (local)."""
    if not locker.extra.get("estimated_delivery"):
        return None
    zone = zone_for(country)
    today = now.astimezone(zone).date()
    try:
        arrives = mappers.parse_iso(locker.extra["estimated_delivery"], "estimatedDelivery")
        cutoff_at = (
            mappers.parse_iso(locker.extra["cutoff"], "cutoff")
            if locker.extra.get("cutoff")
            else None
        )
    except CarrierError:
        return None
    days = business_days_between(today, arrives.astimezone(zone).date())
    cutoff = None
    if cutoff_at is not None and cutoff_at.astimezone(zone).date() == today:
        cutoff = cutoff_at.astimezone(zone).time().replace(second=0, microsecond=0)
    return DeliveryEstimate(earliest_days=days, latest_days=days, cutoff=cutoff)
