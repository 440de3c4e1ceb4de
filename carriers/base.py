"""The carrier adapter contract.

An adapter receives frozen dataclasses (carriers/types.py) and explicit credentials, and
returns dataclasses. It never touches the ORM or the HTTP request, so the checkout can run
several adapters concurrently in worker threads under one deadline. All HTTP goes through
``carriers.http.CarrierHttp`` (timeouts, tracing, redaction, error mapping).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings

from .exceptions import OperationNotSupported
from .types import AgreementCredentials, Booking, BookingRequest, Quote, QuoteRequest, TrackingEvent


class Capability(enum.StrEnum):
    QUOTE = "quote"
    LOCATIONS = "locations"
    TIMESLOTS = "timeslots"
    PRICES = "prices"
    BOOKING = "booking"
    CANCEL = "cancel"
    TRACKING = "tracking"


#: The operations ``manage.py carrier_parse`` understands.
PARSE_OPERATIONS = ("service_points", "availability", "timeslots", "booking", "tracking", "error")


class CarrierAdapter(ABC):
    slug: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.QUOTE})
    #: product code -> human name, for the admin and for carrier_product in Klarna answers.
    products: ClassVar[dict[str, str]] = {}
    #: The carrier's own hosts: {"live": "https://…", "test": "https://…"}.
    hosts: ClassVar[dict[str, str]] = {}
    #: True when sending the same booking (same reference) twice leaves one shipment at the
    #: carrier (an upsert by our reference), so a lost answer can simply be sent again.
    idempotent_booking: ClassVar[bool] = False
    #: operation (PARSE_OPERATIONS) -> parser of a saved carrier response body (bytes).
    parsers: ClassVar[dict[str, Callable[[bytes], Any]]] = {}

    @abstractmethod
    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        """One Quote per ``request.products`` entry, in the same order.

        Each says whether the product is available for the recipient, and carries its
        locations, timeslots, agreement price and delivery estimate where asked and known.
        """

    def book(self, *, request: BookingRequest) -> Booking:
        raise OperationNotSupported(f"{self.slug} cannot book", carrier=self.slug)

    def find_booking(self, *, agreement: AgreementCredentials, reference: str) -> Booking | None:
        """The booking made with ``reference``, if the carrier can look it up (reconciliation
        after a timeout); None when it has none."""
        raise OperationNotSupported(f"{self.slug} cannot look bookings up", carrier=self.slug)

    def cancel(self, *, agreement: AgreementCredentials, booking: Booking) -> None:
        raise OperationNotSupported(f"{self.slug} cannot cancel", carrier=self.slug)

    def track(
        self, *, agreement: AgreementCredentials, tracking_number: str
    ) -> list[TrackingEvent]:
        raise OperationNotSupported(f"{self.slug} cannot track", carrier=self.slug)

    def product_name(self, code: str) -> str:
        return self.products.get(code, code)

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
