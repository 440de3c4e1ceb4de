"""Partner staff's admin: onboard a merchant in one flow.

A merchant's page is the start: its Klarna credentials (issue, rotate, revoke; a plain key is
shown once, on the page that issues it), carrier agreements (credentials in masked fields,
never shown back; "Check connection" asks the carrier for a real quote), stores, shop users
(invited by e-mail) and a link to its delivery options. Every change of a merchant's
configuration is written to the audit log (merchants/audit.py) with secrets masked.

Permissions: the "Support" role sees everything and changes nothing (no actions, no buttons,
403 on a POST); "Admin" may do everything (``manage.py staff_roles``). Every action and view
that changes something checks ``has_change_permission`` of the model it changes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, QuerySet
from django.forms import BaseModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from carriers.declaration import CredentialField
from carriers.hosts import allowed_hosts, carrier_host_refusal, host_refusal
from carriers.registry import adapters, declarations
from tms_gateway.common.errors import ApplicationError
from tms_gateway.klarna_checkout import client as checkout_client
from tms_gateway.klarna_checkout import units as checkout_units

from .agreements import (
    carrier_agreement_check,
    carrier_agreement_secrets_to_enter,
    carrier_fidelity_note,
)
from .audit import (
    AuditAction,
    Snapshot,
    audit_changes,
    audit_merchant,
    audit_record,
    audit_snapshot,
)
from .models import (
    AuditLog,
    CarrierAgreement,
    DeliveryOption,
    DeliveryOptionAddon,
    KlarnaCheckoutCredential,
    KlarnaCredential,
    Merchant,
    MerchantApiToken,
    MerchantUser,
    Store,
    carrier_label,
)
from .preview import PreviewForm, preview_context
from .services import (
    carrier_agreement_webhook_issue,
    klarna_credential_create,
    klarna_credential_revoke,
    klarna_credential_rotate,
    merchant_user_invite,
)

TEMPLATES = "admin/merchants"
#: Smaller JSON boxes (most hold one line: {"SEK": 4900}); URLs without a scheme are https.
FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.JSONField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})},
    models.URLField: {"assume_scheme": "https"},
}
NO_SAVE: dict[str, Any] = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,
}


def _can_change(request: HttpRequest, model: type[models.Model]) -> bool:
    """The model admin's ``has_change_permission``; the model's change permission for a model
    without an admin of its own (shop users)."""
    if admin.site.is_registered(model):
        return admin.site.get_model_admin(model).has_change_permission(request)
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


def _require_change(request: HttpRequest, model: type[models.Model]) -> None:
    if not _can_change(request, model):
        raise PermissionDenied


def _admin_url(name: str, *args: Any, query: str = "") -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{query}" if query else url


# --- Audited saves -------------------------------------------------------------------------


def _record(request: HttpRequest, obj: models.Model, action: str, changes: dict[str, Any]) -> None:
    audit_record(
        merchant=audit_merchant(obj), actor=request.user, action=action, obj=obj, changes=changes
    )


def _stored(obj: models.Model) -> Snapshot:
    """The state of ``obj`` as the database has it (before the change being saved)."""
    return audit_snapshot(type(obj)._default_manager.get(pk=obj.pk))


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes an audit row for every add, change and delete of the object and its inlines."""

    formfield_overrides = FORMFIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form._audit_before = _stored(obj) if change and obj.pk else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.save_m2m()
        # Recorded once its many-to-many fields are saved too, before the inline rows.
        before = getattr(form, "_audit_before", None)
        changes = audit_changes(before=before, after=audit_snapshot(form.instance))
        if before is None or changes:
            _record(
                request,
                form.instance,
                AuditAction.UPDATE if before is not None else AuditAction.CREATE,
                changes,
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        parent = form.instance
        merchant = audit_merchant(parent)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _record(
                request, obj, AuditAction.DELETE, audit_changes(before=_stored(obj), after=None)
            )
            obj.delete()
        for obj in instances:
            before = None if obj._state.adding else _stored(obj)
            if getattr(obj, "merchant_id", 0) is None:
                obj.merchant = merchant  # add-ons carry their option's merchant
            obj.save()
            changes = audit_changes(before=before, after=audit_snapshot(obj))
            if before is None or changes:
                action = AuditAction.CREATE if before is None else AuditAction.UPDATE
                _record(request, obj, action, changes)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _record(request, obj, AuditAction.DELETE, audit_changes(before=_stored(obj), after=None))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            _record(request, obj, AuditAction.DELETE, audit_changes(before=obj, after=None))
        super().delete_queryset(request, queryset)


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


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows: they are added and changed elsewhere (buttons, the
    portal), never through the parent's form."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
        if _can_change(request, KlarnaCredential):
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
            _admin_url("merchants_merchant_credential_rotate", obj.merchant_id, obj.pk),
            _admin_url("merchants_merchant_credential_revoke", obj.merchant_id, obj.pk),
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
            and _can_change(request, KlarnaCredential)
        ):
            context["rotate_url"] = _admin_url(
                "merchants_merchant_credential_rotate", credential.merchant_id, credential.pk
            )
            context["revoke_url"] = _admin_url(
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


# --- Carrier agreements --------------------------------------------------------------------


def _credential_specs(carrier: str) -> tuple[CredentialField, ...]:
    declaration = declarations().get(carrier)
    return declaration.credentials if declaration is not None else ()


def credential_keys() -> tuple[str, ...]:
    """Every key any configured carrier declares, in a stable order: one form field each."""
    return tuple(dict.fromkeys(f.key for d in declarations().values() for f in d.credentials))


def _keys_of(carrier: str) -> set[str]:
    return {f.key for f in _credential_specs(carrier)}


def _key_spec(carrier: str, key: str) -> CredentialField:
    return next(f for f in _credential_specs(carrier) if f.key == key)


def credential_field(key: str) -> str:
    return f"credential_{key}"


def credential_keys_set(agreement: CarrierAgreement) -> str:
    keys = sorted(k for k, v in (agreement.credentials or {}).items() if v not in (None, ""))
    return ", ".join(keys) + " set" if keys else "none set"


def _carrier_label(carrier: str) -> str:
    return carrier_label(carrier)


def _secret_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 50}
        ),
    )


class CarrierAgreementForm(forms.ModelForm):
    """Credentials per key in masked inputs: never rendered back, a blank one keeps the stored
    value, "Remove keys" deletes some. The JSON itself is never a form field.

    Stored secrets never follow a changed URL: the API base URL must be an allowed host of the
    carrier (carriers/hosts.py), and a change of where the agreement calls (the URL, or the
    test mode switching the carrier's host) needs every stored secret key entered again."""

    # One masked field per key any carrier declares: added by agreement_form_class().
    api_base_url = forms.URLField(
        label="API base URL",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 50}),
        help_text=(
            f"{CarrierAgreement._meta.get_field('api_base_url').help_text} Only a host allowed "
            "for the carrier (CARRIER_ALLOWED_HOSTS); changing it needs the secret keys again."
        ),
    )
    credentials_remove = forms.MultipleChoiceField(
        label="Remove keys",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick a stored key to delete it.",
    )

    class Meta:
        model = CarrierAgreement
        fields = (
            "merchant",
            "carrier",
            "customer_number",
            "test_mode",
            "api_base_url",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.credentials if self.instance.pk else {}
        carrier = self._carrier()
        for key in credential_keys():
            if credential_field(key) not in self.fields:
                continue
            users = [c for c in declarations() if key in _keys_of(c)]
            spec = _key_spec(carrier if carrier in users else users[0], key)
            state = "Set: leave blank to keep it." if stored.get(key) else "Not set."
            if carrier:
                state += " Required." if spec.required else " Optional."
                if spec.help_text:
                    state += f" {spec.help_text}"
            else:
                state += " Used by " + ", ".join(_carrier_label(c) for c in users) + "."
            field = self.fields[credential_field(key)]
            field.label = f"{spec.label} ({key})"
            field.help_text = state
        remove = self.fields["credentials_remove"]
        assert isinstance(remove, forms.MultipleChoiceField)
        remove.choices = [(k, k) for k in sorted(stored)]

    def _carrier(self) -> str:
        if self.instance.pk:
            return self.instance.carrier
        value = self.data.get("carrier") or self.initial.get("carrier") or ""
        return str(value) if value in declarations() else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        carrier = self.instance.carrier if self.instance.pk else cleaned.get("carrier")
        if not carrier:
            return cleaned
        allowed = _keys_of(carrier)
        credentials = dict(self.instance.credentials or {}) if self.instance.pk else {}
        self._check_address(carrier, cleaned)
        for key in credential_keys():
            value = cleaned.get(credential_field(key)) or ""
            if not value:
                continue
            if key not in allowed:
                # Not a field error: the field may not be on the page for this carrier.
                self.add_error(None, f"{_carrier_label(carrier)} does not use {key}.")
                continue
            credentials[key] = value
        for key in cleaned.get("credentials_remove") or ():
            credentials.pop(key, None)
        self.instance.credentials = credentials
        return cleaned

    def _check_address(self, carrier: str, cleaned: dict[str, Any]) -> None:
        url = str(cleaned.get("api_base_url") or "")
        refusal = carrier_host_refusal(carrier, url) if url else ""
        if refusal:
            self.add_error("api_base_url", f"Refused: {refusal}.")
        if "api_base_url" not in cleaned or not self.instance.pk:
            return
        entered = {k for k in credential_keys() if cleaned.get(credential_field(k))}
        missing = carrier_agreement_secrets_to_enter(
            agreement=self.instance,
            api_base_url=url,
            test_mode=bool(cleaned.get("test_mode")),
            entered=frozenset(entered | set(cleaned.get("credentials_remove") or ())),
        )
        if not missing:
            return
        for key in missing:
            if credential_field(key) in self.fields:
                self.add_error(credential_field(key), "Enter it again: the API address changes.")
        self.add_error(
            None,
            "The agreement would call another address (API base URL or test mode changed): "
            f"enter every secret key again ({', '.join(missing)}). Stored secrets are never "
            "sent to a new address.",
        )


def agreement_form_class() -> type[CarrierAgreementForm]:
    """The agreement form with one masked input per credential key the configured carriers
    declare (a carrier added to CARRIER_ADAPTERS brings its keys with it)."""
    fields = {credential_field(key): _secret_field() for key in credential_keys()}
    return type("CarrierAgreementForm", (CarrierAgreementForm,), fields)


class CarrierAgreementInline(admin.TabularInline):
    """The merchant's agreements; credentials are entered on the agreement's own page."""

    model = CarrierAgreement
    fields = (
        "carrier",
        "customer_number",
        "test_mode",
        "api_base_url",
        "is_active",
        "credentials_state",
    )
    # Where it calls is changed on the agreement's own page, where its secrets are entered again.
    readonly_fields = ("carrier", "test_mode", "api_base_url", "credentials_state")
    extra = 0
    show_change_link = True
    formfield_overrides = {
        models.URLField: {"widget": forms.URLInput(attrs={"size": 30}), "assume_scheme": "https"}
    }

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added with its credentials on the agreement page (links above)

    @admin.display(description="credentials")
    def credentials_state(self, obj: CarrierAgreement) -> str:
        return credential_keys_set(obj)


@admin.register(CarrierAgreement)
class CarrierAgreementAdmin(AuditedModelAdmin):
    form = CarrierAgreementForm
    list_display = (
        "merchant",
        "carrier",
        "customer_number",
        "test_mode",
        "api_base_url",
        "is_active",
        "credentials_state",
    )
    list_filter = ("carrier", "test_mode", "is_active", "merchant")
    list_select_related = ("merchant",)
    search_fields = ("merchant__name", "merchant__slug", "customer_number")
    actions = ["check_connection"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = agreement_form_class()
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            keys = [f.key for f in _credential_specs(obj.carrier)]
            description = (
                f"The keys {obj.get_carrier_display()} needs. Stored values are never shown."
            )
        else:
            chosen = request.POST.get("carrier") or request.GET.get("carrier") or ""
            keys = [f.key for f in _credential_specs(chosen)] or list(credential_keys())
            description = "Fill in the keys of the chosen carrier; the others stay empty."
        credential_fields = [credential_field(k) for k in keys]
        if obj is not None and not self.has_change_permission(request, obj):
            credential_fields = []  # a viewer sees only which keys are set
        if obj is not None:
            credential_fields = ["credentials_state", *credential_fields]
            if obj.credentials and self.has_change_permission(request, obj):
                credential_fields.append("credentials_remove")
        return (
            (
                "Agreement",
                {
                    "fields": (
                        "merchant",
                        "carrier",
                        *(("carrier_fidelity", "webhook_state") if obj is not None else ()),
                        "customer_number",
                        "test_mode",
                        "api_base_url",
                        "is_active",
                    )
                },
            ),
            ("Credentials", {"fields": credential_fields, "description": description}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The credential keys depend on the carrier, and its options on both.
        if obj is None:
            return ()
        return ("merchant", "carrier", "credentials_state", "carrier_fidelity", "webhook_state")

    @admin.display(description="tracking webhook")
    def webhook_state(self, obj: CarrierAgreement) -> str:
        adapter = adapters().get(obj.carrier)
        if adapter is None or not adapter.pushes_tracking:
            return "Not needed: the gateway asks this carrier for tracking."
        if obj.webhook_issued_at is None:
            return (
                f"Not issued: {carrier_label(obj.carrier)} pushes tracking events; issue a "
                "webhook URL and enter it in the carrier's portal."
            )
        return (
            f"Issued {obj.webhook_issued_at:%Y-%m-%d %H:%M} UTC (shown once; issue a new one "
            "if it is lost)."
        )

    @admin.display(description="checked against the carrier's published API")
    def carrier_fidelity(self, obj: CarrierAgreement) -> str:
        declaration = declarations().get(obj.carrier)
        if declaration is None:
            return "No adapter is configured for this carrier."
        adapter = adapters().get(obj.carrier)
        pushes = adapter is not None and adapter.pushes_tracking
        return carrier_fidelity_note(declaration, pushes_tracking=pushes) or (
            "Every operation was checked against a published source (carriers/FIDELITY.md)."
        )

    def response_post_save_add(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        # Its page has "Check connection": the next step.
        return HttpResponseRedirect(_admin_url("merchants_carrieragreement_change", obj.pk))

    @admin.display(description="credentials")
    def credentials_state(self, obj: CarrierAgreement) -> str:
        return credential_keys_set(obj)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/check/",
                self.admin_site.admin_view(self.check_view),
                name="merchants_carrieragreement_check",
            ),
            path(
                "<path:object_id>/webhook/",
                self.admin_site.admin_view(self.webhook_view),
                name="merchants_carrieragreement_webhook",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if _can_change(request, CarrierAgreement):
            context["check_url"] = _admin_url("merchants_carrieragreement_check", object_id)
            agreement = self.get_object(request, object_id)
            adapter = adapters().get(agreement.carrier) if agreement is not None else None
            if adapter is not None and adapter.pushes_tracking:
                context["webhook_url"] = _admin_url("merchants_carrieragreement_webhook", object_id)
        return super().change_view(request, object_id, form_url, context)

    def _report(self, request: HttpRequest, agreement: CarrierAgreement) -> None:
        result = carrier_agreement_check(agreement=agreement)
        level = (
            messages.ERROR
            if not result.ok
            else messages.WARNING
            if result.cached
            else messages.SUCCESS
        )
        self.message_user(request, f"{agreement}: {result.message}", level)
        if result.caveat:
            self.message_user(request, f"{agreement}: {result.caveat}", messages.WARNING)

    def check_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(_admin_url("merchants_carrieragreement_change", object_id))
        _require_change(request, CarrierAgreement)
        agreement = self.get_object(request, object_id)
        if agreement is None:
            raise Http404
        self._report(request, agreement)
        return HttpResponseRedirect(_admin_url("merchants_carrieragreement_change", agreement.pk))

    def webhook_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(_admin_url("merchants_carrieragreement_change", object_id))
        _require_change(request, CarrierAgreement)
        agreement = self.get_object(request, object_id)
        if agreement is None:
            raise Http404
        adapter = adapters().get(agreement.carrier)
        if adapter is None or not adapter.pushes_tracking:
            self.message_user(
                request,
                f"{agreement}: the gateway asks this carrier for tracking; no webhook is needed.",
                messages.WARNING,
            )
        else:
            token = carrier_agreement_webhook_issue(agreement=agreement, actor=request.user)
            url = request.build_absolute_uri(
                reverse("carrier_webhook", args=(agreement.carrier, token))
            )
            self.message_user(
                request,
                f"{agreement}: enter this tracking webhook URL in {adapter.name}'s portal. It is "
                f"shown only now; any earlier one stops working: {url}",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(_admin_url("merchants_carrieragreement_change", agreement.pk))

    @admin.action(permissions=["change"], description="Check connection (a real quote)")
    def check_connection(self, request: HttpRequest, queryset: QuerySet[CarrierAgreement]) -> None:
        for agreement in queryset.select_related("merchant"):
            self._report(request, agreement)


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


@admin.register(Store)
class StoreAdmin(AuditedModelAdmin):
    form = MerchantCodeForm
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
            ((_admin_url("merchants_deliveryoption_change", o.pk), o.code) for o in options),
        )


class DeliveryOptionAddonInline(admin.TabularInline):
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
    extra = 0
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 34})}
    }


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
        "Texts per language (JSON)",
        {
            "fields": ("names", "descriptions"),
            "description": 'One text per language: {"sv": "Hemleverans", "en": "Home delivery"}.',
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
            "description": 'Minor units per currency, tax included: {"SEK": 4900} is 49 kr.',
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


class DeliveryOptionForm(MerchantCodeForm):
    class Meta:
        model = DeliveryOption
        fields = _flatten(OPTION_FIELDSETS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        merchant_id = _merchant_id_of(self)
        if merchant_id is not None:
            if "agreement" in self.fields:
                self.fields["agreement"].queryset = CarrierAgreement.objects.filter(  # type: ignore[attr-defined]
                    merchant_id=merchant_id
                )
            if "stores" in self.fields:
                self.fields["stores"].queryset = Store.objects.filter(  # type: ignore[attr-defined]
                    merchant_id=merchant_id
                )
        if "carrier_product" in self.fields:
            self.fields["carrier_product"].help_text = "Codes: " + "; ".join(
                f"{a.name}: " + ", ".join(f"{code} {name}" for code, name in a.products.items())
                for a in adapters().values()
                if a.products
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        merchant = cleaned.get("merchant") or getattr(self.instance, "merchant", None)
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


# --- Shop users ----------------------------------------------------------------------------


class MerchantUserInline(ReadOnlyInline):
    """Read-only: shop users are invited with the button; they set their password themselves."""

    model = MerchantUser
    fields = ("email", "status", "last_login", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "shop user"
    verbose_name_plural = "shop users (portal accounts)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[MerchantUser]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description="e-mail")
    def email(self, obj: MerchantUser) -> str:
        return obj.user.email or obj.user.username

    @admin.display(description="status")
    def status(self, obj: MerchantUser) -> str:
        if not obj.user.is_active:
            return "deactivated"
        return "active" if obj.user.has_usable_password() else "invited (no password yet)"

    @admin.display(description="last sign-in")
    def last_login(self, obj: MerchantUser) -> Any:
        return obj.user.last_login or "never"


class MerchantApiTokenInline(ReadOnlyInline):
    """Read-only: shop staff issue and revoke their merchant API tokens in the portal; partner
    staff see which systems of the shop call the API, and when they last did."""

    model = MerchantApiToken
    fields = ("name", "token", "created_at", "created_by", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "merchant API token"
    verbose_name_plural = "merchant API tokens (issued and revoked by the shop in the portal)"

    @admin.display(description="token")
    def token(self, obj: MerchantApiToken) -> str:
        return f"{obj.prefix}…"


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", help_text="They get a link to choose a password.")


class _InvitationMail(PasswordResetForm):
    """Django's reset mail for one invited user, who has no usable password yet (the stock
    form skips such users)."""

    def __init__(self, *, user: User) -> None:
        super().__init__(data={"email": user.email})
        self.invited = user

    def get_users(self, email: str) -> Any:
        return [self.invited] if self.invited.is_active else []


def merchant_user_invitation_send(*, membership: MerchantUser, request: HttpRequest) -> None:
    """The invitation: Django's password-reset mail with a link to the portal's reset page."""
    mail = _InvitationMail(user=membership.user)
    mail.is_valid()
    mail.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name=f"{TEMPLATES}/merchant/invite_subject.txt",
        email_template_name=f"{TEMPLATES}/merchant/invite_email.txt",
        extra_email_context={"merchant": str(membership.merchant)},
    )


# --- Merchants -----------------------------------------------------------------------------


@admin.register(Merchant)
class MerchantAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "slug",
        "is_active",
        "identifiers",
        "carriers",
        "option_count",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "credentials__identifier")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("public_id", "onboarding")
    inlines = [
        KlarnaCredentialInline,
        KlarnaCheckoutCredentialInline,
        CarrierAgreementInline,
        StoreInline,
        MerchantUserInline,
        MerchantApiTokenInline,
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        shop: tuple[str, ...] = ("name", "slug", "is_active", "default_locale")
        sender = (
            "sender_name",
            "sender_street_address",
            ("sender_postal_code", "sender_city", "sender_country"),
            ("sender_phone", "sender_email"),
        )
        fieldsets: list[tuple[str, dict[str, Any]]] = []
        if obj is not None:
            fieldsets.append(("Onboarding", {"fields": ("onboarding",)}))
            shop = (*shop, "public_id")
        fieldsets += [
            ("Shop", {"fields": shop}),
            ("Sender: the warehouse carriers collect from", {"fields": sender}),
        ]
        return fieldsets

    def response_post_save_add(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        # The onboarding steps are on the merchant's page.
        return HttpResponseRedirect(_admin_url("merchants_merchant_change", obj.pk))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Merchant]:
        return (
            super()
            .get_queryset(request)
            .annotate(option_count=Count("options", distinct=True))
            .prefetch_related("credentials", "agreements")
        )

    @admin.display(description="Klarna identifiers")
    def identifiers(self, obj: Merchant) -> str:
        return ", ".join(c.identifier for c in obj.credentials.all() if not c.revoked_at) or "-"

    @admin.display(description="carriers")
    def carriers(self, obj: Merchant) -> str:
        return ", ".join(a.get_carrier_display() for a in obj.agreements.all()) or "-"

    @admin.display(description="options", ordering="option_count")
    def option_count(self, obj: Merchant) -> int:
        return int(getattr(obj, "option_count", 0))

    @admin.display(description="steps")
    def onboarding(self, obj: Merchant) -> SafeString:
        """The onboarding steps, what each has so far, and where to go next."""
        pk = obj.pk
        active = [c for c in obj.credentials.all() if not c.revoked_at]
        agreements = list(obj.agreements.all())
        missing = [c for c in declarations() if c not in {a.carrier for a in agreements}]
        add_agreement = format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (
                    _admin_url(
                        "merchants_carrieragreement_add", query=f"merchant={pk}&carrier={c}"
                    ),
                    _carrier_label(c),
                )
                for c in missing
            ),
        )
        options = DeliveryOption.objects.filter(merchant=obj)
        rows = [
            (
                "1. Klarna credential",
                ", ".join(c.identifier for c in active) or "none yet",
                format_html(
                    '<a href="{}">Issue a credential</a>',
                    _admin_url("merchants_merchant_credential_issue", pk),
                ),
            ),
            (
                "2. Carrier agreements",
                "; ".join(
                    f"{a.get_carrier_display()}: {credential_keys_set(a)}" for a in agreements
                )
                or "none yet",
                format_html("Add: {}", add_agreement) if missing else "",
            ),
            (
                "3. Stores",
                f"{obj.stores.count()}",
                format_html(
                    '<a href="{}">List</a> · <a href="{}">Add a store</a>',
                    _admin_url("merchants_store_changelist", query=f"merchant__id__exact={pk}"),
                    _admin_url("merchants_store_add", query=f"merchant={pk}"),
                ),
            ),
            (
                "4. Delivery options",
                f"{options.filter(is_active=True).count()} active of {options.count()}",
                format_html(
                    '<a href="{}">List</a> · <a href="{}">Add an option</a> · '
                    '<a href="{}">Preview checkout</a>',
                    _admin_url(
                        "merchants_deliveryoption_changelist", query=f"merchant__id__exact={pk}"
                    ),
                    _admin_url("merchants_deliveryoption_add", query=f"merchant={pk}"),
                    _admin_url("merchants_merchant_preview", pk),
                ),
            ),
            (
                "5. Shop users",
                f"{obj.users.count()}",
                format_html(
                    '<a href="{}">Invite a shop user</a>',
                    _admin_url("merchants_merchant_invite", pk),
                ),
            ),
        ]
        return format_html(
            '<table class="onboarding">{}</table>'
            '<p class="help"><a href="{}">Audit log of this shop</a></p>',
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows),
            _admin_url("merchants_auditlog_changelist", query=f"merchant__id__exact={pk}"),
        )

    # --- Views: credentials, invitations, preview -------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/credentials/issue/",
                view(self.credential_issue_view),
                name="merchants_merchant_credential_issue",
            ),
            path(
                "<path:object_id>/credentials/<int:credential_id>/rotate/",
                view(self.credential_rotate_view),
                name="merchants_merchant_credential_rotate",
            ),
            path(
                "<path:object_id>/credentials/<int:credential_id>/revoke/",
                view(self.credential_revoke_view),
                name="merchants_merchant_credential_revoke",
            ),
            path(
                "<path:object_id>/invite/",
                view(self.invite_view),
                name="merchants_merchant_invite",
            ),
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name="merchants_merchant_preview",
            ),
            *super().get_urls(),
        ]

    def _merchant(self, request: HttpRequest, object_id: str) -> Merchant:
        merchant = self.get_object(request, object_id)
        if merchant is None or not self.has_view_permission(request, merchant):
            raise Http404
        return merchant

    def _context(
        self, request: HttpRequest, merchant: Merchant, title: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": merchant,
            "merchant": merchant,
            "title": title,
            "change_url": _admin_url("merchants_merchant_change", merchant.pk),
            **extra,
        }

    def _key_once(
        self,
        request: HttpRequest,
        merchant: Merchant,
        credential: KlarnaCredential,
        key: str,
        title: str,
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/credential_key.html",
            self._context(
                request,
                merchant,
                title,
                credential=credential,
                key=key,
                grace=settings.KSA_KEY_ROTATION_GRACE,
            ),
        )
        # The one page a plain key is ever on: not kept by the browser or a proxy.
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        return response

    def credential_issue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        _require_change(request, KlarnaCredential)
        form = CredentialIssueForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    credential, key = klarna_credential_create(
                        merchant=merchant, identifier=form.cleaned_data["identifier"] or None
                    )
                    _record(
                        request,
                        credential,
                        AuditAction.CREDENTIAL_ISSUE,
                        audit_changes(before=None, after=credential),
                    )
            except ApplicationError as exc:
                form.add_error("identifier", exc.message)
            else:
                return self._key_once(
                    request, merchant, credential, key, "Klarna credential issued"
                )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/credential_issue.html",
            self._context(request, merchant, "Issue a Klarna credential", form=form),
        )

    def _credential(self, merchant: Merchant, credential_id: int) -> KlarnaCredential:
        return get_object_or_404(KlarnaCredential, pk=credential_id, merchant=merchant)

    def credential_rotate_view(
        self, request: HttpRequest, object_id: str, credential_id: int
    ) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        _require_change(request, KlarnaCredential)
        credential = self._credential(merchant, credential_id)
        if request.method == "POST":
            try:
                with transaction.atomic():
                    before = _stored(credential)
                    key = klarna_credential_rotate(credential=credential)
                    _record(
                        request,
                        credential,
                        AuditAction.CREDENTIAL_ROTATE,
                        audit_changes(before=before, after=credential),
                    )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return HttpResponseRedirect(_admin_url("merchants_merchant_change", merchant.pk))
            return self._key_once(request, merchant, credential, key, "Klarna key rotated")
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/credential_confirm.html",
            self._context(
                request,
                merchant,
                f"Rotate the key of {credential.identifier}",
                credential=credential,
                operation="rotate",
                grace=settings.KSA_KEY_ROTATION_GRACE,
            ),
        )

    def credential_revoke_view(
        self, request: HttpRequest, object_id: str, credential_id: int
    ) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        _require_change(request, KlarnaCredential)
        credential = self._credential(merchant, credential_id)
        change_url = _admin_url("merchants_merchant_change", merchant.pk)
        if request.method == "POST":
            if credential.revoked_at:
                self.message_user(request, f"{credential} was already revoked.", messages.WARNING)
                return HttpResponseRedirect(change_url)
            with transaction.atomic():
                before = _stored(credential)
                klarna_credential_revoke(credential=credential)
                _record(
                    request,
                    credential,
                    AuditAction.CREDENTIAL_REVOKE,
                    audit_changes(before=before, after=credential),
                )
            self.message_user(
                request,
                f"Revoked {credential}: Klarna's calls with it are refused from now on.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/credential_confirm.html",
            self._context(
                request,
                merchant,
                f"Revoke {credential.identifier}",
                credential=credential,
                operation="revoke",
            ),
        )

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        _require_change(request, MerchantUser)
        form = InviteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = merchant_user_invite(
                    merchant=merchant, email=form.cleaned_data["email"], actor=request.user
                )
            except ApplicationError as exc:
                form.add_error("email", exc.message)
            else:
                merchant_user_invitation_send(membership=membership, request=request)
                self.message_user(
                    request,
                    f"Invitation sent to {membership.user.email}: the link lets them choose a "
                    "password and sign in to the portal.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(_admin_url("merchants_merchant_change", merchant.pk))
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/invite.html",
            self._context(request, merchant, f"Invite a shop user to {merchant}", form=form),
        )

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The shared checkout preview; viewing is enough (it changes nothing)."""
        merchant = self._merchant(request, object_id)
        form = PreviewForm(request.GET or None)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/preview.html",
            self._context(
                request,
                merchant,
                f"Checkout preview of {merchant}",
                preview_url=_admin_url("merchants_merchant_preview", merchant.pk),
                **preview_context(merchant=merchant, form=form),
            ),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context: dict[str, Any] = {
            "preview_url": _admin_url("merchants_merchant_preview", object_id)
        }
        if _can_change(request, KlarnaCredential):
            context["issue_url"] = _admin_url("merchants_merchant_credential_issue", object_id)
        if _can_change(request, MerchantUser):
            context["invite_url"] = _admin_url("merchants_merchant_invite", object_id)
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )


# --- Audit log -----------------------------------------------------------------------------


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only for everyone: the log is written by the admin itself."""

    list_display = (
        "at",
        "merchant",
        "actor",
        "action",
        "object_type",
        "object_repr",
        "change_list",
    )
    list_filter = ("merchant", "action", "object_type")
    list_select_related = ("merchant", "actor")
    search_fields = ("object_repr", "object_id", "actor__username", "merchant__name")
    date_hierarchy = "at"
    fields = (
        "at",
        "merchant",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "change_table",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="changes")
    def change_list(self, obj: AuditLog) -> str:
        return ", ".join(obj.changes) if isinstance(obj.changes, dict) else ""

    @admin.display(description="changes")
    def change_table(self, obj: AuditLog) -> SafeString | str:
        if not isinstance(obj.changes, dict) or not obj.changes:
            return "-"

        def cells(value: Any) -> tuple[Any, Any]:
            if isinstance(value, list) and len(value) == 2:
                return value[0], value[1]
            return value, ""

        return format_html(
            "<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((field, *cells(value)) for field, value in obj.changes.items()),
            ),
        )
