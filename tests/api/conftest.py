"""The API description tests: the ``fuzz`` marker and a schema fixture."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: schema-driven fuzzing of the callback API")
