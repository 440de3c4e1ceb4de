"""Project hygiene that a newcomer relies on."""

from __future__ import annotations

import re
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting_read_from_the_environment() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "tms_gateway" / "settings").glob("*.py"))
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read, "no settings found: the pattern is out of date"
    assert read - listed == set()


def test_env_example_values_parse() -> None:
    values = environ.Env.read_env  # the same reader settings use
    env_file = ROOT / ".env.example"
    parsed: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            parsed[key] = value
    assert values is not None
    assert parsed["DEMO_KSA_IDENTIFIER"] == "demo"
    assert all(" #" not in v for v in parsed.values())
