"""Fixtures of the worker tests, and the worker's log in the report of a failing test."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.integration.worker import (  # noqa: F401  (fixtures, found by name)
    CeleryWorkers,
    _live_workers,
    demo_klarna,
    live_worker,
    live_workers,
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    workers = getattr(item, "funcargs", {}).get("live_workers")
    if report.failed and isinstance(workers, CeleryWorkers):
        report.sections.append(("celery worker log (tail)", workers.tails()))
    return report
