"""Klarna's answers through the real /ksa/v1 endpoints show the session's variant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ksa.conftest import Klarna, selection_body, session
from tms_gateway.experiments.assign import experiment_config_load, variant_pick
from tms_gateway.experiments.models import Experiment
from tms_gateway.experiments.services import experiment_stop
from tms_gateway.shipments.models import Shipment

from .conftest import experiment_make

pytestmark = pytest.mark.django_db


def session_of(experiment: Experiment, variant: str, prefix: str = "") -> str:
    """A Klarna session id that the experiment assigns to ``variant``."""
    config = experiment_config_load(experiment_id=experiment.pk)
    assert config is not None
    return next(
        sid
        for i in range(1000)
        if variant_pick(config=config, unit=(sid := f"{prefix}{variant}-session-{i}")).name
        == variant
    )


def by_id(options: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in options}


def test_each_variant_gets_its_own_prices_names_order_and_preselection(klarna: Klarna) -> None:
    experiment = experiment_make(klarna.shop, start=True)

    control = klarna.options(session(session_id=session_of(experiment, "A")))
    changed = klarna.options(session(session_id=session_of(experiment, "B")))

    assert [o["id"] for o in control] == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert by_id(control)["pn-home"]["price"] == 6900
    assert by_id(control)["pn-home"]["name"] == "Hemleverans"
    assert by_id(control)["pn-pickup"]["preselected"] is True
    assert [o["id"] for o in changed] == ["pn-home", "pn-pickup", "budbee-evening", "store"]
    home = by_id(changed)["pn-home"]
    assert (home["price"], home["name"], home["preselected"]) == (2900, "Hem till dörren", True)
    assert [o["preselected"] for o in changed] == [True, False, False, False]
    assert home["tax_amount"] == 580  # 25 % of 2900 incl. tax, from the variant's price
    # The stopped experiment no longer changes anything.
    experiment_stop(experiment=experiment, actor=None)
    after = klarna.options(session(session_id=session_of(experiment, "B")))
    assert [o["id"] for o in after] == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert by_id(after)["pn-home"]["price"] == 6900


def test_a_kept_answer_is_never_given_to_a_session_of_another_variant(
    klarna: Klarna, settings: Any
) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 30
    experiment = experiment_make(klarna.shop, start=True)

    first_a = klarna.options(session(session_id=session_of(experiment, "A")))
    first_b = klarna.options(session(session_id=session_of(experiment, "B")))
    again_b = klarna.options(session(session_id=session_of(experiment, "B", prefix="other-")))
    again_a = klarna.options(session(session_id=session_of(experiment, "A", prefix="other-")))

    assert by_id(first_a)["pn-home"]["price"] == 6900
    assert by_id(first_b)["pn-home"]["price"] == 2900
    assert again_b == first_b  # kept answers still serve other sessions of the same variant
    assert again_a == first_a


def test_the_reservation_charges_the_variants_price(klarna: Klarna) -> None:
    experiment = experiment_make(klarna.shop, start=True)
    body = selection_body("pn-home")
    body["session_id"] = session_of(experiment, "B")

    response = klarna.reserve(body)

    assert response.status_code == 201, response.content
    assert Shipment.objects.get().price == 2900


def test_free_shipping_from_the_threshold_still_applies_to_a_variants_price(
    klarna: Klarna,
) -> None:
    experiment = experiment_make(klarna.shop, start=True)
    variant = experiment.variants.get(name="B")
    variant.changes = {"pn-pickup": {"prices": {"SEK": 3900}}}
    variant.save()
    sid = session_of(experiment, "B")
    body = session(session_id=sid)

    cheap = by_id(klarna.options(body))["pn-pickup"]["price"]
    body["order"]["total_amount"] = 150000  # above the shop's free-shipping threshold
    free = by_id(klarna.options(body))["pn-pickup"]["price"]

    assert (cheap, free) == (3900, 0)


def test_a_remembered_shopper_keeps_the_variant_in_every_checkout(klarna: Klarna) -> None:
    merchant = klarna.shop.merchant
    merchant.remember_choices = True
    merchant.save()
    experiment = experiment_make(klarna.shop, start=True)
    prices = set()
    for i in range(12):
        body = session(session_id=f"shopper-session-{i}")
        body["recipient"]["email"] = "Returning@Example.com"
        prices.add(by_id(klarna.options(body))["pn-home"]["price"])
    anonymous = set()
    for i in range(12):
        body = session(session_id=f"anon-{i}")
        body["recipient"].update(email="", phone="")  # unknown: the session decides
        anonymous.add(by_id(klarna.options(body))["pn-home"]["price"])

    assert len(prices) == 1  # one variant for the shopper, whatever the session
    assert anonymous == {6900, 2900}
    assert experiment.status == "running"
