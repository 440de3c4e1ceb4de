"""Klarna credentials (issued, rotated and revoked from the merchant's page; keys never shown)
and the shop's Klarna checkout API credential."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from carriers.hosts import allowed_hosts, host_refusal
from tms_gateway.klarna_checkout import client as checkout_client
from tms_gateway.klarna_checkout import units as checkout_units

from ..models import KlarnaCheckoutCredential, KlarnaCredential
from .base import NO_SAVE, ReadOnlyInline, admin_url, change_allowed

# --- Klarna credentials --------------------------------------------------------------------


def credential_state(credential: KlarnaCredential) -> str:
    if credential.revoked_at:
        return f"revoked {credential.revoked_at:%Y-%m-%d %H:%M} UTC"
    return "active"


def credential_key_state(credential: KlarnaCredential) -> str:
    """What the admin may say about a key: that it is set, and when it was rotated."""
    text = "set"
    if credential.rotated_at:
        text += f", rotated at {credential.rotated_at:%Y-%m-%d %H:%M} UTC"
    if (
        credential.previous_key_valid_until
        and credential.previous_key_valid_until > timezone.now()
        and not credential.revoked_at
    ):
        text += f"; the previous key works until {credential.previous_key_valid_until:%Y-%m-%d %H:%M} UTC"
    return text


class KlarnaCredentialInline(ReadOnlyInline):
    """Read-only: credentials are issued, rotated and revoked by the buttons, never edited."""

    model = KlarnaCredential
    # Never "key": a model field of that name would win over the method and show the key.
    fields = ("identifier", "state", "key_state", "created_at", "manage")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "Klarna credential"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if change_allowed(request, KlarnaCredential):
            return self.fields
        return tuple(f for f in self.fields if f != "manage")

    @admin.display(description="state")
    def state(self, obj: KlarnaCredential) -> str:
        return credential_state(obj)

    @admin.display(description="key")
    def key_state(self, obj: KlarnaCredential) -> str:
        return credential_key_state(obj)

    @admin.display(description="")
    def manage(self, obj: KlarnaCredential) -> SafeString | str:
        if obj.revoked_at:
            return ""
        return format_html(
            '<a href="{}">Rotate key</a> · <a href="{}">Revoke</a>',
            admin_url("merchants_merchant_credential_rotate", obj.merchant_id, obj.pk),
            admin_url("merchants_merchant_credential_revoke", obj.merchant_id, obj.pk),
        )


class CredentialStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(KlarnaCredential)
class KlarnaCredentialAdmin(admin.ModelAdmin):
    """The identifiers staff look up; keys are never shown (only that one is set)."""

    list_display = ("identifier", "merchant", "state", "key_state", "created_at")
    list_filter = (CredentialStateFilter, "merchant")
    list_select_related = ("merchant",)
    search_fields = ("identifier", "merchant__name", "merchant__slug")
    fields = (
        "identifier",
        "merchant",
        "state",
        "key_state",
        "created_at",
        "rotated_at",
        "previous_key_valid_until",
        "revoked_at",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the merchant's page, where the key is shown once

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: the audit log refers to it

    @admin.display(description="state")
    def state(self, obj: KlarnaCredential) -> str:
        return credential_state(obj)

    @admin.display(description="key")
    def key_state(self, obj: KlarnaCredential) -> str:
        return credential_key_state(obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # nothing here is edited; the buttons have their own views
        credential = self.get_object(request, object_id)
        context = dict(NO_SAVE)
        if (
            credential is not None
            and not credential.revoked_at
            and change_allowed(request, KlarnaCredential)
        ):
            context["rotate_url"] = admin_url(
                "merchants_merchant_credential_rotate", credential.merchant_id, credential.pk
            )
            context["revoke_url"] = admin_url(
                "merchants_merchant_credential_revoke", credential.merchant_id, credential.pk
            )
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )


class CredentialIssueForm(forms.Form):
    identifier = forms.SlugField(
        max_length=255,
        required=False,
        help_text="Leave blank to generate one (the shop's slug and a random suffix).",
    )


# --- Klarna checkout API credentials ------------------------------------------------------


def _checkout_address(credential: KlarnaCheckoutCredential) -> str:
    try:
        return checkout_client.base_url(credential)
    except ValueError:  # no host for that provider and region: the form says so
        return ""


class KlarnaCheckoutCredentialForm(forms.ModelForm):
    """The password in a masked input: never rendered back; left blank, the stored one stays,
    unless the address it is sent to changes (provider, region, test mode or API base URL):
    then it must be entered again, and an API base URL must be an allowed host."""

    password = forms.CharField(
        label="API password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 40}
        ),
    )
    api_base_url = forms.URLField(
        label="API base URL",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 40}),
        help_text=KlarnaCheckoutCredential._meta.get_field("api_base_url").help_text,
    )

    class Meta:
        model = KlarnaCheckoutCredential
        fields = (
            "provider",
            "region",
            "test_mode",
            "username",
            "password",
            "api_base_url",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = bool(self.instance.pk and self.instance.password)
        # Blank means "unchanged": the stored secret is never the form's initial value.
        self.initial["password"] = ""
        self.fields["password"].help_text = (
            "Set: leave blank to keep it." if stored else "Not set. The shared secret."
        )

    def clean_password(self) -> str:
        value = str(self.cleaned_data.get("password") or "")
        if value:
            return value
        if self.instance.pk and self.instance.password:
            return str(self.instance.password)
        raise forms.ValidationError("Enter the API password (shared secret).")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url = str(cleaned.get("api_base_url") or "")
        hosts = allowed_hosts(checkout_units.SLUG, own=checkout_units.BASE_URLS.values())
        refusal = host_refusal(url, hosts, carrier="Klarna's checkout API") if url else ""
        if refusal:
            self.add_error("api_base_url", f"Refused: {refusal}.")
        entered = bool(self.data.get(self.add_prefix("password")))
        if not self.instance.pk or not self.instance.password or entered:
            return cleaned
        after = KlarnaCheckoutCredential(
            provider=cleaned.get("provider", self.instance.provider),
            region=cleaned.get("region", self.instance.region),
            test_mode=bool(cleaned.get("test_mode")),
            api_base_url=url,
        )
        if _checkout_address(after) != _checkout_address(self.instance):
            self.add_error(
                "password",
                "Enter the API password again: the address it is sent to changes (stored "
                "secrets are never sent to a new address).",
            )
        return cleaned


class KlarnaCheckoutCredentialInline(admin.StackedInline):
    """The shop's own Checkout API credentials: with them the gateway reads the checkout order
    of a reservation Klarna has not confirmed, and books it if it was paid."""

    model = KlarnaCheckoutCredential
    form = KlarnaCheckoutCredentialForm
    extra = 0
    max_num = 1
    verbose_name = "Klarna checkout API credential"
    verbose_name_plural = "Klarna checkout API (reads the orders Klarna has not confirmed)"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(KlarnaCheckoutCredentialForm.Meta.fields)
        if self.has_change_permission(request, obj):
            return fields
        # Read-only, a field would show its value: the password only says whether it is set.
        return tuple("password_state" if f == "password" else f for f in fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("password_state",)

    @admin.display(description="API password")
    def password_state(self, obj: KlarnaCheckoutCredential) -> str:
        return "set" if obj.password else "not set"
