"""Factories for a checkout session and the shipment reserved from it.

A shipment is made the way Klarna makes one: ``shipment_reserve`` validates the selection against
the options the merchant offers now (so the option, its carrier and the merchant's agreements
must exist, e.g. the demo shop), then ``confirmed=True`` confirms it and ``booked=True`` books it
with the carrier (the test's sandbox). Any other keyword is a field of the row, written afterwards
as a later step would (``status``, ``tracking_number``, ``created_at``, ...).

    ShipmentFactory.create(merchant=demo, option_id="postnord-home")  # reserved
    ShipmentFactory.create(merchant=demo, option_id="budbee-home", confirmed=True)
    ShipmentFactory.create(
        merchant=demo, option_id="bring-pickup-point", booked=True, country="NO", postal_code="0150"
    )
"""

from __future__ import annotations

from typing import Any

import factory

from carriers.types import Address
from merchants.models import Merchant
from tms_gateway.checkout.types import (
    AddonSelection,
    Order,
    OrderLine,
    Recipient,
    Selection,
    Session,
)
from tms_gateway.shipments.models import Shipment

#: The currency Klarna sends for a purchase country.
CURRENCIES = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "FI": "EUR", "DE": "EUR"}


def _required(name: str) -> Any:
    def missing(_: Any) -> Any:
        raise TypeError(f"ShipmentFactory needs {name}=")

    return missing


class SessionFactory(factory.Factory[Session]):
    """Klarna's checkout session: a shopper in Stockholm buying two parcels of 600 g."""

    class Meta:
        model = Session

    class Params:
        country = "SE"
        postal_code = "11151"
        city = "Stockholm"
        street_address = "Drottninggatan 53"
        order_id = factory.LazyAttribute(lambda o: f"klarna-{o.session_id}")
        total_amount = 59800
        lines = (
            OrderLine(
                quantity=2,
                reference="SKU-1",
                unit_weight_g=600,
                length_mm=300,
                width_mm=200,
                height_mm=100,
            ),
        )
        given_name = "Test"
        family_name = "Person"
        email = "test@example.com"
        phone = "+46701234567"

    currency = factory.LazyAttribute(lambda o: CURRENCIES[o.country])
    locale = "sv-SE"
    session_id = factory.Sequence(lambda n: f"session-{n}")
    order = factory.LazyAttribute(
        lambda o: Order(id=o.order_id, total_amount=o.total_amount, lines=tuple(o.lines))
    )
    recipient = factory.LazyAttribute(
        lambda o: Recipient(
            address=Address(
                country=o.country,
                postal_code=o.postal_code,
                city=o.city,
                street_address=o.street_address,
            ),
            given_name=o.given_name,
            family_name=o.family_name,
            email=o.email,
            phone=o.phone,
        )
    )


#: ShipmentFactory keywords that describe Klarna's session (SessionFactory), not the row.
SESSION_KEYWORDS = frozenset(
    {
        *("session_id", "currency", "locale", "order", "recipient"),
        *("country", "postal_code", "city", "street_address"),
        *("order_id", "total_amount", "lines"),
        *("given_name", "family_name", "email", "phone"),
    }
)


class ShipmentFactory(factory.Factory[Shipment]):
    """A shipment reserved through ``shipment_reserve`` (traits: ``confirmed``, ``booked``,
    ``small_order``).

    ``option_id`` (required), ``location_id``, ``timeslot_id`` and ``addons`` are the shopper's
    selection; ``session_id``, ``order_id``, ``country``, ``postal_code``, the shopper's names,
    ``phone``, ``total_amount``, ``lines``... go to the session (``SESSION_KEYWORDS``); or pass a
    whole ``session``. Any other keyword is a field of the row, written once it is made.
    """

    class Meta:
        model = Shipment

    class Params:
        option_id = factory.LazyAttribute(_required("option_id"))
        location_id = ""
        timeslot_id = ""
        addons: tuple[AddonSelection, ...] = ()
        confirmed = factory.Trait(confirm=True)
        booked = factory.Trait(confirm=True, book=True)
        # One article of 299 kr, 800 g: below the demo shop's free-shipping threshold (500 kr),
        # so the shipping is charged.
        small_order = factory.Trait(
            total_amount=29900, lines=(OrderLine(quantity=1, reference="SKU-1", unit_weight_g=800),)
        )

    merchant = factory.LazyAttribute(_required("merchant"))
    selection = factory.LazyAttribute(
        lambda o: Selection(
            option_id=o.option_id,
            location_id=o.location_id,
            timeslot_id=o.timeslot_id,
            addons=tuple(o.addons),
        )
    )
    confirm = False
    book = False

    @classmethod
    def _build(cls, model_class: type[Shipment], *args: Any, **kwargs: Any) -> Shipment:
        raise TypeError("A shipment is made by the services: use ShipmentFactory.create")

    @classmethod
    def _create(cls, model_class: type[Shipment], *args: Any, **kwargs: Any) -> Shipment:
        from tms_gateway.shipments.booking import Outcome, shipment_book
        from tms_gateway.shipments.services import shipment_confirm, shipment_reserve

        merchant: Merchant = kwargs.pop("merchant")
        confirm, book = kwargs.pop("confirm"), kwargs.pop("book")
        session: Session = kwargs.pop("session", None) or SessionFactory.build(
            **{name: kwargs.pop(name) for name in SESSION_KEYWORDS & kwargs.keys()}
        )
        shipment = shipment_reserve(
            merchant=merchant, session=session, selection=kwargs.pop("selection")
        )
        if confirm:
            shipment = shipment_confirm(merchant=merchant, shipment=shipment)
        if book:
            outcome = shipment_book(shipment_id=shipment.pk)
            assert outcome.outcome is Outcome.BOOKED, outcome
        if kwargs:  # fields a later step would write (status, tracking number, created_at, ...)
            model_class.objects.filter(pk=shipment.pk).update(**kwargs)
        if book or kwargs:
            shipment = model_class.objects.get(pk=shipment.pk)
        return shipment
