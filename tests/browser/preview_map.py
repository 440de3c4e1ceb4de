"""What the checkout preview's map shows, read in the browser: its pins, clusters and legend."""

from __future__ import annotations

import json
from typing import Any


def preview_map_shown(page: Any) -> dict[str, Any]:
    """Wait for the map, then check that every location is on it exactly once: a pin coloured
    by its carrier (tms-pin--<colour>, data-carrier), or counted in one cluster (data-count);
    and that the legend names each carrier on the map with its colour. Returns what it read."""
    page.wait_for_selector("#preview-map .tms-pin, #preview-map .tms-cluster")
    markers = json.loads(page.locator("#preview-map").get_attribute("data-markers"))
    pins = page.locator("#preview-map .tms-pin").evaluate_all(
        "els => els.map(e => ({carrier: e.dataset.carrier, classes: e.className}))"
    )
    clusters = page.locator("#preview-map .tms-cluster").evaluate_all(
        "els => els.map(e => ({count: +e.dataset.count, text: e.textContent,"
        " carriers: e.dataset.carriers}))"
    )
    colours = {m["carrier"]: m["colour"] for m in markers}
    for pin in pins:
        assert f"tms-pin--{colours[pin['carrier']]}" in pin["classes"].split()
    for cluster in clusters:
        assert cluster["count"] >= 2 and cluster["text"] == str(cluster["count"])
    assert len(pins) + sum(c["count"] for c in clusters) == len(markers)
    legend = page.locator(".tms-preview-legend li").evaluate_all(
        "els => els.map(e => [e.dataset.carrier,"
        " e.querySelector('.tms-pin-swatch').className, e.textContent.trim()])"
    )
    assert [carrier for carrier, _, _ in legend] == list(colours)
    for carrier, swatch, _ in legend:
        assert f"tms-pin--{colours[carrier]}" in swatch.split()
    return {"markers": markers, "pins": pins, "clusters": clusters, "legend": legend}
