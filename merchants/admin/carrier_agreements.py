"""Carrier agreements: credentials per key in masked fields, "Check connection", webhooks."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from carriers.declaration import CredentialField
from carriers.hosts import carrier_host_refusal
from carriers.registry import adapters, declarations

from ..agreements import (
    carrier_agreement_check,
    carrier_agreement_secrets_to_enter,
    carrier_fidelity_note,
)
from ..golive import agreement_check_record
from ..models import CarrierAgreement, carrier_label
from ..services import carrier_agreement_webhook_issue
from ..validators import country_codes
from .base import (
    AuditedModelAdmin,
    admin_url,
    change_allowed,
    change_require,
    from_merchant_query,
)

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


def _secret_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 50}
        ),
    )


def _is_secret(key: str) -> bool:
    """A key is masked when any carrier declares it secret; the others are shown."""
    return any(f.secret for d in declarations().values() for f in d.credentials if f.key == key)


def _credential_input(key: str) -> forms.CharField:
    if _is_secret(key):
        return _secret_field()
    return forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 50}))


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

    class Media:
        js = ("merchants/agreement_form.js",)

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
            if not _is_secret(key):
                self.initial.setdefault(credential_field(key), stored.get(key, ""))
                state = "Shown (not a secret): empty it to remove it."
            else:
                state = "Set: leave blank to keep it." if stored.get(key) else "Not set."
            if carrier:
                state += " Required." if spec.required else " Optional."
                if spec.help_text:
                    state += f" {spec.help_text}"
            else:
                state += " Used by " + ", ".join(carrier_label(c) for c in users) + "."
            field = self.fields[credential_field(key)]
            field.label = f"{spec.label} ({key})"
            field.help_text = state
        if "carrier" in self.fields:
            # agreement_form.js shows only the chosen carrier's credential fields.
            self.fields["carrier"].widget.attrs["data-credential-keys"] = json.dumps(
                {slug: sorted(_keys_of(slug)) for slug in declarations()}
            )
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
                # A shown (non-secret) value emptied on the page is removed.
                if not _is_secret(key) and self.add_prefix(credential_field(key)) in self.data:
                    credentials.pop(key, None)
                continue
            if key not in allowed:
                # Not a field error: the field may not be on the page for this carrier.
                self.add_error(None, f"{carrier_label(carrier)} does not use {key}.")
                continue
            if key.endswith("_country"):
                # A country the carrier is sent (e.g. PostNord's origin_country): ISO 3166.
                value = value.strip().upper()
                if value not in country_codes():
                    self.add_error(
                        credential_field(key), f"{value!r} is not a country code (e.g. SE, NO)."
                    )
                    continue
            credentials[key] = value
        for key in cleaned.get("credentials_remove") or ():
            credentials.pop(key, None)
        self.instance.credentials = credentials
        missing = [
            f for f in _credential_specs(carrier) if f.required and not credentials.get(f.key)
        ]
        if cleaned.get("is_active") and missing:
            self.add_error(
                "is_active",
                "An active agreement needs every required credential: enter "
                + ", ".join(f"{f.label} ({f.key})" for f in missing)
                + ", or leave it inactive.",
            )
            for spec in missing:
                if credential_field(spec.key) in self.fields:
                    self.add_error(
                        credential_field(spec.key), "Required while the agreement is active."
                    )
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
    fields = {credential_field(key): _credential_input(key) for key in credential_keys()}
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
        # Its page has "Check connection": the next step (still on the way back to the merchant
        # it was started from).
        return HttpResponseRedirect(
            admin_url(
                "merchants_carrieragreement_change", obj.pk, query=from_merchant_query(request)
            )
        )

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
        if change_allowed(request, CarrierAgreement):
            context["check_url"] = admin_url(
                "merchants_carrieragreement_check", object_id, query=from_merchant_query(request)
            )
            agreement = self.get_object(request, object_id)
            adapter = adapters().get(agreement.carrier) if agreement is not None else None
            if adapter is not None and adapter.pushes_tracking:
                context["webhook_url"] = admin_url("merchants_carrieragreement_webhook", object_id)
        return super().change_view(request, object_id, form_url, context)

    def _report(self, request: HttpRequest, agreement: CarrierAgreement) -> None:
        result = carrier_agreement_check(agreement=agreement)
        # The go-live checklist shows when each agreement was last checked and how it went.
        agreement_check_record(
            agreement=agreement, ok=result.ok, message=result.message, actor=request.user
        )
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
            return HttpResponseRedirect(admin_url("merchants_carrieragreement_change", object_id))
        change_require(request, CarrierAgreement)
        agreement = self.get_object(request, object_id)
        if agreement is None:
            raise Http404
        self._report(request, agreement)
        return HttpResponseRedirect(
            admin_url(
                "merchants_carrieragreement_change",
                agreement.pk,
                query=from_merchant_query(request),
            )
        )

    def webhook_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(admin_url("merchants_carrieragreement_change", object_id))
        change_require(request, CarrierAgreement)
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
        return HttpResponseRedirect(admin_url("merchants_carrieragreement_change", agreement.pk))

    @admin.action(permissions=["change"], description="Check connection (a real quote)")
    def check_connection(self, request: HttpRequest, queryset: QuerySet[CarrierAgreement]) -> None:
        for agreement in queryset.select_related("merchant"):
            self._report(request, agreement)
