"""Independent carrier calls of one quote, made at the same time.

A quote often needs several calls to one carrier (service points and transit time; postal-code
availability, delivery intervals and lockers). Made one after the other, a carrier answering
in 100 ms costs 300 ms; made together, 100 ms. The pool is separate from the options fan-out's
(a fan-out job waiting on its own pool could starve it), and its threads are named so that
their traces are buffered like the fan-out's (carriers/traces.py).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .traces import BUFFERED_THREAD_PREFIX, trace_flush
from .types import Quote

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor  # one pool per process, created on first use
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.CHECKOUT_MAX_WORKERS * 2,
                thread_name_prefix="carrier-quote-call",
            )
        return _executor


def call_all(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls concurrently; their results in order. The first exception is raised
    (after every call has finished, so none outlives the quote that needed it)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    # Each call runs in a copy of the caller's context (e.g. a cache bypass applies to it too).
    futures = [_pool().submit(contextvars.copy_context().run, call) for call in calls]
    results: list[Any] = []
    error: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as exc:  # re-raised below, once all are done
            results.append(None)
            error = error or exc
    if not threading.current_thread().name.startswith(BUFFERED_THREAD_PREFIX):
        # Called outside the options fan-out (a booking, a connection check): nobody else
        # will write the traces these pool threads buffered.
        trace_flush()
    if error is not None:
        raise error
    return results


@dataclass(frozen=True)
class Lookup:
    """A product's quote that needs one carrier call: ``answer(call())``. Lookups with the
    same ``key`` are one call (the same cached answer)."""

    key: Hashable
    call: Callable[[], Any]
    answer: Callable[[Any], Quote]


def quotes_resolve(plans: list[Quote | Lookup]) -> list[Quote]:
    """Make the distinct calls of ``plans`` together and answer each product in order; the
    error of the first product asking is raised when several fail."""
    calls: dict[Hashable, Callable[[], Any]] = {}
    for plan in plans:
        if isinstance(plan, Lookup):
            calls.setdefault(plan.key, plan.call)
    answers = dict(zip(calls, call_all(*calls.values()), strict=True))
    return [plan.answer(answers[plan.key]) if isinstance(plan, Lookup) else plan for plan in plans]
