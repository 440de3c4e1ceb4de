"""The shipment's selection snapshot: one typed value, one module that knows its JSON keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from carriers.types import Address, Coordinates
from merchants.models import Carrier, Merchant
from tests.conftest import Sandbox
from tests.factories import ShipmentFactory
from tms_gateway.checkout.types import AddonSelection
from tms_gateway.shipments.snapshot import (
    AddonSnapshot,
    LocationSnapshot,
    SelectionSnapshot,
    TimeslotSnapshot,
)

from .helpers import offered

ROOT = Path(__file__).resolve().parents[2]
STORED: dict[str, Any] = {
    "option_id": "postnord-service-point",
    "name": "PostNord service point",
    "kind": "pickup_point",
    "carrier": "postnord",
    "carrier_product": "19",
    "carrier_product_name": "MyPack Collect",
    "service_class": "standard",
    "option_price": 4900,
    "location": {
        "id": "SE-1234",
        "name": "ICA Nära Kungsgatan",
        "kind": "service_point",
        "address": {
            "country": "SE",
            "postal_code": "11151",
            "city": "Stockholm",
            "street_address": "Kungsgatan 1",
            "street_address2": "",
            "region": "",
        },
        "coordinates": {"lat": 59.33, "lng": 18.06},
        "extra": {"route": "7"},
    },
    "timeslot": {
        "id": "slot-2",
        "start": "2026-11-27T17:00:00+01:00",
        "end": "2026-11-27T22:00:00+01:00",
        "extra": {},
    },
    "addons": [
        {"id": "sms-notice", "type": "sms", "price": 0, "text": ""},
        {"id": "door-code", "type": "entry-code", "price": 500, "text": "4711#"},
    ],
}


def test_a_stored_selection_reads_as_its_typed_value_and_writes_back_exactly() -> None:
    # when
    snapshot = SelectionSnapshot.from_json(STORED)

    # then
    assert snapshot == SelectionSnapshot(
        option_id="postnord-service-point",
        name="PostNord service point",
        kind="pickup_point",
        carrier="postnord",
        carrier_product="19",
        carrier_product_name="MyPack Collect",
        service_class="standard",
        option_price=4900,
        location=LocationSnapshot(
            id="SE-1234",
            name="ICA Nära Kungsgatan",
            kind="service_point",
            address=Address(
                country="SE", postal_code="11151", city="Stockholm", street_address="Kungsgatan 1"
            ),
            coordinates=Coordinates(lat=59.33, lng=18.06),
            extra={"route": "7"},
        ),
        timeslot=TimeslotSnapshot(
            id="slot-2", start="2026-11-27T17:00:00+01:00", end="2026-11-27T22:00:00+01:00"
        ),
        addons=(
            AddonSnapshot(id="sms-notice", type="sms", price=0),
            AddonSnapshot(id="door-code", type="entry-code", price=500, text="4711#"),
        ),
    )
    assert snapshot.to_json() == STORED
    assert list(snapshot.to_json()) == list(STORED)


def test_a_home_delivery_without_location_or_timeslot_round_trips_exactly() -> None:
    stored = {**STORED, "location": None, "timeslot": None, "addons": []}

    assert SelectionSnapshot.from_json(stored).to_json() == stored


def test_an_old_row_with_missing_optional_keys_still_loads_with_defaults() -> None:
    # given: a row stored before the product name, service class, price, coordinates, extras
    # and add-on texts were kept
    old = {
        "option_id": "store-pickup",
        "name": "Pick up in store",
        "kind": "store",
        "carrier": "generic",
        "carrier_product": "",
        "location": {"id": "store-1", "name": "Our shop", "address": {"country": "SE"}},
        "timeslot": {"id": "t1", "start": "2026-11-27T10:00:00+01:00"},
        "addons": [{"id": "gift", "type": "gift-wrap"}],
    }

    # when
    snapshot = SelectionSnapshot.from_json(old)

    # then
    assert snapshot == SelectionSnapshot(
        option_id="store-pickup",
        name="Pick up in store",
        kind="store",
        carrier="generic",
        location=LocationSnapshot(id="store-1", name="Our shop", address=Address(country="SE")),
        timeslot=TimeslotSnapshot(id="t1", start="2026-11-27T10:00:00+01:00"),
        addons=(AddonSnapshot(id="gift", type="gift-wrap"),),
    )
    assert snapshot.own_delivery
    assert snapshot.carrier == Carrier.GENERIC


def test_a_row_that_called_the_option_code_code_still_names_its_option() -> None:
    assert SelectionSnapshot.from_json({"code": "home"}).option_id == "home"
    assert SelectionSnapshot.from_json({}) == SelectionSnapshot()


@pytest.mark.django_db
def test_a_reservation_stores_exactly_what_its_snapshot_writes(
    demo: Merchant, sandbox: Sandbox
) -> None:
    # given: a choice with a location, and one with a time slot and add-ons
    point = offered(demo, "postnord-service-point").locations[1]
    slot = offered(demo, "budbee-home").timeslots[1]
    at_point = ShipmentFactory.create(
        merchant=demo, option_id="postnord-service-point", location_id=point.id
    )
    at_home = ShipmentFactory.create(
        merchant=demo,
        option_id="budbee-home",
        timeslot_id=slot.id,
        addons=(AddonSelection("sms-notice"), AddonSelection("door-code", text="4711#")),
        session_id="s-2",
    )

    # then
    for shipment in (at_point, at_home):
        shipment.refresh_from_db()
        assert shipment.snapshot.to_json() == shipment.selection
    assert at_point.snapshot.location is not None
    location = at_point.snapshot.location.to_location()
    assert (location.id, location.kind, location.address, location.coordinates) == (
        point.id,
        point.kind,
        point.address,
        point.coordinates,
    )
    assert location.extra == point.extra
    assert at_home.snapshot.timeslot is not None
    assert at_home.snapshot.timeslot.to_timeslot().start == slot.start
    assert [a.id for a in at_home.snapshot.addons] == ["sms-notice", "door-code"]


# A shipment's selection read by key: ``selection["carrier"]``, ``shipment.selection.get(…)``,
# or a local copy of it (``chosen = shipment.selection``, then ``chosen["kind"]``).
SELECTION_READ = re.compile(r"""\.selection\s*(\[|\.get\(|or\b)|=\s*\w+\.selection\s*$""", re.M)


def test_no_module_but_the_snapshot_reads_the_keys_of_a_shipments_selection() -> None:
    # given: every source file (the simulator's own ``state.selection`` is Klarna's option)
    sources = [
        path
        for package in ("tms_gateway", "merchants", "carriers")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]
    allowed = {
        ROOT / "tms_gateway/shipments/snapshot.py",
        ROOT / "tms_gateway/ksa/simulator.py",
    }

    # when
    readers = sorted(
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in sources
        if path not in allowed
        for text in [path.read_text(encoding="utf-8")]
        for m in SELECTION_READ.finditer(text)
    )

    # then
    assert len(sources) > 100
    assert readers == []


def test_the_scan_finds_a_reader_by_key() -> None:
    for line in (
        'carrier = shipment.selection["carrier"]',
        'slug = obj.selection.get("carrier")',
        "selection = shipment.selection or {}",
        "chosen = shipment.selection",
    ):
        assert SELECTION_READ.search(line), line
    for line in (
        "chosen = shipment.snapshot",
        "return SelectionSnapshot.from_json(self.selection)",
    ):
        assert not SELECTION_READ.search(line), line
