"""The checkout's own tests run against the built-in static carrier source.

It makes no HTTP calls and has behaviour triggers ("fail", "slow", "reject"); the real
adapters are tested against the carrier sandbox in tests/carriers and tests/integration.
"""

from __future__ import annotations

import pytest

STATIC_ADAPTERS = [
    "carriers.static.PostNordStaticAdapter",
    "carriers.static.BudbeeStaticAdapter",
    "carriers.static.InstaboxStaticAdapter",
    "carriers.static.DhlStaticAdapter",
    "carriers.static.BringStaticAdapter",
]


@pytest.fixture(autouse=True)
def _static_carriers(settings: pytest.FixtureRequest) -> None:
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS  # type: ignore[attr-defined]
    breaker.reset()
