"""Stores and delivery options (with their add-ons)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ..models import CarrierAgreement, DeliveryOption, DeliveryOptionAddon, Merchant, Store
from .base import AuditedModelAdmin, admin_url
from .forms import (
    AddonFieldsMixin,
    OptionFieldsMixin,
    StoreFieldsMixin,
    carrier_product_kinds,
    carrier_product_refusal,
    put_first,
    shop_currencies,
    shop_languages,
)

# --- Stores and delivery options -----------------------------------------------------------


def _merchant_id_of(form: BaseModelForm[Any]) -> int | None:
    if form.instance.merchant_id:
        return int(form.instance.merchant_id)
    value = str(form.data.get("merchant") or form.initial.get("merchant") or "")
    return int(value) if value.isdigit() else None


class MerchantCodeForm(forms.ModelForm):
    """For rows whose merchant is fixed once created (read-only on change): Django skips the
    (merchant, code) constraint when the merchant is not a form field, so check it here."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = cleaned.get("code")
        if "merchant" not in self.fields and self.instance.merchant_id and code:
            model = type(self.instance)
            taken = model._default_manager.filter(merchant_id=self.instance.merchant_id, code=code)
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "code", f"This merchant already has a {model._meta.verbose_name} {code}."
                )
        return cleaned


def _merchant_fixed(obj: Any) -> tuple[str, ...]:
    return ("merchant",) if obj is not None else ()


class StoreInline(admin.TabularInline):
    model = Store
    fields = (
        "code",
        "name",
        "street_address",
        "postal_code",
        "city",
        "country",
        "latitude",
        "longitude",
        "is_active",
    )
    extra = 0
    show_change_link = True
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 14})}}


class StoreForm(StoreFieldsMixin, MerchantCodeForm):
    class Meta:
        model = Store
        fields = (
            "merchant",
            "code",
            "name",
            "is_active",
            "street_address",
            "postal_code",
            "city",
            "country",
            "latitude",
            "longitude",
            "opening_hours",
        )


@admin.register(Store)
class StoreAdmin(AuditedModelAdmin):
    form = StoreForm
    list_display = ("merchant", "code", "name", "city", "country", "is_active")
    list_filter = ("merchant", "country", "is_active")
    list_select_related = ("merchant",)
    search_fields = ("code", "name", "city", "postal_code", "merchant__name", "merchant__slug")
    fieldsets = (
        ("Store", {"fields": ("merchant", "code", "name", "is_active")}),
        ("Address", {"fields": ("street_address", "postal_code", "city", "country")}),
        ("Position", {"fields": ("latitude", "longitude")}),
        ("Opening hours", {"fields": ("opening_hours",)}),
        ("Used by", {"fields": ("offered_by",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*_merchant_fixed(obj), "offered_by")

    @admin.display(description="options offering this store")
    def offered_by(self, obj: Store) -> SafeString | str:
        if not obj.pk:
            return "-"
        options = list(obj.options.order_by("sort_order", "id"))
        if not options:
            return "none"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((admin_url("merchants_deliveryoption_change", o.pk), o.code) for o in options),
        )


class DeliveryOptionAddonForm(AddonFieldsMixin, forms.ModelForm):
    class Meta:
        model = DeliveryOptionAddon
        fields = (
            "code",
            "type",
            "names",
            "prices",
            "preselected",
            "required",
            "max_length",
            "sort_order",
        )


class DeliveryOptionAddonInline(admin.TabularInline):
    model = DeliveryOptionAddon
    form = DeliveryOptionAddonForm
    fields = DeliveryOptionAddonForm.Meta.fields
    extra = 0


OPTION_FIELDSETS: Any = (
    (
        "Identity",
        {
            "fields": (
                "merchant",
                "code",
                "kind",
                "carrier",
                "agreement",
                ("carrier_product", "carrier_product_name"),
                "service_class",
                ("is_active", "is_fallback"),
            )
        },
    ),
    (
        "Texts per language",
        {
            "fields": ("names", "descriptions"),
            "description": "A name (and a description) in each language the shop sells in; the "
            "shop's languages come first. Add a language in an empty row.",
        },
    ),
    (
        "Prices",
        {
            "fields": (
                "prices",
                "free_shipping_thresholds",
                "tax_rate",
                "price_mode",
                "price_margins",
            ),
            "description": "Per currency, tax included, in normal units: 49 or 49,00 SEK is "
            "49 kronor.",
        },
    ),
    (
        "Conditions (an empty one always holds)",
        {
            "fields": (
                "countries",
                "postal_codes",
                "max_total_weight_g",
                ("max_length_mm", "max_width_mm", "max_height_mm"),
                ("required_tags", "excluded_tags"),
                "customer_types",
            )
        },
    ),
    (
        "Delivery time",
        {
            "fields": (
                ("earliest_days", "latest_days"),
                "cutoff",
                ("time_of_day_start", "time_of_day_end"),
                "uses_timeslots",
            )
        },
    ),
    ("Presentation", {"fields": ("sort_order", "preselected", "stores")}),
)


def _flatten(fieldsets: Any) -> tuple[str, ...]:
    names: list[str] = []
    for _title, spec in fieldsets:
        for entry in spec["fields"]:
            names.extend(entry if isinstance(entry, tuple) else (entry,))
    return tuple(names)


class DeliveryOptionForm(OptionFieldsMixin, MerchantCodeForm):
    class Meta:
        model = DeliveryOption
        fields = _flatten(OPTION_FIELDSETS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "carrier_product" in self.fields:
            self.fields["carrier_product"].widget.attrs["data-product-kinds"] = json.dumps(
                carrier_product_kinds()
            )
        merchant_id = _merchant_id_of(self)
        if merchant_id is not None:
            merchant = Merchant.objects.filter(pk=merchant_id).first()
            if merchant is not None:
                put_first(self, ("names", "descriptions"), shop_languages(merchant))
                put_first(self, ("prices",), shop_currencies(merchant))
            if "agreement" in self.fields:
                self.fields["agreement"].queryset = CarrierAgreement.objects.filter(  # type: ignore[attr-defined]
                    merchant_id=merchant_id
                )
                empty = "Empty: the shop's agreement with the chosen carrier, when it has one."
                self.fields["agreement"].help_text = empty
            if "stores" in self.fields:
                self.fields["stores"].queryset = Store.objects.filter(  # type: ignore[attr-defined]
                    merchant_id=merchant_id
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        merchant = cleaned.get("merchant") or getattr(self.instance, "merchant", None)
        carrier = str(cleaned.get("carrier") or "")
        if merchant is not None and carrier not in ("", "generic") and not cleaned.get("agreement"):
            # A carrier option without an agreement is never offered: take the shop's agreement
            # with that carrier (it has at most one), as staff would pick it.
            theirs = CarrierAgreement.objects.filter(merchant=merchant, carrier=carrier).first()
            if theirs is not None:
                cleaned["agreement"] = theirs
        refusal = carrier_product_refusal(
            str(cleaned.get("carrier") or ""),
            str(cleaned.get("carrier_product") or ""),
            str(cleaned.get("kind") or ""),
        )
        if refusal:
            product = cleaned.get("carrier_product")
            self.add_error("carrier_product", refusal)
            # Still refused (the form has an error); kept so the model does not also say that a
            # carrier option needs a product code.
            cleaned["carrier_product"] = product
        stores = cleaned.get("stores")
        if merchant is not None and stores is not None:
            foreign = [s.code for s in stores if s.merchant_id != merchant.pk]
            if foreign:
                self.add_error("stores", f"Not this merchant's stores: {', '.join(foreign)}.")
        return cleaned


@admin.register(DeliveryOption)
class DeliveryOptionAdmin(AuditedModelAdmin):
    form = DeliveryOptionForm
    list_display = (
        "merchant",
        "code",
        "kind",
        "carrier",
        "carrier_product",
        "country_list",
        "sort_order",
        "is_active",
        "is_fallback",
    )
    list_filter = ("merchant", "kind", "carrier", "is_active", "is_fallback")
    list_select_related = ("merchant",)
    search_fields = (
        "code",
        "carrier_product",
        "carrier_product_name",
        "merchant__name",
        "merchant__slug",
    )
    filter_horizontal = ("stores",)
    inlines = [DeliveryOptionAddonInline]
    fieldsets = OPTION_FIELDSETS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _merchant_fixed(obj)

    @admin.display(description="countries")
    def country_list(self, obj: DeliveryOption) -> str:
        return ", ".join(obj.countries) if obj.countries else "all"
