"""Display names of the portal, translated.

The models' choice labels are plain strings (not marked for translation), so the portal keeps
its own, keyed by the same values; a value it does not know is shown as it is stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carriers import registry
from merchants.models import Carrier, DeliveryOption
from tms_gateway.common.money import minor_unit_exponent

STATUS: dict[str, Promise] = {
    "reserved": pgettext_lazy("shipment status", "Reserved"),
    "confirmed": pgettext_lazy("shipment status", "Confirmed"),
    "booking": pgettext_lazy("shipment status", "Booking"),
    "booked": pgettext_lazy("shipment status", "Booked"),
    "failed": pgettext_lazy("shipment status", "Failed"),
    "expired": pgettext_lazy("shipment status", "Expired"),
    "cancelled": pgettext_lazy("shipment status", "Cancelled"),
}
KIND: dict[str, Promise] = {
    "home": _("Home delivery"),
    "locker": _("Parcel locker"),
    "pickup_point": _("Pickup point"),
    "store": _("In-store pickup"),
    "mailbox": _("Letter / mailbox"),
    "own": _("Shop's own courier"),
}
GENERIC_CARRIER = _("Shop's own")


def carrier_choices() -> list[tuple[str, str | Promise]]:
    """Every configured carrier by its declared name, then the shop's own options."""
    return [*registry.carrier_choices(), (Carrier.GENERIC, GENERIC_CARRIER)]


def carrier(slug: str) -> str:
    return str(GENERIC_CARRIER) if slug == Carrier.GENERIC else registry.carrier_name(slug)


ADDON_TYPE: dict[str, Promise] = {
    "sms": _("SMS notification"),
    "entry-code": _("Door / entry code"),
    "carry-in": _("Carry-in"),
    "leave-at-door": _("Leave at door"),
    "signature": _("Signature on delivery"),
    "insurance": _("Insurance"),
    "other": _("Other"),
}


def label(table: dict[str, Any], value: str) -> str:
    return str(table.get(value, value))


def localized(texts: dict[str, str], *, fallback: str = "") -> str:
    """A configured text in the portal's language, else English, else any."""
    language = translation.get_language() or "en"
    for key in (language, language.split("-")[0], "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), fallback)


def option_names(options: list[DeliveryOption]) -> dict[str, str]:
    return {option.code: localized(option.names, fallback=option.code) for option in options}


def money(amount: int | None, currency: str) -> str:
    """Minor units as "49.00 SEK" ("49,00 SEK" in Swedish), with the currency's own decimals
    (the admin's and the portal's price fields use the same: 1500 ISK is "1500 ISK")."""
    if amount is None:
        return ""
    decimals = minor_unit_exponent(currency)
    value = Decimal(amount).scaleb(-decimals)
    return f"{formats.number_format(value, decimal_pos=decimals, use_l10n=True)} {currency}"


def percent(rate: int) -> str:
    """A tax rate with two implied decimals (2500) as "25 %"."""
    if rate % 100 == 0:
        return f"{rate // 100} %"
    decimals = 1 if rate % 10 == 0 else 2
    value = Decimal(rate) / 100
    return f"{formats.number_format(value, decimal_pos=decimals, use_l10n=True)} %"


def local_time_range(start: str, end: str) -> str:
    """A time slot as the shopper saw it, in the slot's own time zone (not converted to UTC,
    as the portal's other times are), with that zone's offset: "2026-11-27 17:00-22:00 (+01:00)"."""
    try:
        begins = dt.datetime.fromisoformat(start)
        ends = dt.datetime.fromisoformat(end)
    except (TypeError, ValueError):
        return f"{start} - {end}"
    offset = begins.strftime("%z")  # "+0100", or "" for a naive time
    zone = f" ({offset[:3]}:{offset[3:5]})" if offset else ""
    if begins.date() == ends.date():
        return f"{begins:%Y-%m-%d %H:%M}-{ends:%H:%M}{zone}"
    return f"{begins:%Y-%m-%d %H:%M} - {ends:%Y-%m-%d %H:%M}{zone}"
