"""Form controls for what partners edit on delivery options, add-ons and stores.

The model keeps its JSON shapes (the checkout reads them): texts ``{"sv": "…"}``, prices
``{"SEK": 4900}`` in minor units, countries ``["SE"]``, postal-code rules ``["11",
"20000-29999"]``, tags ``["bulky"]``, customer types and opening hours ``[{"weekday": 0,
"opens": "10:00", "closes": "19:00"}]``. These fields and widgets convert between those shapes
and ordinary controls: a row per language or currency, money in normal units with the
currency's decimals, multi-selects, a list of postal-code rules, comma-separated tags and
opening times per weekday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.validators import TAG_PATTERN, TAG_RULE, country_codes, is_language, is_tag
from tms_gateway.common.money import is_currency, minor_unit_exponent

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CUSTOMER_TYPES = (("person", "Person (consumer)"), ("organization", "Organization (business)"))
_POSTAL_RULE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)?$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(:00)?$")
_EXTRA_ROWS = 2

Pairs = list[tuple[str, str]]


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    names = Locale("en").territories
    return tuple(sorted(((c, f"{names[c]} ({c})") for c in country_codes()), key=lambda c: c[1]))


def is_country(code: str) -> bool:
    return code in country_codes()


def _display_locale() -> Locale:
    """The language the page is in (the admin and the portal speak English and Swedish)."""
    try:
        return Locale.parse((translation.get_language() or "en").replace("-", "_"))
    except (ValueError, TypeError):
        return Locale("en")


def language_name(code: str) -> str:
    if not is_language(code):
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_display_locale())
    except (ValueError, TypeError):
        return ""
    return str(name or code)


def currency_name(code: str) -> str:
    return str(_display_locale().currencies.get(code, "")) if is_currency(code) else ""


def format_minor(amount: int, currency: str) -> str:
    """4900 SEK → "49.00"; 500 JPY → "500"."""
    exponent = minor_unit_exponent(currency) if is_currency(currency) else 2
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def parse_money(text: str, currency: str) -> int:
    """ "49", "49,00", "49.00" or "1 234,50" in ``currency``'s normal units → minor units."""
    exponent = minor_unit_exponent(currency)
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(
            _("%(currency)s: %(text)s is not an amount, e.g. 49 or 49,00.")
            % {"currency": currency, "text": repr(text)}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(
            _("%(currency)s: the amount must be zero or more.") % {"currency": currency}
        )
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValidationError(
            _("%(currency)s has %(decimals)d decimals: %(text)s has more.")
            % {"currency": currency, "decimals": exponent, "text": repr(text)}
        )
    return int(minor)


# --- Rows of (key, value): texts per language, money per currency ---------------------------


class KeyedValuesWidget(forms.Widget):
    """A row per key (language or currency): the key in a small input, its value beside it.

    ``first`` lists the keys always shown (the shop's languages or currencies) and ``warn``
    says to flag the ones of them left empty; two blank rows add a new key.
    """

    template_name = "merchants/widgets/keyed_values.html"

    def __init__(
        self,
        *,
        key_label: str | Promise,
        value_label: str | Promise,
        describe: Any = None,
        show: Any = None,
        warn: bool = False,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.key_label = key_label
        self.value_label = value_label
        self.describe = describe or (lambda key: "")
        self.show = show or (lambda value, key: str(value))
        self.warn = warn
        self.first: list[str] = []

    def _rows(self, value: Any) -> Pairs:
        if isinstance(value, Mapping):
            pairs = [(str(k), self.show(v, k)) for k, v in value.items()]
        elif isinstance(value, list):
            pairs = [(str(k), str(v)) for k, v in value]
        else:
            pairs = []
        given = dict(pairs)
        rows = [(key, given.get(key, "")) for key in self.first]
        rows += [(k, v) for k, v in pairs if k not in self.first]
        return rows + [("", "")] * _EXTRA_ROWS

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = self._rows(value)
        context["widget"].update(
            key_label=self.key_label,
            value_label=self.value_label,
            rows=[
                {
                    "index": i,
                    "key": key,
                    "value": text,
                    "description": self.describe(key) if key else "",
                    "missing": self.warn and key in self.first and not text.strip(),
                }
                for i, (key, text) in enumerate(rows)
            ],
            missing=[
                f"{self.describe(k) or k} ({k})" for k, text in rows if k in self.first and not text
            ]
            if self.warn
            else [],
        )
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Pairs:
        pairs: Pairs = []
        i = 0
        while f"{name}_key_{i}" in data or f"{name}_value_{i}" in data:
            pairs.append(
                (str(data.get(f"{name}_key_{i}", "")), str(data.get(f"{name}_value_{i}", "")))
            )
            i += 1
        return pairs

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return f"{name}_key_0" not in data and f"{name}_value_0" not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_value_0" if id_ else id_


class _KeyedField(forms.Field):
    what = "key"

    def normalize_key(self, key: str) -> str:
        return key.strip()

    def check_key(self, key: str) -> str | None:
        """An error message when the key is unknown."""
        return None

    def key_missing(self, text: str) -> str:
        return f"Choose the {self.what} of {text!r}."

    def convert(self, text: str, key: str) -> Any:
        return text

    def to_python(self, value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping):
            return dict(value)
        result: dict[str, Any] = {}
        errors: list[str] = []
        for raw_key, raw_text in value or []:
            key, text = self.normalize_key(raw_key), raw_text.strip()
            if not key and not text:
                continue
            if not key:
                errors.append(self.key_missing(text))
                continue
            problem = self.check_key(key)
            if problem:
                errors.append(problem)
                continue
            if key in result:
                errors.append(_("%(key)s is given twice.") % {"key": key})
                continue
            if not text:
                continue
            try:
                result[key] = self.convert(text, key)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return result

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class LocaleTextsField(_KeyedField):
    """``{"sv": "Hemleverans", "en": "Home delivery"}`` as a text per language."""

    what = "language"

    def __init__(self, *, warn: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            KeyedValuesWidget(
                key_label=gettext_lazy("Language"),
                value_label=gettext_lazy("Text"),
                describe=language_name,
                warn=warn,
            ),
        )
        kwargs.setdefault("help_text", "One text per language code (sv, nb, da, fi, en, de-AT …).")
        super().__init__(**kwargs)

    def check_key(self, key: str) -> str | None:
        if is_language(key):
            return None
        return _("%(key)s is not a known language code (e.g. sv, en).") % {"key": repr(key)}

    def key_missing(self, text: str) -> str:
        return _("Choose the language of %(text)s.") % {"text": repr(text)}


class MoneyMapField(_KeyedField):
    """``{"SEK": 4900}`` (minor units) as an amount per currency in normal units: 49 or 49,00."""

    what = "currency"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            KeyedValuesWidget(
                key_label=gettext_lazy("Currency"),
                value_label=gettext_lazy("Amount"),
                describe=currency_name,
                show=lambda amount, currency: format_minor(int(amount), currency),
            ),
        )
        kwargs.setdefault(
            "help_text",
            "Per currency code (SEK, NOK, EUR …), in normal units with the currency's decimals: "
            "49 or 49,00 is 49 kronor.",
        )
        super().__init__(**kwargs)

    def normalize_key(self, key: str) -> str:
        return key.strip().upper()

    def check_key(self, key: str) -> str | None:
        if is_currency(key):
            return None
        return _("%(key)s is not an ISO 4217 currency code.") % {"key": repr(key)}

    def key_missing(self, text: str) -> str:
        return _("Choose the currency of %(text)s.") % {"text": repr(text)}

    def convert(self, text: str, key: str) -> int:
        return parse_money(text, key)


# --- Lists --------------------------------------------------------------------------------


class CountriesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", country_choices)
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 8}))
        kwargs.setdefault("help_text", "None chosen: every country. Ctrl/⌘-click to pick more.")
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        codes = super().clean(value)
        return [str(code) for code in dict.fromkeys(codes)]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return list(initial or []) != list(data or [])


class CustomerTypesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", CUSTOMER_TYPES)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs.setdefault("help_text", "None ticked: both.")
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return list(initial or []) != list(data or [])


class _ListField(forms.Field):
    """A list edited as text: ``split`` it, ``check`` each entry."""

    separator = "\n"

    def split(self, text: str) -> list[str]:
        return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]

    def check(self, entry: str) -> tuple[str, str | None]:
        return entry, None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return self.separator.join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        entries: list[str] = []
        errors: list[str] = []
        for part in self.split(str(value or "")):
            entry, problem = self.check(part)
            if problem:
                errors.append(problem)
            elif entry not in entries:
                entries.append(entry)
        if errors:
            raise ValidationError(errors)
        return entries

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return list(initial or []) != self.to_python(data)
        except ValidationError:
            return True


class PostalCodeRulesField(_ListField):
    """``["11", "20000-29999"]``: one prefix or range per line."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 24}))
        kwargs.setdefault(
            "help_text",
            "One per line: a prefix (11 is every code starting 11) or a range 20000-29999. "
            "Empty: every postal code.",
        )
        super().__init__(**kwargs)

    def check(self, entry: str) -> tuple[str, str | None]:
        rule = re.sub(r"\s+", "", entry).upper()
        if not _POSTAL_RULE.match(rule):
            return rule, f"{entry!r} is neither a prefix (letters and digits) nor a range a-b."
        if "-" in rule:
            low, high = rule.split("-")
            if len(low) != len(high):
                return rule, f"{entry!r}: both ends of a range have the same length."
            if low > high:
                return rule, f"{entry!r}: the range starts after it ends."
        return rule, None


class TagsWidget(forms.TextInput):
    """Comma-separated tags in a text field, which option_forms.js turns into chips: a tag
    typed and ended with Enter or a comma becomes a chip, its remove button or Backspace
    removes one. The script keeps writing the comma-separated list into this same field, so
    the form posts the same value with or without it; ``data-tag-pattern`` is the rule the
    server applies."""

    template_name = "merchants/widgets/tags.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "size": 30,
                "class": "tag-input",
                "autocomplete": "off",
                # The model's rule, which means the same in JavaScript.
                "data-tag-pattern": f"^(?:{TAG_PATTERN})$",
                "data-tag-rule": TAG_RULE,
                **(attrs or {}),
            }
        )


class TagsField(_ListField):
    """``["bulky", "fragile"]`` as comma-separated tags (chips with JavaScript)."""

    separator = ", "

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.setdefault("widget", TagsWidget)
        kwargs.setdefault("help_text", "Comma-separated, e.g. bulky, fragile.")
        super().__init__(**kwargs)

    def check(self, entry: str) -> tuple[str, str | None]:
        if is_tag(entry):
            return entry, None
        return entry, f"{entry!r} is not a tag: {TAG_RULE}."


# --- Opening hours ---------------------------------------------------------------------------


Interval = tuple[int, str, str]


class OpeningHoursWidget(forms.Widget):
    """Per weekday, opening and closing times (two intervals, e.g. around a lunch break)."""

    template_name = "merchants/widgets/opening_hours.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        intervals: list[Interval] = []
        for item in value if isinstance(value, list) else []:
            if isinstance(item, Mapping):
                intervals.append(
                    (int(item.get("weekday", -1)), str(item.get("opens")), str(item.get("closes")))
                )
            elif isinstance(item, Sequence) and len(item) == 3:
                intervals.append((int(item[0]), str(item[1]), str(item[2])))
        days = []
        for day, label in enumerate(WEEKDAYS):
            given = [(opens, closes) for d, opens, closes in intervals if d == day]
            given += [("", "")] * max(0, 2 - len(given))
            days.append(
                {
                    "label": label,
                    "intervals": [
                        {
                            "index": i,
                            "prefix": f"{name}_{day}_{i}",
                            "suffix": f"{day}_{i}",
                            "opens": o,
                            "closes": c,
                        }
                        for i, (o, c) in enumerate(given)
                    ],
                }
            )
        context["widget"]["days"] = days
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[Interval]:
        intervals: list[Interval] = []
        for day in range(7):
            i = 0
            while f"{name}_{day}_{i}_opens" in data or f"{name}_{day}_{i}_closes" in data:
                intervals.append(
                    (
                        day,
                        str(data.get(f"{name}_{day}_{i}_opens", "")),
                        str(data.get(f"{name}_{day}_{i}_closes", "")),
                    )
                )
                i += 1
        return intervals

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return f"{name}_0_0_opens" not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0_0_opens" if id_ else id_


def _time(text: str) -> str | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


class OpeningHoursField(forms.Field):
    """``[{"weekday": 0, "opens": "10:00", "closes": "19:00"}, …]`` (0 = Monday)."""

    widget = OpeningHoursWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.setdefault("help_text", "Leave a day empty when the store is closed.")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if not value:
            return []
        if isinstance(value[0], Mapping):
            return list(value)
        result: list[dict[str, Any]] = []
        errors: list[str] = []
        for day, raw_opens, raw_closes in value:
            if not raw_opens.strip() and not raw_closes.strip():
                continue
            label = WEEKDAYS[day]
            opens, closes = _time(raw_opens), _time(raw_closes)
            if opens is None or closes is None:
                errors.append(f"{label}: enter both opening and closing time as HH:MM.")
            elif closes <= opens:
                errors.append(f"{label}: closes ({closes}) must be after it opens ({opens}).")
            elif any(
                h["weekday"] == day and opens < h["closes"] and h["opens"] < closes for h in result
            ):
                errors.append(f"{label}: the intervals overlap.")
            else:
                result.append({"weekday": day, "opens": opens, "closes": closes})
        if errors:
            raise ValidationError(errors)
        return sorted(result, key=lambda h: (h["weekday"], h["opens"]))

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            new = self.to_python(data)
        except ValidationError:
            return True

        def key(h: Mapping[str, Any]) -> tuple[Any, ...]:
            return (h.get("weekday"), h.get("opens"), h.get("closes"))

        return sorted(map(key, initial or [])) != sorted(map(key, new))


# --- The shop's languages and currencies ---------------------------------------------------


def shop_languages(merchant: Any) -> list[str]:
    """The shop's default language, then those its options have names in, then the main
    language of each country its options deliver to."""
    from babel.languages import get_official_languages

    from merchants.models import DeliveryOption

    # The default locale's language: a text in "sv" serves "sv-SE" shoppers too (and it is the
    # language the go-live checklist asks for), so a shop in sv-SE is not asked for both.
    default = (merchant.default_locale or "").replace("_", "-").split("-")[0].lower()
    default = "nb" if default in ("no", "nn") else default
    found: list[str] = [default] if is_language(default) else []
    options = DeliveryOption.objects.filter(merchant=merchant).values_list("names", "countries")
    countries: list[str] = []
    for names, option_countries in options:
        found += [k for k in names or {} if is_language(k)]
        countries += option_countries or []
    if merchant.sender_country:
        countries.insert(0, merchant.sender_country)
    for country in countries:
        official = [lang for lang in get_official_languages(country) if is_language(lang)]
        if official:
            found.append("nb" if official[0] == "no" else official[0])
    return list(dict.fromkeys(found))


def shop_currencies(merchant: Any) -> list[str]:
    from babel.numbers import get_territory_currencies

    from merchants.models import DeliveryOption

    found: list[str] = []
    for prices in DeliveryOption.objects.filter(merchant=merchant).values_list("prices", flat=True):
        found += [c for c in prices or {} if is_currency(c)]
    if not found and merchant.sender_country:
        # A new shop: the currency of the country it ships from.
        found = [c for c in get_territory_currencies(merchant.sender_country)[:1] if is_currency(c)]
    return list(dict.fromkeys(found))


def put_first(form: forms.BaseForm, names: Iterable[str], keys: list[str]) -> None:
    for name in names:
        field = form.fields.get(name)
        if field is not None and isinstance(field.widget, KeyedValuesWidget):
            field.widget.first = list(keys)


def carrier_product_choices() -> list[Any]:
    """The declared products, grouped by carrier (the group's label is the carrier's name, as
    in the carrier select: option_forms.js shows only the chosen carrier's group)."""
    from carriers.registry import adapters

    groups: list[Any] = [("", "— none (the shop's own) —")]
    for adapter in adapters().values():
        products = [(code, f"{code} · {name}") for code, name in adapter.products.items()]
        if products:
            groups.append((adapter.name, products))
    return groups


def carrier_product_kinds() -> dict[str, dict[str, list[str]]]:
    """Per carrier name (the product select's group label), each product's option kinds: what
    option_forms.js reads to show only the products that fit the chosen kind, the same rule as
    ``carrier_product_refusal``."""
    from carriers.registry import adapters, declarations
    from merchants.models import PRODUCT_KIND

    found: dict[str, dict[str, list[str]]] = {}
    for slug, adapter in adapters().items():
        declaration = declarations().get(slug)
        products: dict[str, list[str]] = {}
        for code in adapter.products:
            declared = declaration.product(code) if declaration is not None else None
            if declared is not None:
                products[code] = [str(o) for o, k in PRODUCT_KIND.items() if k in declared.kinds]
        found[adapter.name] = products
    return found


def carrier_product_refusal(carrier: str, product: str, kind: str = "") -> str | None:
    """Why ``product`` is not one of ``carrier``'s declared products, or not one for an option
    of ``kind`` (None when it is)."""
    from carriers.registry import adapters, declarations
    from merchants.models import PRODUCT_KIND, OptionKind

    adapter = adapters().get(carrier)
    if adapter is None or not product:
        return None
    if product not in adapter.products:
        known = ", ".join(f"{code} ({name})" for code, name in adapter.products.items())
        return f"{adapter.name} has no product {product}; it declares {known}."
    declaration = declarations().get(carrier)
    declared = declaration.product(product) if declaration is not None else None
    wanted = PRODUCT_KIND.get(OptionKind(kind)) if kind in OptionKind.values else None
    if declared is not None and wanted is not None and wanted not in declared.kinds:
        fitting = (
            ", ".join(f"{p.code} ({p.name})" for p in declaration.products if wanted in p.kinds)
            if declaration is not None
            else ""
        )
        label = OptionKind(kind).label
        return f"{adapter.name} {product} ({declared.name}) is not a product for {label}" + (
            f"; choose {fitting}." if fitting else "; this carrier has none."
        )
    return None


class OptionShopFieldsMixin(forms.Form):
    """The delivery option's texts and prices as form controls: what partner staff edit in the
    admin and the shop itself in the portal (merchants/portal/options.py), one definition."""

    names = LocaleTextsField(warn=True)
    descriptions = LocaleTextsField(required=False)
    prices = MoneyMapField()
    free_shipping_thresholds = MoneyMapField(
        required=False,
        help_text="Order total (tax included, normal units) from which this option is free.",
    )

    class Media:
        css = {"all": ("merchants/option_forms.css",)}
        js = ("merchants/option_forms.js",)


class OptionFieldsMixin(OptionShopFieldsMixin):
    """The delivery option's texts, prices and conditions as form controls."""

    price_margins = MoneyMapField(
        required=False, help_text="Added to the carrier's price (normal units, per currency)."
    )
    countries = CountriesField(required=False)
    postal_codes = PostalCodeRulesField(required=False)
    required_tags = TagsField(
        required=False, help_text="Offered only when the cart has all of these (comma-separated)."
    )
    excluded_tags = TagsField(
        required=False, help_text="Not offered when the cart has any of these (comma-separated)."
    )
    customer_types = CustomerTypesField(required=False)
    carrier_product = forms.ChoiceField(
        required=False,
        choices=carrier_product_choices,
        help_text="The chosen carrier's declared products.",
    )


class AddonFieldsMixin(forms.Form):
    names = LocaleTextsField(required=False)
    prices = MoneyMapField(required=False, help_text="Empty: free in every currency.")


class StoreFieldsMixin(forms.Form):
    country = forms.ChoiceField(choices=country_choices)
    opening_hours = OpeningHoursField(required=False)

    class Media:
        css = {"all": ("merchants/option_forms.css",)}
