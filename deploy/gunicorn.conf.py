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
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
