"""The portal's analytics page: its numbers are the checkouts made through /ksa/v1, a shop
sees only its own, the CSV says the same, and a bad filter is a 400."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from tests.ksa.conftest import Klarna, selection_body, session
from tests.portal.conftest import shop_user
from tms_gateway.insights.models import OptionDay
from tms_gateway.insights.services import insights_rollup_recent

from .conftest import stored


def checkouts(klarna: Klarna, capture: Any, choices: list[tuple[str, bool]]) -> None:
    """One checkout per choice: the options, the reservation, the confirm when paid."""
    for option_id, paid in choices:
        body = session()
        klarna.options(body)
        chosen = selection_body(option_id)
        chosen["session_id"] = body["session_id"]
        with capture(execute=True):
            created = klarna.reserve(chosen)
            assert created.status_code == 201, created.content
            if paid:
                shipment_id = created.json()["shipment_id"]
                assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 200
    stored()
    insights_rollup_recent()


def portal(merchant: Any, username: str) -> Client:
    client = Client()
    client.force_login(shop_user(merchant, username))
    return client


def test_the_page_shows_the_checkouts_made(
    klarna: Klarna, klarna_b: Klarna, django_capture_on_commit_callbacks: Any
) -> None:
    checkouts(
        klarna,
        django_capture_on_commit_callbacks,
        [("pn-home", True), ("pn-home", True), ("pn-pickup", False), ("pn-pickup", True)],
    )
    checkouts(klarna_b, django_capture_on_commit_callbacks, [("store", True)])

    response = portal(klarna.shop.merchant, "anna").get("/portal/analytics/")

    assert response.status_code == 200
    rows = {
        r["figures"].option_id: (
            r["figures"].offered,
            r["figures"].preselected,
            r["figures"].chosen,
            r["figures"].confirmed,
            r["share"],
            r["average_fee"],
        )
        for r in response.context["rows"]
    }
    assert rows == {
        "pn-home": (4, 0, 2, 2, "50 %", "69.00 SEK"),
        "pn-pickup": (4, 4, 2, 1, "50 %", "49.00 SEK"),
        "budbee-evening": (4, 0, 0, 0, "0 %", ""),
        "store": (4, 0, 0, 0, "0 %", ""),
    }
    assert response.context["total_chosen"] == 4 and response.context["total_confirmed"] == 3
    page = response.content.decode()
    assert 'data-option="pn-home"' in page and "<svg" in page
    assert [m.country for m in response.context["markets"]] == ["SE"]


def test_another_shops_checkouts_are_never_shown(
    klarna: Klarna, klarna_b: Klarna, django_capture_on_commit_callbacks: Any
) -> None:
    checkouts(klarna_b, django_capture_on_commit_callbacks, [("store", True)])
    assert OptionDay.objects.filter(merchant=klarna_b.shop.merchant).exists()

    client = portal(klarna.shop.merchant, "anna")
    page = client.get("/portal/analytics/")
    export = client.get("/portal/analytics/export.csv")

    assert page.context["rows"] == [] and page.context["markets"] == []
    assert b"store" not in b"".join(export.streaming_content)  # type: ignore[attr-defined]


def test_the_market_filter_and_the_csv(
    klarna: Klarna, django_capture_on_commit_callbacks: Any
) -> None:
    checkouts(klarna, django_capture_on_commit_callbacks, [("pn-home", True), ("pn-pickup", True)])
    client = portal(klarna.shop.merchant, "anna")

    finland = client.get("/portal/analytics/", {"country": "FI"})
    export = client.get(
        "/portal/analytics/export.csv", {"country": "SE"}, HTTP_ACCEPT_LANGUAGE="sv"
    )

    assert finland.status_code == 400  # no Finnish checkouts: not a market to choose
    assert export.status_code == 200
    raw = b"".join(export.streaming_content)  # type: ignore[attr-defined]
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:5] == ["week", "country", "currency", "option_id", "option_name"]
    home = next(r for r in rows[1:] if r[3] == "pn-home")
    assert home[1:4] == ["SE", "SEK", "pn-home"]
    assert home[5:] == ["2", "1", "1", "0,5000", "69,00"]


def test_a_bad_range_is_a_400_and_the_page_keeps_working(klarna: Klarna) -> None:
    client = portal(klarna.shop.merchant, "anna")

    backwards = client.get("/portal/analytics/", {"since": "2026-03-10", "until": "2026-03-01"})
    not_a_date = client.get("/portal/analytics/export.csv", {"since": "yesterday"})

    assert backwards.status_code == 400
    assert "errorlist" in backwards.content.decode()
    assert not_a_date.status_code == 400


def test_the_page_needs_a_shop_user(client: Client, db: None) -> None:
    assert client.get("/portal/analytics/").status_code == 302
