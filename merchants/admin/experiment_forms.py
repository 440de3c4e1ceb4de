"""The experiment form of the portal and the admin: a name, then per variant its name, its share
of checkouts and, per option of the shop, a price per currency, a name per language, a sort
order and which option is preselected (the option form's own controls: merchants/admin/forms.py).

Empty controls leave the option as the shop configured it. The first variant is the control:
usually it changes nothing, and the others are compared with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel.numbers import get_territory_currencies
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from merchants.models import DeliveryOption, Merchant
from merchants.portal import labels
from tms_gateway.experiments.validation import MAX_SORT_ORDER, variants_validate

from .forms import LocaleTextsField, MoneyMapField, put_first, shop_currencies, shop_languages

MIN_VARIANTS = 2
MAX_VARIANTS = 4


def variant_count(value: Any, *, default: int = MIN_VARIANTS) -> int:
    """How many variants the form shows (``?variants=3``), within 2 to 4."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(count, MIN_VARIANTS), MAX_VARIANTS)


def _main_currency(merchant: Merchant) -> list[str]:
    """The one currency row shown first: the shop's home country's, when it prices in it."""
    currencies = shop_currencies(merchant)
    home = get_territory_currencies(merchant.sender_country)[:1] if merchant.sender_country else []
    return [c for c in home if c in currencies] or currencies[:1]


class ExperimentForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("What the experiment tries, e.g. “Cheaper home delivery”."),
    )

    class Media:
        css = {"all": ("merchants/option_forms.css",)}
        js = ("merchants/option_forms.js",)

    def __init__(
        self,
        *args: Any,
        merchant: Merchant,
        count: int,
        variants: Sequence[Mapping[str, Any]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.count = count
        self.options = list(
            DeliveryOption.objects.filter(merchant=merchant).order_by("sort_order", "code")
        )
        languages = shop_languages(merchant)
        self.option_names = labels.option_names(self.options)
        choices = [("", gettext_lazy("— as configured —"))] + [
            (o.code, self.option_names[o.code]) for o in self.options
        ]
        for i in range(count):
            given = variants[i] if i < len(variants) else {}
            changes = given.get("changes") or {}
            default_name = "ABCD"[i]
            self.fields[f"v{i}_name"] = forms.CharField(
                max_length=50, label=gettext_lazy("Variant name"), initial=default_name
            )
            self.fields[f"v{i}_share"] = forms.IntegerField(
                min_value=1,
                max_value=100,
                label=gettext_lazy("Share of checkouts (%)"),
                initial=100 // count + (100 % count if i == 0 else 0),
            )
            preselected = next((c for c, ch in changes.items() if ch.get("preselected")), "")
            self.fields[f"v{i}_preselect"] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=gettext_lazy("Preselected option"),
                initial=preselected,
            )
            if given:
                self.initial.setdefault(f"v{i}_name", given.get("name"))
                self.initial.setdefault(f"v{i}_share", given.get("share"))
            for option in self.options:
                change = changes.get(option.code, {})
                prefix = f"v{i}_{option.code}"
                prices = MoneyMapField(
                    required=False, label=gettext_lazy("Price"), help_text="", initial=None
                )
                names = LocaleTextsField(
                    required=False, label=gettext_lazy("Name shoppers see"), help_text=""
                )
                sort_order = forms.IntegerField(
                    required=False,
                    min_value=0,
                    max_value=MAX_SORT_ORDER,
                    label=gettext_lazy("Sort order"),
                    help_text=gettext_lazy("Now %(order)s; lower comes first.")
                    % {"order": option.sort_order},
                )
                self.fields[f"{prefix}_prices"] = prices
                self.fields[f"{prefix}_names"] = names
                self.fields[f"{prefix}_sort"] = sort_order
                if change.get("prices"):
                    self.initial.setdefault(f"{prefix}_prices", change["prices"])
                if change.get("names"):
                    self.initial.setdefault(f"{prefix}_names", change["names"])
                if "sort_order" in change:
                    self.initial.setdefault(f"{prefix}_sort", change["sort_order"])
                for field, (key_label, value_label) in (
                    (prices, (gettext_lazy("Currency"), gettext_lazy("Amount"))),
                    (names, (gettext_lazy("Language"), gettext_lazy("Name"))),
                ):
                    widget: Any = field.widget
                    widget.key_label, widget.value_label = key_label, value_label
        put_first(self, [n for n in self.fields if n.endswith("_prices")], _main_currency(merchant))
        put_first(self, [n for n in self.fields if n.endswith("_names")], languages[:1])
        self.variants: list[dict[str, Any]] = []

    def groups(self) -> list[dict[str, Any]]:
        """The bound fields per variant and option, as the templates lay them out."""
        return [
            {
                "number": i + 1,
                "name": self[f"v{i}_name"],
                "share": self[f"v{i}_share"],
                "preselect": self[f"v{i}_preselect"],
                "options": [
                    {
                        "code": option.code,
                        "label": self.option_names[option.code],
                        "fields": [
                            self[f"v{i}_{option.code}_prices"],
                            self[f"v{i}_{option.code}_names"],
                            self[f"v{i}_{option.code}_sort"],
                        ],
                    }
                    for option in self.options
                ],
            }
            for i in range(self.count)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        variants = []
        for i in range(self.count):
            changes: dict[str, dict[str, Any]] = {}
            for option in self.options:
                prefix = f"v{i}_{option.code}"
                change: dict[str, Any] = {}
                if data.get(f"{prefix}_prices"):
                    change["prices"] = data[f"{prefix}_prices"]
                if data.get(f"{prefix}_names"):
                    change["names"] = data[f"{prefix}_names"]
                if data.get(f"{prefix}_sort") is not None:
                    change["sort_order"] = data[f"{prefix}_sort"]
                if data.get(f"v{i}_preselect") == option.code:
                    change["preselected"] = True
                if change:
                    changes[option.code] = change
            variants.append(
                {"name": data[f"v{i}_name"], "share": data[f"v{i}_share"], "changes": changes}
            )
        try:
            variants_validate(variants=variants, option_codes=[o.code for o in self.options])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        self.variants = variants
        return data
