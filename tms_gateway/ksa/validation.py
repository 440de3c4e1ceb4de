"""A fast path for validating Klarna's request bodies with the DRF serializers' own rules.

A DRF serializer deep-copies its fields on every instantiation and validates through several
layers of calls: for the session context of ``/shippingoptions`` that was a quarter of the
gateway's own time per answer. This module reads a serializer's declared fields once and
compiles them into plain checks that accept exactly what the serializer accepts and build the
same ``validated_data``. Anything it does not know, and every input that is not plainly valid,
makes it step aside: the serializer then runs as before and gives its error message. So
errors, and every rule the fast path does not model, stay the serializer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from .fields import StrictBooleanField, StrictCharField, StrictIntegerField

Check = Callable[[Any], Any]


class StepAside(Exception):
    """Not plainly valid, or not modelled: let the serializer decide."""


class NotCompilable(Exception):
    """The serializer uses something the fast path does not model."""


_KNOWN_VALIDATORS = (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
)


def _limits(field: serializers.Field) -> tuple[int | None, int | None, int | None]:
    """(max_length, min_value, max_value) from the field's validators; unknown ones refuse."""
    max_length = min_value = max_value = None
    for validator in field.validators:
        if not isinstance(validator, _KNOWN_VALIDATORS):
            raise NotCompilable(f"validator {type(validator).__name__}")
        if isinstance(validator, MaxLengthValidator):
            max_length = int(validator.limit_value)
        elif isinstance(validator, MinValueValidator):
            min_value = int(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            max_value = int(validator.limit_value)
    return max_length, min_value, max_value


def _nullable(check: Check, allow_null: bool) -> Check:
    def nullable(value: Any) -> Any:
        if value is None:
            if allow_null:
                return None
            raise StepAside
        return check(value)

    return nullable


def _char(field: StrictCharField) -> Check:
    if getattr(field, "min_length", None):
        raise NotCompilable("min_length")
    max_length, _, _ = _limits(field)
    allow_blank, trim = field.allow_blank, field.trim_whitespace

    def char(value: Any) -> Any:
        if type(value) is not str:
            raise StepAside
        text = value.strip() if trim else value
        if not text and (trim or value == ""):
            if allow_blank:
                return ""
            raise StepAside
        if max_length is not None and len(text) > max_length:
            raise StepAside
        if "\x00" in text or (not text.isascii() and _has_surrogate(text)):
            raise StepAside
        return text

    return _nullable(char, field.allow_null)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _integer(field: StrictIntegerField) -> Check:
    _, min_value, max_value = _limits(field)

    def integer(value: Any) -> Any:
        kind = type(value)
        if kind is float and value.is_integer() and abs(value) < 2**63:
            value = int(value)
        elif kind is not int:
            raise StepAside
        if min_value is not None and value < min_value:
            raise StepAside
        if max_value is not None and value > max_value:
            raise StepAside
        return value

    return _nullable(integer, field.allow_null)


def _boolean(field: StrictBooleanField) -> Check:
    _limits(field)

    def boolean(value: Any) -> Any:
        if type(value) is not bool:
            raise StepAside
        return value

    return _nullable(boolean, field.allow_null)


def _list(field: serializers.ListField) -> Check:
    if field.min_length is not None or not field.allow_empty:
        raise NotCompilable("list minimum")
    max_length, _, _ = _limits(field)
    child = _compile_field(field.child)

    def items(value: Any) -> Any:
        if type(value) is not list:
            raise StepAside
        if max_length is not None and len(value) > max_length:
            raise StepAside
        return [child(item) for item in value]

    return _nullable(items, field.allow_null)


def _object(serializer: serializers.Serializer) -> Check:
    if type(serializer).validate is not serializers.Serializer.validate:
        raise NotCompilable("validate()")
    if serializer.validators:
        raise NotCompilable("serializer validators")
    members: list[tuple[str, bool, Check, Check | None]] = []
    for name, field in serializer.fields.items():
        if field.read_only or field.source != name or field.default is not empty:
            raise NotCompilable(f"field {name}")
        method = getattr(type(serializer), f"validate_{name}", None)
        hook = (lambda value, m=method: m(serializer, value)) if method is not None else None
        members.append((name, bool(field.required), _compile_field(field), hook))

    def obj(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise StepAside
        out: dict[str, Any] = {}
        for name, required, check, hook in members:
            if name not in value:
                if required:
                    raise StepAside
                continue
            item = check(value[name])
            if hook is not None:
                try:
                    item = hook(item)
                except serializers.ValidationError as exc:
                    raise StepAside from exc
            out[name] = item
        return out

    return obj


def _compile_field(field: serializers.Field) -> Check:
    kind = type(field)
    if kind is StrictCharField:
        return _char(field)  # type: ignore[arg-type]
    if kind is StrictIntegerField:
        return _integer(field)  # type: ignore[arg-type]
    if kind is StrictBooleanField:
        return _boolean(field)  # type: ignore[arg-type]
    if kind is serializers.ListField:
        return _list(field)  # type: ignore[arg-type]
    if isinstance(field, serializers.Serializer) and not isinstance(
        field, serializers.ListSerializer
    ):
        return _nullable(_object(field), field.allow_null)
    raise NotCompilable(kind.__name__)


@cache
def fast_check(serializer_class: type[serializers.Serializer]) -> Check | None:
    """The compiled check of ``serializer_class`` (raises StepAside), or None when it uses
    something this module does not model."""
    try:
        return _object(serializer_class())
    except NotCompilable:
        return None
