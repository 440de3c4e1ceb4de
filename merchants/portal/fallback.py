"""The shop's fallback ``shipping_options`` for Klarna Checkout orders.

A merchant sends this block when creating a Klarna order; Klarna shows it when the gateway
cannot be reached. It is built from configuration alone: ``options_build`` with a recipient
that has only a country is the preview path, which never calls a carrier (so no locations
and no time slots, as Klarna's order block has none either).

The Klarna Checkout field names live in ``tms_gateway/ksa/serializers.py``
(``order_shipping_options_render``), with every other Klarna field name.
"""

from __future__ import annotations

from carriers.types import Address
from merchants.models import Merchant
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import OptionsResult, Recipient, Session


def fallback_options_build(
    *, merchant: Merchant, country: str, currency: str, locale: str
) -> OptionsResult:
    """The merchant's options offered in ``country`` by configuration alone."""
    session = Session(
        currency=currency, locale=locale, recipient=Recipient(address=Address(country=country))
    )
    return options_build(merchant=merchant, session=session)
