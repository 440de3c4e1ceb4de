"""Forms of the merchant portal: sign-in (not for deactivated shops), the bookings filter,
confirming a booking that needs attention, the fallback block's market, the password reset
restricted to shop accounts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from merchants.models import DeliveryOption, MerchantUser

from . import labels
from .selectors import STATUS_ALL, STATUS_ATTENTION, BookingFilters
from .throttle import password_reset_account_allowed

logger = logging.getLogger(__name__)


class ShopAuthenticationForm(AuthenticationForm):
    """Django's sign-in, refused to the users of a deactivated shop with the error of a wrong
    password (so it never tells that the password was right). A shop user's account name is
    the e-mail address invited (merchant_user_invite), so the field says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = _("E-mail")
        username.widget.attrs.update({"autocomplete": "email", "inputmode": "email"})

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if MerchantUser.objects.filter(user_id=user.pk, merchant__is_active=False).exists():
            raise self.get_invalid_login_error()


class ShopPasswordResetForm(PasswordResetForm):
    """Mails a reset link only to accounts of active shops: partner staff reset theirs
    elsewhere, so a staff password can never be changed through the shop portal. Unknown
    addresses get the same answer as known ones (Django's form never says which), and so does
    an account that had its ``PORTAL_PASSWORD_RESET_PER_ACCOUNT`` mails in the window."""

    def get_users(self, email: str) -> Iterable[Any]:
        for user in super().get_users(email):
            if not MerchantUser.objects.filter(user_id=user.pk, merchant__is_active=True).exists():
                continue
            if not password_reset_account_allowed(user_id=user.pk):
                logger.warning("portal password reset of user %s not mailed: too many", user.pk)
                continue
            yield user


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class BookingFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Order number, e-mail, phone, tracking number, name"),
            }
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    carrier = forms.ChoiceField(label=_("Carrier"), required=False)
    option = forms.ChoiceField(label=_("Option"), required=False)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput())

    def __init__(self, *args: Any, options: list[DeliveryOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [
            ("", _("Orders (not unconfirmed checkouts)")),
            (STATUS_ALL, _("All, unconfirmed checkouts too")),
            (STATUS_ATTENTION, _("Needs attention")),
            *((value, name) for value, name in labels.STATUS.items()),
        ]
        carrier = self.fields["carrier"]
        assert isinstance(carrier, forms.ChoiceField)
        carrier.choices = [("", _("Any carrier")), *labels.carrier_choices()]
        option = self.fields["option"]
        assert isinstance(option, forms.ChoiceField)
        option.choices = [("", _("Any option")), *labels.option_names(options).items()]

    def filters(self) -> BookingFilters:
        """The valid fields' values; a field that does not validate filters nothing."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return BookingFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            carrier=data.get("carrier") or "",
            option=data.get("option") or "",
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )


class DashboardRangeForm(forms.Form):
    """The dashboard's days: the last 30 up to today unless a range is given (at most a year;
    a range given backwards is turned round)."""

    DEFAULT_DAYS = 30
    MAX_DAYS = 366

    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def range(self) -> tuple[dt.date, dt.date]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        until = data.get("until") or self.today
        since = data.get("since") or until - dt.timedelta(days=self.DEFAULT_DAYS - 1)
        if since > until:
            since, until = until, since
        if (until - since).days + 1 > self.MAX_DAYS:
            since = until - dt.timedelta(days=self.MAX_DAYS - 1)
        return since, until


class AttentionConfirmForm(forms.Form):
    """Confirming by hand that the order of an expired reservation was paid."""

    merchant_reference = forms.CharField(
        label=_("Your order reference (optional)"),
        required=False,
        max_length=255,
    )


class FallbackForm(forms.Form):
    """The market of a fallback block: a country, a currency, a locale."""

    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Enter a two-letter country code."))],
        help_text=_("ISO 3166-1 alpha-2, e.g. SE"),
    )
    currency = forms.ChoiceField(label=_("Currency"))
    locale = forms.CharField(
        label=_("Locale"),
        max_length=5,
        validators=[
            RegexValidator(
                r"^[A-Za-z]{2}(-[A-Za-z]{2})?$", _("Enter a locale such as sv-SE or en-GB.")
            )
        ],
        help_text=_("The shopper's language, e.g. sv-SE"),
    )

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = self.fields["currency"]
        assert isinstance(currency, forms.ChoiceField)
        currency.choices = [(c, c) for c in currencies]

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()

    def clean_locale(self) -> str:
        language, _sep, region = str(self.cleaned_data["locale"]).partition("-")
        return f"{language.lower()}-{region.upper()}" if region else language.lower()
