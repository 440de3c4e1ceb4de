"""The checkout preview says which variant the previewed checkout gets and lets staff pick one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.ksa.conftest import Shop
from tests.portal.conftest import shop_user

from .conftest import experiment_make

pytestmark = pytest.mark.django_db

ADDRESS = {"country": "SE", "postal_code": "11151", "city": "Stockholm"}


@pytest.fixture
def portal(shop: Shop) -> Client:
    user: User = shop_user(shop.merchant, "anna")
    client = Client()
    client.force_login(user)
    return client


def test_the_preview_shows_the_assigned_variant_and_a_picked_one(
    portal: Client, shop: Shop
) -> None:
    experiment_make(shop, start=True)

    page = portal.get("/portal/preview/").content.decode()
    assert '<option value="B">B</option>' in page
    assigned = portal.post("/portal/preview/", ADDRESS).content.decode()
    picked_b = portal.post("/portal/preview/", {**ADDRESS, "experiment_variant": "B"})
    picked_a = portal.post("/portal/preview/", {**ADDRESS, "experiment_variant": "A"})

    assert "This checkout gets variant" in assigned
    assert "of the running experiment “Cheaper home”" in assigned
    b, a = picked_b.context["options"], picked_a.context["options"]
    assert "Variant B of the experiment “Cheaper home”, as picked." in picked_b.content.decode()
    assert next(o["id"] for o in b) == "pn-home"
    assert next(o for o in b if o["id"] == "pn-home")["price"].startswith("29")
    assert next(o["id"] for o in a) == "pn-pickup"
    assert next(o for o in a if o["id"] == "pn-home")["price"].startswith("69")


def test_a_drafts_variant_can_be_previewed_before_it_starts(portal: Client, shop: Shop) -> None:
    experiment_make(shop)

    plain = portal.post("/portal/preview/", ADDRESS)
    picked = portal.post("/portal/preview/", {**ADDRESS, "experiment_variant": "B"})

    assert plain.context["experiment"] is None  # a draft assigns nobody
    assert next(o["id"] for o in plain.context["options"]) == "pn-pickup"
    assert next(o["id"] for o in picked.context["options"]) == "pn-home"


def test_another_shops_variant_is_not_applied(portal: Client, other_shop: Shop) -> None:
    experiment_make(other_shop, start=True)

    response = portal.post("/portal/preview/", {**ADDRESS, "experiment_variant": "B"})

    assert response.context["experiment"] is None
    assert next(o["id"] for o in response.context["options"]) == "pn-pickup"
