"""Partner staff's experiments: create one for a shop, edit the draft, start, stop, and see the
results, with the portal's form and results (merchants/admin/experiment_forms.py,
merchants/portal/experiments.py).

Viewing is enough to see an experiment and its results (the "Support" role); creating needs
the add permission, editing, starting, stopping and deleting a draft the change permission
(403 otherwise). Every change is audited under the shop with the staff member as the actor.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.admin.experiment_forms import MAX_VARIANTS, ExperimentForm, variant_count
from merchants.models import Merchant
from merchants.portal.experiments import (
    experiment_act,
    experiment_results_context,
    experiment_variants,
)

from .models import Experiment, ExperimentStatus
from .services import (
    ExperimentRefused,
    experiment_save,
)

TEMPLATES = "admin/experiments/experiment"


class ShopChoiceForm(forms.Form):
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.order_by("name"), label=gettext_lazy("Shop")
    )


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "merchant", "status", "started_at", "stopped_at")
    list_filter = ("status",)
    search_fields = ("name", "merchant__name")
    list_select_related = ("merchant",)
    actions = None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a draft is deleted by its own button; a started one keeps its history

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<int:experiment_id>/{action}/",
                    view(self.action_view),
                    {"action": action},
                    name=f"experiments_experiment_{action}",
                )
                for action in ("start", "stop", "delete")
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "changelist_url": reverse("admin:experiments_experiment_changelist"),
            **extra,
        }

    def _form_page(
        self,
        request: HttpRequest,
        *,
        merchant: Merchant,
        experiment: Experiment | None,
        form: ExperimentForm,
        status: int = 200,
    ) -> HttpResponse:
        title = (
            experiment.name
            if experiment
            else _("New experiment for %(shop)s") % {"shop": merchant.name}
        )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/form.html",
            self._context(
                request,
                str(title),
                merchant=merchant,
                experiment=experiment,
                form=form,
                count=form.count,
                more_url=(
                    f"?{'edit=1' if experiment else f'merchant={merchant.pk}'}"
                    f"&variants={form.count + 1}"
                    if form.count < MAX_VARIANTS
                    else ""
                ),
            ),
            status=status,
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        chooser = ShopChoiceForm(request.GET if "merchant" in request.GET else None)
        if not chooser.is_valid():
            return TemplateResponse(
                request,
                f"{TEMPLATES}/choose_shop.html",
                self._context(request, _("New experiment"), form=chooser),
                status=400 if chooser.is_bound else 200,
            )
        merchant = chooser.cleaned_data["merchant"]
        return self._save(request, merchant=merchant, experiment=None)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        experiment = self._get(request, object_id)
        if request.method == "POST" or "edit" in request.GET:
            if not self.has_change_permission(request, experiment):
                raise PermissionDenied
            if experiment.status != ExperimentStatus.DRAFT:
                raise Http404
            return self._save(request, merchant=experiment.merchant, experiment=experiment)
        return self._detail(request, experiment)

    def _get(self, request: HttpRequest, object_id: Any) -> Experiment:
        experiment = (
            Experiment.objects.select_related("merchant").filter(pk=str(object_id)).first()
            if str(object_id).isdigit()
            else None
        )
        if experiment is None or not self.has_view_permission(request, experiment):
            raise Http404
        return experiment

    def _detail(
        self, request: HttpRequest, experiment: Experiment, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            f"{TEMPLATES}/detail.html",
            self._context(
                request,
                experiment.name,
                merchant=experiment.merchant,
                can_change=self.has_change_permission(request, experiment),
                error=error,
                **experiment_results_context(experiment),
            ),
            status=status,
        )

    def _save(
        self, request: HttpRequest, *, merchant: Merchant, experiment: Experiment | None
    ) -> HttpResponse:
        if request.method != "POST":
            variants = experiment_variants(experiment) if experiment else []
            form = ExperimentForm(
                merchant=merchant,
                count=variant_count(request.GET.get("variants"), default=max(len(variants), 2)),
                variants=variants,
                initial={"name": experiment.name} if experiment else {},
            )
            return self._form_page(request, merchant=merchant, experiment=experiment, form=form)
        form = ExperimentForm(
            request.POST, merchant=merchant, count=variant_count(request.POST.get("variants"))
        )
        if not form.is_valid():
            return self._form_page(
                request, merchant=merchant, experiment=experiment, form=form, status=400
            )
        try:
            saved = experiment_save(
                merchant=merchant,
                experiment=experiment,
                name=form.cleaned_data["name"],
                variants=form.variants,
                actor=request.user,
            )
        except (ValidationError, ExperimentRefused) as exc:
            form.add_error(None, exc.message if isinstance(exc, ExperimentRefused) else exc)
            return self._form_page(
                request, merchant=merchant, experiment=experiment, form=form, status=400
            )
        messages.success(request, _("Saved. Start the experiment when it is ready."))
        return HttpResponseRedirect(reverse("admin:experiments_experiment_change", args=[saved.pk]))

    def action_view(self, request: HttpRequest, experiment_id: int, action: str) -> HttpResponse:
        experiment = self._get(request, experiment_id)
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        try:
            if not experiment_act(request, experiment, action):
                return HttpResponseRedirect(reverse("admin:experiments_experiment_changelist"))
        except ExperimentRefused as exc:
            experiment.refresh_from_db()
            return self._detail(request, experiment, error=exc.message, status=409)
        return HttpResponseRedirect(
            reverse("admin:experiments_experiment_change", args=[experiment.pk])
        )
