"""The portal's settings page: the shop's time zone (the portal shows times, takes dates and
exports in it), whether, and where, a booking that fails is e-mailed, and whether returning
shoppers find their last choice preselected (and for how long it is kept). Saved through
``merchants.shop_edits`` (audited, the shop's user as the actor)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.shop_edits import SHOP_SETTINGS_FIELDS, merchant_shop_settings_update

from .views import ShopView

#: Offered first: the Nordic countries and the rest of Europe the gateway's shops ship to.
NEAR_ZONES = (
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Atlantic/Reykjavik",
    "Europe/Mariehamn",
    "Atlantic/Faroe",
    "Europe/Tallinn",
    "Europe/Riga",
    "Europe/Vilnius",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Warsaw",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Madrid",
    "Europe/Rome",
)


@cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA zone names (Area/Location and UTC; not the old aliases like "EST5EDT")."""
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if ("/" in name and not name.startswith(("Etc/", "SystemV/", "posix", "right")))
            or name == "UTC"
        )
    )


def time_zone_choices() -> list[Any]:
    """Nordic and European zones first, then every other zone by name."""
    known = set(time_zone_names())
    near = [name for name in NEAR_ZONES if name in known]
    europe = [n for n in time_zone_names() if n.startswith("Europe/") and n not in near]
    others = [n for n in time_zone_names() if n not in near and n not in europe]
    return [
        (gettext_lazy("Nordic countries and Europe"), [(n, n.replace("_", " ")) for n in near]),
        (gettext_lazy("Rest of Europe"), [(n, n.replace("_", " ")) for n in europe]),
        (gettext_lazy("Elsewhere"), [(n, n.replace("_", " ")) for n in others]),
    ]


class ShopSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        choices=time_zone_choices,
        help_text=gettext_lazy("The portal shows times, takes dates and exports in this zone."),
    )
    notify_booking_failures = forms.BooleanField(
        label=gettext_lazy("E-mail us when a booking fails"), required=False
    )
    notification_email = forms.EmailField(
        label=gettext_lazy("E-mail address for failed bookings"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("Empty: the e-mails go to every user of the shop's portal."),
    )
    remember_choices = forms.BooleanField(
        label=gettext_lazy("Preselect a returning shopper's last choice"), required=False
    )
    remember_days = forms.IntegerField(
        label=gettext_lazy("Forget a shopper's choice after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=gettext_lazy(
            "Kept only as a keyed hash of the e-mail address and phone number, counted from "
            "the shopper's last purchase."
        ),
    )

    def __init__(self, *args: Any, current_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current_zone not in time_zone_names() and current_zone in zoneinfo.available_timezones():
            # A zone partner staff chose that the list leaves out (Etc/GMT-1, CET): kept, so
            # saving the other settings does not move the shop to another zone.
            field: Any = self.fields["time_zone"]
            field.choices = [(current_zone, current_zone), *field.choices]


class ShopSettingsView(ShopView):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {name: getattr(self.merchant, name) for name in SHOP_SETTINGS_FIELDS}
        form = ShopSettingsForm(initial=initial, current_zone=self.merchant.time_zone)
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ShopSettingsForm(request.POST, current_zone=self.merchant.time_zone)
        if not form.is_valid():
            return self._render(request, form, status=400)
        changes = merchant_shop_settings_update(
            merchant=self.merchant,
            # A field left out (an empty number of days) keeps its value.
            values={
                name: form.cleaned_data[name]
                for name in SHOP_SETTINGS_FIELDS
                if form.cleaned_data[name] is not None
            },
            actor=request.user,
        )
        if changes:
            messages.success(request, _("Settings saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return HttpResponseRedirect(reverse("portal:settings"))

    def _render(
        self, request: HttpRequest, form: ShopSettingsForm, status: int = 200
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "portal/settings.html",
            {"merchant": self.merchant, "section": "settings", "form": form},
            status=status,
        )
