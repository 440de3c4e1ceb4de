"""Recording tests: the buffer starts empty and is flushed by hand (no flusher thread)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.conftest import staff, superuser, support  # noqa: F401 - staff sessions
from tests.ksa.conftest import (  # noqa: F401 - the Klarna client and its shops
    Klarna,
    Shop,
    _static_carriers,
    klarna,
    klarna_b,
    other_shop,
    shop,
)
from tms_gateway.insights import recorder
from tms_gateway.insights.models import CheckoutEvent
from tms_gateway.insights.services import insights_drain


@pytest.fixture(autouse=True)
def _empty_buffer(settings: Any) -> Iterator[None]:
    settings.INSIGHTS_RECORDING = True
    recorder.recorder_reset()
    recorder._redis_down_until = 0.0
    yield
    recorder.recorder_reset()


def stored() -> list[CheckoutEvent]:
    """Flush this process's buffer to Redis, drain Redis into the database, read it back."""
    recorder.recorder_flush()
    insights_drain()
    return list(CheckoutEvent.objects.order_by("at", "id"))
