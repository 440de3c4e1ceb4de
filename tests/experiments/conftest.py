"""A shop with options (the callback API tests' shop) and an experiment on its prices."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.ksa.conftest import Klarna, Shop, shop_create
from tms_gateway.experiments.models import Experiment
from tms_gateway.experiments.services import experiment_save, experiment_start

#: The control keeps the shop's options; B makes home delivery cheaper, renames it, moves it
#: first and preselects it.
VARIANTS: list[dict[str, Any]] = [
    {"name": "A", "share": 50, "changes": {}},
    {
        "name": "B",
        "share": 50,
        "changes": {
            "pn-home": {
                "prices": {"SEK": 2900},
                "names": {"sv": "Hem till dörren", "en": "To your door"},
                "sort_order": 1,
                "preselected": True,
            }
        },
    },
]


@pytest.fixture(autouse=True)
def _static_carriers(settings: Any) -> None:
    from carriers.breaker import breaker
    from tests.checkout.conftest import STATIC_ADAPTERS

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    breaker.reset()


@pytest.fixture
def shop(db: None) -> Shop:
    return shop_create(identifier="shop-a", key="key-a")


@pytest.fixture
def other_shop(db: None) -> Shop:
    return shop_create(identifier="shop-b", key="key-b")


@pytest.fixture
def klarna(client: Client, shop: Shop) -> Klarna:
    return Klarna(client, shop).login()


def experiment_make(shop: Shop, *, start: bool = False, name: str = "Cheaper home") -> Experiment:
    experiment = experiment_save(
        merchant=shop.merchant, experiment=None, name=name, variants=VARIANTS, actor=None
    )
    if start:
        experiment = experiment_start(experiment=experiment, actor=None)
    return experiment
