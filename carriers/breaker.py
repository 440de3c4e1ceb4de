"""A circuit breaker per carrier and agreement: stop calling a carrier that keeps failing.

Closed: calls pass; ``CARRIER_BREAKER_FAILURES`` failures in a row open it. Open: calls are
refused at once (no carrier call) until ``CARRIER_BREAKER_RESET_SECONDS`` have passed. Half-open:
one probe call passes; its success closes the breaker, its failure opens it again.

State is per process: each web worker learns on its own within a few failed calls, and no
checkout pays a round trip to a shared store to ask.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures: Callable[[], int] | None = None,
        reset_seconds: Callable[[], float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failures = failures or (lambda: settings.CARRIER_BREAKER_FAILURES)
        self._reset = reset_seconds or (lambda: settings.CARRIER_BREAKER_RESET_SECONDS)
        self._clock = clock
        self._circuits: dict[tuple[str, int], _Circuit] = {}
        self._lock = threading.Lock()
        #: Called with the key each time a circuit opens (carrier health counts openings).
        self.on_open: list[Callable[[tuple[str, int]], None]] = []

    def state(self, key: tuple[str, int]) -> BreakerState:
        with self._lock:
            return self._state(self._circuits.get(key) or _Circuit())

    def _state(self, circuit: _Circuit) -> BreakerState:
        if circuit.opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - circuit.opened_at >= self._reset():
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self, key: tuple[str, int]) -> bool:
        """May this call go to the carrier? In half-open state only one probe at a time."""
        with self._lock:
            circuit = self._circuits.setdefault(key, _Circuit())
            state = self._state(circuit)
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not circuit.probing:
                circuit.probing = True
                return True
            return False

    def record_success(self, key: tuple[str, int]) -> None:
        with self._lock:
            self._circuits[key] = _Circuit()

    def record_failure(self, key: tuple[str, int]) -> None:
        with self._lock:
            circuit = self._circuits.setdefault(key, _Circuit())
            circuit.failures += 1
            # Opening now: a failed probe, or a closed circuit reaching the threshold (further
            # failures of calls already under way while open only move the time on).
            opened = circuit.probing or (
                circuit.opened_at is None and circuit.failures >= self._failures()
            )
            if circuit.probing or circuit.failures >= self._failures():
                circuit.opened_at = self._clock()
            circuit.probing = False
        if opened:
            for listener in self.on_open:
                listener(key)

    def reset(self) -> None:
        with self._lock:
            self._circuits.clear()

    def snapshot(self) -> dict[tuple[str, int], BreakerState]:
        with self._lock:
            return {key: self._state(c) for key, c in self._circuits.items()}


breaker = CircuitBreaker()
