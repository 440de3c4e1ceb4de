"""Fill the admin's per-language / per-currency rows and per-weekday times in posted data."""

from __future__ import annotations

from collections.abc import Mapping


def set_rows(data: dict[str, object], name: str, values: Mapping[str, object]) -> dict[str, object]:
    """Replace the rows of field ``name`` (``name_key_<i>`` / ``name_value_<i>``) by ``values``."""
    for key in [k for k in data if k.startswith((f"{name}_key_", f"{name}_value_"))]:
        del data[key]
    for i, (key, value) in enumerate(values.items()):
        data[f"{name}_key_{i}"] = key
        data[f"{name}_value_{i}"] = str(value)
    return data


def rows_of(data: Mapping[str, object], name: str) -> dict[str, str]:
    """The non-empty rows of field ``name`` as posted (or rendered)."""
    found: dict[str, str] = {}
    i = 0
    while f"{name}_key_{i}" in data:
        key, value = str(data[f"{name}_key_{i}"]), str(data.get(f"{name}_value_{i}", ""))
        if key or value:
            found[key] = value
        i += 1
    return found
