"""Test settings: real PostgreSQL and Redis (defaults to the local services)."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .environment import env


def redis_url_of_worker(url: str, worker: str) -> str:
    """The Redis database of one parallel test worker (pytest-xdist's ``gw0``, ``gw1``, ...).

    Tests flush their Redis database (``cache.clear()`` before each test) and share it with
    their Celery worker as its broker, so each parallel worker gets its own, as pytest-django
    gives each its own test database: worker N uses the database N + 1 below the one given
    (``redis://…/15``: gw0 → 14, gw1 → 13). A process that a test starts with this URL set
    already, and no worker id, keeps it.
    """
    if not worker:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base - 1 - int(worker.removeprefix("gw"))
    if db < 0:
        raise ImproperlyConfigured(
            f"No Redis database for test worker {worker} below {url}: run fewer workers "
            "(pytest -n) or give REDIS_URL a higher database number."
        )
    return parts._replace(path=f"/{db}").geturl()


SECRET_KEY = "test-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/tms_gateway"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REDIS_URL = redis_url_of_worker(
    env("REDIS_URL", default="redis://127.0.0.1:6379/15"),
    os.environ.get("PYTEST_XDIST_WORKER", ""),
)
CACHES = {
    "default": {
        "BACKEND": "tms_gateway.common.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "tms-test",
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
FIELD_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA="]
KSA_SIGNING_KEYS = [
    "t2:test-signing-secret-two-0123456789ab",
    "t1:test-signing-secret-one-0123456789ab",
]
SHOPPER_HASH_KEYS = ["s1:test-secret-shopper-hash-0123456789ab"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_SEED_ENABLED = True
# Tests point agreements at their own sandbox (tests/conftest.py), never at a dev one.
CARRIER_SANDBOX_URL = ""
# That sandbox binds a free port: carriers may call this machine on any port (tests of the
# allow-list itself set a precise one, carriers/hosts.py).
CARRIER_ALLOWED_HOSTS = {"*": ["127.0.0.1:*"]}
# Tests see every change at once; the caches have their own tests.
KSA_PRINCIPAL_CACHE_SECONDS = 0.0
CHECKOUT_ANSWER_CACHE_SECONDS = 0
CHECKOUT_CONFIG_CACHE_SECONDS = 0.0
# Traces are written by the request thread, so tests can read them at once.
CARRIER_TRACE_BACKGROUND = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAP_TILE_URL = ""
# Recorded checkout events wait in the buffer until a test flushes them (no flusher thread).
INSIGHTS_REDIS_URL = REDIS_URL
INSIGHTS_FLUSH_SECONDS = 0.0
