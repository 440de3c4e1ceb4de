"""Checkout analytics (tms_gateway/insights): recording, roll-ups, retention."""

from typing import Any

from .environment import env

# Record every options answer, reservation and confirm (without personal data).
INSIGHTS_RECORDING = env.bool("INSIGHTS_RECORDING", default=True)
# Raw events are deleted after this many days; the daily roll-ups are kept.
INSIGHTS_RAW_DAYS = env.int("INSIGHTS_RAW_DAYS", default=90)
# Key of the hash that stands for Klarna's session id in events; blank derives one from
# SECRET_KEY. Changing it only stops joining a new event to an older one of the same session.
INSIGHTS_SESSION_KEY = env("INSIGHTS_SESSION_KEY", default="")
# Where recorded events wait for the drain task (a Redis list); blank: REDIS_URL. Without
# Redis each process stores its events itself.
INSIGHTS_REDIS_URL = env("INSIGHTS_REDIS_URL", default=env("REDIS_URL", default=""))
# Each web process pushes its buffered events this often, in batches of this many.
INSIGHTS_FLUSH_SECONDS = env.float("INSIGHTS_FLUSH_SECONDS", default=1.0)
INSIGHTS_FLUSH_BATCH = env.int("INSIGHTS_FLUSH_BATCH", default=500)
# The drain task takes this many events from Redis per batch (one bulk insert each), and
# the list is capped at INSIGHTS_QUEUE_MAX events should the drain stop.
INSIGHTS_DRAIN_BATCH = env.int("INSIGHTS_DRAIN_BATCH", default=2000)
INSIGHTS_STORE_BATCH = env.int("INSIGHTS_STORE_BATCH", default=1000)
INSIGHTS_QUEUE_MAX = env.int("INSIGHTS_QUEUE_MAX", default=1_000_000)

INSIGHTS_BEAT_SCHEDULE: dict[str, Any] = {
    "insights-drain": {
        "task": "tms_gateway.insights.tasks.insights_drain",
        "schedule": env.float("INSIGHTS_DRAIN_SECONDS", default=5.0),
    },
    # Today's and yesterday's roll-ups again (idempotent), so the page is at most this old.
    "insights-rollup": {
        "task": "tms_gateway.insights.tasks.insights_rollup",
        "schedule": env.float("INSIGHTS_ROLLUP_SECONDS", default=600.0),
    },
    "insights-forget": {
        "task": "tms_gateway.insights.tasks.insights_forget",
        "schedule": env.float("INSIGHTS_FORGET_SECONDS", default=3600.0),
    },
}
