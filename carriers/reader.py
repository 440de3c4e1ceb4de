"""One typed reader of carrier JSON, shared by every adapter's mappers.

A carrier body that is not the shape we expect raises ``CarrierResponseInvalid`` naming the
carrier and the field, never a ``KeyError`` or ``TypeError`` deep in a mapper::

    read = JsonReader("bring")
    data = read.load(body)
    points = read.array(read.object(data, "the answer").get("pickupPoint"), "pickupPoint")
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .exceptions import CarrierResponseInvalid


class JsonReader:
    def __init__(self, carrier: str) -> None:
        self.carrier = carrier

    def invalid(self, what: str) -> CarrierResponseInvalid:
        return CarrierResponseInvalid(
            f"{self.carrier} answered an unexpected body: {what}", carrier=self.carrier
        )

    def load(self, body: bytes | str) -> Any:
        """A saved or received body as JSON; garbage raises ``CarrierResponseInvalid``."""
        try:
            return json.loads(body)
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            raise self.invalid("not JSON") from exc

    def object(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.invalid(f"{what} is not an object")
        return value

    def optional_object(self, value: Any, what: str) -> dict[str, Any]:
        """An object, or ``{}`` for a missing or null one."""
        return {} if value is None else self.object(value, what)

    def array(self, value: Any, what: str, *, required: bool = False) -> list[Any]:
        """A JSON array; a missing or null one reads as empty unless ``required``."""
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.invalid(f"{what} is not a list")
        return value

    def text(self, value: Any, what: str, *, required: bool = False) -> str:
        """A string; numbers read as their text (carriers send ids both ways). Missing or null
        is ``""`` unless ``required``."""
        if value is None or value == "":
            if required:
                raise self.invalid(f"{what} is missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.invalid(f"{what} is not text")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def field(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
        """``data[key]`` as text, named by its key in errors."""
        return self.text(data.get(key), key, required=required)

    def integer(self, value: Any, what: str, *, required: bool = False) -> int | None:
        """A whole number, from a number or its text; None when missing."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = self.text(value, what, required=required).strip()
        if not text:
            return None
        try:
            return int(float(text)) if "." in text and float(text).is_integer() else int(text)
        except ValueError as exc:
            raise self.invalid(f"{what} is not a whole number") from exc

    def number(self, value: Any, what: str, *, required: bool = False) -> float | None:
        """A finite number, from a number or its text (a decimal comma is read too)."""
        text = self.text(value, what, required=required).strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError as exc:
            raise self.invalid(f"{what} is not a number") from exc
        if not math.isfinite(number):
            raise self.invalid(f"{what} is not a finite number")
        return number

    def boolean(self, value: Any, what: str, *, default: bool = False) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
        raise self.invalid(f"{what} is not true or false")
