"""The erasure form partner staff (admin) and the shop (portal) fill in for a data-subject
request: the shopper's e-mail, number, or both."""

from __future__ import annotations

from typing import Any

import phonenumbers
from babel import Locale
from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .identity import email_normalize, phone_normalize


def _country_choices() -> list[tuple[str, str]]:
    """Every country with phone numbers, named in the page's language."""
    try:
        names = Locale.parse((translation.get_language() or "en").replace("-", "_")).territories
    except (ValueError, TypeError):
        names = Locale("en").territories
    return sorted(
        ((c, f"{names.get(c, c)} ({c})") for c in phonenumbers.SUPPORTED_REGIONS),
        key=lambda pair: pair[1],
    )


class ShopperForgetForm(forms.Form):
    email = forms.EmailField(label=_("The shopper's e-mail address"), required=False)
    phone = forms.CharField(label=_("The shopper's phone number"), max_length=40, required=False)
    country = forms.ChoiceField(
        label=_("Country of the number"),
        choices=_country_choices,
        help_text=_("How a number without +country code is read."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email = str(data.get("email") or "")
        phone = str(data.get("phone") or "")
        if phone and not phone_normalize(phone=phone, country=str(data.get("country") or "")):
            self.add_error("phone", _("This is not a valid phone number for the country."))
        elif not email_normalize(email) and not phone and not self.has_error("email"):
            raise forms.ValidationError(_("Give the shopper's e-mail address or phone number."))
        return data
