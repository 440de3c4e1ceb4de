"""Health, readiness, Prometheus metrics and structured logs.

* ``/healthz`` (alive), ``/readyz`` (database, cache, broker; 503 when the database fails,
  200 "degraded" when only Redis does, 503 for any failure with ``?strict=1``) and
  ``/metrics`` (Prometheus text format). With ``METRICS_TOKEN`` set, ``/metrics`` answers only
  ``Authorization: Bearer <METRICS_TOKEN>`` (403 otherwise); production without a token answers
  404 (``METRICS_REQUIRE_TOKEN``, forced there). Metrics are per process unless
  ``PROMETHEUS_MULTIPROC_DIR`` is set (see tms_gateway/ops/metrics.py).
* Logs: ``LOG_FORMAT=json`` writes one JSON object per line (production), ``plain`` (default)
  one readable line. Every record carries the request id (``X-Request-ID``) and is redacted
  (bearer tokens, JWTs, labelled keys and secrets, known carrier credentials).
"""

from typing import Any

from .environment import env

# Readiness: each check (database, cache, broker) gets at most this long, all in parallel.
OPS_READYZ_TIMEOUT_SECONDS = 1.0
# The Celery queue whose depth /metrics reports (Redis broker only).
OPS_CELERY_QUEUE = "celery"
# The bearer token Prometheus sends to /metrics (32+ random characters; production refuses a
# weak one). Empty: /metrics is open, unless METRICS_REQUIRE_TOKEN (production) makes it 404.
METRICS_TOKEN: str = env("METRICS_TOKEN", default="")
METRICS_REQUIRE_TOKEN: bool = env.bool("METRICS_REQUIRE_TOKEN", default=False)

# Every carrier call feeds the metrics first; CARRIER_TRACE_SINK (env) still chooses where the
# trace then goes (the trace table by default, carriers.traces.trace_discard in benchmarks).
_METRICS_SINK = "tms_gateway.ops.metrics.trace_sink"
CARRIER_TRACE_SINK_NEXT: str = env("CARRIER_TRACE_SINK", default="carriers.traces.trace_store")
if CARRIER_TRACE_SINK_NEXT == _METRICS_SINK:
    CARRIER_TRACE_SINK_NEXT = "carriers.traces.trace_store"
CARRIER_TRACE_SINK = _METRICS_SINK

LOG_FORMAT: str = env("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    LOG_FORMAT = "plain"
LOG_LEVEL: str = env("LOG_LEVEL", default="INFO")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "tms_gateway.ops.logging.redacting_filter"},
        "request_id": {"()": "tms_gateway.ops.logging.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "tms_gateway.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
