"""The demo's finished experiment: two variants with results and an interval, kept; seeding
again replaces it."""

from __future__ import annotations

import pytest

from merchants.demo import demo_merchant_seed
from tms_gateway.experiments.demo import DEMO_PREFIX, experiments_demo_seed
from tms_gateway.experiments.models import Experiment, ExperimentStatus
from tms_gateway.insights.models import CheckoutEvent

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_experiment_with_kept_results() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    experiment = experiments_demo_seed(merchant=merchant, sessions=1200)

    assert experiment is not None
    assert experiment.status == ExperimentStatus.STOPPED
    a, b = experiment.results["variants"]
    assert (a["name"], b["name"]) == ("A", "B")
    assert a["checkouts"] == b["checkouts"] == 600
    assert 0 < a["confirmed"] < a["checkouts"] and 0 < b["confirmed"] < b["checkouts"]
    assert b["choice_share"]["postnord-home"] > a["choice_share"]["postnord-home"]
    (comparison,) = experiment.results["comparisons"]
    conversion = comparison["conversion"]
    assert conversion["low"] < conversion["diff"] < conversion["high"]

    again = experiments_demo_seed(merchant=merchant, sessions=1200)

    assert again is not None
    assert list(Experiment.objects.filter(merchant=merchant)) == [again]
    answers = CheckoutEvent.objects.filter(
        merchant=merchant, kind="answer", session_ref__startswith=DEMO_PREFIX
    )
    assert answers.count() == 1200
    assert again.results == experiment.results | {"computed_at": again.results["computed_at"]}
