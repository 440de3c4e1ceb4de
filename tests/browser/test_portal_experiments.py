"""The shop's experiment pages in a real browser: the demo's finished experiment with its
verdict, interval and chart; a new draft made with the form, started and stopped. Screenshots
in var/screenshots/portal-experiment-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from tms_gateway.experiments.demo import experiments_demo_seed
from tms_gateway.experiments.models import Experiment, ExperimentStatus

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_shop_reads_results_and_runs_an_experiment(
    page: Any, live_server: Any, shop: dict[str, Any]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    demo = experiments_demo_seed(merchant=shop["merchant"], sessions=1200)
    assert demo is not None
    sign_in(page, live_server)

    page.click("nav a[href$='/portal/experiments/']")
    page.wait_for_url("**/portal/experiments/")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Experiments"
    screenshot(page, "portal-experiment-list")

    page.click("text=Cheaper home delivery")
    page.wait_for_url(f"**/portal/experiments/{demo.pk}/")
    verdict = page.locator(".verdict").inner_text()
    assert verdict.startswith("Variant B converts")
    assert "95 % CI" in verdict
    assert page.locator(".experiment-results svg.chart rect").count() == 2
    assert page.locator(".experiment-table").first.locator("tbody tr").count() == 2
    screenshot(page, "portal-experiment-results")

    page.goto(f"{live_server.url}/portal/experiments/new/")
    page.fill("#id_name", "Letter first")
    page.locator("#variant-2 summary", has_text="postnord-letter").click()
    key = page.locator("#id_v1_postnord-letter_prices_key_0")
    assert key.input_value() == "SEK"
    page.fill("#id_v1_postnord-letter_prices_value_0", "19")
    page.fill("#id_v1_postnord-letter_sort", "1")
    page.select_option("#id_v1_preselect", "postnord-letter")
    screenshot(page, "portal-experiment-form")
    page.click("button:has-text('Save draft')")
    draft = Experiment.objects.get(name="Letter first")
    page.wait_for_url(f"**/portal/experiments/{draft.pk}/")
    assert draft.variants.get(name="B").changes == {
        "postnord-letter": {"prices": {"SEK": 1900}, "sort_order": 1, "preselected": True}
    }
    variants = page.locator(".experiment-variants").inner_text().replace("\xa0", " ")
    assert "Letter to your mailbox (PostNord): 19.00 SEK, sort order 1, preselected" in variants
    screenshot(page, "portal-experiment-draft")

    page.click("button:has-text('Start')")
    page.wait_for_selector(".status-running")
    draft.refresh_from_db()
    assert draft.status == ExperimentStatus.RUNNING
    screenshot(page, "portal-experiment-running")
    page.click("button:has-text('Stop')")
    page.wait_for_selector(".status-stopped")
    draft.refresh_from_db()
    assert draft.status == ExperimentStatus.STOPPED
    assert draft.results["variants"][0]["name"] == "A"
    screenshot(page, "portal-experiment-stopped")
    assert errors == []

    # At phone width the results and the form stay within the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, shot in (
        (f"experiments/{demo.pk}/", "portal-experiment-results-390"),
        ("experiments/new/", "portal-experiment-form-390"),
    ):
        page.goto(f"{live_server.url}/portal/{path}")
        screenshot(page, shot)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide at 390 px"
