"""The shop's fallback ``shipping_options`` for Klarna Checkout orders.

A merchant sends this block when creating a Klarna order; Klarna shows it when the gateway
cannot be reached. It is built from configuration alone: ``options_build`` with a recipient
that has only a country is the preview path, which never calls a carrier (so no locations
and no time slots, as Klarna's order block has none either).

The Klarna Checkout field names below would belong in ``tms_gateway/ksa/serializers.py``
(where every Klarna field name lives); the portal keeps them here until that module takes
them, and reuses its ``SHIPPING_METHOD`` table rather than copying it.
"""

from __future__ import annotations

from typing import Any

from carriers.types import Address
from merchants.models import Merchant
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import OfferedOption, OptionsResult, Recipient, Session
from tms_gateway.common.money import tax_amount
from tms_gateway.ksa.serializers import SHIPPING_METHOD


def fallback_options_build(
    *, merchant: Merchant, country: str, currency: str, locale: str
) -> OptionsResult:
    """The merchant's options offered in ``country`` by configuration alone."""
    session = Session(
        currency=currency, locale=locale, recipient=Recipient(address=Address(country=country))
    )
    return options_build(merchant=merchant, session=session)


def fallback_option_render(option: OfferedOption) -> dict[str, Any]:
    """One option in Klarna Checkout's order ``shipping_options`` format."""
    out: dict[str, Any] = {"id": option.id, "name": option.name}
    if option.description:
        out["description"] = option.description
    out.update(
        {
            "price": option.price,
            "tax_amount": tax_amount(price=option.price, tax_rate=option.tax_rate),
            "tax_rate": option.tax_rate,
            "preselected": option.preselected,
            "shipping_method": SHIPPING_METHOD[option.kind],
        }
    )
    return out


def fallback_block_render(result: OptionsResult) -> dict[str, Any]:
    return {"shipping_options": [fallback_option_render(o) for o in result.options]}
