"""Readiness and metrics endpoints (liveness is tms_gateway.common.views.healthz).

``/readyz`` runs every check in ``CHECKS`` and reports each one, but only a failing check in
``REQUIRED`` (the database: no reservation without it) makes the pod unready. The cache and the
broker are Redis, and the checkout keeps answering without it: the cache degrades (a nonce is
accepted after its digest check, carrier answers go uncached) and a confirm whose booking cannot
be queued still answers, ``shipments_requeue`` sending it later. So a Redis outage answers 200
"degraded" instead of taking every web pod out of the Service at once (Klarna would fall back to
static options for every shop). ``?strict=1`` answers 503 when any check fails: for monitoring,
alerting and deploy-time checks.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from tms_gateway.common.cache import CacheUnavailable, cache_problem

from . import metrics


def check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # the check runs on its own thread: leave no connection behind


def check_cache() -> None:
    cache = caches["default"]
    cache.set("ops:readyz", "1", timeout=10)
    if cache.get("ops:readyz") != "1":  # Redis errors are misses here (common/cache.py)
        problem = cache_problem()
        if problem:
            raise CacheUnavailable(problem)
        raise RuntimeError("cache did not return what was written")


def check_broker() -> None:
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("filesystem"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folder = options.get("data_folder_in") or options.get("data_folder_out")
        if not folder or not Path(folder).is_dir():
            raise RuntimeError("broker folder missing")
        return
    from kombu import Connection

    timeout = settings.OPS_READYZ_TIMEOUT_SECONDS
    with Connection(url, connect_timeout=timeout, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        if hasattr(conn.default_channel, "client"):
            conn.default_channel.client.ping()  # Redis: connect lazily opened pools for real


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}
#: The checks without which the gateway cannot serve: their failure alone answers 503.
REQUIRED: frozenset[str] = frozenset({"database"})
#: What ``?strict=`` accepts as yes.
_TRUTHY = frozenset({"1", "true", "yes", "on"})


def _run_checks() -> dict[str, str]:
    """Every check on its own daemon thread, all waited for together at most the timeout."""
    timeout = settings.OPS_READYZ_TIMEOUT_SECONDS
    results: dict[str, str] = {}

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
        else:
            results[name] = "ok"

    threads = {
        name: threading.Thread(target=run, args=(name, check), name=f"readyz-{name}", daemon=True)
        for name, check in CHECKS.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, "error: timeout") for name in CHECKS}


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Every check's result under "checks", and:

    * 200 ``{"status": "ok"}`` when all answer;
    * 200 ``{"status": "degraded", "degraded": [...]}`` when only optional checks (cache,
      broker) fail: the pod keeps serving;
    * 503 ``{"status": "unavailable", "failed": [...]}`` when a required check (database)
      fails, or, with ``?strict=1`` (or ``strict=true``), when any check fails.
    """
    strict = request.GET.get("strict", "").strip().lower() in _TRUTHY
    checks = _run_checks()
    failed = sorted(name for name, result in checks.items() if result != "ok")
    if failed and (strict or REQUIRED.intersection(failed)):
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": checks}, status=503
        )
    if failed:
        return JsonResponse({"status": "degraded", "degraded": failed, "checks": checks})
    return JsonResponse({"status": "ok", "checks": checks})


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """With METRICS_TOKEN, only ``Authorization: Bearer <token>`` reads the metrics (403
    otherwise); without one, production (METRICS_REQUIRE_TOKEN) has no /metrics (404)."""
    token = str(settings.METRICS_TOKEN)
    if not token:
        if settings.METRICS_REQUIRE_TOKEN:
            raise Http404("no METRICS_TOKEN")
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return HttpResponse("Forbidden\n", status=403, content_type="text/plain")


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition, for the bearer of METRICS_TOKEN (see ``_metrics_refusal``)."""
    from prometheus_client import CONTENT_TYPE_LATEST

    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(metrics.metrics_render(), content_type=CONTENT_TYPE_LATEST)
