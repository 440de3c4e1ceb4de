"""carriers/parallel.py: calls run together, results in order, the first failure raised."""

from __future__ import annotations

import threading

import pytest

from carriers.parallel import call_all


def test_results_come_back_in_order_and_the_calls_overlap() -> None:
    barrier = threading.Barrier(3, timeout=5)  # only passes if all three run at once

    def call(n: int) -> int:
        barrier.wait()
        return n * 10

    assert call_all(lambda: call(1), lambda: call(2), lambda: call(3)) == [10, 20, 30]


def test_the_first_failure_is_raised_after_all_finished() -> None:
    finished: list[str] = []

    def ok() -> str:
        finished.append("ok")
        return "ok"

    def boom() -> str:
        raise ValueError("first")

    def later_boom() -> str:
        raise KeyError("second")

    with pytest.raises(ValueError, match="first"):
        call_all(boom, ok, later_boom)
    assert finished == ["ok"]


def test_one_call_runs_in_the_callers_thread() -> None:
    assert call_all(lambda: threading.current_thread().name) == [threading.current_thread().name]


def test_a_cache_bypass_reaches_the_parallel_calls() -> None:
    from carriers.cache import _bypass, cache_bypassed

    with cache_bypassed():
        inside = call_all(_bypass.get, _bypass.get)
    outside = call_all(_bypass.get, _bypass.get)

    assert inside == [True, True]
    assert outside == [False, False]
