"""An experiment's results from constructed checkout events, against hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override
from scipy import stats

from tests.ksa.conftest import Shop
from tms_gateway.experiments.models import Experiment
from tms_gateway.experiments.results import (
    comparison_sentence,
    conversion_compare,
    experiment_results,
)
from tms_gateway.experiments.services import experiment_stop
from tms_gateway.insights.models import CheckoutEvent

from .conftest import experiment_make

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def event(shop: Shop, kind: str, ref: str, minute: int = 0, **fields: Any) -> CheckoutEvent:
    defaults: dict[str, Any] = {"country": "SE", "currency": "SEK"}
    return CheckoutEvent(
        merchant=shop.merchant,
        kind=kind,
        session_ref=ref,
        at=T0 + dt.timedelta(minutes=minute),
        **{**defaults, **fields},
    )


def checkouts(
    shop: Shop, experiment: Experiment, variant: str, *, n: int, paid: int, fee: int
) -> list[CheckoutEvent]:
    """``n`` sessions of ``variant``, the first ``paid`` confirmed with pn-pickup at ``fee``."""
    rows = []
    for i in range(n):
        ref = f"{variant}{i:05d}"
        rows.append(event(shop, "answer", ref, experiment_id=experiment.pk, variant=variant))
        if i < paid:
            rows.append(event(shop, "reservation", ref, 1, option_id="pn-pickup", price=fee))
            rows.append(event(shop, "confirm", ref, 2, option_id="pn-pickup", price=fee))
    return rows


@pytest.fixture
def experiment(shop: Shop) -> Experiment:
    experiment = experiment_make(shop, start=True)
    Experiment.objects.filter(pk=experiment.pk).update(started_at=T0 - dt.timedelta(hours=1))
    experiment.refresh_from_db()
    return experiment


def test_conversion_revenue_and_their_differences(shop: Shop, experiment: Experiment) -> None:
    CheckoutEvent.objects.bulk_create(
        checkouts(shop, experiment, "A", n=1000, paid=100, fee=4900)
        + checkouts(shop, experiment, "B", n=1000, paid=130, fee=2900)
    )

    results = experiment_results(experiment=experiment, until=T0 + dt.timedelta(hours=1))

    a, b = results["variants"]
    assert results["currency"] == "SEK"
    assert (a["checkouts"], a["confirmed"], a["revenue"]) == (1000, 100, 490000)
    assert (b["checkouts"], b["confirmed"], b["revenue"]) == (1000, 130, 377000)
    assert (a["conversion"], b["conversion"]) == (0.1, 0.13)
    assert (a["revenue_per_checkout"], b["revenue_per_checkout"]) == (490.0, 377.0)
    assert a["choice_share"] == {"pn-pickup": 1.0}
    (comparison,) = results["comparisons"]
    conversion = comparison["conversion"]
    # By hand: difference 0.03; unpooled SE sqrt(.1*.9/1000 + .13*.87/1000) = 0.0142513;
    # pooled p .115, SE sqrt(.115*.885*2/1000) = 0.0142671, z = 2.10272, p = erfc(z/√2).
    assert conversion["diff"] == pytest.approx(0.03)
    assert conversion["low"] == pytest.approx(0.03 - 1.959964 * 0.0142513, abs=1e-6)
    assert conversion["high"] == pytest.approx(0.03 + 1.959964 * 0.0142513, abs=1e-6)
    assert conversion["z"] == pytest.approx(2.10272, abs=1e-4)
    assert conversion["p"] == pytest.approx(math.erfc(2.10272 / math.sqrt(2)), abs=1e-5)
    assert conversion["p"] == pytest.approx(0.03549, abs=1e-4)
    assert conversion["real"] is True
    # The same p as a chi-square test of the 2x2 table (no continuity correction).
    chi2 = stats.chi2_contingency([[100, 900], [130, 870]], correction=False)
    assert conversion["p"] == pytest.approx(chi2.pvalue)
    # Revenue per checkout: Welch's t-test on the per-checkout fees themselves.
    revenue = comparison["revenue"]
    fees_a = [4900] * 100 + [0] * 900
    fees_b = [2900] * 130 + [0] * 870
    welch = stats.ttest_ind(fees_b, fees_a, equal_var=False)
    assert revenue["diff"] == pytest.approx(-113.0)
    assert revenue["t"] == pytest.approx(welch.statistic)
    assert revenue["p"] == pytest.approx(welch.pvalue)
    assert revenue["low"] < -113 < revenue["high"]
    with override("en"):
        assert comparison_sentence(comparison) == (
            "Variant B converts 3.0 points better than A (95 % CI 0.2 to 5.8); "
            "the difference is real (p = 0.04)."
        )


def test_a_small_difference_is_not_clear_yet() -> None:
    conversion = conversion_compare(control=(10, 100), variant=(12, 100))
    comparison = {"variant": "B", "control": "A", "conversion": conversion}

    assert conversion is not None and conversion["real"] is False
    with override("en"):
        sentence = comparison_sentence(comparison)
    assert sentence.startswith("Variant B converts 2.0 points better than A (95 % CI -6.")
    assert sentence.endswith("the difference is not clear yet: keep it running (p = 0.65).")
    with override("en"):
        assert comparison_sentence({"variant": "B", "control": "A", "conversion": None}) == (
            "Not enough checkouts yet to compare B with A."
        )


def test_choices_count_a_sessions_last_reservation_and_only_the_experiments_sessions(
    shop: Shop, other_shop: Shop, experiment: Experiment
) -> None:
    CheckoutEvent.objects.bulk_create(
        [
            # a1 reserves home, changes to pickup, confirms; a2 reserves home only.
            event(shop, "answer", "a1", experiment_id=experiment.pk, variant="A"),
            event(shop, "answer", "a1", 1, experiment_id=experiment.pk, variant="A"),
            event(shop, "reservation", "a1", 2, option_id="pn-home", price=6900),
            event(shop, "reservation", "a1", 3, option_id="pn-pickup", price=4900),
            event(shop, "confirm", "a1", 4, option_id="pn-pickup", price=4900),
            event(shop, "answer", "a2", experiment_id=experiment.pk, variant="A"),
            event(shop, "reservation", "a2", 2, option_id="pn-home", price=6900),
            event(shop, "answer", "b1", experiment_id=experiment.pk, variant="B"),
            event(shop, "reservation", "b1", 2, option_id="pn-home", price=2900),
            event(shop, "confirm", "b1", 3, option_id="pn-home", price=2900),
            # s1's shopper became known after its first answer: it counts under its last variant.
            event(shop, "answer", "s1", experiment_id=experiment.pk, variant="A"),
            event(shop, "answer", "s1", 1, experiment_id=experiment.pk, variant="B"),
            event(shop, "reservation", "s1", 2, option_id="pn-home", price=2900),
            event(shop, "confirm", "s1", 3, option_id="pn-home", price=2900),
            # Not the experiment's: no assignment, another experiment, another shop, before it.
            event(shop, "answer", "x1"),
            event(shop, "confirm", "x1", 1, option_id="pn-home", price=6900),
            event(shop, "answer", "y1", experiment_id=experiment.pk + 1000, variant="A"),
            event(other_shop, "answer", "z1", experiment_id=experiment.pk, variant="B"),
            event(other_shop, "confirm", "b1", 4, option_id="store", price=0),
            event(shop, "answer", "w1", -120, experiment_id=experiment.pk, variant="B"),
        ]
    )

    a, b = experiment_results(experiment=experiment, until=T0 + dt.timedelta(hours=1))["variants"]

    assert (a["checkouts"], a["confirmed"], a["revenue"]) == (2, 1, 4900)
    assert a["choices"] == {"pn-home": 1, "pn-pickup": 1}
    assert a["choice_share"] == {"pn-home": 0.5, "pn-pickup": 0.5}
    assert (b["checkouts"], b["confirmed"], b["revenue"]) == (2, 2, 5800)
    assert b["choices"] == {"pn-home": 2}


def test_the_results_are_kept_when_it_stops(shop: Shop, experiment: Experiment) -> None:
    CheckoutEvent.objects.bulk_create(
        checkouts(shop, experiment, "A", n=10, paid=2, fee=4900)
        + checkouts(shop, experiment, "B", n=10, paid=3, fee=2900)
    )

    stopped = experiment_stop(experiment=experiment, actor=None, now=timezone.now())
    CheckoutEvent.objects.all().delete()  # raw events expire; the kept results stay

    stopped.refresh_from_db()
    assert [v["confirmed"] for v in stopped.results["variants"]] == [2, 3]
    assert [v["checkouts"] for v in stopped.results["variants"]] == [10, 10]
