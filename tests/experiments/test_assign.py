"""Which variant a checkout gets: stable per session (or shopper), split by the shares."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.ksa.conftest import Shop
from tms_gateway.checkout.types import ExperimentAssignment
from tms_gateway.experiments import assign
from tms_gateway.experiments.assign import (
    ExperimentConfig,
    VariantConfig,
    experiment_assign,
    variant_pick,
)
from tms_gateway.experiments.services import experiment_stop
from tms_gateway.ksa.answers import answer_key

from .conftest import experiment_make

SESSIONS = [f"klarna-session-{i}" for i in range(4000)]


def config(*shares: int) -> ExperimentConfig:
    return ExperimentConfig(
        id=7,
        variants=tuple(
            VariantConfig(name=chr(ord("A") + i), share=s, changes={}) for i, s in enumerate(shares)
        ),
    )


@pytest.mark.parametrize("shares", [(50, 50), (10, 90), (20, 30, 50)])
def test_variants_get_their_shares_of_sessions(shares: tuple[int, ...]) -> None:
    counts = Counter(variant_pick(config=config(*shares), unit=s).name for s in SESSIONS)

    for index, share in enumerate(shares):
        got = counts[chr(ord("A") + index)] / len(SESSIONS)
        assert abs(got - share / 100) < 0.025, (shares, counts)


def test_a_session_always_gets_the_same_variant_and_experiments_split_independently() -> None:
    first = [variant_pick(config=config(50, 50), unit=s).name for s in SESSIONS[:200]]
    again = [variant_pick(config=config(50, 50), unit=s).name for s in SESSIONS[:200]]
    other = ExperimentConfig(id=8, variants=config(50, 50).variants)
    elsewhere = [variant_pick(config=other, unit=s).name for s in SESSIONS[:200]]

    assert first == again
    assert first != elsewhere  # another experiment does not reuse this one's split


@pytest.mark.django_db
def test_assignment_of_a_running_experiment_only(shop: Shop) -> None:
    assert experiment_assign(merchant_id=shop.merchant.pk, session_id="s-1") is None
    experiment = experiment_make(shop)
    assert experiment_assign(merchant_id=shop.merchant.pk, session_id="s-1") is None

    experiment = experiment_make(shop, start=True, name="Running")
    got = experiment_assign(merchant_id=shop.merchant.pk, session_id="s-1")

    assert isinstance(got, ExperimentAssignment)
    assert got.experiment_id == experiment.pk
    assert got.variant in {"A", "B"}
    assert experiment_assign(merchant_id=shop.merchant.pk, session_id="") is None
    experiment_stop(experiment=experiment, actor=None)
    assert experiment_assign(merchant_id=shop.merchant.pk, session_id="s-1") is None


@pytest.mark.django_db
def test_a_known_shopper_keeps_the_variant_across_sessions(shop: Shop) -> None:
    experiment_make(shop, start=True)
    merchant_id = shop.merchant.pk
    by_identity = {
        experiment_assign(merchant_id=merchant_id, session_id=s, identity="shopper-hash-1")
        for s in SESSIONS[:50]
    }
    by_session = {experiment_assign(merchant_id=merchant_id, session_id=s) for s in SESSIONS[:50]}

    assert len(by_identity) == 1
    assert {a.variant for a in by_session if a} == {"A", "B"}


@pytest.mark.django_db
def test_assignment_never_raises(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(assign, "running_experiment", broken)

    assert experiment_assign(merchant_id=shop.merchant.pk, session_id="s-1") is None


def test_the_answer_key_differs_per_variant_and_is_unchanged_without_one() -> None:
    body = {"session_id": "s-1", "currency": "SEK", "locale": "sv-SE"}
    plain = answer_key(merchant_id=1, body=body)

    assert answer_key(merchant_id=1, body=body, variant="") == plain
    a = answer_key(merchant_id=1, body=body, variant="7:A")
    b = answer_key(merchant_id=1, body=body, variant="7:B")
    assert len({plain, a, b}) == 3
    assert a.startswith(plain)  # under the shop's prefix: answers_forget drops it too
    assert answer_key(merchant_id=1, body={**body, "session_id": "s-2"}, variant="7:A") == a


@pytest.mark.django_db
def test_the_shoppers_identity_is_worked_out_only_while_an_experiment_runs(shop: Shop) -> None:
    asked: list[str] = []

    def identity() -> str:
        asked.append("asked")
        return "shopper-hash-1"

    merchant_id = shop.merchant.pk
    assert experiment_assign(merchant_id=merchant_id, session_id="s-1", identity=identity) is None
    assert asked == []  # no experiment: no hashing on the answer's path

    experiment_make(shop, start=True)
    lazily = experiment_assign(merchant_id=merchant_id, session_id="s-1", identity=identity)

    assert asked == ["asked"]
    assert lazily == experiment_assign(
        merchant_id=merchant_id, session_id="s-2", identity="shopper-hash-1"
    )
