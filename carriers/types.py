"""Frozen value types exchanged between the checkout and the carrier adapters.

They are not slotted: cached carrier answers are unpickled on every options call, and a frozen
slotted dataclass unpickles through a generic ``__setstate__`` several times slower.

Units are explicit: money in integer minor units with an ISO 4217 currency, weight in grams,
dimensions in millimetres, datetimes aware. Adapters receive and return only these types.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


class LocationKind(enum.StrEnum):
    SERVICE_POINT = "service_point"
    LOCKER = "locker"
    STORE = "store"


class ProductKind(enum.StrEnum):
    """What a carrier product delivers to; mirrors the option kinds a merchant configures."""

    HOME = "home"
    LOCKER = "locker"
    PICKUP_POINT = "pickup_point"
    MAILBOX = "mailbox"


@dataclass(frozen=True)
class Address:
    """A (possibly partial) address: previews may carry only a country, or nothing."""

    country: str = ""
    postal_code: str = ""
    city: str = ""
    street_address: str = ""
    street_address2: str = ""
    region: str = ""


@dataclass(frozen=True)
class Coordinates:
    lat: float
    lng: float


@dataclass(frozen=True)
class OpeningHours:
    """One opening interval; ``weekday`` 0 = Monday … 6 = Sunday, local times."""

    weekday: int
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    kind: LocationKind
    address: Address
    coordinates: Coordinates | None = None
    opening_hours: tuple[OpeningHours, ...] = ()
    distance_m: int | None = None
    #: Opaque carrier data the booking needs back (e.g. DHL's access-point type, Instabox's
    #: sort code); strings only, stored with the reservation.
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Timeslot:
    id: str
    start: dt.datetime
    end: dt.datetime
    cutoff: dt.datetime | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class DeliveryEstimate:
    """Business days from today and an optional clock window, as Klarna renders them."""

    earliest_days: int | None = None
    latest_days: int | None = None
    cutoff: dt.time | None = None
    time_of_day_start: dt.time | None = None
    time_of_day_end: dt.time | None = None


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str


@dataclass(frozen=True)
class AgreementCredentials:
    """What an adapter needs of a merchant's agreement; never logged (see carriers/http.py)."""

    agreement_id: int
    customer_number: str
    credentials: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    test_mode: bool = True
    merchant_id: int = 0
    #: Overrides the carrier's host for this agreement (the carrier sandbox, a proxy).
    base_url: str = ""

    def __repr__(self) -> str:  # secrets never reach a log line through repr()
        return (
            f"AgreementCredentials(agreement_id={self.agreement_id}, "
            f"customer_number={self.customer_number!r}, test_mode={self.test_mode})"
        )

    def secret_values(self) -> tuple[str, ...]:
        """Every credential value, so transport can redact them wherever they appear."""
        return tuple(str(v) for v in self.credentials.values() if v and len(str(v)) >= 4)


@dataclass(frozen=True)
class ProductQuery:
    """One carrier product the checkout wants quoted."""

    code: str
    kind: ProductKind
    wants_locations: bool = False
    wants_timeslots: bool = False


@dataclass(frozen=True)
class QuoteRequest:
    merchant_ref: str
    agreement: AgreementCredentials
    products: tuple[ProductQuery, ...]
    recipient: Address
    parcels: tuple[Parcel, ...]
    currency: str
    now: dt.datetime
    max_locations: int = 10
    #: Where parcels leave from (the merchant's sender address), for transit times and routes.
    sender: Address = Address()


@dataclass(frozen=True)
class Quote:
    """A carrier's answer for one product: is it available here, where, when, at what price."""

    product: str
    available: bool
    locations: tuple[Location, ...] = ()
    timeslots: tuple[Timeslot, ...] = ()
    price: Money | None = None
    delivery: DeliveryEstimate | None = None
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""  # E.164
    email: str = ""
    company: str = ""


class AddonType(enum.StrEnum):
    """The add-on vocabulary of the carrier contract: what a shop configures and an adapter
    translates into its carrier's services."""

    SMS = "sms"
    ENTRY_CODE = "entry-code"
    CARRY_IN = "carry-in"
    LEAVE_AT_DOOR = "leave-at-door"
    SIGNATURE = "signature"
    INSURANCE = "insurance"
    OTHER = "other"


@dataclass(frozen=True)
class AddonChoice:
    """An add-on the shopper chose: ``type`` as configured (sms, entry-code, …) and its input."""

    type: str
    text: str = ""


@dataclass(frozen=True)
class BookingRequest:
    """Everything a carrier needs to book one shipment.

    ``reference`` is stable per shipment (the gateway's shipment id): carriers that keep it let
    a retry find the first booking instead of making a second.
    """

    reference: str
    agreement: AgreementCredentials
    product: str
    kind: ProductKind
    sender: Contact
    sender_address: Address
    recipient: Contact
    recipient_address: Address
    parcels: tuple[Parcel, ...]
    location: Location | None = None
    timeslot: Timeslot | None = None
    addons: tuple[AddonChoice, ...] = ()
    order_reference: str = ""
    shipping_date: dt.date | None = None


@dataclass(frozen=True)
class Label:
    content: bytes = b""
    url: str = ""
    format: str = "pdf"


@dataclass(frozen=True)
class Booking:
    carrier_shipment_id: str
    tracking_numbers: tuple[str, ...]
    tracking_url: str = ""
    labels: tuple[Label, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


class TrackingStatus(enum.StrEnum):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED = "returned"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TrackingEvent:
    at: dt.datetime
    status: TrackingStatus
    carrier_code: str = ""
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class TrackingUpdate:
    """What a carrier pushed (a webhook) about one of its parcels: its events, oldest first."""

    tracking_number: str
    events: tuple[TrackingEvent, ...]


@dataclass(frozen=True)
class CarrierMessage:
    """A carrier's own error text, kept verbatim."""

    code: str
    text: str
