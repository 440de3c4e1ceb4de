"""Run carrier quotes concurrently under one deadline and keep what arrived in time.

Each agreement is one job on a shared thread pool. Whatever has not finished at the deadline
is dropped from this answer (the thread finishes in the background, bounded by the carrier's
own timeout); an exception drops only its own job.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings

from carriers.base import CarrierAdapter
from carriers.breaker import breaker
from carriers.exceptions import CarrierRejected
from carriers.types import Quote, QuoteRequest
from tms_gateway.common.secrets import secrets_remember

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.CHECKOUT_MAX_WORKERS, thread_name_prefix="carrier-quote"
            )
        return _executor


@dataclass(frozen=True, slots=True)
class QuoteJob:
    key: int
    adapter: CarrierAdapter
    request: QuoteRequest


@dataclass(frozen=True, slots=True)
class QuoteOutcome:
    key: int
    carrier: str
    quotes: tuple[Quote, ...] | None
    duration_ms: int
    error: str = ""


def _run(job: QuoteJob) -> tuple[tuple[Quote, ...], float]:
    started = time.monotonic()
    quotes = tuple(job.adapter.quote(request=job.request))
    return quotes, time.monotonic() - started


def quotes_collect(*, jobs: list[QuoteJob], deadline_seconds: float) -> list[QuoteOutcome]:
    """One outcome per job, in job order; ``quotes`` is None for a job that failed or was late.

    A job whose carrier's circuit breaker is open is not sent at all.
    """
    if not jobs:
        return []
    started = time.monotonic()
    outcomes: dict[int, QuoteOutcome] = {}
    futures: dict[Future[tuple[tuple[Quote, ...], float]], QuoteJob] = {}
    for job in jobs:
        secrets_remember(job.request.agreement.secret_values())  # redacted in logs
        if breaker.allow(_breaker_key(job)):
            # In the request's context: its log lines carry the request id.
            futures[_pool().submit(contextvars.copy_context().run, _run, job)] = job
        else:
            outcomes[job.key] = QuoteOutcome(job.key, job.adapter.slug, None, 0, "circuit open")
    wait(futures, timeout=deadline_seconds)
    late_ms = int((time.monotonic() - started) * 1000)
    for future, job in futures.items():
        carrier = job.adapter.slug
        if not future.done():
            future.cancel()
            breaker.record_failure(_breaker_key(job))
            outcomes[job.key] = QuoteOutcome(job.key, carrier, None, late_ms, "deadline exceeded")
            logger.warning("carrier %s missed the options deadline", carrier)
            continue
        error = future.exception()
        if error is not None:
            if isinstance(error, CarrierRejected):
                breaker.record_success(_breaker_key(job))  # it answered: it is up
            else:
                breaker.record_failure(_breaker_key(job))
            outcomes[job.key] = QuoteOutcome(
                job.key, carrier, None, late_ms, f"{type(error).__name__}: {error}"
            )
            logger.warning("carrier %s failed during options: %s", carrier, type(error).__name__)
            continue
        breaker.record_success(_breaker_key(job))
        quotes, duration = future.result()
        outcomes[job.key] = QuoteOutcome(job.key, carrier, quotes, int(duration * 1000))
    return [outcomes[job.key] for job in jobs]


def _breaker_key(job: QuoteJob) -> tuple[str, int]:
    return (job.adapter.slug, job.request.agreement.agreement_id)
