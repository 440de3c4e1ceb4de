"""Project hygiene that a newcomer relies on."""

from __future__ import annotations

import re
from pathlib import Path

import environ
import pytest

import tests.conftest
from tests.conftest import carrier_sample

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting_read_from_the_environment() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "tms_gateway" / "settings").glob("*.py"))
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read, "no settings found: the pattern is out of date"
    assert read - listed == set()


def test_env_example_values_parse() -> None:
    class Example(environ.Env):
        ENVIRON: dict[str, str] = {}  # read into this dict, not into os.environ

    # the same reader the settings use (tms_gateway/settings/environment.py)
    Example.read_env(ROOT / ".env.example", overwrite=True)
    parsed = Example.ENVIRON

    assert parsed["DEMO_KSA_IDENTIFIER"] == "demo"
    assert all(" #" not in v for v in parsed.values())
    # every setting line of the file is read as a value (none lost to a quoting mistake)
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert len(parsed) == len([line for line in lines if line and not line.startswith("#")])


def test_missing_carrier_samples_say_where_they_are_looked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tests.conftest, "CARRIER_SAMPLES", tmp_path / "carrier-samples")

    with pytest.raises(FileNotFoundError, match=r"\.\./shared/carrier-samples beside the checkout"):
        carrier_sample("postnord")
