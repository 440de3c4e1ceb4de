"""Shop users (portal accounts, invited by e-mail) and the shop's merchant API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation

from ..models import Merchant, MerchantApiToken, MerchantUser
from .base import TEMPLATES, ReadOnlyInline

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


def merchant_invitation_language(merchant: Merchant) -> str:
    """The language of the shop's invitations: its default locale's language when the portal
    speaks it (``sv-SE`` → ``sv``), else the portal's default (English). The staff member who
    sends it reads the admin in their own language; the shop user reads the shop's."""
    language = (merchant.default_locale or "").replace("_", "-").split("-")[0].lower()
    spoken = {code for code, _name in settings.LANGUAGES}
    return language if language in spoken else settings.LANGUAGE_CODE


def merchant_user_invitation_send(*, membership: MerchantUser, request: HttpRequest) -> None:
    """The invitation: Django's password-reset mail with a link to the portal's reset page,
    in the shop's language."""
    mail = _InvitationMail(user=membership.user)
    mail.is_valid()
    with translation.override(merchant_invitation_language(membership.merchant)):
        mail.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name=f"{TEMPLATES}/merchant/invite_subject.txt",
            email_template_name=f"{TEMPLATES}/merchant/invite_email.txt",
            extra_email_context={"merchant": str(membership.merchant)},
        )
