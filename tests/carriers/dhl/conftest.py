"""DHL test fixtures: the adapter and an agreement pointed at the carrier sandbox."""

from __future__ import annotations

import pytest

from carriers.dhl import DhlAdapter
from carriers.types import AgreementCredentials
from tests.conftest import Sandbox

from .builders import agreement


@pytest.fixture
def adapter() -> DhlAdapter:
    return DhlAdapter()


@pytest.fixture
def sandboxed(sandbox: Sandbox) -> AgreementCredentials:
    return agreement(sandbox.url("dhl"))
