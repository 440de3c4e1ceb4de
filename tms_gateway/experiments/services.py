"""Write an experiment: create and edit a draft, start it, stop it (keeping its results).

Every change is audited under the shop (merchants/audit.py) with the person who made it, shop
user or partner staff. Starting and stopping drop this process's copy of the shop's running
experiment (assign.py) once committed; other processes follow within
CHECKOUT_CONFIG_CACHE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.audit import AuditAction, audit_changes, audit_record, audit_snapshot
from merchants.models import DeliveryOption, Merchant
from tms_gateway.common.errors import Conflict

from .assign import experiment_config_forget
from .models import Experiment, ExperimentStatus, Variant
from .results import experiment_results
from .validation import variants_validate

Actor = User | AnonymousUser | None


class ExperimentRefused(Conflict):
    code = "experiment_refused"


def shop_option_codes(*, merchant: Merchant) -> list[str]:
    return list(
        DeliveryOption.objects.filter(merchant=merchant)
        .order_by("sort_order", "code")
        .values_list("code", flat=True)
    )


def _state(experiment: Experiment) -> dict[str, Any]:
    """The experiment and its variants as the audit log compares them."""
    state = audit_snapshot(experiment)
    state.pop("results", None)
    state["variants"] = [
        {"name": v.name, "share": v.share, "changes": v.changes} for v in experiment.variants.all()
    ]
    return state


def _changed(experiment: Experiment) -> None:
    merchant_id = experiment.merchant_id
    transaction.on_commit(lambda: experiment_config_forget(merchant_id=merchant_id))


@transaction.atomic
def experiment_save(
    *,
    merchant: Merchant,
    experiment: Experiment | None,
    name: str,
    variants: Sequence[Mapping[str, Any]],
    actor: Actor,
) -> Experiment:
    """Create a draft (``experiment`` None) or replace a draft's name and variants.

    ``variants``: ``[{"name", "share", "changes"}]`` in order, the first the control. Raises
    ValidationError (nothing written) when they are not a valid experiment for the shop, and
    ExperimentRefused for an experiment that has started.
    """
    name = name.strip()
    if not name:
        raise ValidationError(_("The experiment needs a name."))
    variants_validate(variants=variants, option_codes=shop_option_codes(merchant=merchant))
    if experiment is None:
        before: dict[str, Any] | None = None
        experiment = Experiment.objects.create(merchant=merchant, name=name)
        action = AuditAction.CREATE
    else:
        if experiment.merchant_id != merchant.pk:
            raise ValueError("the experiment is another shop's")
        experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if experiment.status != ExperimentStatus.DRAFT:
            raise ExperimentRefused(_("Only a draft can be changed; this experiment has started."))
        before = _state(experiment)
        experiment.name = name
        experiment.save(update_fields=["name", "updated_at"])
        experiment.variants.all().delete()
        action = AuditAction.UPDATE
    Variant.objects.bulk_create(
        Variant(
            experiment=experiment,
            name=str(row["name"]).strip(),
            share=int(row["share"]),
            changes=dict(row["changes"]),
            position=position,
        )
        for position, row in enumerate(variants)
    )
    changes = audit_changes(before=before, after=_state(experiment))
    if changes:
        audit_record(merchant=merchant, actor=actor, action=action, obj=experiment, changes=changes)
    return experiment


@transaction.atomic
def experiment_delete(*, experiment: Experiment, actor: Actor) -> None:
    """Delete a draft (a started experiment keeps its history: stop it instead)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != ExperimentStatus.DRAFT:
        raise ExperimentRefused(_("Only a draft can be deleted; stop a started experiment."))
    changes = audit_changes(before=_state(experiment), after=None)
    audit_record(
        merchant=experiment.merchant,
        actor=actor,
        action=AuditAction.DELETE,
        obj=experiment,
        changes=changes,
    )
    experiment.delete()


def experiment_start(
    *, experiment: Experiment, actor: Actor, now: dt.datetime | None = None
) -> Experiment:
    """Start a draft: from now on each checkout of the shop gets one of its variants.

    Refused (ExperimentRefused, nothing changed) when it is not a draft, its variants no longer
    fit the shop's options (one was deleted), or another experiment of the shop is running.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            experiment = (
                Experiment.objects.select_for_update()
                .select_related("merchant")
                .get(pk=experiment.pk)
            )
            if experiment.status != ExperimentStatus.DRAFT:
                raise ExperimentRefused(_("Only a draft can be started."))
            variants = [
                {"name": v.name, "share": v.share, "changes": v.changes}
                for v in experiment.variants.all()
            ]
            try:
                variants_validate(
                    variants=variants,
                    option_codes=shop_option_codes(merchant=experiment.merchant),
                )
            except ValidationError as exc:
                raise ExperimentRefused(" ".join(exc.messages)) from exc
            before = _state(experiment)
            experiment.status = ExperimentStatus.RUNNING
            experiment.started_at = now
            experiment.save(update_fields=["status", "started_at", "updated_at"])
            audit_record(
                merchant=experiment.merchant,
                actor=actor,
                action=AuditAction.UPDATE,
                obj=experiment,
                changes=audit_changes(before=before, after=_state(experiment)),
            )
            _changed(experiment)
    except IntegrityError as exc:
        raise ExperimentRefused(
            _("Another experiment of this shop is running; stop it first.")
        ) from exc
    return experiment


@transaction.atomic
def experiment_stop(
    *, experiment: Experiment, actor: Actor, now: dt.datetime | None = None
) -> Experiment:
    """Stop a running experiment: checkouts get the shop's own options again, and the results
    as of now are kept with it (its events may be deleted later; the results stay)."""
    now = now or timezone.now()
    experiment = (
        Experiment.objects.select_for_update().select_related("merchant").get(pk=experiment.pk)
    )
    if experiment.status != ExperimentStatus.RUNNING:
        raise ExperimentRefused(_("Only a running experiment can be stopped."))
    before = _state(experiment)
    experiment.status = ExperimentStatus.STOPPED
    experiment.stopped_at = now
    experiment.results = experiment_results(experiment=experiment, until=now)
    experiment.save(update_fields=["status", "stopped_at", "results", "updated_at"])
    audit_record(
        merchant=experiment.merchant,
        actor=actor,
        action=AuditAction.UPDATE,
        obj=experiment,
        changes=audit_changes(before=before, after=_state(experiment)),
    )
    _changed(experiment)
    return experiment
