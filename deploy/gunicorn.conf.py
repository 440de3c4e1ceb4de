"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py tms_gateway.wsgi`.

Threads, not only processes: /shippingoptions waits on carriers (I/O), and its fan-out runs on
a per-process thread pool, so a few workers with several threads each serve Klarna well.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Worker recycling closes kept-alive connections mid-stream; off unless asked for.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Per-request access lines cost CPU on the hot path; the load balancer logs requests too.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "false").lower() == "true" else None
errorlog = "-"
# Heartbeat files on tmpfs: an overlay or read-only root filesystem (containers) would stall or
# refuse them. /dev/shm exists in Docker and Kubernetes pods; elsewhere gunicorn's default.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
