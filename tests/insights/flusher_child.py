"""Run by tests/insights/test_flusher.py as a process of its own: records an answer, forks (as
gunicorn's preloading master does), records another in the child, and leaves the flushing to
the recorder's own daemon threads. Arguments: the Redis URL, the merchant id."""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms_gateway.settings.test")
django.setup()

from django.conf import settings  # noqa: E402

from tms_gateway.insights import recorder  # noqa: E402

settings.INSIGHTS_REDIS_URL = sys.argv[1]
settings.INSIGHTS_FLUSH_SECONDS = 0.1  # the test settings flush by hand; here the thread does
merchant_id = int(sys.argv[2])

recorder.record_answer(merchant_id=merchant_id, session_id="before-fork", payload=b"{}")
time.sleep(1.0)
pid = os.fork()
if pid == 0:
    recorder.record_answer(merchant_id=merchant_id, session_id="in-child", payload=b"{}")
    time.sleep(1.5)
    os._exit(0)
os.waitpid(pid, 0)
