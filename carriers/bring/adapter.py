"""The Bring adapter: Shipping Guide, Pickup Point, Booking and Tracking APIs wired together.

Credentials (``AgreementCredentials.credentials``): ``{"api_uid": <Mybring login e-mail>,
"api_key": <Mybring API key>, "client_url": <the shop's URL>}``, sent as Bring's three headers
``X-Mybring-API-Uid``, ``X-Mybring-API-Key``, ``X-Bring-Client-URL``. The customer number is
``agreement.customer_number``. Bring has one host for everything; an agreement in test mode books
with ``testIndicator: true`` (nothing is created or invoiced).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from django.utils import timezone

from carriers.base import Capability, CarrierAdapter, json_parsers
from carriers.cache import cached
from carriers.calendar import local_today, zone_for
from carriers.exceptions import CarrierError
from carriers.http import CarrierHttp
from carriers.parallel import call_all
from carriers.types import (
    Address,
    AgreementCredentials,
    Booking,
    BookingRequest,
    Label,
    Location,
    LocationKind,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
    TrackingEvent,
)

from . import mappers, units
from .client import BringClient
from .declaration import DECLARATION

logger = logging.getLogger(__name__)

#: Time slots: the expected date's plus this many alternative delivery dates.
ALTERNATIVE_DELIVERY_DATES = 5
#: The Pickup Point API answers 1-100 points.
MAX_PICKUP_POINTS = 100
_LOCATION_KINDS = {
    ProductKind.PICKUP_POINT: LocationKind.SERVICE_POINT,
    ProductKind.LOCKER: LocationKind.LOCKER,
}


def _limit(request: QuoteRequest) -> int:
    """How many points of one kind a quote carries."""
    return max(0, min(request.max_locations, MAX_PICKUP_POINTS))


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def _outcome(call: Callable[[], list[Location]]) -> list[Location] | Exception:
    """The call's answer, or the exception it raised: raised later only if the answer was
    needed (see ``BringAdapter.quote_products``)."""
    try:
        return call()
    except Exception as exc:
        return exc


class BringAdapter(CarrierAdapter):
    """Bring (Posten Bring) through its own APIs; replaces ``BringStaticAdapter``.

    ``quote_products`` asks the Shipping Guide once per checkout for every product (agreement price,
    expected delivery, time slots) and, at the same time, the Pickup Point API for the nearest
    points; both answers are cached. Bring has no cancel API, so ``cancel`` is not offered.
    """

    declaration = DECLARATION
    capabilities = frozenset(
        {
            Capability.QUOTE,
            Capability.LOCATIONS,
            Capability.TIMESLOTS,
            Capability.PRICES,
            Capability.BOOKING,
            Capability.TRACKING,
        }
    )
    hosts: ClassVar[dict[str, str]] = {
        "live": "https://api.bring.com",
        "test": "https://api.bring.com",
    }
    #: Label links are on www.mybring.com / www.qa.mybring.com (the Mybring headers go there);
    #: they redirect to "the concrete storage facility (e.g. redirect to Amazon S3)"
    #: (developer.bring.com/api/booking/labels), fetched without the headers.
    other_hosts = ("*.bring.com", "*.mybring.com")
    label_hosts = ("*.amazonaws.com",)
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {
        **json_parsers(
            mappers.read,
            service_points=mappers.parse_service_points,
            availability=mappers.parse_availability,
            timeslots=mappers.parse_timeslots,
            prices=mappers.parse_prices,
            booking=mappers.parse_booking,
            tracking=mappers.parse_tracking,
        ),
        "label": mappers.parse_label,
        "error": mappers.parse_error_body,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = BringClient(self.http)

    # --- quote ------------------------------------------------------------------------------

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        asked = list(products)
        # The Pickup Point API needs only the recipient's postal code, not the Shipping Guide's
        # answer: both are asked at the same time. Points are used only for products the
        # Shipping Guide offers, so a search that turns out unneeded is dropped, its failure
        # included, exactly as when it was asked only after the Shipping Guide.
        searches = self._point_searches(request, asked)
        offered, *found = call_all(
            lambda: self._shipping_guide(request, asked),
            *[
                functools.partial(_outcome, functools.partial(self._pickup_points, request, params))
                for params in searches
            ],
        )
        points = dict(zip(map(_params_key, searches), found, strict=True))
        return [self._answer(request, query, offered, points) for query in asked]

    def _shipping_guide(self, request: QuoteRequest, asked: list[ProductQuery]) -> dict[str, Quote]:
        country = request.recipient.country.strip().upper()
        zone = zone_for(country)
        today = local_today(request.now, zone)
        # Bring's products here are domestic (PICKUP_PARCEL is booked here from Sweden to Sweden,
        # Denmark to Denmark): the merchant's warehouse when it is in the recipient's country,
        # else a default origin there.
        origin_country, origin_postal_code = units.DEFAULT_ORIGINS[country]
        if request.sender.country.upper() == country and request.sender.postal_code:
            origin_postal_code = request.sender.postal_code.replace(" ", "")
        alternative_dates = (
            ALTERNATIVE_DELIVERY_DATES if any(q.wants_timeslots for q in asked) else 0
        )
        body = mappers.availability_request(
            request=request,
            products=list(dict.fromkeys(q.code for q in asked)),
            origin=Address(country=origin_country, postal_code=origin_postal_code),
            shipping_at=mappers.shipping_hour(request.now, zone_for(origin_country)),
            alternative_dates=alternative_dates,
        )
        # The answer depends on the body (route, parcels, products, shipping hour) and the day
        # delivery days are counted from.
        operation = "timeslots" if alternative_dates else "availability"
        agreement = request.agreement

        def ask() -> dict[str, Quote]:
            data = self.client.products(
                base_url=self.base_url(agreement),
                agreement=agreement,
                body=body,
                operation=operation,
            )
            quotes = mappers.parse_timeslots(data, zone=zone, today=today)
            return {quote.product: quote for quote in reversed(quotes)}  # first one wins

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation=operation,
            params={"body": body, "today": today.isoformat()},
            compute=ask,
        )

    def _answer(
        self,
        request: QuoteRequest,
        query: ProductQuery,
        offered: dict[str, Quote],
        points: dict[str, list[Location] | Exception],
    ) -> Quote:
        sender_country = request.sender.country.strip().upper()
        if sender_country in units.PICKUP_POINT_CHOICE_NOT_FROM.get(query.code, frozenset()):
            return Quote(
                product=query.code,
                available=False,
                reason=f"Bring books no chosen pickup point for {query.code} sent from "
                f"{sender_country}",
            )
        quote = offered.get(query.code)
        if quote is None:
            return Quote(
                product=query.code,
                available=False,
                reason="Bring's Shipping Guide offers no such product for this shipment",
            )
        if not quote.available:
            return quote
        location_kind = _LOCATION_KINDS.get(query.kind)
        locations: tuple[Location, ...] = ()
        if query.wants_locations and location_kind is not None:
            locations = self._locations(request, location_kind, points)
        return dataclasses.replace(
            quote,
            locations=locations,
            timeslots=quote.timeslots if query.wants_timeslots else (),
        )

    def _point_params(self, request: QuoteRequest, kind: LocationKind) -> dict[str, Any] | None:
        """The Pickup Point API query for points of ``kind``; None when none are wanted."""
        limit = _limit(request)
        if limit == 0:
            return None
        country = request.recipient.country.strip().upper()
        return mappers.service_points_request(country=country, kind=kind, limit=limit)

    def _point_searches(
        self, request: QuoteRequest, asked: list[ProductQuery]
    ) -> list[dict[str, Any]]:
        """The distinct Pickup Point API queries the asked products may need, in their order
        (in Norway one serves both kinds)."""
        searches: list[dict[str, Any]] = []
        for query in asked:
            kind = _LOCATION_KINDS.get(query.kind)
            if not query.wants_locations or kind is None:
                continue
            params = self._point_params(request, kind)
            if params is not None and params not in searches:
                searches.append(params)
        return searches

    def _locations(
        self,
        request: QuoteRequest,
        kind: LocationKind,
        points: dict[str, list[Location] | Exception],
    ) -> tuple[Location, ...]:
        params = self._point_params(request, kind)
        if params is None:
            return ()
        found = points[_params_key(params)]
        if isinstance(found, Exception):
            raise found
        return tuple([point for point in found if point.kind is kind][: _limit(request)])

    def _pickup_points(self, request: QuoteRequest, params: dict[str, Any]) -> list[Location]:
        country = request.recipient.country.strip().upper()
        postal_code = mappers.normalise_postal_code(request.recipient.postal_code)
        agreement = request.agreement

        def ask() -> list[Location]:
            return mappers.parse_service_points(
                self.client.pickup_points(
                    base_url=self.base_url(agreement),
                    agreement=agreement,
                    country=country,
                    postal_code=postal_code,
                    params=params,
                )
            )

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation="service_points",
            params={"country": country, "postal_code": postal_code, **params},
            compute=ask,
        )

    # --- booking ----------------------------------------------------------------------------

    def book(self, *, request: BookingRequest) -> Booking:
        """Book one consignment; the label PDF is fetched at once (its link is short-lived).

        Once Bring has confirmed, nothing here raises: a label that cannot be fetched stays a
        URL, so a caller never books twice because of it.
        """
        agreement = request.agreement
        base_url = self.base_url(agreement)
        body = mappers.booking_request(request=request, now=timezone.now())
        booking = mappers.parse_booking(
            self.client.book(base_url=base_url, agreement=agreement, body=body)
        )
        labels = tuple(self._fetch(agreement, base_url, label) for label in booking.labels)
        return dataclasses.replace(booking, labels=labels)

    def _fetch(self, agreement: AgreementCredentials, base_url: str, label: Label) -> Label:
        try:
            content = self.client.label(base_url=base_url, agreement=agreement, url=label.url)
        except CarrierError as exc:
            logger.warning("bring: label %s not fetched (%s); keeping its link", label.url, exc)
            return label
        if not content.startswith(b"%PDF-"):
            logger.warning("bring: label %s is not a PDF; keeping its link", label.url)
            return label
        return dataclasses.replace(label, content=content)

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        """The consignment booked with ``reference``, found by the Tracking API's reference
        search (the sender reference). Bookings made in test mode are never found."""
        data = self.client.tracking(
            base_url=self.base_url(agreement),
            agreement=agreement,
            params=mappers.find_booking_request(reference),
            operation="find_booking",
        )
        return mappers.parse_find_booking(data, reference=reference)

    # --- tracking ---------------------------------------------------------------------------

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        """Events oldest first; an unknown number raises ``CarrierRejected`` ("No shipments
        found", Bring's text)."""
        data = self.client.tracking(
            base_url=self.base_url(agreement),
            agreement=agreement,
            params=mappers.tracking_request(tracking_number),
            operation="tracking",
        )
        return mappers.parse_tracking(data)
