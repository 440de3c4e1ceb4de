"""Defining, starting and stopping an experiment: validation, one running per shop, audit."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from merchants.models import AuditLog, DeliveryOption
from tests.ksa.conftest import Shop
from tms_gateway.experiments.models import Experiment, ExperimentStatus, Variant
from tms_gateway.experiments.services import (
    ExperimentRefused,
    experiment_delete,
    experiment_save,
    experiment_start,
    experiment_stop,
)
from tms_gateway.experiments.validation import variant_changes_validate

from .conftest import VARIANTS, experiment_make

pytestmark = pytest.mark.django_db

CODES = ["pn-home", "pn-pickup"]


def variants(**changes: Any) -> list[dict[str, Any]]:
    rows = copy.deepcopy(VARIANTS)
    rows[1].update(changes)
    return rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (variants()[:1], "at least two variants"),
        (variants(share=60), "add up to 110 %"),
        (variants(share=0), "at least 1 %"),
        (variants(name="A"), "its own name"),
        (variants(changes={"dhl-home": {"sort_order": 1}}), "no option 'dhl-home'"),
        (variants(changes={"pn-home": {"prices": {"XXX": 100}}}), "not an ISO 4217"),
        (variants(changes={"pn-home": {"prices": {"SEK": -1}}}), "non-negative"),
        (variants(changes={"pn-home": {"prices": {"SEK": 29.5}}}), "non-negative integer"),
        (variants(changes={"pn-home": {"names": {"qq": "Hem"}}}), "Unknown language"),
        (variants(changes={"pn-home": {"sort_order": -1}}), "whole number"),
        (variants(changes={"pn-home": {"tax_rate": 0}}), "cannot change tax_rate"),
        (
            variants(
                changes={"pn-home": {"preselected": True}, "pn-pickup": {"preselected": True}}
            ),
            "At most one",
        ),
    ],
)
def test_an_invalid_experiment_is_refused_and_nothing_is_written(
    shop: Shop, rows: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        experiment_save(
            merchant=shop.merchant, experiment=None, name="X", variants=rows, actor=None
        )

    assert not Experiment.objects.exists()
    assert not AuditLog.objects.filter(object_type="Experiment").exists()


def test_the_changes_of_one_option_are_checked_by_shape() -> None:
    with pytest.raises(ValidationError):
        variant_changes_validate(changes={"pn-home": {}}, option_codes=CODES)
    with pytest.raises(ValidationError):
        variant_changes_validate(changes=["pn-home"], option_codes=CODES)
    variant_changes_validate(
        changes={"pn-home": {"prices": {"SEK": 0}, "sort_order": 0}}, option_codes=CODES
    )


def test_a_draft_is_saved_with_its_variants_in_order_and_audited(shop: Shop) -> None:
    experiment = experiment_make(shop)

    assert experiment.status == ExperimentStatus.DRAFT
    assert list(experiment.variants.values_list("name", "share", "position")) == [
        ("A", 50, 0),
        ("B", 50, 1),
    ]
    log = AuditLog.objects.get(object_type="Experiment", action="create")
    assert log.merchant == shop.merchant
    assert log.changes["name"] == [None, "Cheaper home"]
    assert log.changes["variants"][1][1]["changes"]["pn-home"]["prices"] == {"SEK": 2900}


def test_start_and_stop_keep_the_times_and_results(shop: Shop) -> None:
    experiment = experiment_make(shop)

    started = experiment_start(experiment=experiment, actor=None)
    stopped = experiment_stop(experiment=started, actor=None)

    stopped.refresh_from_db()
    assert stopped.status == ExperimentStatus.STOPPED
    assert stopped.started_at is not None and stopped.stopped_at is not None
    assert stopped.started_at <= stopped.stopped_at
    assert [v["name"] for v in stopped.results["variants"]] == ["A", "B"]
    assert [v["checkouts"] for v in stopped.results["variants"]] == [0, 0]
    statuses = [
        log.changes["status"]
        for log in AuditLog.objects.filter(object_type="Experiment", action="update").order_by("id")
    ]
    assert statuses == [["draft", "running"], ["running", "stopped"]]


def test_a_started_experiment_is_not_changed_restarted_or_deleted(shop: Shop) -> None:
    experiment = experiment_make(shop, start=True)

    with pytest.raises(ExperimentRefused):
        experiment_save(
            merchant=shop.merchant,
            experiment=experiment,
            name="Other",
            variants=VARIANTS,
            actor=None,
        )
    with pytest.raises(ExperimentRefused):
        experiment_start(experiment=experiment, actor=None)
    with pytest.raises(ExperimentRefused):
        experiment_delete(experiment=experiment, actor=None)

    experiment.refresh_from_db()
    assert experiment.name == "Cheaper home"
    assert experiment.status == ExperimentStatus.RUNNING
    stopped = experiment_stop(experiment=experiment, actor=None)
    with pytest.raises(ExperimentRefused):
        experiment_stop(experiment=stopped, actor=None)
    with pytest.raises(ExperimentRefused):
        experiment_start(experiment=stopped, actor=None)


def test_one_running_experiment_per_shop(shop: Shop, other_shop: Shop) -> None:
    experiment_make(shop, start=True)
    second = experiment_make(shop, name="Second")

    with pytest.raises(ExperimentRefused, match="Another experiment"):
        experiment_start(experiment=second, actor=None)

    second.refresh_from_db()
    assert second.status == ExperimentStatus.DRAFT
    # Another shop runs its own.
    assert experiment_make(other_shop, start=True).status == ExperimentStatus.RUNNING


def test_a_draft_whose_option_was_deleted_does_not_start(shop: Shop) -> None:
    experiment = experiment_make(shop)
    DeliveryOption.objects.filter(merchant=shop.merchant, code="pn-home").delete()

    with pytest.raises(ExperimentRefused, match="no option 'pn-home'"):
        experiment_start(experiment=experiment, actor=None)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT


def test_editing_a_draft_replaces_its_variants(shop: Shop) -> None:
    experiment = experiment_make(shop)
    rows = [*copy.deepcopy(VARIANTS), {"name": "C", "share": 20, "changes": {}}]
    rows[0]["share"] = 30

    experiment_save(
        merchant=shop.merchant, experiment=experiment, name="Three", variants=rows, actor=None
    )

    assert list(Variant.objects.filter(experiment=experiment).values_list("name", "share")) == [
        ("A", 30),
        ("B", 50),
        ("C", 20),
    ]
    log = AuditLog.objects.get(object_type="Experiment", action="update")
    assert log.changes["name"] == ["Cheaper home", "Three"]


def test_a_draft_is_deleted_with_an_audit_row(shop: Shop) -> None:
    experiment = experiment_make(shop)

    experiment_delete(experiment=experiment, actor=None)

    assert not Experiment.objects.exists()
    assert AuditLog.objects.filter(object_type="Experiment", action="delete").count() == 1
