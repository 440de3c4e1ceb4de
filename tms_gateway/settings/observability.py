"""Health, readiness, Prometheus metrics and structured logs."""

from .base import env  # noqa: F401  (base defines env before it imports this module)
