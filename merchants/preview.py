"""The checkout preview: what Klarna would receive for a made-up cart and address, and why.

Shared by the staff admin and the merchant portal. ``PreviewForm`` takes an address and a
cart, ``preview_session`` turns it into the checkout's ``Session``, and ``preview_context``
runs ``options_build`` for it and returns what ``merchants/preview/preview.html`` renders:
the offered options, the options exactly as Klarna would receive them, every configured
option that was not offered and why, each carrier's answer, and the locations for the map.

Presentation only: every rule stays in ``tms_gateway.checkout``; this module words its
answers for people.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from carriers.types import Address, DeliveryEstimate
from tms_gateway.checkout.services import CurrencyNotSupported, options_build
from tms_gateway.checkout.types import (
    OfferedOption,
    OptionsResult,
    Order,
    OrderLine,
    Recipient,
    RememberedChoice,
    Session,
    SkippedOption,
)
from tms_gateway.experiments.preview import experiment_preview, experiment_preview_choices
from tms_gateway.ksa.serializers import shipping_options_render

from .models import DeliveryOption, Merchant, OptionKind, carrier_label

# The ten markets: each country's currency and the shopper language Klarna would send.
MARKETS: dict[str, tuple[str, str]] = {
    "SE": ("SEK", "sv-SE"),
    "NO": ("NOK", "nb-NO"),
    "FI": ("EUR", "fi-FI"),
    "DK": ("DKK", "da-DK"),
    "DE": ("EUR", "de-DE"),
    "AT": ("EUR", "de-DE"),
    "NL": ("EUR", "nl-NL"),
    "CH": ("CHF", "de-DE"),
    "GB": ("GBP", "en-GB"),
    "US": ("USD", "en-US"),
}
COUNTRY_CHOICES = [
    ("SE", _("Sweden")),
    ("NO", _("Norway")),
    ("FI", _("Finland")),
    ("DK", _("Denmark")),
    ("DE", _("Germany")),
    ("AT", _("Austria")),
    ("NL", _("Netherlands")),
    ("CH", _("Switzerland")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
]
CURRENCIES = ("SEK", "NOK", "DKK", "EUR", "CHF", "GBP", "USD")
LOCALES = ("sv-SE", "nb-NO", "da-DK", "fi-FI", "de-DE", "nl-NL", "en-GB", "en-US")
CUSTOMER_TYPE_CHOICES = [("person", _("Person")), ("organization", _("Organization"))]
# Every currency of the ten markets has two decimals.
MINOR_UNIT_DIGITS = 2

# Why an option was not offered (SkippedOption.reason), in words for the shop.
REASONS: dict[str, Promise] = {
    "currency": _("The option has no price in this currency."),
    "country": _("The option is not offered in this country."),
    "postal_code": _("The postal code is outside the option's postal-code areas."),
    "weight": _("The order is heavier than the option allows."),
    "dimensions": _("An item is larger than the option allows."),
    "required_tags": _("The order lacks a tag the option requires."),
    "excluded_tags": _("The order has a tag that excludes the option."),
    "customer_type": _("The option is not offered to this type of customer."),
    "no_agreement": _("The shop has no active agreement with the option's carrier."),
    "carrier_unavailable": _(
        "The carrier failed or did not answer in time, and the option is not a fallback option."
    ),
    "carrier_not_available": _("The carrier does not offer this product for this address."),
    "no_locations": _("There is no pickup location to offer."),
    "no_timeslots": _("The carrier has no delivery time slot to offer."),
}


class OptionRow(TypedDict):
    id: str
    name: str
    type: str
    carrier: str
    price: str
    preselected: bool
    delivery: str
    locations: int
    timeslots: int
    addons: int
    #: Offered from configuration because its carrier failed (no locations, no time slots).
    fallback: bool
    #: Why it is preselected when a returning shopper's last choice made it so, else "".
    remembered: str


class NotOfferedRow(TypedDict):
    id: str
    name: str
    reason: str
    explanation: str
    detail: str


class CarrierRow(TypedDict):
    carrier: str
    name: str
    ok: bool
    duration_ms: int
    duration: str
    error: str


class Marker(TypedDict):
    lat: float
    lng: float
    name: str
    option: str
    option_name: str
    address: str
    carrier: str
    #: The pin's colour: a class suffix of preview.css (``tms-pin--<colour>``).
    colour: str


class LegendRow(TypedDict):
    carrier: str
    name: str
    colour: str
    count: int


#: The carriers' pin colours (preview.css), close to their brands; any other carrier takes the
#: next of the spare colours in the order it first appears on the map.
PIN_COLOURS = {
    "postnord": "postnord",
    "bring": "bring",
    "dhl": "dhl",
    "budbee": "budbee",
    "instabox": "instabox",
    "generic": "generic",
}
SPARE_PIN_COLOURS = ("c0", "c1", "c2", "c3", "c4", "c5")


_postal_code = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 -]*$", _("Letters, digits, spaces and hyphens only.")
)


class PreviewForm(forms.Form):
    """A made-up checkout: the recipient's address, the shopper's language and one cart."""

    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="SE")
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, validators=[_postal_code])
    city = forms.CharField(label=_("City"), max_length=100)
    street_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[("", _("The country's currency")), *((c, c) for c in CURRENCIES)],
        required=False,
    )
    locale = forms.ChoiceField(
        label=_("Shopper's language"),
        choices=[("", _("The country's language")), *((loc, loc) for loc in LOCALES)],
        required=False,
    )
    customer_type = forms.ChoiceField(
        label=_("Customer"), choices=CUSTOMER_TYPE_CHOICES, initial="person", required=False
    )
    email = forms.EmailField(
        label=_("Shopper's e-mail"),
        help_text=_("A returning shopper's last choice is preselected when the shop remembers it."),
        required=False,
    )
    phone = forms.CharField(label=_("Shopper's mobile number"), max_length=40, required=False)
    order_total = forms.DecimalField(
        label=_("Order total"),
        help_text=_("In the currency, tax included, e.g. 499.00."),
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=MINOR_UNIT_DIGITS,
        required=False,
    )
    total_weight_g = forms.IntegerField(
        label=_("Total weight (g)"), min_value=0, max_value=1_000_000, required=False
    )
    length_mm = forms.IntegerField(
        label=_("Item length (mm)"), min_value=1, max_value=100_000, required=False
    )
    width_mm = forms.IntegerField(
        label=_("Item width (mm)"), min_value=1, max_value=100_000, required=False
    )
    height_mm = forms.IntegerField(
        label=_("Item height (mm)"), min_value=1, max_value=100_000, required=False
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=10_000, initial=1, required=False
    )
    tags = forms.CharField(
        label=_("Order tags"),
        help_text=_("Comma-separated, e.g. fragile, bulky."),
        max_length=1000,
        required=False,
    )
    # The choices are the shop's experiment's variants (set by preview_context).
    experiment_variant = forms.CharField(
        label=_("Experiment variant"), max_length=50, required=False, widget=forms.Select
    )

    FIELDSETS: tuple[tuple[Promise, tuple[str, ...]], ...] = (
        (_("Address"), ("country", "postal_code", "city", "street_address")),
        (
            _("Shopper"),
            ("currency", "locale", "customer_type", "email", "phone", "experiment_variant"),
        ),
        (
            _("Cart"),
            (
                "order_total",
                "total_weight_g",
                "length_mm",
                "width_mm",
                "height_mm",
                "quantity",
                "tags",
            ),
        ),
    )

    def fieldsets(self) -> list[tuple[Promise, list[forms.BoundField]]]:
        """(legend, bound fields) per group, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_postal_code(self) -> str:
        return " ".join(str(self.cleaned_data["postal_code"]).split()).upper()

    def clean_tags(self) -> tuple[str, ...]:
        raw = str(self.cleaned_data.get("tags") or "")
        return tuple(dict.fromkeys(t.strip() for t in raw.split(",") if t.strip()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        market = MARKETS.get(data.get("country") or "")
        if market is not None:
            data["currency"] = data.get("currency") or market[0]
            data["locale"] = data.get("locale") or market[1]
        # Klarna Checkout's default customer is a person.
        data["customer_type"] = data.get("customer_type") or "person"
        return data


def _minor_units(amount: Decimal) -> int:
    return int((amount * 10**MINOR_UNIT_DIGITS).to_integral_value(rounding=ROUND_HALF_UP))


def preview_session(*, form: PreviewForm) -> Session:
    """The Klarna session the form describes; the form must be valid."""
    if not form.is_valid():
        raise ValueError("preview_session needs a valid PreviewForm")
    data = form.cleaned_data
    sides = (data["length_mm"], data["width_mm"], data["height_mm"])
    lines: tuple[OrderLine, ...] = ()
    if any(side is not None for side in sides):
        lines = (
            OrderLine(
                quantity=data["quantity"] or 1,
                length_mm=sides[0],
                width_mm=sides[1],
                height_mm=sides[2],
            ),
        )
    total = data["order_total"]
    return Session(
        currency=data["currency"],
        locale=data["locale"],
        session_id="preview",
        order=Order(
            id="preview",
            tags=data["tags"],
            total_amount=_minor_units(total) if total is not None else None,
            total_weight_g=data["total_weight_g"],
            lines=lines,
        ),
        recipient=Recipient(
            address=Address(
                country=data["country"],
                postal_code=data["postal_code"],
                city=data["city"],
                street_address=data["street_address"],
            ),
            customer_type=data["customer_type"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
        ),
    )


def preview_context(
    *, merchant: Merchant, form: PreviewForm, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Everything ``merchants/preview/preview.html`` renders, for a bound or unbound form.

    Keys: ``form``; ``ran`` (options were built); ``error`` (why they could not be, else "");
    ``currency``; ``klarna_json`` (the options exactly as Klarna would receive them, pretty
    JSON); ``options`` (OptionRow); ``not_offered`` (NotOfferedRow); ``carriers``
    (CarrierRow); ``markers`` (Marker, one per location with coordinates, coloured by carrier)
    and ``markers_json``; ``legend`` (LegendRow, the carriers on the map with their colour);
    ``map_tile_url`` and ``map_tile_attribution`` (an empty URL: no tile layer).
    An unbound or invalid form builds nothing: the form shows its errors.
    """
    context: dict[str, Any] = {
        "form": form,
        "ran": False,
        "error": "",
        "currency": "",
        "klarna_json": "",
        "options": [],
        "not_offered": [],
        "carriers": [],
        "markers": [],
        "markers_json": "[]",
        "legend": [],
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    form.fields["experiment_variant"].widget.choices = experiment_preview_choices(merchant=merchant)
    if not form.is_bound or not form.is_valid():
        return context
    session = preview_session(form=form)
    context["currency"] = session.currency
    # Which experiment variant this checkout gets (or the one staff picked), shown and applied.
    context["experiment"] = experiment_preview(
        merchant=merchant, session=session, variant=form.cleaned_data["experiment_variant"]
    )
    try:
        result = options_build(
            merchant=merchant,
            session=session,
            now=now,
            assignment=context["experiment"] and context["experiment"].assignment,
        )
    except CurrencyNotSupported:
        context["error"] = gettext(
            "The shop has no prices in %(currency)s: Klarna would be refused with "
            "currency_not_supported and the shopper would see no shipping options."
        ) % {"currency": session.currency}
        return context

    markers = _markers(result)
    context.update(
        ran=True,
        klarna_json=json.dumps(shipping_options_render(result), indent=2, ensure_ascii=False),
        options=[
            _option_row(o, currency=session.currency, remembered=result.remembered)
            for o in result.options
        ],
        not_offered=_not_offered(result.skipped, merchant=merchant, session=session),
        carriers=[
            CarrierRow(
                carrier=c.carrier,
                name=_carrier_name(c.carrier),
                ok=c.ok,
                duration_ms=c.duration_ms,
                duration=gettext("%(ms)s ms") % {"ms": c.duration_ms},
                error=c.error,
            )
            for c in result.carriers
        ],
        markers=markers,
        markers_json=json.dumps(markers, ensure_ascii=False),
        legend=_legend(markers),
    )
    return context


# --- wording ------------------------------------------------------------------------------


def _carrier_name(slug: str) -> str:
    return carrier_label(slug)


def _price(amount: int, *, currency: str) -> str:
    major = Decimal(amount).scaleb(-MINOR_UNIT_DIGITS)
    return f"{formats.number_format(major, decimal_pos=MINOR_UNIT_DIGITS)} {currency}"


def _hhmm(value: dt.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _delivery(estimate: DeliveryEstimate) -> str:
    parts = []
    earliest, latest = estimate.earliest_days, estimate.latest_days
    if earliest is not None and latest is not None:
        days = str(latest) if earliest == latest else f"{earliest}-{latest}"
        parts.append(
            ngettext("%(days)s business day", "%(days)s business days", latest) % {"days": days}
        )
    elif earliest is not None:
        parts.append(gettext("from %(days)s business days") % {"days": earliest})
    elif latest is not None:
        parts.append(gettext("within %(days)s business days") % {"days": latest})
    if estimate.cutoff is not None:
        parts.append(gettext("order by %(time)s") % {"time": _hhmm(estimate.cutoff)})
    if estimate.time_of_day_start is not None and estimate.time_of_day_end is not None:
        parts.append(
            gettext("delivered %(start)s-%(end)s")
            % {"start": _hhmm(estimate.time_of_day_start), "end": _hhmm(estimate.time_of_day_end)}
        )
    return ", ".join(parts)


def _remembered_reason(remembered: RememberedChoice) -> str:
    """Why the option is preselected, as the shop reads it."""
    chosen_at = remembered.chosen_at
    when = formats.date_format(timezone.localtime(chosen_at), "DATE_FORMAT") if chosen_at else ""
    reason = gettext("Preselected because this shopper chose it on %(date)s") % {"date": when}
    by = gettext("recognised by the e-mail address") if remembered.reason == "email" else ""
    by = by or gettext("recognised by the mobile number")
    reason = f"{reason} ({by})"
    if remembered.pickup_point_id:
        reason += "; " + gettext("their pickup point %(id)s is first") % {
            "id": remembered.pickup_point_id
        }
    return reason + "."


def _option_row(
    option: OfferedOption, *, currency: str, remembered: RememberedChoice | None = None
) -> OptionRow:
    kind = str(OptionKind(option.kind).label) if option.kind in OptionKind.values else option.kind
    return OptionRow(
        id=option.id,
        name=option.name,
        type=kind,
        carrier=_carrier_name(option.carrier),
        price=_price(option.price, currency=currency),
        preselected=option.preselected,
        delivery=_delivery(option.delivery),
        locations=len(option.locations),
        timeslots=len(option.timeslots),
        addons=len(option.addons),
        fallback=option.from_fallback,
        remembered=_remembered_reason(remembered)
        if remembered is not None and remembered.option_id == option.id and option.preselected
        else "",
    )


def _text(texts: dict[str, str], *, session: Session, fallback_language: str) -> str:
    for key in (session.locale, session.language, fallback_language, "en"):
        if key and texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def _not_offered(
    skipped: tuple[SkippedOption, ...], *, merchant: Merchant, session: Session
) -> list[NotOfferedRow]:
    names = dict(
        DeliveryOption.objects.filter(
            merchant=merchant, code__in=[s.id for s in skipped]
        ).values_list("code", "names")
    )
    rows = []
    for item in skipped:
        explanation = REASONS.get(item.reason)
        rows.append(
            NotOfferedRow(
                id=item.id,
                name=_text(
                    names.get(item.id) or {},
                    session=session,
                    fallback_language=merchant.default_locale,
                )
                or item.id,
                reason=item.reason,
                explanation=str(explanation)
                if explanation is not None
                else gettext("Not offered (%(reason)s).") % {"reason": item.reason},
                detail=item.detail,
            )
        )
    return rows


def _address(address: Address) -> str:
    place = " ".join(p for p in (address.postal_code, address.city) if p)
    return ", ".join(p for p in (address.street_address, place) if p)


def _pin_colours(carriers: list[str]) -> dict[str, str]:
    spare = itertools.cycle(SPARE_PIN_COLOURS)
    colours: dict[str, str] = {}
    for carrier in carriers:
        if carrier not in colours:
            colours[carrier] = PIN_COLOURS.get(carrier) or next(spare)
    return colours


def _legend(markers: list[Marker]) -> list[LegendRow]:
    """The carriers on the map, in the order they first appear, with their pins' colour."""
    rows: dict[str, LegendRow] = {}
    for marker in markers:
        row = rows.setdefault(
            marker["carrier"],
            LegendRow(
                carrier=marker["carrier"],
                name=_carrier_name(marker["carrier"]),
                colour=marker["colour"],
                count=0,
            ),
        )
        row["count"] += 1
    return list(rows.values())


def _markers(result: OptionsResult) -> list[Marker]:
    """One marker per location with coordinates, of every offered option, coloured by carrier."""
    colours = _pin_colours(
        [o.carrier for o in result.options if any(loc.coordinates for loc in o.locations)]
    )
    markers = []
    for option in result.options:
        for location in option.locations:
            if location.coordinates is None:
                continue
            markers.append(
                Marker(
                    lat=location.coordinates.lat,
                    lng=location.coordinates.lng,
                    name=location.name,
                    option=option.id,
                    option_name=option.name,
                    address=_address(location.address),
                    carrier=option.carrier,
                    colour=colours[option.carrier],
                )
            )
    return markers
