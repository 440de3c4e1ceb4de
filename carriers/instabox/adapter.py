"""The Instabox adapter: checkout quotes and two-step bookings over the new Instabee API."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from carriers.base import Capability, CarrierAdapter, json_parsers, tracking_updates
from carriers.cache import cached
from carriers.calendar import business_days_between, local_today, zone_for
from carriers.exceptions import CarrierError, CarrierRejected, OperationNotSupported
from carriers.http import CarrierHttp
from carriers.parallel import Lookup, quotes_resolve
from carriers.types import (
    AgreementCredentials,
    Booking,
    BookingRequest,
    CarrierMessage,
    DeliveryEstimate,
    Label,
    ProductQuery,
    Quote,
    QuoteRequest,
    TrackingEvent,
    TrackingUpdate,
)

from . import mappers, units
from .client import InstaboxClient
from .declaration import DECLARATION
from .mappers import SORT_CODE, TOKEN, Availability

logger = logging.getLogger(__name__)


def _rejected(code: str, text: str) -> CarrierRejected:
    return CarrierRejected(
        f"instabox: {text}", carrier="instabox", messages=(CarrierMessage(code, text),)
    )


class InstaboxAdapter(CarrierAdapter):
    """Instabox lockers (``LOCKER_EXPRESS``) and Budbee home delivery (``HOME_DELIVERY``) via
    the Instabee API.

    Credentials: ``{"api_key": "<Instabee API key>"}`` (sent as ``Authorization: ApiKey …``).
    ``customer_number``: the merchant's Instabee parcel-id prefix (may be empty).

    The availability answer's ``availabilityToken`` and each option's ``sortCode`` are what a
    booking needs back: they travel in ``Location.extra`` / ``Timeslot.extra`` (and the token in
    ``Quote.extra``). A booking without them (a reservation that kept only the location's id,
    which is the sort code) asks for availability again to get a token.

    Instabee has no pull tracking, lookup or cancel endpoint: events come by webhook (see
    ``mappers.parse_tracking``), and ``PUT /orders`` is an upsert on the parcel id we derive
    from our reference, so booking again with the same reference updates the same order.
    """

    declaration = DECLARATION
    # PUT /orders is an upsert on the parcel id, which is built from our reference.
    idempotent_booking = True
    capabilities = frozenset(
        {Capability.QUOTE, Capability.LOCATIONS, Capability.TIMESLOTS, Capability.BOOKING}
    )
    hosts: ClassVar[dict[str, str]] = {
        "live": "https://api.integration.instabee.com",
        "test": "https://sandbox-api.integration.instabee.com",
    }
    #: The host of the label links in Instabee's booking answers (fetched without the API key).
    label_hosts = ("labels.integration.instabee.com",)
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {
        **json_parsers(
            mappers.read,
            service_points=mappers.parse_service_points,
            availability=mappers.parse_availability,
            timeslots=mappers.parse_timeslots,
            booking=mappers.parse_booking,
            label=mappers.parse_label,
            tracking=mappers.parse_tracking,
        ),
        "error": mappers.parse_error_body,
    }

    def __init__(self) -> None:
        self.http = CarrierHttp(self.slug, error_parser=mappers.parse_error)
        self.client = InstaboxClient(self.http)

    # -- quote ----------------------------------------------------------------------------------

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        """Availability is asked once per product (and operation) and no product needs
        another's answer: the distinct calls go out together. If several fail, the one of the
        first product asking is raised."""
        plans: list[Quote | Lookup] = [self._plan(query, request) for query in products]
        return quotes_resolve(plans)

    def _plan(self, query: ProductQuery, request: QuoteRequest) -> Lookup:
        """The availability call the product needs (the skeleton already refused the rest)."""
        product = units.PRODUCTS[query.code]
        country = request.recipient.country.strip().upper()
        postal_code = mappers.postal_code_normalise(request.recipient.postal_code)
        if product.locker:
            operation = "service_points"
        else:
            operation = "timeslots" if query.wants_timeslots else "availability"
        return Lookup(
            key=(operation, country, postal_code, query.code),
            call=functools.partial(
                self._availability,
                agreement=request.agreement,
                operation=operation,
                country=country,
                postal_code=postal_code,
                product=query.code,
            ),
            answer=functools.partial(self._answer, query, request, country),
        )

    def _answer(
        self, query: ProductQuery, request: QuoteRequest, country: str, answer: Availability
    ) -> Quote:
        product = units.PRODUCTS[query.code]
        if not answer.served:
            return Quote(
                product=query.code,
                available=False,
                reason="Instabox does not deliver to this postal code",
            )
        if not answer.show_as_option:
            return Quote(
                product=query.code,
                available=False,
                reason="Instabox asks not to show this option now",
            )
        extra = {TOKEN: answer.token} if answer.token else {}
        delivery = _estimate(answer, now=request.now, country=country)
        if product.locker:
            if not answer.lockers:
                return Quote(
                    product=query.code,
                    available=False,
                    reason="no Instabox locker near this postal code",
                )
            # Instabee's order (its example marks the answer "preselection": "RECOMMENDED");
            # it sends no distance to sort by.
            limit = max(0, request.max_locations)
            return Quote(
                product=query.code,
                available=True,
                locations=answer.lockers[:limit] if query.wants_locations else (),
                delivery=delivery,
                extra=extra,
            )
        return Quote(
            product=query.code,
            available=True,
            timeslots=answer.timeslots if query.wants_timeslots else (),
            delivery=delivery,
            extra=extra,
        )

    def _availability(
        self,
        *,
        agreement: AgreementCredentials,
        operation: str,
        country: str,
        postal_code: str,
        product: str,
    ) -> Availability:
        """Instabee's delivery options for one product and postal code, cached (not cart-bound)."""
        base_url = self.base_url(agreement)

        def compute() -> Availability:
            response = self.client.delivery_options(
                base_url=base_url,
                agreement=agreement,
                operation=operation,
                country=country,
                postal_code=postal_code,
                params=mappers.availability_request(product=product),
            )
            if response.status == 404:
                return Availability(served=False)
            if not response.body.strip():  # the standard home check: 200 is the whole answer
                return Availability(served=True)
            return mappers.parse_availability(
                mappers.read.load(response.body),
                country=country,
                home=not units.PRODUCTS[product].locker,
            )

        return cached(
            carrier=self.slug,
            agreement_id=agreement.agreement_id,
            operation=operation,
            params={
                "base_url": base_url,
                "country": country,
                "postal_code": postal_code,
                "product": product,
                "brand": units.PRODUCTS[product].brand,
            },
            compute=compute,
        )

    # -- booking --------------------------------------------------------------------------------

    def book(self, *, request: BookingRequest) -> Booking:
        """Post-purchase (reserve), then post-packing (label), both ``PUT /orders``."""
        product = units.PRODUCTS.get(request.product)
        if product is None:
            raise _rejected("unknown_product", f"Instabox has no product {request.product!r}.")
        if len(request.parcels) != 1:
            # One parcelId per order (and one locker compartment per parcel).
            raise _rejected(
                "one_parcel_per_order",
                f"Instabox books one parcel per order, not {len(request.parcels)}.",
            )
        agreement = request.agreement
        base_url = self.base_url(agreement)
        token, sort_code = self._selection(request)
        parcel_id = mappers.parcel_id(
            customer_number=agreement.customer_number, reference=request.reference
        )
        booking = self._put_order(
            base_url,
            agreement,
            mappers.booking_request(
                request=request, parcel_id=parcel_id, token=token, sort_code=sort_code
            ),
        )
        if not booking.labels:  # not packed yet (a repeated booking answers packed already)
            booking = self._put_order(
                base_url,
                agreement,
                mappers.booking_packing_request(
                    request=request, parcel_id=booking.carrier_shipment_id, token=token
                ),
            )
        labels = tuple(self._label(base_url, agreement, label.url) for label in booking.labels)
        extra = {**booking.extra, TOKEN: token}
        if sort_code:
            extra[SORT_CODE] = sort_code
        return Booking(
            carrier_shipment_id=booking.carrier_shipment_id,
            tracking_numbers=booking.tracking_numbers,
            tracking_url=booking.tracking_url,
            labels=labels,
            extra=extra,
        )

    def _selection(self, request: BookingRequest) -> tuple[str, str]:
        """The availability token and sort code of the shopper's choice."""
        locker = units.PRODUCTS[request.product].locker
        if locker:
            if request.location is None:
                raise _rejected("no_locker", "An Instabox locker delivery needs the chosen locker.")
            chosen = request.location.extra
            sort_code = chosen.get(SORT_CODE) or request.location.id
        else:
            chosen = request.timeslot.extra if request.timeslot else {}
            sort_code = chosen.get(SORT_CODE, "")
        token = chosen.get(TOKEN, "")
        if token:
            return token, sort_code
        address = request.recipient_address
        if locker:
            operation = "service_points"
        else:
            operation = "timeslots" if request.timeslot else "availability"
        answer = self._availability(
            agreement=request.agreement,
            operation=operation,
            country=address.country.strip().upper(),
            postal_code=mappers.postal_code_normalise(address.postal_code),
            product=request.product,
        )
        if not answer.served:
            raise _rejected(
                "not_served", "Instabox does not deliver to the recipient's postal code."
            )
        if request.timeslot and not sort_code:
            same = next((t for t in answer.timeslots if t.id == request.timeslot.id), None)
            sort_code = same.extra.get(SORT_CODE, "") if same else ""
        return answer.token, sort_code

    def _put_order(
        self, base_url: str, agreement: AgreementCredentials, body: dict[str, Any]
    ) -> Booking:
        response = self.client.put_order(base_url=base_url, agreement=agreement, body=body)
        return mappers.parse_booking(mappers.read.load(response.body))

    def _label(self, base_url: str, agreement: AgreementCredentials, url: str) -> Label:
        """The label's PDF; on failure only its link (the parcel is booked all the same)."""
        try:
            response = self.client.label(base_url=base_url, agreement=agreement, url=url)
        except CarrierError as exc:
            logger.warning("instabox: label not downloaded, keeping its link: %s", exc)
            return Label(url=url)
        if not response.body.startswith(b"%PDF-"):
            logger.warning("instabox: the label link answered no PDF; keeping the link")
            return Label(url=url)
        return Label(content=response.body, url=url)

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        raise OperationNotSupported(
            "Instabee has no tracking API to ask: it pushes events by webhook "
            "(parse them with carriers.instabox.mappers.parse_tracking)",
            carrier=self.slug,
        )

    pushes_tracking = True

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]:
        """A webhook body Instabee pushed: home-delivery V2 events or locker checkpoints."""
        return tracking_updates(mappers.parse_webhook(mappers.read.load(body)))


def _estimate(answer: Availability, *, now: dt.datetime, country: str) -> DeliveryEstimate | None:
    """Business days from the shopper's today to the first option's ETA interval, in local
    dates; an ETA on a weekend counts (Instabox lockers are filled at weekends too)."""
    if answer.eta_from is None:
        return None
    zone = zone_for(country)
    today = local_today(now, zone)
    last = answer.eta_to or answer.eta_from
    earliest = business_days_between(
        today, answer.eta_from.astimezone(zone).date(), weekend_end=True
    )
    latest = business_days_between(today, last.astimezone(zone).date(), weekend_end=True)
    return DeliveryEstimate(earliest_days=earliest, latest_days=max(earliest, latest))
