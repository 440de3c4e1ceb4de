"""Two checkouts of one shopper at the demo shop through Klarna's callbacks (/ksa/v1): the
second answer preselects the first one's option with its pickup point first."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merchants.models import Merchant
from tests.ksa.conftest import Klarna, session
from tms_gateway.shoppers.models import RememberedChoice

from .conftest import EMAIL, recipient

pytestmark = pytest.mark.django_db


def _options(klarna: Klarna, **shopper: Any) -> list[dict[str, Any]]:
    return klarna.options(session(recipient=recipient(**shopper)))


def _buy(klarna: Klarna, capture: Any, *, option_id: str, location_id: str, **shopper: Any) -> None:
    """Reserve and confirm, with the confirm's after-commit work run as in production."""
    body = session(recipient=recipient(**shopper))
    body["selected_shipping_option"] = {"id": option_id, "location": {"id": location_id}}
    response = klarna.reserve(body)
    assert response.status_code == 201, response.content
    with capture(execute=True):
        confirmed = klarna.post(f"shipment/{response.json()['shipment_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.content


def _unusual_choice(options: list[dict[str, Any]]) -> tuple[str, str]:
    """An option that is not preselected, and a pickup point of it that is not its first."""
    option = next(o for o in options if not o["preselected"] and len(o.get("locations", [])) > 1)
    return option["id"], option["locations"][-1]["id"]


def _preselected(options: list[dict[str, Any]]) -> list[str]:
    return [o["id"] for o in options if o["preselected"]]


@pytest.fixture
def remembered(
    klarna: Klarna, django_capture_on_commit_callbacks: Any
) -> tuple[str, str, list[dict[str, Any]]]:
    """The shopper's first checkout: an option and pickup point the shop would not put first."""
    first = _options(klarna)
    option_id, location_id = _unusual_choice(first)
    _buy(klarna, django_capture_on_commit_callbacks, option_id=option_id, location_id=location_id)
    return option_id, location_id, first


def test_the_second_checkout_preselects_the_first_choice_with_its_pickup_point_first(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    option_id, location_id, first = remembered
    assert _preselected(first) == ["postnord-service-point"]

    # when: the same shopper, the e-mail spelled otherwise
    second = _options(klarna, email=f"  {EMAIL.upper()} ")

    # then
    assert _preselected(second) == [option_id]
    chosen = next(o for o in second if o["id"] == option_id)
    assert chosen["locations"][0]["id"] == location_id
    before = next(o for o in first if o["id"] == option_id)
    assert sorted(loc["id"] for loc in chosen["locations"]) == sorted(
        loc["id"] for loc in before["locations"]
    )
    # the list's order is the shop's: only the preselection changed
    assert [o["id"] for o in second] == [o["id"] for o in first]


def test_the_phone_number_alone_recognises_the_shopper(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    option_id, _, _ = remembered

    second = _options(klarna, email="", phone="+46 70 123 45 67")

    assert _preselected(second) == [option_id]


def test_another_shopper_gets_the_shops_order(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    other = _options(klarna, email="someone.else@example.com", phone="0709876543")

    assert _preselected(other) == ["postnord-service-point"]


def test_a_shop_with_it_off_neither_remembers_nor_applies(
    klarna: Klarna, demo: Merchant, django_capture_on_commit_callbacks: Any
) -> None:
    Merchant.objects.filter(pk=demo.pk).update(remember_choices=False)
    first = _options(klarna)
    option_id, location_id = _unusual_choice(first)

    _buy(klarna, django_capture_on_commit_callbacks, option_id=option_id, location_id=location_id)

    assert RememberedChoice.objects.count() == 0
    assert _preselected(_options(klarna)) == ["postnord-service-point"]


def test_a_remembered_choice_of_a_shop_switched_off_is_not_applied(
    klarna: Klarna, demo: Merchant, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    Merchant.objects.filter(pk=demo.pk).update(remember_choices=False)

    with CaptureQueriesContext(connection) as queries:
        options = _options(klarna)

    assert _preselected(options) == ["postnord-service-point"]
    assert not [q for q in queries.captured_queries if "shoppers_" in q["sql"]]


def test_an_option_no_longer_offered_leaves_the_shops_order(
    klarna: Klarna, demo: Merchant, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    option_id, _, _ = remembered
    demo.options.filter(code=option_id).update(is_active=False)

    options = _options(klarna)

    assert option_id not in [o["id"] for o in options]
    assert _preselected(options) == ["postnord-service-point"]


def test_a_pickup_point_no_longer_offered_keeps_the_option_and_the_carriers_order(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    option_id, _, first = remembered
    RememberedChoice.objects.update(pickup_point_id="gone-since")

    options = _options(klarna)

    assert _preselected(options) == [option_id]
    chosen = next(o for o in options if o["id"] == option_id)
    before = next(o for o in first if o["id"] == option_id)
    assert [loc["id"] for loc in chosen["locations"]] == [loc["id"] for loc in before["locations"]]


def test_one_indexed_query_per_answer_and_none_without_a_shopper(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    with CaptureQueriesContext(connection) as known:
        _options(klarna)
    with CaptureQueriesContext(connection) as anonymous:
        _options(klarna, email="", phone="")

    assert len([q for q in known.captured_queries if "shoppers_" in q["sql"]]) == 1
    assert not [q for q in anonymous.captured_queries if "shoppers_" in q["sql"]]


def test_the_shopper_is_kept_only_as_hashes(
    klarna: Klarna, remembered: tuple[str, str, list[dict[str, Any]]]
) -> None:
    option_id, location_id, _ = remembered

    rows = list(RememberedChoice.objects.values())

    assert {r["identity_kind"] for r in rows} == {"email", "phone"}
    assert {(r["option_id"], r["pickup_point_id"]) for r in rows} == {(option_id, location_id)}
    assert len({r["shopper_ref"] for r in rows}) == 1
    dump = repr(rows).casefold()
    for clear in (EMAIL.casefold(), "returning.shopper", "701234567", "070-123"):
        assert clear not in dump
    assert all(len(r["identity_hash"]) == 64 for r in rows)
