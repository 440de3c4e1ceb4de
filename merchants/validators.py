"""Field validators for merchant configuration (JSON shapes the admin edits)."""

import re
from typing import Any

from django.core.exceptions import ValidationError

from tms_gateway.common.money import is_currency

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_POSTAL_RULE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)?$")
_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


def validate_locale_map(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _LOCALE.match(k) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError('Expected {"<language>": "<text>"}, e.g. {"sv": "Hemleverans"}.')


def validate_currency_map(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError('Expected {"<ISO currency>": <minor units>}.')
    for currency, amount in value.items():
        if not is_currency(currency):
            raise ValidationError(f"{currency!r} is not an ISO 4217 currency code.")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ValidationError(f"{currency}: amount must be a non-negative integer.")


def validate_countries(value: Any) -> None:
    if not isinstance(value, list) or not all(
        isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c) for c in value
    ):
        raise ValidationError('Expected ISO 3166 alpha-2 codes, e.g. ["SE", "NO"].')


def validate_postal_code_rules(value: Any) -> None:
    if not isinstance(value, list) or not all(
        isinstance(r, str) and _POSTAL_RULE.match(r) for r in value
    ):
        raise ValidationError('Expected prefixes or ranges, e.g. ["11", "20000-29999"].')


def validate_tags(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise ValidationError('Expected a list of tags, e.g. ["bulky"].')


def validate_customer_types(value: Any) -> None:
    if not isinstance(value, list) or not all(v in ("person", "organization") for v in value):
        raise ValidationError('Expected a subset of ["person", "organization"].')


def validate_opening_hours(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError("Expected a list of opening intervals.")
    for item in value:
        if (
            not isinstance(item, dict)
            or item.get("weekday") not in range(7)
            or not _TIME.match(str(item.get("opens", "")))
            or not _TIME.match(str(item.get("closes", "")))
        ):
            raise ValidationError(
                'Each interval is {"weekday": 0-6, "opens": "HH:MM", "closes": "HH:MM"}.'
            )
