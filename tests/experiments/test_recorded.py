"""Through the real /ksa/v1 endpoints, the recorder and its drain: each answer event carries
the session's variant, and the experiment's results count the checkouts as they happened."""

from __future__ import annotations

from typing import Any

import pytest

from tests.insights.conftest import _empty_buffer, stored  # noqa: F401 - recording on, by hand
from tests.ksa.conftest import Klarna, selection_body
from tms_gateway.experiments.services import experiment_stop

from .conftest import experiment_make
from .test_checkout import session_of

pytestmark = pytest.mark.django_db


def test_checkouts_of_each_variant_are_recorded_and_counted(
    klarna: Klarna, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 30
    experiment = experiment_make(klarna.shop, start=True)
    sessions = {
        "A": [session_of(experiment, "A"), session_of(experiment, "A", prefix="2-")],
        "B": [session_of(experiment, "B")],
    }
    with django_capture_on_commit_callbacks(execute=True):
        for ids in sessions.values():
            for sid in ids:
                body = selection_body("pn-home")
                body["session_id"] = sid
                question = {k: v for k, v in body.items() if k != "selected_shipping_option"}
                assert klarna.post("shippingoptions", question).status_code == 200
                if sid.startswith("2-"):
                    continue  # looked, did not buy
                created = klarna.reserve(body)
                assert created.status_code == 201, created.content
                shipment = created.json()["shipment_id"]
                assert klarna.post(f"shipment/{shipment}/confirm").status_code == 200

    events = stored()

    answers = [e for e in events if e.kind == "answer"]
    assert sorted(e.variant for e in answers) == ["A", "A", "B"]
    assert {e.experiment_id for e in answers} == {experiment.pk}
    home = {e.variant: o["price"] for e in answers for o in e.options if o["id"] == "pn-home"}
    assert home == {"A": 6900, "B": 2900}
    results = experiment_stop(experiment=experiment, actor=None).results
    a, b = results["variants"]
    assert (a["checkouts"], a["confirmed"], a["revenue"]) == (2, 1, 6900)
    assert (b["checkouts"], b["confirmed"], b["revenue"]) == (1, 1, 2900)
    assert a["choices"] == {"pn-home": 1} and b["choices"] == {"pn-home": 1}
    # the reservations and confirms carry their session's variant too
    choices = sorted((e.kind, e.variant) for e in events if e.kind != "answer")
    assert choices == [
        ("confirm", "A"),
        ("confirm", "B"),
        ("reservation", "A"),
        ("reservation", "B"),
    ]
    assert {e.experiment_id for e in events} == {experiment.pk}
