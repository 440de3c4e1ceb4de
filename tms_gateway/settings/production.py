"""Production: every secret comes from the environment; no demo data.

`python manage.py check --deploy` passes without security warnings given the required
environment: DJANGO_SECRET_KEY (50+ characters, random), FIELD_ENCRYPTION_KEYS,
KSA_SIGNING_KEYS, DATABASE_URL (PostgreSQL), REDIS_URL and DJANGO_ALLOWED_HOSTS.

Placeholders (the templates' ``change-me``, ``REPLACE…``, ``replace-me``, the development keys)
and short or low-entropy secrets stop the start-up with a message naming the variable
(settings/secret_checks.py): every process (manage.py, gunicorn, Celery) imports this module.
``/metrics`` needs ``METRICS_TOKEN`` as a bearer token, and answers 404 without one.

TLS ends at the load balancer / ingress, which sets X-Forwarded-Proto. Static files (admin,
portal, Swagger UI) are collected into STATIC_ROOT when the image is built; the app server does
not serve them (whitenoise is not a dependency): the ingress or a web server in front serves
STATIC_URL from the collected directory. To serve them from gunicorn instead, add
"whitenoise>=6,<7" to pyproject.toml and "whitenoise.middleware.WhiteNoiseMiddleware" right after
SecurityMiddleware (see deploy/operations.md).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CARRIER_HTTP_TRANSPORT,
    DATABASES,
    FIELD_ENCRYPTION_KEYS,
    KSA_SIGNING_KEYS,
    REDIS_URL,
    SECRET_KEY,
    SHOPPER_HASH_KEYS,
    env,
)
from .observability import METRICS_TOKEN
from .secret_checks import secret_problems

DEBUG = False
DEMO_SEED_ENABLED = False
# Tasks run on the workers, never inside a web request (whatever the environment says).
CELERY_TASK_ALWAYS_EAGER = False

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production")
if not KSA_SIGNING_KEYS:
    raise ImproperlyConfigured("KSA_SIGNING_KEYS must be set in production")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")
if CARRIER_HTTP_TRANSPORT:
    raise ImproperlyConfigured(
        "CARRIER_HTTP_TRANSPORT is for development and the bench only; unset it in production"
    )
# Without Redis the cache, the nonce store and the broker would be per process.
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production")
_weak = secret_problems(
    secret_key=SECRET_KEY,
    field_encryption_keys=FIELD_ENCRYPTION_KEYS,
    ksa_signing_keys=KSA_SIGNING_KEYS,
    metrics_token=METRICS_TOKEN,
    database_url=env("DATABASE_URL", default=""),
    redis_url=REDIS_URL,
    shopper_hash_keys=SHOPPER_HASH_KEYS,
)
if _weak:
    raise ImproperlyConfigured(
        "Production refuses placeholder or weak secrets:\n  " + "\n  ".join(_weak)
    )
# /metrics answers only METRICS_TOKEN as a bearer token; without one it is 404.
METRICS_REQUIRE_TOKEN = True
# The hosts this gateway answers for: required, no development default.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production")
# Origins allowed to POST forms (admin, portal) when they differ from the request's host, e.g.
# https://admin.example.com; empty is right when the browser talks to an ALLOWED_HOSTS name.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS: TLS ends at the load balancer, which must set X-Forwarded-Proto (and strip any the
# client sent). Probes speak plain HTTP inside the cluster: they are not redirected.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Structured logs by default in production: LOGGING was built with the development default
# while base.py was imported, so its console formatter is set again here.
LOG_FORMAT = env("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("plain", "json"):
    LOG_FORMAT = "json"
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
