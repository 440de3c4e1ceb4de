"""The recorder's flusher thread, in processes of their own: what the request thread buffers
reaches Redis without anybody flushing by hand, also in a process forked after the first event
(gunicorn's workers fork from a preloading master; threads do not survive a fork)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import orjson
import redis
from django.conf import settings

from tms_gateway.insights.recorder import session_ref
from tms_gateway.insights.services import QUEUE_KEY

CHILD = Path(__file__).with_name("flusher_child.py")


def test_the_flusher_threads_push_what_was_recorded_before_and_after_a_fork() -> None:
    client = redis.Redis.from_url(settings.INSIGHTS_REDIS_URL)
    client.delete(QUEUE_KEY)
    root = Path(__file__).resolve().parents[2]

    done = subprocess.run(
        [sys.executable, str(CHILD), settings.INSIGHTS_REDIS_URL, "424242"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    queued = cast(list[bytes], client.lrange(QUEUE_KEY, 0, -1))
    records = [orjson.loads(raw) for raw in queued]
    client.delete(QUEUE_KEY)
    assert sorted(r["s"] for r in records) == sorted(
        [session_ref("before-fork"), session_ref("in-child")]
    )
    assert {r["m"] for r in records} == {424242}
