"""The merchant's page: onboarding steps, inlines, and the views that issue, rotate and revoke
credentials, invite shop users and preview the checkout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from carriers.registry import declarations
from tms_gateway.common.errors import ApplicationError
from tms_gateway.shoppers.forms import ShopperForgetForm
from tms_gateway.shoppers.services import shopper_forget

from ..audit import AuditAction, audit_changes
from ..golive import GoLiveChecklist, Step, merchant_golive_checklist, preview_run_record
from ..models import DeliveryOption, KlarnaCredential, Merchant, MerchantUser, carrier_label
from ..preview import PreviewForm, preview_context
from ..services import (
    klarna_credential_create,
    klarna_credential_revoke,
    klarna_credential_rotate,
    merchant_user_invite,
)
from ..validators import is_language
from .base import (
    TEMPLATES,
    AuditedModelAdmin,
    admin_audit_record,
    admin_url,
    change_allowed,
    change_require,
    stored_snapshot,
)
from .carrier_agreements import CarrierAgreementInline, credential_keys_set
from .credentials import CredentialIssueForm, KlarnaCheckoutCredentialInline, KlarnaCredentialInline
from .forms import country_choices
from .once import FIELD as ONCE_FIELD
from .once import form_nonce_issue, form_nonce_spend, key_once_keep, key_once_take
from .options import StoreInline
from .users import (
    InviteForm,
    MerchantApiTokenInline,
    MerchantUserInline,
    merchant_user_invitation_send,
)

# --- Merchants -----------------------------------------------------------------------------


def _language_code(value: str) -> None:
    if not is_language(value):
        raise ValidationError(f"{value!r} is not a known language code (e.g. sv, sv-SE, en).")


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

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "sender_country":  # a country select, not a free text of 2 letters
            return forms.ChoiceField(
                choices=[("", "—"), *country_choices()],
                required=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
            )
        if db_field.name == "default_locale":  # a language CLDR knows, not any 10 characters
            return forms.CharField(
                max_length=db_field.max_length,
                initial=db_field.default,
                label=db_field.verbose_name.capitalize(),
                help_text=f"{db_field.help_text} A language code: sv, sv-SE, nb, fi, en …",
                validators=[_language_code],
                widget=forms.TextInput(attrs={"size": 8}),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        shop: tuple[str, ...] = ("name", "slug", "is_active", "default_locale", "time_zone")
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
        remembered: dict[str, Any] = {"fields": (("remember_choices", "remember_days"),)}
        if obj is not None:
            remembered["description"] = format_html(
                'Kept as keyed hashes only. <a href="{}">Forget a shopper</a> (data-subject '
                "request).",
                admin_url("merchants_merchant_forget_shopper", obj.pk),
            )
        fieldsets += [
            ("Shop", {"fields": shop}),
            ("Sender: the warehouse carriers collect from", {"fields": sender}),
            ("Remembered choices of returning shoppers", remembered),
        ]
        return fieldsets

    def response_post_save_add(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        # The onboarding steps are on the merchant's page.
        return HttpResponseRedirect(admin_url("merchants_merchant_change", obj.pk))

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
                    admin_url("merchants_carrieragreement_add", query=f"merchant={pk}&carrier={c}"),
                    carrier_label(c),
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
                    admin_url("merchants_merchant_credential_issue", pk),
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
                    admin_url("merchants_store_changelist", query=f"merchant__id__exact={pk}"),
                    admin_url("merchants_store_add", query=f"merchant={pk}"),
                ),
            ),
            (
                "4. Delivery options",
                f"{options.filter(is_active=True).count()} active of {options.count()}",
                format_html(
                    '<a href="{}">List</a> · <a href="{}">Add an option</a> · '
                    '<a href="{}">Preview checkout</a>',
                    admin_url(
                        "merchants_deliveryoption_changelist", query=f"merchant__id__exact={pk}"
                    ),
                    admin_url("merchants_deliveryoption_add", query=f"merchant={pk}"),
                    admin_url("merchants_merchant_preview", pk),
                ),
            ),
            (
                "5. Shop users",
                f"{obj.users.count()}",
                format_html(
                    '<a href="{}">Invite a shop user</a>',
                    admin_url("merchants_merchant_invite", pk),
                ),
            ),
        ]
        return format_html(
            '<table class="onboarding">{}</table>'
            '<p class="help"><a href="{}">Audit log of this shop</a></p>',
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows),
            admin_url("merchants_auditlog_changelist", query=f"merchant__id__exact={pk}"),
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
                "<path:object_id>/credentials/<int:credential_id>/key/",
                view(self.credential_key_view),
                name="merchants_merchant_credential_key",
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
            path(
                "<path:object_id>/forget-shopper/",
                view(self.forget_shopper_view),
                name="merchants_merchant_forget_shopper",
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
            "change_url": admin_url("merchants_merchant_change", merchant.pk),
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
        """POST → redirect: the key waits in the session for the one page that shows it."""
        key_once_keep(request, credential_id=credential.pk, key=key, title=title)
        return HttpResponseRedirect(
            admin_url("merchants_merchant_credential_key", merchant.pk, credential.pk)
        )

    def credential_key_view(
        self, request: HttpRequest, object_id: str, credential_id: int
    ) -> HttpResponse:
        """The new key, once: the session gives it up; a reload says it was shown already."""
        merchant = self._merchant(request, object_id)
        change_require(request, KlarnaCredential)
        credential = self._credential(merchant, credential_id)
        kept = key_once_take(request, credential_id=credential.pk)
        key, title = kept if kept is not None else ("", f"Key of {credential.identifier}")
        response = TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/credential_key.html",
            self._context(
                request,
                merchant,
                title,
                credential=credential,
                key=key,
                shown=kept is None,
                issue_url=admin_url("merchants_merchant_credential_issue", merchant.pk),
                rotate_url=admin_url(
                    "merchants_merchant_credential_rotate", merchant.pk, credential.pk
                ),
                grace=settings.KSA_KEY_ROTATION_GRACE,
            ),
        )
        # The one page a plain key is ever on: not kept by the browser or a proxy.
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        return response

    def credential_issue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        change_require(request, KlarnaCredential)
        purpose = f"issue:{merchant.pk}"
        form = CredentialIssueForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            if not form_nonce_spend(request, purpose=purpose):
                # A reload or a resubmission of a form already sent: nothing is issued.
                self.message_user(
                    request,
                    "This form was already sent: no credential was issued now. Issue again "
                    "here if a new credential is really wanted.",
                    messages.WARNING,
                )
                return HttpResponseRedirect(
                    admin_url("merchants_merchant_credential_issue", merchant.pk)
                )
            try:
                with transaction.atomic():
                    credential, key = klarna_credential_create(
                        merchant=merchant, identifier=form.cleaned_data["identifier"] or None
                    )
                    admin_audit_record(
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
            self._context(
                request,
                merchant,
                "Issue a Klarna credential",
                form=form,
                once_field=ONCE_FIELD,
                once=form_nonce_issue(request, purpose=purpose),
            ),
        )

    def _credential(self, merchant: Merchant, credential_id: int) -> KlarnaCredential:
        return get_object_or_404(KlarnaCredential, pk=credential_id, merchant=merchant)

    def credential_rotate_view(
        self, request: HttpRequest, object_id: str, credential_id: int
    ) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        change_require(request, KlarnaCredential)
        credential = self._credential(merchant, credential_id)
        purpose = f"rotate:{credential.pk}"
        if request.method == "POST":
            if not form_nonce_spend(request, purpose=purpose):
                # A reload or a resubmission of a form already sent: nothing is rotated.
                self.message_user(
                    request,
                    f"This form was already sent: the key of {credential.identifier} was not "
                    "rotated now. Rotate again here if a new key is really wanted.",
                    messages.WARNING,
                )
                return HttpResponseRedirect(
                    admin_url("merchants_merchant_credential_rotate", merchant.pk, credential.pk)
                )
            try:
                with transaction.atomic():
                    before = stored_snapshot(credential)
                    key = klarna_credential_rotate(credential=credential)
                    admin_audit_record(
                        request,
                        credential,
                        AuditAction.CREDENTIAL_ROTATE,
                        audit_changes(before=before, after=credential),
                    )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return HttpResponseRedirect(admin_url("merchants_merchant_change", merchant.pk))
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
                once_field=ONCE_FIELD,
                once=form_nonce_issue(request, purpose=purpose),
            ),
        )

    def credential_revoke_view(
        self, request: HttpRequest, object_id: str, credential_id: int
    ) -> HttpResponse:
        merchant = self._merchant(request, object_id)
        change_require(request, KlarnaCredential)
        credential = self._credential(merchant, credential_id)
        change_url = admin_url("merchants_merchant_change", merchant.pk)
        if request.method == "POST":
            if credential.revoked_at:
                self.message_user(request, f"{credential} was already revoked.", messages.WARNING)
                return HttpResponseRedirect(change_url)
            with transaction.atomic():
                before = stored_snapshot(credential)
                klarna_credential_revoke(credential=credential)
                admin_audit_record(
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
        change_require(request, MerchantUser)
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
                return HttpResponseRedirect(admin_url("merchants_merchant_change", merchant.pk))
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/invite.html",
            self._context(request, merchant, f"Invite a shop user to {merchant}", form=form),
        )

    def forget_shopper_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Erase one shopper's remembered choices at this shop (a data-subject request),
        audited without the e-mail or number."""
        merchant = self._merchant(request, object_id)
        change_require(request, Merchant)
        url = admin_url("merchants_merchant_forget_shopper", merchant.pk)
        form = ShopperForgetForm(
            request.POST if request.method == "POST" else None,
            initial={"country": merchant.sender_country or "SE"},
        )
        if request.method == "POST" and form.is_valid():
            forgotten = shopper_forget(
                merchant=merchant,
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                country=form.cleaned_data["country"],
                actor=request.user,
            )
            self.message_user(
                request,
                f"Forgot {forgotten} remembered choice(s) of this shopper at {merchant}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(url)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/forget_shopper.html",
            self._context(request, merchant, f"Forget a shopper of {merchant}", form=form),
            status=400 if form.is_bound else 200,
        )

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The shared checkout preview; viewing is enough (it changes nothing). The form
        POSTs (a shopper's e-mail stays out of the URL); a GET with a query still previews."""
        merchant = self._merchant(request, object_id)
        form = PreviewForm(request.POST or request.GET or None)
        preview = preview_context(merchant=merchant, form=form)
        if preview["ran"]:
            # The go-live checklist shows when the preview last ran and what it offered.
            preview_run_record(
                merchant=merchant, offered=len(preview["options"]), actor=request.user
            )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/merchant/preview.html",
            self._context(
                request,
                merchant,
                f"Checkout preview of {merchant}",
                preview_url=admin_url("merchants_merchant_preview", merchant.pk),
                **preview,
            ),
        )

    def _golive(self, request: HttpRequest, merchant: Merchant) -> GoLiveChecklist:
        return merchant_golive_checklist(
            merchant=merchant,
            endpoint_url=request.build_absolute_uri(f"{get_script_prefix()}ksa/v1"),
        )

    def _step_link(self, merchant: Merchant, step: Step) -> tuple[str, str]:
        """Where to go to do ``step`` (label, URL), started from the merchant's page."""
        pk = merchant.pk
        options = admin_url(
            "merchants_deliveryoption_changelist", query=f"merchant__id__exact={pk}"
        )
        links = {
            "credential": (
                "Issue a credential",
                admin_url("merchants_merchant_credential_issue", pk),
            ),
            "agreements": (
                "Add an agreement",
                admin_url("merchants_carrieragreement_add", query=f"merchant={pk}"),
            ),
            "test_mode": (
                "Agreements",
                admin_url(
                    "merchants_carrieragreement_changelist", query=f"merchant__id__exact={pk}"
                ),
            ),
            "options": (
                "Add an option",
                admin_url("merchants_deliveryoption_add", query=f"merchant={pk}"),
            ),
            "names": ("Options", options),
            "fallback": ("Options", options),
            "preview": ("Preview checkout", admin_url("merchants_merchant_preview", pk)),
        }
        if step.key == "agreement" and step.object_id is not None:
            return (
                "Open and check",
                admin_url(
                    "merchants_carrieragreement_change", step.object_id, query=f"merchant={pk}"
                ),
            )
        return links.get(step.key, ("", ""))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context: dict[str, Any] = {
            "preview_url": admin_url("merchants_merchant_preview", object_id)
        }
        merchant = self.get_object(request, object_id)
        if merchant is not None:
            checklist = self._golive(request, merchant)
            context["golive"] = checklist
            context["golive_steps"] = [
                (step, *self._step_link(merchant, step)) for step in checklist.steps
            ]
        if change_allowed(request, KlarnaCredential):
            context["issue_url"] = admin_url("merchants_merchant_credential_issue", object_id)
        if change_allowed(request, MerchantUser):
            context["invite_url"] = admin_url("merchants_merchant_invite", object_id)
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )
