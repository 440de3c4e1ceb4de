"""Test settings: real PostgreSQL and Redis (defaults to the local services)."""

from .base import *  # noqa: F403
from .environment import env

SECRET_KEY = "test-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/tms_gateway"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
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
