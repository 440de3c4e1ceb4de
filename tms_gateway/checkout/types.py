"""The checkout's own view of a Klarna session and of the options it builds.

``tms_gateway.ksa`` translates Klarna's field names into these types and back; nothing below
knows Klarna's wire names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from carriers.types import Address, DeliveryEstimate, Location, Timeslot


@dataclass(frozen=True, slots=True)
class OrderLine:
    quantity: int = 1
    type: str = "physical"
    reference: str = ""
    unit_weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    id: str = ""
    tags: tuple[str, ...] = ()
    total_amount: int | None = None
    total_weight_g: int | None = None
    lines: tuple[OrderLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Recipient:
    address: Address = Address()
    given_name: str = ""
    family_name: str = ""
    company_name: str = ""
    care_of: str = ""
    email: str = ""
    phone: str = ""
    customer_type: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    """One Klarna checkout session as the checkout sees it."""

    currency: str
    locale: str
    session_id: str = ""
    order: Order = Order()
    recipient: Recipient = Recipient()

    @property
    def language(self) -> str:
        return self.locale.split("-")[0].lower() if self.locale else ""


@dataclass(frozen=True, slots=True)
class AddonSelection:
    id: str
    selected: bool = True
    text: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    """What the shopper chose, as Klarna sends it on POST/PUT /shipment."""

    option_id: str
    location_id: str = ""
    timeslot_id: str = ""
    addons: tuple[AddonSelection, ...] = ()


@dataclass(frozen=True, slots=True)
class OfferedAddon:
    id: str
    type: str
    name: str
    price: int
    preselected: bool
    required: bool
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class OfferedOption:
    """One option as it will be shown to the shopper."""

    option_pk: int
    id: str
    kind: str
    carrier: str
    carrier_product: str
    carrier_product_name: str
    service_class: str
    name: str
    description: str
    price: int
    tax_rate: int
    delivery: DeliveryEstimate
    locations: tuple[Location, ...] = ()
    timeslots: tuple[Timeslot, ...] = ()
    addons: tuple[OfferedAddon, ...] = ()
    preselected: bool = False
    preview: bool = False
    from_fallback: bool = False
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class SkippedOption:
    """A configured option that was not offered, and why (the preview explains these)."""

    id: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CarrierOutcome:
    carrier: str
    agreement_id: int | None
    ok: bool
    duration_ms: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class RememberedChoice:
    """A returning shopper's last choice, applied to this answer (tms_gateway/shoppers).

    ``reason`` names what recognised the shopper: "email" or "phone"; ``pickup_point_id`` is
    "" unless the remembered pickup point is offered again (and now first in its list);
    ``chosen_at`` is when the shopper last confirmed that choice.
    """

    option_id: str
    pickup_point_id: str
    reason: str
    chosen_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ExperimentAssignment:
    """The variant of the shop's running experiment a checkout gets (tms_gateway/experiments)."""

    experiment_id: int
    variant: str


@dataclass(frozen=True, slots=True)
class OptionsResult:
    options: tuple[OfferedOption, ...]
    skipped: tuple[SkippedOption, ...] = ()
    carriers: tuple[CarrierOutcome, ...] = ()
    built_at: dt.datetime | None = None
    experiment: ExperimentAssignment | None = None
    remembered: RememberedChoice | None = None


@dataclass(frozen=True, slots=True)
class ValidatedSelection:
    """A selection checked against a fresh computation, ready to be stored."""

    option: OfferedOption
    location: Location | None
    timeslot: Timeslot | None
    addons: tuple[tuple[OfferedAddon, str], ...] = field(default=())
    price: int = 0
