"""The checkout preview's map in chromium: a pin per location coloured by its carrier, and the
pins that overlap on screen merged into one cluster with their number, which zooms in on a click
(issue 15 item 10). The map script runs on a page of its own here, with locations placed for the
test; the admin's and the portal's previews (test_admin, test_portal) show the demo shop's."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .conftest import screenshot

STATIC = Path(__file__).resolve().parents[2] / "merchants" / "static" / "merchants"

KUNGSGATAN = (59.3360, 18.0630)
# About 50 m from Kungsgatan: one spot at the fitted zoom, two pins close up.
KUNGSGATAN_NEAR = (59.3364, 18.0636)
SOLNA = (59.3600, 18.0000)
ODENPLAN = (59.3430, 18.0490)
MARKERS = [
    {"name": "PostNord Kungsgatan", "carrier": "postnord", "colour": "postnord", "at": KUNGSGATAN},
    {"name": "Bring Kungsgatan", "carrier": "bring", "colour": "bring", "at": KUNGSGATAN_NEAR},
    {"name": "PostNord Solna", "carrier": "postnord", "colour": "postnord", "at": SOLNA},
    {"name": "DHL Odenplan 1", "carrier": "dhl", "colour": "dhl", "at": ODENPLAN},
    {"name": "DHL Odenplan 2", "carrier": "dhl", "colour": "dhl", "at": ODENPLAN},
]


def _open_map(page: Any) -> None:
    markers = [
        {
            "lat": m["at"][0],
            "lng": m["at"][1],
            "name": m["name"],
            "option": f"{m['carrier']}-pickup",
            "option_name": "Pickup",
            "address": "Stockholm",
            "carrier": m["carrier"],
            "colour": m["colour"],
        }
        for m in MARKERS
    ]
    page.set_viewport_size({"width": 900, "height": 600})
    page.set_content(
        '<main class="tms-preview"><div id="preview-map" class="tms-preview-map" '
        f'data-markers="{html.escape(json.dumps(markers))}" data-tile-url="" '
        'data-cluster-label="locations here: click to zoom in"></div></main>'
    )
    page.add_style_tag(path=str(STATIC / "vendor" / "leaflet" / "leaflet.css"))
    page.add_style_tag(path=str(STATIC / "preview.css"))
    page.add_script_tag(path=str(STATIC / "vendor" / "leaflet" / "leaflet.js"))
    page.add_script_tag(path=str(STATIC / "preview.js"))
    page.wait_for_selector("#preview-map .tms-cluster")


def _pins(page: Any) -> list[tuple[str, str]]:
    return sorted(
        tuple(pin)
        for pin in page.locator("#preview-map .tms-pin").evaluate_all(
            "els => els.map(e => [e.dataset.carrier, e.title])"
        )
    )


def _clusters(page: Any) -> list[tuple[int, str]]:
    return sorted(
        tuple(cluster)
        for cluster in page.locator("#preview-map .tms-cluster").evaluate_all(
            "els => els.map(e => [+e.dataset.count, e.dataset.carriers])"
        )
    )


def test_overlapping_pins_are_one_cluster_and_each_pin_has_its_carriers_colour(page: Any) -> None:
    _open_map(page)

    # Kungsgatan's two pins (two carriers) are one cluster, Odenplan's two (one spot) another
    assert _clusters(page) == [(2, "dhl"), (2, "postnord bring")]
    assert _pins(page) == [("postnord", "PostNord Solna")]
    pin = page.locator("#preview-map .tms-pin")
    assert "tms-pin--postnord" in pin.get_attribute("class").split()
    assert pin.get_attribute("data-option") == "postnord-pickup"
    mixed = page.locator("#preview-map .tms-cluster[data-carriers='postnord bring']")
    assert "tms-cluster--mixed" in mixed.get_attribute("class").split()
    assert mixed.inner_text() == "2"
    dhl = page.locator("#preview-map .tms-cluster[data-carriers='dhl']")
    assert "tms-pin--dhl" in dhl.get_attribute("class").split()
    # the pins' colours differ, and white text on a cluster is readable
    colour = "e => getComputedStyle(e).backgroundColor"
    assert pin.evaluate(colour) != dhl.evaluate(colour)
    screenshot(page, "preview-map-clusters")


def test_a_click_on_a_cluster_zooms_in_until_its_pins_part(page: Any) -> None:
    _open_map(page)
    zoom = int(page.locator("#preview-map").get_attribute("data-drawn-zoom"))

    page.locator("#preview-map .tms-cluster[data-carriers='postnord bring']").click()

    page.wait_for_function(
        f"document.getElementById('preview-map').dataset.drawnZoom > {zoom}"
        " && !document.querySelector(\"#preview-map .tms-cluster[data-carriers='postnord bring']\")"
    )
    assert ("bring", "Bring Kungsgatan") in _pins(page)
    assert ("postnord", "PostNord Kungsgatan") in _pins(page)
    screenshot(page, "preview-map-cluster-zoomed")


def test_a_cluster_on_one_spot_lists_its_locations_in_a_popup(page: Any) -> None:
    _open_map(page)

    page.locator("#preview-map .tms-cluster[data-carriers='dhl']").click()

    popup = page.locator("#preview-map .leaflet-popup-content .tms-cluster-list li")
    popup.first.wait_for()
    assert popup.all_inner_texts() == [
        "DHL Odenplan 1\nStockholm\nPickup",
        "DHL Odenplan 2\nStockholm\nPickup",
    ]
    screenshot(page, "preview-map-cluster-popup")
