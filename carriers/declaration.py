"""What a carrier is, declared once in its own package.

Every module that needs to know which carriers exist (the admin's agreement form, "check
connection", the Klarna serializer, trace redaction, the sandbox, the demo, the portal's
labels) reads these declarations from the registry (``carriers.registry.declarations()``);
no other module lists carriers. A sixth carrier is one new package that declares itself and one
line of ``CARRIER_ADAPTERS``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .types import ProductKind


class Operation(enum.StrEnum):
    """The carrier operations the fidelity table (carriers/FIDELITY.md) has a row for."""

    SERVICE_POINTS = "service_points"
    AVAILABILITY = "availability"
    ETA = "eta"
    TIMESLOTS = "timeslots"
    PRICES = "prices"
    BOOKING = "booking"
    LABEL = "label"
    LABEL_REPRINT = "label_reprint"
    CANCEL = "cancel"
    FIND_BOOKING = "find_booking"
    TRACKING = "tracking"
    ERRORS = "errors"

    @property
    def label(self) -> str:
        return _OPERATION_LABELS[self]


_OPERATION_LABELS = {
    Operation.SERVICE_POINTS: "service points / lockers",
    Operation.AVAILABILITY: "availability",
    Operation.ETA: "ETA / transit time",
    Operation.TIMESLOTS: "time slots",
    Operation.PRICES: "prices",
    Operation.BOOKING: "booking",
    Operation.LABEL: "label",
    Operation.LABEL_REPRINT: "label reprint",
    Operation.CANCEL: "cancel",
    Operation.FIND_BOOKING: "find booking by reference",
    Operation.TRACKING: "tracking",
    Operation.ERRORS: "error bodies",
}


class Verdict(enum.StrEnum):
    """How far an operation's request and response were checked against what the carrier
    publishes (carriers/FIDELITY.md says against what)."""

    VERIFIED = "verified"
    INFERRED = "inferred"
    UNVERIFIED = "unverified"
    #: The carrier offers no such operation, or we do not call it.
    NOT_OFFERED = "not offered"


@dataclass(frozen=True)
class CredentialField:
    """One key of an agreement's ``credentials``: how the admin asks for it."""

    key: str
    label: str
    secret: bool = False
    required: bool = False
    help_text: str = ""


@dataclass(frozen=True)
class CarrierProduct:
    code: str
    name: str
    kinds: frozenset[ProductKind]
    #: Klarna's ``carrier`` value for this product when it differs from the carrier's (e.g.
    #: ``budbee-box`` for Budbee's lockers); empty means the carrier's.
    klarna_carrier: str = ""
    #: Recipient countries this product serves; empty means every country of the carrier.
    countries: frozenset[str] = frozenset()
    #: Business days (earliest, latest) shown before the carrier is asked (previews).
    estimate: tuple[int, int] | None = None


@dataclass(frozen=True)
class CarrierDeclaration:
    slug: str
    #: The carrier's name as partner staff, shops and shoppers read it.
    name: str
    credentials: tuple[CredentialField, ...]
    #: Recipient countries served, and the country a connection check asks about by default.
    countries: frozenset[str]
    home_country: str
    products: tuple[CarrierProduct, ...]
    #: The product "check connection" quotes when the shop has no option of this carrier.
    check_product: str
    #: Klarna's ``carrier`` enum value (its logo); settings ``KLARNA_CARRIER_VALUES`` may
    #: override it per deployment (contract section 0).
    klarna_carrier: str
    #: The name Klarna shows as ``shipping_company`` with the tracking number.
    shipping_company: str = ""
    #: Request headers (lower case) whose values never reach a trace.
    secret_headers: frozenset[str] = frozenset()
    #: Dotted path of the carrier's imitation in the local sandbox (a ``CarrierSandbox``);
    #: empty means ``carriers.sandbox.<slug>.sandbox`` when that exists, else none.
    sandbox: str = ""
    #: How each operation was checked against a published source (carriers/FIDELITY.md).
    fidelity: dict[Operation, Verdict] = field(default_factory=dict, hash=False, compare=False)

    def product(self, code: str) -> CarrierProduct | None:
        return next((p for p in self.products if p.code == code), None)

    @property
    def product_names(self) -> dict[str, str]:
        return {p.code: p.name for p in self.products}

    @property
    def secret_credential_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.credentials if f.secret)

    def supports(self, operation: Operation) -> bool:
        return self.fidelity.get(operation, Verdict.UNVERIFIED) is not Verdict.NOT_OFFERED

    @property
    def unverified(self) -> tuple[Operation, ...]:
        """Operations we call that no published source confirms."""
        return tuple(op for op in Operation if self.fidelity.get(op) is Verdict.UNVERIFIED)
