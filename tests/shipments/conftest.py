"""A confirmed shipment of the demo shop, its carriers pointed at the test's sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from merchants.demo import demo_merchant_seed
from merchants.models import Merchant
from tests.conftest import Sandbox


@pytest.fixture
def demo(sandbox: Sandbox, settings: Any) -> Merchant:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    return demo_merchant_seed(identifier="demo", key="demo-key")
