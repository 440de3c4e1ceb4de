"""Field validators for merchant configuration (JSON shapes the admin edits)."""

import re
from functools import cache
from typing import Any

from babel import Locale, localedata
from django.core.exceptions import ValidationError

from tms_gateway.common.money import is_currency

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_POSTAL_RULE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)?$")
_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
# A cart tag as shops set it on Klarna's order lines (free text there, passed through untouched,
# at most 200 characters): anything but the separators , ; and line breaks, control characters
# and < >, not starting or ending with a space. So a comma-separated list of tags (the admin's
# text field) always reads back as the same tags, and "heavy goods" is still a tag. The pattern
# means the same in Python and in the browser (option_forms.js reads it from the widget).
TAG_PATTERN = r"[^\s,;<>\x00-\x1f\x7f](?:[^,;<>\x00-\x1f\x7f]{0,198}[^\s,;<>\x00-\x1f\x7f])?"
_TAG = re.compile(TAG_PATTERN)
TAG_RULE = (
    "no commas, semicolons, line breaks or < >, no space at either end, at most 200 characters"
)


# CLDR territories that are not countries (groupings, private use, unknown).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries CLDR (babel) knows."""
    return frozenset(
        str(c)
        for c in Locale("en").territories
        if isinstance(c, str) and len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES
    )


def is_language(code: str) -> bool:
    """A language code (``sv``, ``de-AT``) CLDR (babel) has data for."""
    return bool(_LOCALE.match(code)) and localedata.exists(code.replace("-", "_"))


def validate_locale_map(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _LOCALE.match(k) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError('Expected {"<language>": "<text>"}, e.g. {"sv": "Hemleverans"}.')
    unknown = [k for k in value if not is_language(k)]
    if unknown:
        raise ValidationError(f"Unknown language code: {', '.join(unknown)}.")


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
    unknown = [c for c in value if c not in country_codes()]
    if unknown:
        raise ValidationError(f"Unknown country code: {', '.join(unknown)}.")


def validate_postal_code_rules(value: Any) -> None:
    if not isinstance(value, list) or not all(
        isinstance(r, str) and _POSTAL_RULE.match(r) for r in value
    ):
        raise ValidationError('Expected prefixes or ranges, e.g. ["11", "20000-29999"].')


def is_tag(text: str) -> bool:
    return bool(_TAG.fullmatch(text))


def validate_tags(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise ValidationError('Expected a list of tags, e.g. ["bulky"].')
    refused = [t for t in value if not is_tag(t)]
    if refused:
        raise ValidationError(f"Not a tag: {', '.join(map(repr, refused))} ({TAG_RULE}).")


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
