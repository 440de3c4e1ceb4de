"""What every admin of the merchants app shares: the audited model admin (an audit row for
every add, change and delete), permission helpers, admin URLs and the read-only inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse

from tms_gateway.ksa.answers import answers_forget

from ..audit import (
    AuditAction,
    Snapshot,
    audit_changes,
    audit_merchant,
    audit_record,
    audit_snapshot,
)
from ..models import Merchant

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


def change_allowed(request: HttpRequest, model: type[models.Model]) -> bool:
    """The model admin's ``has_change_permission``; the model's change permission for a model
    without an admin of its own (shop users)."""
    if admin.site.is_registered(model):
        return admin.site.get_model_admin(model).has_change_permission(request)
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


def change_require(request: HttpRequest, model: type[models.Model]) -> None:
    if not change_allowed(request, model):
        raise PermissionDenied


def admin_url(name: str, *args: Any, query: str = "") -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{query}" if query else url


# --- Back to the merchant a page was started from ------------------------------------------


def from_merchant(request: HttpRequest) -> str:
    """The merchant id a store, option or agreement page was opened from (its links carry
    ``?merchant=<id>``, or ``merchant=<id>`` in ``_changelist_filters``), else ""."""
    found = request.GET.get("merchant") or QueryDict(
        request.GET.get("_changelist_filters", "")
    ).get("merchant", "")
    return str(found) if str(found).isdigit() else ""


def from_merchant_query(request: HttpRequest) -> str:
    """``merchant=<id>`` to keep on the next page of the same errand, else ""."""
    merchant_id = from_merchant(request)
    return f"merchant={merchant_id}" if merchant_id else ""


def _back_to(request: HttpRequest, obj: Any) -> str:
    """The merchant's page when ``obj`` belongs to the merchant the page was started from."""
    merchant_id = from_merchant(request)
    if merchant_id and str(getattr(obj, "merchant_id", "")) == merchant_id:
        return admin_url("merchants_merchant_change", merchant_id)
    return ""


# --- Audited saves -------------------------------------------------------------------------


def admin_audit_record(
    request: HttpRequest, obj: models.Model, action: str, changes: dict[str, Any]
) -> None:
    audit_record(
        merchant=audit_merchant(obj), actor=request.user, action=action, obj=obj, changes=changes
    )


def stored_snapshot(obj: models.Model) -> Snapshot:
    """The state of ``obj`` as the database has it (before the change being saved)."""
    return audit_snapshot(type(obj)._default_manager.get(pk=obj.pk))


def _merchant_id(obj: models.Model) -> int:
    return int(obj.pk if isinstance(obj, Merchant) else obj.merchant_id)  # type: ignore[attr-defined]


def checkout_changed(merchant_id: int) -> None:
    """Once the change is committed, Klarna's next question is answered from it: the shop's
    kept answers and this process's copy of its configuration are dropped."""
    transaction.on_commit(lambda: answers_forget(merchant_id=merchant_id))


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes an audit row for every add, change and delete of the object and its inlines,
    and has the checkout answer from the saved configuration at once (a merchant's settings,
    agreements, stores, options and add-ons all shape its answers)."""

    formfield_overrides = FORMFIELDS

    # Saved from a merchant's page (``?merchant=<id>``): back to that merchant.
    def response_post_save_add(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        back = _back_to(request, obj)
        return HttpResponseRedirect(back) if back else super().response_post_save_add(request, obj)

    def response_post_save_change(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        back = _back_to(request, obj)
        if back:
            return HttpResponseRedirect(back)
        return super().response_post_save_change(request, obj)

    def _keep_merchant(
        self, request: HttpRequest, obj: Any, response: HttpResponse
    ) -> HttpResponse:
        """ "Save and continue" and "Save and add another" stay on the errand of the merchant."""
        if (
            isinstance(response, HttpResponseRedirect)
            and _back_to(request, obj)
            and response["Location"] != _back_to(request, obj)
            and "merchant=" not in response["Location"]
        ):
            glue = "&" if "?" in response["Location"] else "?"
            response["Location"] += f"{glue}{from_merchant_query(request)}"
        return response

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._keep_merchant(
            request, obj, super().response_add(request, obj, post_url_continue)
        )

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        return self._keep_merchant(request, obj, super().response_change(request, obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form._audit_before = stored_snapshot(obj) if change and obj.pk else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.save_m2m()
        # Recorded once its many-to-many fields are saved too, before the inline rows.
        before = getattr(form, "_audit_before", None)
        changes = audit_changes(before=before, after=audit_snapshot(form.instance))
        if before is None or changes:
            admin_audit_record(
                request,
                form.instance,
                AuditAction.UPDATE if before is not None else AuditAction.CREATE,
                changes,
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        checkout_changed(_merchant_id(form.instance))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        parent = form.instance
        merchant = audit_merchant(parent)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            admin_audit_record(
                request,
                obj,
                AuditAction.DELETE,
                audit_changes(before=stored_snapshot(obj), after=None),
            )
            obj.delete()
        for obj in instances:
            before = None if obj._state.adding else stored_snapshot(obj)
            if getattr(obj, "merchant_id", 0) is None:
                obj.merchant = merchant  # add-ons carry their option's merchant
            obj.save()
            changes = audit_changes(before=before, after=audit_snapshot(obj))
            if before is None or changes:
                action = AuditAction.CREATE if before is None else AuditAction.UPDATE
                admin_audit_record(request, obj, action, changes)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        admin_audit_record(
            request, obj, AuditAction.DELETE, audit_changes(before=stored_snapshot(obj), after=None)
        )
        merchant_id = _merchant_id(obj)
        super().delete_model(request, obj)
        checkout_changed(merchant_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        merchant_ids = set()
        for obj in queryset:
            admin_audit_record(
                request, obj, AuditAction.DELETE, audit_changes(before=obj, after=None)
            )
            merchant_ids.add(_merchant_id(obj))
        super().delete_queryset(request, queryset)
        for merchant_id in merchant_ids:
            checkout_changed(merchant_id)


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
