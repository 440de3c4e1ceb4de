"""The carrier adapter contract.

An adapter receives frozen dataclasses (carriers/types.py) and explicit credentials, and
returns dataclasses. It never touches the ORM or the HTTP request, so the checkout can run
several adapters concurrently in worker threads under one deadline. All HTTP goes through
``carriers.http.CarrierHttp`` (timeouts, tracing, redaction, error mapping).
"""

from __future__ import annotations

import enum
from abc import ABC
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.conf import settings

from .declaration import CarrierDeclaration, Operation
from .exceptions import OperationNotSupported
from .reader import JsonReader
from .types import (
    AgreementCredentials,
    Booking,
    BookingRequest,
    DeliveryEstimate,
    ProductQuery,
    Quote,
    QuoteRequest,
    TrackingEvent,
    TrackingUpdate,
)


class Capability(enum.StrEnum):
    QUOTE = "quote"
    LOCATIONS = "locations"
    TIMESLOTS = "timeslots"
    PRICES = "prices"
    BOOKING = "booking"
    CANCEL = "cancel"
    TRACKING = "tracking"


#: The operations ``manage.py carrier_parse`` understands.
PARSE_OPERATIONS = (
    "service_points",
    "availability",
    "timeslots",
    "prices",
    "booking",
    "label",
    "tracking",
    "error",
)


def json_parsers(
    read: JsonReader, **operations: Callable[[Any], Any]
) -> dict[str, Callable[[bytes], Any]]:
    """``parsers`` for an adapter whose parsers take parsed JSON: each reads the body first."""

    def body_parser(parse: Callable[[Any], Any]) -> Callable[[bytes], Any]:
        return lambda body: parse(read.load(body))

    return {operation: body_parser(parse) for operation, parse in operations.items()}


def tracking_updates(pairs: list[tuple[str, TrackingEvent]]) -> list[TrackingUpdate]:
    """(tracking number, event) pairs of one webhook as one update per parcel, in the order the
    parcels first appear, each parcel's events oldest first."""
    grouped: dict[str, list[TrackingEvent]] = {}
    for number, event in pairs:
        grouped.setdefault(number, []).append(event)
    return [
        TrackingUpdate(number, tuple(sorted(events, key=lambda e: e.at)))
        for number, events in grouped.items()
    ]


class CarrierAdapter(ABC):
    #: Everything particular to the carrier (carriers/declaration.py); ``slug``, ``name`` and
    #: ``products`` follow from it.
    declaration: ClassVar[CarrierDeclaration | None] = None
    slug: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.QUOTE})
    #: product code -> human name, for the admin and for carrier_product in Klarna answers.
    products: ClassVar[dict[str, str]] = {}
    #: The carrier's own hosts: {"live": "https://…", "test": "https://…"}.
    hosts: ClassVar[dict[str, str]] = {}
    #: Its other hosts a call may go to (host patterns or URLs, carriers/hosts.py): other APIs
    #: of the carrier, the host its label links point at. With ``hosts``, the carrier's default
    #: allow-list (``CARRIER_ALLOWED_HOSTS`` replaces it).
    other_hosts: ClassVar[tuple[str, ...]] = ()
    #: Where the carrier stores the label PDFs its links lead to, when not on its own hosts:
    #: fetched for labels only (a GET carrying no secret of the agreement), never called else.
    label_hosts: ClassVar[tuple[str, ...]] = ()
    #: True when sending the same booking (same reference) twice leaves one shipment at the
    #: carrier (an upsert by our reference), so a lost answer can simply be sent again.
    idempotent_booking: ClassVar[bool] = False
    #: operation (PARSE_OPERATIONS) -> parser of a saved carrier response body (bytes).
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declaration = cls.__dict__.get("declaration")
        if declaration is not None:
            cls.slug = declaration.slug
            cls.name = declaration.name
            cls.products = declaration.product_names

    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        """One Quote per ``request.products`` entry, in the same order.

        Each says whether the product is available for the recipient, and carries its
        locations, timeslots, agreement price and delivery estimate where asked and known.
        The skeleton is the same for every carrier: a product the declaration does not know,
        does not deliver to the asked kind or not to the recipient's country is refused here;
        a preview (no postal code yet) is answered from the declaration without a call; the
        rest go to ``quote_products`` together.
        """
        country = request.recipient.country.strip().upper()
        answers: list[Quote | None] = []
        asked: list[ProductQuery] = []
        for query in request.products:
            refusal = self.quote_refusal(query=query, country=country)
            if refusal:
                answers.append(Quote(product=query.code, available=False, reason=refusal))
            elif not request.recipient.postal_code.strip():
                answers.append(self.quote_preview(query=query))
            else:
                answers.append(None)
                asked.append(query)
        if asked:
            quoted = self.quote_products(request=request, products=tuple(asked))
            if len(quoted) != len(asked):
                raise RuntimeError(
                    f"{self.slug}: quote_products answered {len(quoted)} quotes for "
                    f"{len(asked)} products"
                )
            rest = iter(quoted)
            answers = [answer if answer is not None else next(rest) for answer in answers]
        return [answer for answer in answers if answer is not None]

    def quote_refusal(self, *, query: ProductQuery, country: str) -> str:
        """Why the declaration alone rules this product out here; "" when it does not."""
        declaration = self.declaration
        if declaration is None:
            return ""
        product = declaration.product(query.code)
        if product is None:
            return "unknown product"
        if query.kind not in product.kinds:
            return f"product does not deliver to {query.kind.value}"
        if country not in (product.countries or declaration.countries):
            return "country not served"
        return ""

    def quote_preview(self, *, query: ProductQuery) -> Quote:
        """A product offered before the postal code is known: the declared estimate."""
        product = self.declaration.product(query.code) if self.declaration else None
        estimate = product.estimate if product is not None else None
        return Quote(
            product=query.code,
            available=True,
            delivery=DeliveryEstimate(*estimate) if estimate else None,
        )

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        """The carrier's calls for the products the skeleton left: one Quote per entry of
        ``products``, in order. The recipient has a postal code."""
        raise NotImplementedError

    def book(self, *, request: BookingRequest) -> Booking:
        raise OperationNotSupported(f"{self.slug} cannot book", carrier=self.slug)

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        """The booking made with ``reference``, if the carrier can look it up (reconciliation
        after a timeout); None when it has none."""
        raise OperationNotSupported(f"{self.slug} cannot look bookings up", carrier=self.slug)

    def cancel(self, *, agreement: AgreementCredentials, booking: Booking) -> None:
        raise OperationNotSupported(
            self.cancel_refusal(agreement=agreement, booking=booking), carrier=self.slug
        )

    def cancel_refusal(self, *, agreement: AgreementCredentials, booking: Booking) -> str:
        """Why this booking cannot be cancelled through the carrier's API, said before any call
        (staff see it on the shipment instead of a cancel button); "" when it can."""
        if self.declaration is not None and not self.declaration.supports(Operation.CANCEL):
            return f"{self.name} offers no cancel through its API"
        if type(self).cancel is CarrierAdapter.cancel:
            return f"{self.name} offers no cancel through its API"
        return ""

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        raise OperationNotSupported(f"{self.slug} cannot track", carrier=self.slug)

    #: True when the carrier pushes tracking events (webhooks) that ``parse_webhook`` reads:
    #: the agreement then gets a webhook URL (``/webhooks/<slug>/<token>``).
    pushes_tracking: ClassVar[bool] = False

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]:
        """The parcels and events of a webhook body the carrier pushed; an unreadable body
        raises ``CarrierResponseInvalid``."""
        raise OperationNotSupported(f"{self.slug} pushes no tracking", carrier=self.slug)

    def product_name(self, code: str) -> str:
        return self.products.get(code, code)

    def own_hosts(self) -> tuple[str, ...]:
        """The carrier's own hosts: its live and test hosts and ``other_hosts``."""
        return (*self.hosts.values(), *self.other_hosts)

    def base_url(self, agreement: AgreementCredentials) -> str:
        """Where to call: the agreement's override, else settings, else the carrier's host.

        ``CARRIER_BASE_URLS`` may name a host per carrier and mode (``{"postnord": {"test":
        "…"}}``); ``CARRIER_SANDBOX_URL`` points every carrier at the local sandbox.
        """
        if agreement.base_url:
            return agreement.base_url.rstrip("/")
        mode = "test" if agreement.test_mode else "live"
        configured = settings.CARRIER_BASE_URLS.get(self.slug, {}).get(mode)
        if configured:
            return str(configured).rstrip("/")
        if settings.CARRIER_SANDBOX_URL:
            return f"{settings.CARRIER_SANDBOX_URL.rstrip('/')}/{self.slug}"
        return self.hosts[mode].rstrip("/")
