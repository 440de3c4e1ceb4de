"""The registry resolves the settings list once, by slug, and the system check guards it."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from pytest_django import Settings

from carriers.checks import carrier_adapters_check
from carriers.registry import UnknownCarrier, adapters, get_adapter
from carriers.static import (
    BringStaticAdapter,
    BudbeeStaticAdapter,
    DhlStaticAdapter,
    InstaboxStaticAdapter,
    PostNordStaticAdapter,
)

STATIC_ADAPTERS = [
    "carriers.static.PostNordStaticAdapter",
    "carriers.static.BudbeeStaticAdapter",
    "carriers.static.InstaboxStaticAdapter",
    "carriers.static.DhlStaticAdapter",
    "carriers.static.BringStaticAdapter",
]


@pytest.fixture(autouse=True)
def _static_adapters(settings: Settings) -> None:
    # Pinned here so that a CARRIER_ADAPTERS from the environment cannot change the outcome.
    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS


def test_get_adapter_returns_the_static_postnord_adapter() -> None:
    adapter = get_adapter("postnord")

    assert isinstance(adapter, PostNordStaticAdapter)
    assert adapter.slug == "postnord"


def test_adapters_are_keyed_by_slug() -> None:
    registered = adapters()

    assert {slug: type(adapter) for slug, adapter in registered.items()} == {
        "postnord": PostNordStaticAdapter,
        "budbee": BudbeeStaticAdapter,
        "instabox": InstaboxStaticAdapter,
        "dhl": DhlStaticAdapter,
        "bring": BringStaticAdapter,
    }


def test_adapters_are_resolved_once() -> None:
    assert get_adapter("bring") is get_adapter("bring")


def test_unknown_slug_raises_unknown_carrier() -> None:
    with pytest.raises(UnknownCarrier) as excinfo:
        get_adapter("schenker")

    assert excinfo.value.args == ("schenker",)


def test_check_passes_for_the_default_static_adapters() -> None:
    assert carrier_adapters_check(None) == []


def test_check_reports_a_slug_listed_twice(settings: Settings) -> None:
    settings.CARRIER_ADAPTERS = [
        "carriers.static.PostNordStaticAdapter",
        "carriers.static.BudbeeStaticAdapter",
        "carriers.static.PostNordStaticAdapter",
    ]

    assert carrier_adapters_check(None) == [
        Error("CARRIER_ADAPTERS lists carrier 'postnord' twice", id="carriers.E001")
    ]


def test_check_reports_a_path_that_does_not_import(settings: Settings) -> None:
    settings.CARRIER_ADAPTERS = ["carriers.static.NoSuchAdapter"]

    errors = carrier_adapters_check(None)

    assert [error.id for error in errors] == ["carriers.E002"]
