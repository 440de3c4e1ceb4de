"""Adapters by settings: ``CARRIER_ADAPTERS`` lists dotted paths, resolved once."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CarrierAdapter
from .declaration import CarrierDeclaration


class UnknownCarrier(LookupError):
    pass


@cache
def _load(paths: tuple[str, ...]) -> dict[str, CarrierAdapter]:
    adapters: dict[str, CarrierAdapter] = {}
    for path in paths:
        adapter = import_string(path)()
        adapters.setdefault(adapter.slug, adapter)
    return adapters


def adapters() -> dict[str, CarrierAdapter]:
    return _load(tuple(settings.CARRIER_ADAPTERS))


def get_adapter(slug: str) -> CarrierAdapter:
    try:
        return adapters()[slug]
    except KeyError:
        raise UnknownCarrier(slug) from None


def declarations() -> dict[str, CarrierDeclaration]:
    """Every configured carrier's declaration, by slug, in ``CARRIER_ADAPTERS`` order."""
    return {
        slug: adapter.declaration
        for slug, adapter in adapters().items()
        if adapter.declaration is not None
    }


def get_declaration(slug: str) -> CarrierDeclaration:
    declaration = declarations().get(slug)
    if declaration is None:
        raise UnknownCarrier(slug)
    return declaration


def duplicate_slugs(paths: list[str]) -> list[str]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for path in paths:
        slug = import_string(path).slug
        if slug in seen:
            duplicates.append(slug)
        seen.add(slug)
    return duplicates
