"""The portal's experiments: the shop's list, a draft's form, start, stop, and the results.

A draft is edited with the experiment form (merchants/admin/experiment_forms.py, shared with
partner staff's admin); it starts when the shop says so (one running at a time) and stops the
same way, keeping its results. Every change goes through tms_gateway/experiments/services.py,
audited with the shop's user as the actor. Another shop's experiment is 404; a refused change
is 400 (form errors) or 409 (the experiment is not in a state for it) and changes nothing.

``experiment_results_context`` renders the results (live while running, kept once stopped) for
this page and for the admin's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from merchants.admin.experiment_forms import MAX_VARIANTS, ExperimentForm, variant_count
from merchants.models import DeliveryOption, Merchant
from tms_gateway.experiments.models import Experiment, ExperimentStatus
from tms_gateway.experiments.results import comparison_sentence, experiment_results_current
from tms_gateway.experiments.services import (
    ExperimentRefused,
    experiment_delete,
    experiment_save,
    experiment_start,
    experiment_stop,
)

from . import labels
from .charts import bar_chart
from .views import ShopView


def _status(status: str) -> str:
    labels_by_status: dict[str, str] = {
        ExperimentStatus.DRAFT: _("Draft"),
        ExperimentStatus.RUNNING: _("Running"),
        ExperimentStatus.STOPPED: _("Stopped"),
    }
    return labels_by_status.get(status, status)


def _percent(fraction: float, places: int = 1) -> str:
    return number_format(round(fraction * 100, places) + 0.0, decimal_pos=places) + " %"


def _points(value: float) -> str:
    return number_format(round(value * 100, 1) + 0.0, decimal_pos=1)


def _money(amount: float, currency: str) -> str:
    return labels.money(round(amount), currency) if currency else str(round(amount))


def experiment_variants(experiment: Experiment) -> list[dict[str, Any]]:
    return [
        {"name": v.name, "share": v.share, "changes": v.changes} for v in experiment.variants.all()
    ]


def _change_lines(changes: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A variant's changes as short lines: "Home delivery: 29,00 SEK, first (1), preselected"."""
    lines = []
    for code, change in changes.items():
        parts = [
            labels.money(amount, currency) for currency, amount in change.get("prices", {}).items()
        ]
        if change.get("names"):
            parts.append("“" + labels.localized(change["names"], fallback=code) + "”")
        if "sort_order" in change:
            parts.append(_("sort order %(order)s") % {"order": change["sort_order"]})
        if change.get("preselected"):
            parts.append(_("preselected"))
        lines.append(f"{names.get(code, code)}: {', '.join(parts)}")
    return lines


def experiment_results_context(experiment: Experiment) -> dict[str, Any]:
    """What portal/experiment.html and the admin's results page render."""
    options = list(DeliveryOption.objects.filter(merchant_id=experiment.merchant_id))
    names = labels.option_names(options)
    results = experiment_results_current(experiment=experiment)
    currency = results.get("currency", "")
    rows = []
    for row in results.get("variants", []):
        rows.append(
            {
                "name": row["name"],
                "share": row["share"],
                "checkouts": row["checkouts"],
                "confirmed": row["confirmed"],
                "conversion": _percent(row["conversion"]),
                "revenue_per_checkout": _money(row["revenue_per_checkout"], currency),
                "choices": [
                    {
                        "option": names.get(code, code),
                        "count": count,
                        "share": _percent(row["choice_share"].get(code, 0.0)),
                    }
                    for code, count in sorted(
                        row["choices"].items(), key=lambda item: (-item[1], item[0])
                    )
                ],
            }
        )
    comparisons = []
    for comparison in results.get("comparisons", []):
        conversion = comparison.get("conversion")
        revenue = comparison.get("revenue")
        comparisons.append(
            {
                "variant": comparison["variant"],
                "control": comparison["control"],
                "sentence": comparison_sentence(comparison),
                "real": bool(conversion and conversion["real"]),
                "conversion": conversion
                and {
                    "diff": _points(conversion["diff"]),
                    "low": _points(conversion["low"]),
                    "high": _points(conversion["high"]),
                    "p": number_format(round(conversion["p"], 3) + 0.0, decimal_pos=3),
                },
                "revenue": revenue
                and {
                    "diff": _money(revenue["diff"], currency),
                    "low": _money(revenue["low"], currency),
                    "high": _money(revenue["high"], currency),
                    "p": number_format(round(revenue["p"], 3) + 0.0, decimal_pos=3),
                    "real": revenue["real"],
                },
            }
        )
    raw = results.get("variants", [])
    chart = bar_chart(
        [(r["name"], round(r["conversion"] * 1000)) for r in raw], width=460, label_width=60
    )
    bars = [
        {"bar": bar, "text": _percent(r["conversion"])}
        for bar, r in zip(chart.bars, raw, strict=True)
    ]
    return {
        "experiment": experiment,
        "status_label": _status(experiment.status),
        "variants": [
            {**v, "lines": _change_lines(v["changes"], names)}
            for v in experiment_variants(experiment)
        ],
        "results": results,
        "currency": currency,
        "rows": rows,
        "comparisons": comparisons,
        "chart": chart,
        "bars": bars,
        "kept": experiment.status == ExperimentStatus.STOPPED,
    }


def _experiment_get(merchant: Merchant, experiment_id: int) -> Experiment:
    experiment = Experiment.objects.filter(merchant=merchant, pk=experiment_id).first()
    if experiment is None:
        raise Http404
    return experiment


class ExperimentListView(ShopView):
    def get(self, request: HttpRequest) -> HttpResponse:
        experiments = Experiment.objects.filter(merchant=self.merchant).prefetch_related("variants")
        return TemplateResponse(
            request,
            "portal/experiments.html",
            {
                "merchant": self.merchant,
                "section": "experiments",
                "experiments": [
                    {"experiment": e, "status": _status(e.status), "variants": e.variants.all()}
                    for e in experiments
                ],
            },
        )


class ExperimentFormView(ShopView):
    """A new draft (no id) or a draft's changes. ``?variants=3`` shows three variants."""

    def get(self, request: HttpRequest, experiment_id: int | None = None) -> HttpResponse:
        experiment = self._draft(experiment_id)
        variants = experiment_variants(experiment) if experiment else []
        count = variant_count(request.GET.get("variants"), default=max(len(variants), 2))
        form = ExperimentForm(
            merchant=self.merchant,
            count=count,
            variants=variants,
            initial={"name": experiment.name} if experiment else {},
        )
        return self._render(request, experiment, form)

    def post(self, request: HttpRequest, experiment_id: int | None = None) -> HttpResponse:
        experiment = self._draft(experiment_id)
        count = variant_count(request.POST.get("variants"))
        form = ExperimentForm(request.POST, merchant=self.merchant, count=count)
        if not form.is_valid():
            return self._render(request, experiment, form, status=400)
        try:
            saved = experiment_save(
                merchant=self.merchant,
                experiment=experiment,
                name=form.cleaned_data["name"],
                variants=form.variants,
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._render(request, experiment, form, status=400)
        except ExperimentRefused as exc:  # started meanwhile
            form.add_error(None, exc.message)
            return self._render(request, experiment, form, status=409)
        messages.success(request, _("Saved. Start the experiment when it is ready."))
        return HttpResponseRedirect(reverse("portal:experiment", args=[saved.pk]))

    def _draft(self, experiment_id: int | None) -> Experiment | None:
        if experiment_id is None:
            return None
        experiment = _experiment_get(self.merchant, experiment_id)
        if experiment.status != ExperimentStatus.DRAFT:
            raise Http404
        return experiment

    def _render(
        self,
        request: HttpRequest,
        experiment: Experiment | None,
        form: ExperimentForm,
        status: int = 200,
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "portal/experiment_form.html",
            {
                "merchant": self.merchant,
                "section": "experiments",
                "experiment": experiment,
                "form": form,
                "count": form.count,
                "more_url": f"?variants={form.count + 1}" if form.count < MAX_VARIANTS else "",
            },
            status=status,
        )


class ExperimentDetailView(ShopView):
    def get(self, request: HttpRequest, experiment_id: int) -> HttpResponse:
        return self.render(request, _experiment_get(self.merchant, experiment_id))

    def render(
        self, request: HttpRequest, experiment: Experiment, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "portal/experiment.html",
            {
                "merchant": self.merchant,
                "section": "experiments",
                "error": error,
                **experiment_results_context(experiment),
            },
            status=status,
        )


def experiment_act(request: HttpRequest, experiment: Experiment, action: str) -> bool:
    """Start, stop or (any other action) delete the experiment as the signed-in user, with
    the message saying what happened (the portal's and the admin's buttons); False when it is
    gone. A refusal raises ExperimentRefused, nothing changed."""
    if action == "start":
        experiment_start(experiment=experiment, actor=request.user)
        messages.success(request, _("Started: checkouts now get the variants."))
    elif action == "stop":
        experiment_stop(experiment=experiment, actor=request.user)
        messages.success(
            request, _("Stopped: checkouts get your options again; the results are kept.")
        )
    else:
        experiment_delete(experiment=experiment, actor=request.user)
        messages.success(request, _("Deleted."))
        return False
    return True


class ExperimentActionView(ExperimentDetailView):
    """POST only: start, stop or delete; a refusal is the experiment's page with the reason
    (409), nothing changed."""

    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, experiment_id: int) -> HttpResponse:
        experiment = _experiment_get(self.merchant, experiment_id)
        try:
            if not experiment_act(request, experiment, self.action):
                return HttpResponseRedirect(reverse("portal:experiments"))
        except ExperimentRefused as exc:
            experiment.refresh_from_db()
            return self.render(request, experiment, error=exc.message, status=409)
        return HttpResponseRedirect(reverse("portal:experiment", args=[experiment.pk]))
