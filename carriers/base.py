"""The carrier adapter contract.

An adapter receives frozen dataclasses (carriers/types.py) and explicit credentials, and
returns dataclasses. It never touches the ORM or the HTTP request, so the checkout can run
several adapters concurrently in worker threads under one deadline.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from typing import ClassVar

from .exceptions import OperationNotSupported
from .types import Booking, BookingRequest, Quote, QuoteRequest, TrackingEvent


class Capability(enum.StrEnum):
    QUOTE = "quote"
    LOCATIONS = "locations"
    TIMESLOTS = "timeslots"
    BOOKING = "booking"
    CANCEL = "cancel"
    TRACKING = "tracking"


class CarrierAdapter(ABC):
    slug: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.QUOTE})
    #: product code -> human name, for the admin and for carrier_product in Klarna answers.
    products: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        """One Quote per ``request.products`` entry, in the same order.

        Each says whether the product is available for the recipient, and carries its
        locations, timeslots, agreement price and delivery estimate where asked and known.
        """

    def book(self, *, request: BookingRequest) -> Booking:
        raise OperationNotSupported(f"{self.slug} cannot book", carrier=self.slug)

    def cancel(self, *, request: BookingRequest, carrier_shipment_id: str) -> None:
        raise OperationNotSupported(f"{self.slug} cannot cancel", carrier=self.slug)

    def track(self, *, request: BookingRequest, tracking_number: str) -> list[TrackingEvent]:
        raise OperationNotSupported(f"{self.slug} cannot track", carrier=self.slug)

    def product_name(self, code: str) -> str:
        return self.products.get(code, code)
