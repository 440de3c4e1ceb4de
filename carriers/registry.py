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


@cache
def _declared(paths: tuple[str, ...]) -> dict[str, CarrierDeclaration]:
    return {
        slug: adapter.declaration
        for slug, adapter in _load(paths).items()
        if adapter.declaration is not None
    }


def declarations() -> dict[str, CarrierDeclaration]:
    """Every configured carrier's declaration, by slug, in ``CARRIER_ADAPTERS`` order (read on
    every options answer: resolved once per settings list)."""
    return _declared(tuple(settings.CARRIER_ADAPTERS))


def get_declaration(slug: str) -> CarrierDeclaration:
    declaration = declarations().get(slug)
    if declaration is None:
        raise UnknownCarrier(slug)
    return declaration


def carrier_choices() -> list[tuple[str, str]]:
    """(slug, name) of every configured carrier: the choices of an agreement's carrier."""
    return [(slug, declaration.name) for slug, declaration in declarations().items()]


def carrier_name(slug: str) -> str:
    """The carrier's display name; the slug itself for one not configured."""
    declaration = declarations().get(slug)
    return declaration.name if declaration is not None else slug


#: Klarna's carrier value for options that are not a carrier's (store pickup, own courier).
KLARNA_GENERIC = "generic"


def klarna_carrier(slug: str, product: str = "") -> str:
    """Klarna's ``carrier`` value for a carrier's product: settings ``KLARNA_CARRIER_VALUES``
    ("slug:product", then "slug"), else the product's declared value, else the carrier's, else
    ``generic`` (no logo, always accepted)."""
    overrides = settings.KLARNA_CARRIER_VALUES
    for key in (f"{slug}:{product}", slug):
        if key in overrides:
            return str(overrides[key])
    declaration = declarations().get(slug)
    if declaration is None:
        return KLARNA_GENERIC
    declared = declaration.product(product) if product else None
    return (declared.klarna_carrier if declared else "") or declaration.klarna_carrier


def shipping_company(slug: str) -> str:
    """The name Klarna shows beside a tracking number."""
    declaration = declarations().get(slug)
    if declaration is None:
        return slug
    return declaration.shipping_company or declaration.name


def secret_headers() -> frozenset[str]:
    """Every configured carrier's secret request headers (lower case), for trace redaction."""
    return _secret_headers(tuple(settings.CARRIER_ADAPTERS))


@cache
def _secret_headers(paths: tuple[str, ...]) -> frozenset[str]:
    headers: set[str] = set()
    for declaration in _declared(paths).values():
        headers |= {h.lower() for h in declaration.secret_headers}
    return frozenset(headers)


def duplicate_slugs(paths: list[str]) -> list[str]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for path in paths:
        slug = import_string(path).slug
        if slug in seen:
            duplicates.append(slug)
        seen.add(slug)
    return duplicates
