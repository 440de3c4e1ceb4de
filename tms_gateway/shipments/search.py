"""What the portal's search reads of a shipment, as database expressions that an index can hold.

A shop searches by what it knows: its own order number, Klarna's order id, the shopper's
e-mail, name or phone, a tracking number; and by part of any of them ("10042" finds
"WEB-10042"). A substring match on a million rows needs a trigram index (PostgreSQL's pg_trgm,
GIN): one over ``UPPER(search_text())`` (every searchable field in one text, upper-cased as
Django's ``icontains`` compares: ``search_text__icontains=term`` reads it) and one over :func:`phone_digits` (the stored phone without
its separators, searched by its national digits). The migration that creates them
(``0003_portal_search_indexes``) builds them from these same functions, so the query and the
index cannot drift apart; a query that no longer matches the index's expression shows in the
plan tests (tests/portal/test_query_plans.py).

The expressions use only immutable SQL (``||``, ``COALESCE``, ``REPLACE``, ``->>``), which an
index needs, and work the same on SQLite (without the index).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat, Replace, Upper

#: Every text a shop searches by, in one string (fields apart by a space: a search word has
#: none, so it never matches across two fields).
SEARCH_FIELDS = (
    "klarna_order_id",
    "merchant_reference",
    "tracking_number",
    "recipient__email",
    "recipient__given_name",
    "recipient__family_name",
    "recipient__company_name",
)
#: The characters people write between a phone number's digits.
PHONE_SEPARATORS = (" ", "-", "(", ")", "+", "/", ".")


def _text(name: str) -> Any:
    return KT(name) if "__" in name else F(name)


def search_text() -> Any:
    """The searchable fields and every parcel's tracking number (the JSON list as text), as
    one text: its ``icontains`` is the ``icontains`` of each field at once."""
    parts: list[Any] = []
    for name in SEARCH_FIELDS:
        parts += [_text(name), Value(" ")]
    parts.append(Cast("tracking_numbers", output_field=TextField()))
    return Concat(*parts, output_field=TextField())


def search_text_index_expression() -> Any:
    """What the trigram index holds: the text as ``icontains`` compares it."""
    return Upper(search_text())


def phone_digits() -> Any:
    """The recipient's phone with only its digits (no regexp_replace on SQLite: one REPLACE
    per separator)."""
    result: Any = KT("recipient__phone")
    for character in PHONE_SEPARATORS:
        result = Replace(result, Value(character), Value(""), output_field=TextField())
    return result
