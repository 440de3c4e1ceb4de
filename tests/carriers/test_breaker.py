"""The circuit breaker: opens after repeated failures, probes after a pause, closes on success."""

from __future__ import annotations

from carriers.breaker import BreakerState, CircuitBreaker

KEY = ("budbee", 7)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failures=lambda: 3, reset_seconds=lambda: 30.0, clock=clock)


def test_opens_after_the_threshold_of_failures_in_a_row() -> None:
    breaker = make(Clock())
    for _ in range(2):
        breaker.record_failure(KEY)
    assert breaker.allow(KEY) is True

    breaker.record_failure(KEY)

    assert breaker.state(KEY) is BreakerState.OPEN
    assert breaker.allow(KEY) is False


def test_a_success_resets_the_count() -> None:
    breaker = make(Clock())
    breaker.record_failure(KEY)
    breaker.record_failure(KEY)
    breaker.record_success(KEY)
    breaker.record_failure(KEY)
    breaker.record_failure(KEY)

    assert breaker.state(KEY) is BreakerState.CLOSED


def test_after_the_pause_one_probe_passes_and_its_success_closes() -> None:
    clock = Clock()
    breaker = make(clock)
    for _ in range(3):
        breaker.record_failure(KEY)
    clock.now += 30

    assert breaker.state(KEY) is BreakerState.HALF_OPEN
    assert breaker.allow(KEY) is True
    assert breaker.allow(KEY) is False  # one probe at a time
    breaker.record_success(KEY)
    assert breaker.state(KEY) is BreakerState.CLOSED
    assert breaker.allow(KEY) is True


def test_a_failed_probe_opens_again_for_another_pause() -> None:
    clock = Clock()
    breaker = make(clock)
    for _ in range(3):
        breaker.record_failure(KEY)
    clock.now += 30
    assert breaker.allow(KEY) is True

    breaker.record_failure(KEY)

    assert breaker.state(KEY) is BreakerState.OPEN
    clock.now += 29
    assert breaker.allow(KEY) is False
    clock.now += 1
    assert breaker.allow(KEY) is True


def test_circuits_are_per_carrier_and_agreement() -> None:
    breaker = make(Clock())
    for _ in range(3):
        breaker.record_failure(KEY)

    assert breaker.allow(("budbee", 8)) is True
    assert breaker.allow(("postnord", 7)) is True
