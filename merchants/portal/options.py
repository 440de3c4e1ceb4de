"""The portal's delivery options pages: the shop edits its own options' names, descriptions,
prices, free-shipping thresholds, order and whether they are offered.

The form is the admin's (``OptionShopFieldsMixin`` of merchants/admin/forms.py: the same
fields, widgets, JS and CSS), limited to what ``merchants.shop_edits`` lets a shop change;
anything else posted (carrier, product, agreement, code, conditions) is not a field and is
ignored. Every change goes through ``merchants.shop_edits`` (audited, the shop's user as the
actor) and, once committed, drops the shop's kept checkout answers (``answers_forget``): the
next shipping-options call from Klarna shows the change. Another shop's option is 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.admin.forms import (
    OptionShopFieldsMixin,
    put_first,
    shop_currencies,
    shop_languages,
)
from merchants.models import DeliveryOption, Merchant
from merchants.shop_edits import (
    SHOP_OPTION_FIELDS,
    ActivationRefused,
    delivery_option_activation_refusal,
    delivery_option_move,
    delivery_option_shop_update,
)
from tms_gateway.common.errors import NotFound
from tms_gateway.ksa.answers import answers_forget

from . import labels
from .views import ShopView

#: Why an option cannot be switched on, as the shop reads it.
ACTIVATION_REFUSALS: dict[str, Promise] = {
    "no_agreement": gettext_lazy(
        "This option cannot be switched on: there is no agreement with its carrier. "
        "Ask your partner to set one up."
    ),
    "agreement_inactive": gettext_lazy(
        "This option cannot be switched on: the agreement with its carrier is not active. "
        "Ask your partner to activate it."
    ),
}


def _refusal_text(code: str) -> str:
    return str(ACTIVATION_REFUSALS.get(code, ACTIVATION_REFUSALS["agreement_inactive"]))


class ShopOptionForm(OptionShopFieldsMixin, forms.ModelForm):
    """The admin's option fields a shop may change (``SHOP_OPTION_FIELDS``)."""

    class Meta:
        model = DeliveryOption
        fields = SHOP_OPTION_FIELDS

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        put_first(self, ("names", "descriptions"), shop_languages(merchant))
        put_first(self, ("prices", "free_shipping_thresholds"), shop_currencies(merchant))
        texts: dict[str, tuple[Any, Any]] = {
            "names": (gettext_lazy("Names"), gettext_lazy("The name shoppers see, per language.")),
            "descriptions": (
                gettext_lazy("Descriptions"),
                gettext_lazy("A line under the name, per language (optional)."),
            ),
            "prices": (
                gettext_lazy("Prices"),
                gettext_lazy(
                    "Per currency, tax included, in normal units: 49 or 49,00 SEK is 49 kronor."
                ),
            ),
            "free_shipping_thresholds": (
                gettext_lazy("Free shipping from"),
                gettext_lazy(
                    "Order total (tax included, normal units) from which this option is free. "
                    "Empty: never free."
                ),
            ),
            "sort_order": (
                gettext_lazy("Sort order"),
                gettext_lazy("Lower comes first in the checkout."),
            ),
            "is_active": (gettext_lazy("Offered in the checkout"), None),
        }
        for name, (label, help_text) in texts.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text or ""
        widgets = {
            "names": (gettext_lazy("Language"), gettext_lazy("Name")),
            "descriptions": (gettext_lazy("Language"), gettext_lazy("Description")),
            "prices": (gettext_lazy("Currency"), gettext_lazy("Amount")),
            "free_shipping_thresholds": (gettext_lazy("Currency"), gettext_lazy("Order total")),
        }
        for name, (key_label, value_label) in widgets.items():
            widget: Any = self.fields[name].widget
            widget.key_label, widget.value_label = key_label, value_label


def _option_row(option: DeliveryOption) -> dict[str, Any]:
    return {
        "option": option,
        "name": labels.localized(option.names, fallback=option.code),
        "carrier": labels.carrier(option.carrier),
        "kind": labels.label(labels.KIND, option.kind),
        "prices": [labels.money(amount, currency) for currency, amount in option.prices.items()],
        "thresholds": [
            labels.money(amount, currency)
            for currency, amount in (option.free_shipping_thresholds or {}).items()
        ],
        "refusal": None if option.is_active else delivery_option_activation_refusal(option=option),
    }


def _changed(merchant: Merchant) -> None:
    """The checkout answers from the new configuration once the change is committed."""
    merchant_id = merchant.pk
    transaction.on_commit(lambda: answers_forget(merchant_id=merchant_id))


def _option_get(merchant: Merchant, option_id: int) -> DeliveryOption:
    option = (
        DeliveryOption.objects.select_related("agreement")
        .filter(merchant=merchant, pk=option_id)
        .first()
    )
    if option is None:
        raise Http404
    return option


class OptionListView(ShopView):
    """The shop's options in checkout order, with move up/down and on/off buttons."""

    def get(self, request: HttpRequest) -> HttpResponse:
        options = list(
            DeliveryOption.objects.filter(merchant=self.merchant)
            .select_related("agreement")
            .order_by("sort_order", "id")
        )
        return TemplateResponse(
            request,
            "portal/options.html",
            {
                "merchant": self.merchant,
                "section": "options",
                "rows": [_option_row(option) for option in options],
            },
        )


class OptionEditView(ShopView):
    """One option's form (GET shows it, POST saves it; a refused save is 400 with the form's
    errors and changes nothing)."""

    def get(self, request: HttpRequest, option_id: int) -> HttpResponse:
        option = _option_get(self.merchant, option_id)
        return self._render(
            request, option, ShopOptionForm(instance=option, merchant=self.merchant)
        )

    def post(self, request: HttpRequest, option_id: int) -> HttpResponse:
        option = _option_get(self.merchant, option_id)
        form = ShopOptionForm(request.POST, instance=option, merchant=self.merchant)
        if not form.is_valid():
            return self._render(request, option, form, status=400)
        values = {name: form.cleaned_data[name] for name in SHOP_OPTION_FIELDS}
        try:
            changes = delivery_option_shop_update(
                merchant=self.merchant, option_id=option.pk, values=values, actor=request.user
            )
        except ActivationRefused as exc:
            form.add_error("is_active", _refusal_text(exc.code))
            return self._render(request, option, form, status=400)
        except NotFound as exc:
            raise Http404 from exc
        if changes:
            _changed(self.merchant)
            messages.success(request, _("Saved. The checkout shows the change now."))
        else:
            messages.info(request, _("Nothing changed."))
        return HttpResponseRedirect(reverse("portal:options"))

    def _render(
        self, request: HttpRequest, option: DeliveryOption, form: ShopOptionForm, status: int = 200
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "portal/option_edit.html",
            {
                "merchant": self.merchant,
                "section": "options",
                "option": option,
                "row": _option_row(option),
                "form": form,
            },
            status=status,
        )


class OptionMoveView(ShopView):
    """POST ``direction=up|down``: the option one place earlier or later in the checkout."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, option_id: int) -> HttpResponse:
        direction = request.POST.get("direction")
        if direction not in ("up", "down"):
            return HttpResponse(_("Move up or down."), status=400, content_type="text/plain")
        try:
            delivery_option_move(
                merchant=self.merchant,
                option_id=option_id,
                step=-1 if direction == "up" else 1,
                actor=request.user,
            )
        except NotFound as exc:
            raise Http404 from exc
        _changed(self.merchant)
        return HttpResponseRedirect(f"{reverse('portal:options')}#option-{option_id}")


class OptionActiveView(ShopView):
    """POST ``active=1`` or ``active=0``: offer the option in the checkout, or stop offering it.
    The wanted state is posted (not "toggle"), so a repeated POST changes nothing more."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, option_id: int) -> HttpResponse:
        wanted = request.POST.get("active")
        if wanted not in ("0", "1"):
            return HttpResponse(_("Say on (1) or off (0)."), status=400, content_type="text/plain")
        option = _option_get(self.merchant, option_id)
        try:
            changes = delivery_option_shop_update(
                merchant=self.merchant,
                option_id=option.pk,
                values={"is_active": wanted == "1"},
                actor=request.user,
            )
        except ActivationRefused as exc:
            messages.error(request, _refusal_text(exc.code))
            return HttpResponseRedirect(f"{reverse('portal:options')}#option-{option_id}")
        if changes:
            _changed(self.merchant)
            name = labels.localized(option.names, fallback=option.code)
            messages.success(
                request,
                (
                    _("%(name)s is offered in the checkout now.")
                    if wanted == "1"
                    else _("%(name)s is no longer offered in the checkout.")
                )
                % {"name": name},
            )
        return HttpResponseRedirect(f"{reverse('portal:options')}#option-{option_id}")
