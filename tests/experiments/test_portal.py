"""The portal's experiment pages: create a draft with the form, start, stop, results; only the
shop's own; every change audited with the shop's user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from merchants.models import AuditLog
from tests.ksa.conftest import Shop
from tests.portal.conftest import shop_user
from tms_gateway.experiments.models import Experiment, ExperimentStatus
from tms_gateway.experiments.services import experiment_stop
from tms_gateway.insights.models import CheckoutEvent

from .conftest import experiment_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(shop: Shop) -> User:
    return shop_user(shop.merchant, "anna")


@pytest.fixture
def portal(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variants": "2",
        "name": "Cheaper home",
        "v0_name": "A",
        "v0_share": "50",
        "v0_preselect": "",
        "v1_name": "B",
        "v1_share": "50",
        "v1_preselect": "pn-home",
        "v1_pn-home_prices_key_0": "SEK",
        "v1_pn-home_prices_value_0": "29,00",
        "v1_pn-home_names_key_0": "sv",
        "v1_pn-home_names_value_0": "Hem till dörren",
        "v1_pn-home_sort": "1",
    }
    data.update(overrides)
    return data


def test_a_shop_creates_a_draft_with_the_form(portal: Client, shop: Shop, user: User) -> None:
    page = portal.get("/portal/experiments/new/")
    assert page.status_code == 200
    assert b'name="v1_pn-home_prices_key_0"' in page.content

    response = portal.post("/portal/experiments/new/", form_data())

    experiment = Experiment.objects.get(merchant=shop.merchant)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/experiments/{experiment.pk}/"
    assert list(experiment.variants.values_list("name", "share", "changes")) == [
        ("A", 50, {}),
        (
            "B",
            50,
            {
                "pn-home": {
                    "prices": {"SEK": 2900},
                    "names": {"sv": "Hem till dörren"},
                    "sort_order": 1,
                    "preselected": True,
                }
            },
        ),
    ]
    log = AuditLog.objects.get(object_type="Experiment")
    assert (log.action, log.actor) == ("create", user)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"v1_share": "60"}, "add up to 110"),
        ({"v1_name": "A"}, "its own name"),
        ({"v1_pn-home_prices_value_0": "29,001"}, "decimals"),
        ({"v1_pn-home_prices_key_0": "XXX"}, "ISO 4217"),
        ({"v1_pn-home_names_key_0": "qq"}, "language"),
        ({"v1_pn-home_sort": "-1"}, "0"),
        ({"v1_preselect": "not-an-option"}, "not-an-option"),
        ({"name": ""}, "required"),
    ],
)
def test_a_refused_form_is_400_and_writes_nothing(
    portal: Client, overrides: dict[str, str], message: str
) -> None:
    response = portal.post("/portal/experiments/new/", form_data(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Experiment.objects.exists()
    assert not AuditLog.objects.exists()


def test_three_variants_on_asking(portal: Client) -> None:
    page = portal.get("/portal/experiments/new/?variants=3")
    assert b'name="v2_name"' in page.content
    assert b'name="v4_name"' not in portal.get("/portal/experiments/new/?variants=9").content
    response = portal.post(
        "/portal/experiments/new/",
        form_data(variants="3", v0_share="34", v1_share="33", v2_name="C", v2_share="33"),
    )
    assert response.status_code == 302
    assert Experiment.objects.get().variants.count() == 3


def test_start_stop_and_the_results_page(portal: Client, shop: Shop) -> None:
    experiment = experiment_make(shop)
    base = f"/portal/experiments/{experiment.pk}/"
    assert portal.get(base + "edit/").status_code == 200

    assert portal.post(base + "start/").status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING and experiment.started_at is not None
    assert portal.get(base + "edit/").status_code == 404  # a started one is not edited
    CheckoutEvent.objects.bulk_create(
        [
            CheckoutEvent(
                merchant=shop.merchant,
                at=experiment.started_at,
                kind=kind,
                session_ref=f"{variant}{i}",
                currency="SEK",
                experiment_id=experiment.pk if kind == "answer" else None,
                variant=variant if kind == "answer" else "",
                option_id="" if kind == "answer" else "pn-home",
                price=None if kind == "answer" else 2900,
            )
            for variant in "AB"
            for i in range(4)
            for kind in (("answer", "confirm") if i < (1 if variant == "A" else 3) else ("answer",))
        ]
    )
    live = portal.get(base).content.decode()
    assert "25.0 %" in live and "75.0 %" in live  # conversion A 1/4, B 3/4
    assert "keep it running" in live

    assert portal.post(base + "stop/").status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED
    CheckoutEvent.objects.all().delete()
    kept = portal.get(base).content.decode()
    assert "Kept as they were when the experiment stopped" in kept
    assert "75.0 %" in kept
    assert [log.changes.get("status") for log in AuditLog.objects.order_by("id")] == [
        [None, "draft"],
        ["draft", "running"],
        ["running", "stopped"],
    ]
    assert "Cheaper home" in portal.get("/portal/experiments/").content.decode()


def test_a_refused_start_is_409_and_changes_nothing(portal: Client, shop: Shop) -> None:
    experiment_make(shop, start=True)
    second = experiment_make(shop, name="Second")

    response = portal.post(f"/portal/experiments/{second.pk}/start/")

    assert response.status_code == 409
    assert "Another experiment of this shop is running" in response.content.decode()
    second.refresh_from_db()
    assert second.status == ExperimentStatus.DRAFT
    assert portal.get(f"/portal/experiments/{second.pk}/start/").status_code == 405


def test_another_shops_experiment_is_404(portal: Client, other_shop: Shop) -> None:
    theirs = experiment_make(other_shop)

    for path in ("", "edit/"):
        assert portal.get(f"/portal/experiments/{theirs.pk}/{path}").status_code == 404
    for action in ("start", "stop", "delete"):
        assert portal.post(f"/portal/experiments/{theirs.pk}/{action}/").status_code == 404
    assert portal.post(f"/portal/experiments/{theirs.pk}/edit/", form_data()).status_code == 404
    assert "Cheaper home" not in portal.get("/portal/experiments/").content.decode()
    theirs.refresh_from_db()
    assert theirs.status == ExperimentStatus.DRAFT and theirs.name == "Cheaper home"


def test_the_pages_speak_swedish(portal: Client, shop: Shop) -> None:
    experiment = experiment_stop(experiment=experiment_make(shop, start=True), actor=None)
    portal.cookies["django_language"] = "sv"

    listing = portal.get("/portal/experiments/").content.decode()
    results = portal.get(f"/portal/experiments/{experiment.pk}/").content.decode()

    assert "Nytt experiment" in listing and "Stoppat" in listing
    assert "Ännu för få kassor för att jämföra B med A." in results
    assert "95 % konfidensintervall" in results and "Fraktintäkt per kassa" in results
