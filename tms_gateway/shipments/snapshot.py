"""The shipment's selection snapshot: what the shopper chose, exactly as validated.

``Shipment.selection`` stores it as JSON (the option row may change later); this module is the
only one that knows its keys. ``SelectionSnapshot.to_json`` writes what reservation stores,
``SelectionSnapshot.from_json`` reads it back leniently: a row stored before a key existed
loads with that key's default. Queries filter on the stored keys through the lookups below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.db.models import Q, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf

from carriers.types import Address, Coordinates, Location, LocationKind, Timeslot
from merchants.models import Carrier

#: Database lookups of the stored carrier slug and option code (``KT()``, ``values()``).
CARRIER_LOOKUP = "selection__carrier"
OPTION_ID_LOOKUP = "selection__option_id"
_ADDRESS_KEYS = frozenset(f.name for f in fields(Address))


def carrier_is(carrier: str) -> Q:
    """Shipments whose selection is with ``carrier`` (a slug, or ``Carrier.GENERIC``)."""
    return Q(**{CARRIER_LOOKUP: carrier})


def option_is(option_id: str) -> Q:
    """Shipments whose selection is the option with code ``option_id``."""
    return Q(**{OPTION_ID_LOOKUP: option_id})


def selection_export_values() -> dict[str, Any]:
    """The selection's option code, option name, carrier and carrier product as text the
    database extracts (for ``values()``: a big export parses no JSON in Python), with the same
    fallback as :meth:`SelectionSnapshot.from_json` for rows that call the code "code"."""
    return {
        "selection_option_code": Coalesce(
            NullIf(KT(OPTION_ID_LOOKUP), Value("")),
            KT("selection__code"),
            Value(""),
            output_field=TextField(),
        ),
        "selection_option_name": KT("selection__name"),
        "selection_carrier_slug": KT(CARRIER_LOOKUP),
        "selection_carrier_product": KT("selection__carrier_product"),
    }


def _str(data: dict[str, Any], key: str) -> str:
    return str(data.get(key) or "")


@dataclass(frozen=True)
class LocationSnapshot:
    id: str = ""
    name: str = ""
    kind: str = ""
    address: Address = field(default_factory=Address)
    coordinates: Coordinates | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_location(cls, location: Location) -> LocationSnapshot:
        return cls(
            id=location.id,
            name=location.name,
            kind=str(location.kind),
            address=location.address,
            coordinates=location.coordinates,
            extra=dict(location.extra),
        )

    def to_location(self) -> Location:
        """The location as the carrier gets it back at booking."""
        return Location(
            id=self.id,
            name=self.name,
            kind=LocationKind(self.kind or LocationKind.SERVICE_POINT),
            address=self.address,
            coordinates=self.coordinates,
            extra=dict(self.extra),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "address": asdict(self.address),
            "coordinates": asdict(self.coordinates) if self.coordinates else None,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LocationSnapshot:
        address = data.get("address") or {}
        coordinates = data.get("coordinates")
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            kind=_str(data, "kind"),
            address=Address(**{k: v for k, v in address.items() if k in _ADDRESS_KEYS}),
            coordinates=Coordinates(**coordinates) if coordinates else None,
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class TimeslotSnapshot:
    """Start and end as stored: ISO 8601 in the slot's own time zone."""

    id: str = ""
    start: str = ""
    end: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_timeslot(cls, timeslot: Timeslot) -> TimeslotSnapshot:
        return cls(
            id=timeslot.id,
            start=timeslot.start.isoformat(),
            end=timeslot.end.isoformat(),
            extra=dict(timeslot.extra),
        )

    def to_timeslot(self) -> Timeslot:
        """The time slot as the carrier gets it back at booking (ValueError if unreadable)."""
        return Timeslot(
            id=self.id,
            start=dt.datetime.fromisoformat(self.start),
            end=dt.datetime.fromisoformat(self.end),
            extra=dict(self.extra),
        )

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "start": self.start, "end": self.end, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimeslotSnapshot:
        return cls(
            id=_str(data, "id"),
            start=_str(data, "start"),
            end=_str(data, "end"),
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class AddonSnapshot:
    """A chosen add-on with the shopper's input (``text``)."""

    id: str = ""
    type: str = ""
    price: int = 0
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "price": self.price, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AddonSnapshot:
        return cls(
            id=_str(data, "id"),
            type=_str(data, "type"),
            price=int(data.get("price") or 0),
            text=_str(data, "text"),
        )


@dataclass(frozen=True)
class SelectionSnapshot:
    option_id: str = ""
    name: str = ""
    kind: str = ""
    carrier: str = ""
    carrier_product: str = ""
    carrier_product_name: str = ""
    service_class: str = ""
    #: The option's own price, before add-ons (None only in a row that never stored it).
    option_price: int | None = None
    location: LocationSnapshot | None = None
    timeslot: TimeslotSnapshot | None = None
    addons: tuple[AddonSnapshot, ...] = ()

    @property
    def own_delivery(self) -> bool:
        """The shop's own option (store pickup, own courier; carrier ``Carrier.GENERIC``):
        nothing to book, cancel or track at a carrier."""
        return self.carrier == Carrier.GENERIC

    def to_json(self) -> dict[str, Any]:
        return {
            "option_id": self.option_id,
            "name": self.name,
            "kind": self.kind,
            "carrier": self.carrier,
            "carrier_product": self.carrier_product,
            "carrier_product_name": self.carrier_product_name,
            "service_class": self.service_class,
            "option_price": self.option_price,
            "location": self.location.to_json() if self.location else None,
            "timeslot": self.timeslot.to_json() if self.timeslot else None,
            "addons": [a.to_json() for a in self.addons],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SelectionSnapshot:
        data = data or {}
        location = data.get("location")
        timeslot = data.get("timeslot")
        price = data.get("option_price")
        return cls(
            # "code": what the option's code may be called in a row older than "option_id".
            option_id=_str(data, "option_id") or _str(data, "code"),
            name=_str(data, "name"),
            kind=_str(data, "kind"),
            carrier=_str(data, "carrier"),
            carrier_product=_str(data, "carrier_product"),
            carrier_product_name=_str(data, "carrier_product_name"),
            service_class=_str(data, "service_class"),
            option_price=None if price is None else int(price),
            location=LocationSnapshot.from_json(location) if location else None,
            timeslot=TimeslotSnapshot.from_json(timeslot) if timeslot else None,
            addons=tuple(AddonSnapshot.from_json(a) for a in data.get("addons") or ()),
        )
