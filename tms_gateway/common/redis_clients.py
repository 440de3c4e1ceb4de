"""Plain Redis clients for what Django's cache API cannot do (lists, queue lengths).

One client per URL and timeout for the whole process: a client over its connection pool is
thread-safe, and building one per call would open a new pool each time.
"""

from __future__ import annotations

import threading

import redis

_clients: dict[tuple[str, float], redis.Redis] = {}
_lock = threading.Lock()


def redis_client(url: str, *, timeout: float) -> redis.Redis:
    """The shared client for ``url``; connecting and every command give up after ``timeout``."""
    key = (url, timeout)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
        return client
