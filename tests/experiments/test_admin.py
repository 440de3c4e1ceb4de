"""Partner staff's experiments in the admin: create for a shop, edit, start, stop, results;
the Support role sees them and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from merchants.models import AuditLog
from tests.admin.conftest import _client, _staff
from tests.ksa.conftest import Shop
from tms_gateway.experiments.models import Experiment, ExperimentStatus

from .conftest import experiment_make
from .test_portal import form_data

pytestmark = pytest.mark.django_db

BASE = "/admin/experiments/experiment/"


@pytest.fixture
def superuser() -> User:
    return _staff("root", superuser=True)


@pytest.fixture
def staff(superuser: User) -> Client:
    return _client(superuser)


@pytest.fixture
def support() -> Client:
    return _client(_staff("sam-support", group="Support"))


def test_staff_create_an_experiment_for_a_shop(staff: Client, shop: Shop, superuser: User) -> None:
    assert staff.get(BASE + "add/").status_code == 200  # choose the shop
    assert staff.get(BASE + "add/?merchant=999999").status_code == 400
    page = staff.get(f"{BASE}add/?merchant={shop.merchant.pk}")
    assert page.status_code == 200
    assert b'name="v1_pn-home_prices_key_0"' in page.content
    assert f"?merchant={shop.merchant.pk}&amp;variants=3".encode() in page.content

    response = staff.post(f"{BASE}add/?merchant={shop.merchant.pk}", form_data())

    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert experiment.merchant == shop.merchant
    assert experiment.variants.get(name="B").changes["pn-home"]["prices"] == {"SEK": 2900}
    assert AuditLog.objects.get(object_type="Experiment").actor == superuser
    refused = staff.post(f"{BASE}add/?merchant={shop.merchant.pk}", form_data(v1_share="70"))
    assert refused.status_code == 400
    assert Experiment.objects.count() == 1


def test_staff_edit_start_and_stop_and_see_results(staff: Client, shop: Shop) -> None:
    experiment = experiment_make(shop)
    change = f"{BASE}{experiment.pk}/change/"

    assert staff.get(change + "?edit=1").status_code == 200
    edited = staff.post(change + "?edit=1", form_data(name="Renamed"))
    assert edited.status_code == 302
    experiment.refresh_from_db()
    assert experiment.name == "Renamed"

    assert staff.get(f"{BASE}{experiment.pk}/start/").status_code == 405
    assert staff.post(f"{BASE}{experiment.pk}/start/").status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING
    page = staff.get(change).content.decode()
    assert "Conversion per variant" in page and 'value="Stop"' in page
    assert staff.post(f"{BASE}{experiment.pk}/stop/").status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED
    assert "Kept as they were" in staff.get(change).content.decode()
    assert staff.post(f"{BASE}{experiment.pk}/start/").status_code == 409
    assert staff.get(change + "?edit=1").status_code == 404
    assert "Renamed" in staff.get(BASE).content.decode()


def test_support_sees_and_changes_nothing(support: Client, shop: Shop) -> None:
    experiment = experiment_make(shop)
    change = f"{BASE}{experiment.pk}/change/"

    page = support.get(change)
    assert page.status_code == 200
    assert 'value="Start"' not in page.content.decode()
    assert support.get(BASE).status_code == 200
    assert support.post(f"{BASE}{experiment.pk}/start/").status_code == 403
    assert support.post(change + "?edit=1", form_data(name="X")).status_code == 403
    assert support.get(BASE + "add/").status_code == 403
    experiment.refresh_from_db()
    assert (experiment.status, experiment.name) == (ExperimentStatus.DRAFT, "Cheaper home")
    assert staff_missing(support)


def staff_missing(client: Client) -> bool:
    return client.get(f"{BASE}999999/change/").status_code == 404
