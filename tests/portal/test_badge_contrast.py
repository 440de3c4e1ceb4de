"""Issue 15 item 12: every status badge in the portal's CSS has text/background contrast of at
least 4.5:1 (WCAG 2 AA for normal text). The colours are read from the stylesheets themselves,
custom properties resolved, and the ratio computed here in plain Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "merchants" / "static" / "merchants"
BADGE = re.compile(r"\.(status|badge)\b")


def _relative_luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (_relative_luminance(foreground), _relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules.append((selector.strip(), declarations))
    return rules


def _resolve(value: str, variables: dict[str, str]) -> str:
    var = re.fullmatch(r"var\((--[\w-]+)\)", value)
    return variables[var.group(1)] if var else value


def badge_pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background colour) of every badge rule in the portal's CSS."""
    pairs = []
    for stylesheet in sorted(STATIC.glob("*.css")):
        rules = _rules(stylesheet.read_text())
        variables = {
            name: value
            for selector, declarations in rules
            if selector == ":root"
            for name, value in declarations.items()
            if name.startswith("--")
        }
        ink = variables.get("--ink", "#000000")
        base_background = "#ffffff"
        for selector, declarations in rules:
            if selector in (".status", ".badge"):
                base_background = declarations.get("background", base_background)

        for selector, declarations in rules:
            if not BADGE.search(selector):
                continue
            colour = _resolve(declarations.get("color", ink), variables)
            background = _resolve(
                declarations.get(
                    "background", declarations.get("background-color", base_background)
                ),
                variables,
            )
            pairs.append((f"{stylesheet.name} {selector}", colour, background))
    return pairs


def test_the_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)


def test_the_badges_are_found() -> None:
    selectors = " ".join(selector for selector, _, _ in badge_pairs())
    for status in ("booked", "failed", "confirmed", "booking"):
        assert f".status-{status}" in selectors


@pytest.mark.parametrize(("selector", "colour", "background"), badge_pairs())
def test_every_badge_has_contrast_of_at_least_4_5(
    selector: str, colour: str, background: str
) -> None:
    ratio = contrast(colour, background)
    assert ratio >= 4.5, f"{selector}: {colour} on {background} is {ratio:.2f}:1"
