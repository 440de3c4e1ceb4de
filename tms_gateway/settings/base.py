"""Settings shared by every environment.

Everything is read through one ``env`` object (django-environ); ``local``, ``test`` and
``production`` only override. Every variable is listed in ``.env.example``.
"""

from datetime import timedelta
from typing import Any

from .environment import BASE_DIR, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS: list[str] = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its runserver (a listen backlog for bursts) wins over staticfiles'.
    "tms_gateway.common",
    "django.contrib.staticfiles",
    # The operator classes of the portal's trigram search indexes (shipments migration 0003).
    "django.contrib.postgres",
    "rest_framework",
    "merchants",
    "carriers",
    "tms_gateway.checkout",
    "tms_gateway.shipments",
    "tms_gateway.ksa",
    "tms_gateway.insights",
    "tms_gateway.experiments",
    "tms_gateway.shoppers",
]

MIDDLEWARE: list[str] = [
    "tms_gateway.common.middleware.RequestStartMiddleware",
    # The request id every log line carries, and the request metrics (observability).
    "tms_gateway.ops.middleware.RequestIdMiddleware",
    "tms_gateway.ops.middleware.RequestMetricsMiddleware",
    "tms_gateway.common.middleware.ClientAddressMiddleware",
    "tms_gateway.common.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tms_gateway.common.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "merchants.admin_security.AdminNulQueryMiddleware",
]

# Proxies in front of the gateway that append to X-Forwarded-For (an ingress: 1). The client
# address they saw replaces REMOTE_ADDR for per-address limits; 0 trusts no header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

ROOT_URLCONF = "tms_gateway.urls"
WSGI_APPLICATION = "tms_gateway.wsgi.application"
ASGI_APPLICATION = "tms_gateway.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Embedded SQLite unless DATABASE_URL is set (PostgreSQL in tests and production).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # `make run` serves requests on threads, all writing one file. WAL lets readers go on
    # beside the writer; IMMEDIATE takes the write lock at BEGIN, so two transactions never
    # deadlock upgrading a read lock (SQLITE_BUSY at once, which no timeout helps); a writer
    # waits up to SQLITE_BUSY_TIMEOUT_SECONDS for its turn instead of answering 503.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=20.0),
    }
    # The portal's covering index (shipments migration 0003) includes columns that only
    # PostgreSQL keeps in an index; SQLite builds it without them, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis when REDIS_URL is set, otherwise an in-process cache (single-process `make run`).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "tms_gateway.common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="tms"),
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set; otherwise a broker in files under var/celery, so that
# `make run` runs a real worker (and beat) beside the server with nothing else installed.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "data_folder_in": str(BASE_DIR / "var" / "celery" / "queue"),
        "data_folder_out": str(BASE_DIR / "var" / "celery" / "queue"),
        "control_folder": str(BASE_DIR / "var" / "celery" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # A message whose worker died unacknowledged comes back after this long; the
        # requeue task usually picks the shipment up sooner.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must not hang Klarna's confirm when the broker is down: no publish retries, and a
# connection given up after CELERY_BROKER_CONNECTION_TIMEOUT seconds; the row stays confirmed.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "shipment-expire-stale": {
        "task": "tms_gateway.shipments.tasks.shipment_expire_stale",
        "schedule": env.float("SCHEDULE_EXPIRE_SECONDS", default=60.0),
    },
    "shipments-requeue": {
        "task": "tms_gateway.shipments.tasks.shipments_requeue",
        "schedule": env.float("SCHEDULE_REQUEUE_SECONDS", default=60.0),
    },
    "shipments-track": {
        "task": "tms_gateway.shipments.tasks.shipments_track",
        "schedule": env.float("SCHEDULE_TRACK_SECONDS", default=900.0),
    },
    # Reads Klarna's checkout order of reservations Klarna has not confirmed.
    "shipments-reconcile": {
        "task": "tms_gateway.shipments.tasks.shipments_reconcile",
        "schedule": env.float("KLARNA_CHECKOUT_RECONCILE_INTERVAL_SECONDS", default=60.0),
    },
    # Remembered choices past their shop's retention period (tms_gateway/shoppers).
    "remembered-choices-forget-expired": {
        "task": "tms_gateway.shoppers.tasks.remembered_choices_forget_expired",
        "schedule": env.float("SCHEDULE_FORGET_CHOICES_SECONDS", default=3600.0),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sv", "Svenska")]
LOCALE_PATHS = [BASE_DIR / "merchants" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The merchant portal signs shop users in; staff use the admin.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:bookings"
LOGOUT_REDIRECT_URL = "portal:login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Failed portal sign-ins allowed per account and per address within the window.
PORTAL_LOGIN_ATTEMPTS = env.int("PORTAL_LOGIN_ATTEMPTS", default=5)
PORTAL_LOGIN_WINDOW_SECONDS = env.int("PORTAL_LOGIN_WINDOW_SECONDS", default=900)
# The same for the staff admin's sign-in, counted apart from the portal's.
ADMIN_LOGIN_ATTEMPTS = env.int("ADMIN_LOGIN_ATTEMPTS", default=5)
ADMIN_LOGIN_WINDOW_SECONDS = env.int("ADMIN_LOGIN_WINDOW_SECONDS", default=900)
# Portal password-reset requests per address, and reset mails per account, within the window;
# beyond them the form answers as usual but mails nothing (merchants/portal/throttle.py).
PORTAL_PASSWORD_RESET_PER_ADDRESS = env.int("PORTAL_PASSWORD_RESET_PER_ADDRESS", default=10)
PORTAL_PASSWORD_RESET_PER_ACCOUNT = env.int("PORTAL_PASSWORD_RESET_PER_ACCOUNT", default=3)
PORTAL_PASSWORD_RESET_WINDOW_SECONDS = env.int("PORTAL_PASSWORD_RESET_WINDOW_SECONDS", default=3600)
# Password reset and invitation mails; the console backend prints them (development).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="gateway@localhost")
# Where the portal is reached from outside: links in mails sent without a request (the
# worker mails a failed booking to its shop, tms_gateway/shipments/notifications.py).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://localhost:8000")
# Map tiles of the checkout preview (Leaflet); empty shows markers on a plain background.
MAP_TILE_URL = env("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="&copy; OpenStreetMap contributors")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# Klarna calls are refused above 1 MiB (413 payload_too_large).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("KSA_MAX_BODY_BYTES", default=1024 * 1024)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "tms_gateway.common.exception_handler.exception_handler",
}

# Secrets at rest: Fernet keys, the first encrypts, all decrypt (rotation: prepend a new key).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# Klarna Shipping Assistant contract.
# Token signing keys as "kid:secret" pairs; the first signs, all verify.
KSA_SIGNING_KEYS = env.list("KSA_SIGNING_KEYS", default=[])
# Remembered choices: shoppers' e-mails and numbers are kept only as HMAC-SHA256 under these
# "kid:secret" keys, newest first (the first writes, all are tried). Empty: nothing is remembered.
SHOPPER_HASH_KEYS = env.list("SHOPPER_HASH_KEYS", default=[])
KSA_TOKEN_LIFETIME = timedelta(seconds=env.int("KSA_TOKEN_LIFETIME_SECONDS", default=3600))
# How long a used /auth nonce is remembered; never less than KSA_TOKEN_LIFETIME (enforced).
KSA_NONCE_WINDOW = timedelta(seconds=env.int("KSA_NONCE_WINDOW_SECONDS", default=3600))
KSA_RESERVATION_LIFETIME = timedelta(
    seconds=env.int("KSA_RESERVATION_LIFETIME_SECONDS", default=3600)
)
KSA_KEY_ROTATION_GRACE = timedelta(hours=env.int("KSA_KEY_ROTATION_GRACE_HOURS", default=72))

# Merchant API (/api/v1/, the shop's own order flow): calls per token per minute, counted in
# the cache like the callback API's limits (over it: 429 with Retry-After). 0 disables it.
MERCHANT_API_RATE_LIMIT_PER_MINUTE = env.int("MERCHANT_API_RATE_LIMIT_PER_MINUTE", default=600)

# Seconds a verified token's merchant is remembered in-process (0: ask the database each call).
KSA_PRINCIPAL_CACHE_SECONDS = env.float("KSA_PRINCIPAL_CACHE_SECONDS", default=10.0)
# Seconds an options answer is reused for an identical request of the same merchant (Klarna
# asks again on every change, and in parallel); only answers every carrier took part in.
CHECKOUT_ANSWER_CACHE_SECONDS = env.int("CHECKOUT_ANSWER_CACHE_SECONDS", default=10)
# Seconds a merchant's option configuration is kept in-process (0: read it on every call).
CHECKOUT_CONFIG_CACHE_SECONDS = env.float("CHECKOUT_CONFIG_CACHE_SECONDS", default=5.0)

# Options fan-out: the whole /shippingoptions carrier phase has this deadline.
CHECKOUT_DEADLINE_SECONDS = env.float("CHECKOUT_DEADLINE_SECONDS", default=1.5)
# Kept back from the deadline for what follows the carriers: pricing, sorting, rendering.
CHECKOUT_DEADLINE_MARGIN_SECONDS = env.float("CHECKOUT_DEADLINE_MARGIN_SECONDS", default=0.15)
CHECKOUT_MAX_WORKERS = env.int("CHECKOUT_MAX_WORKERS", default=32)
CHECKOUT_MAX_LOCATIONS = env.int("CHECKOUT_MAX_LOCATIONS", default=10)

# Carrier adapters by dotted path; each class names its slug. One settings line per carrier.
# carriers.static.* is an offline stand-in with the same product codes (no HTTP at all).
CARRIER_ADAPTERS = env.list(
    "CARRIER_ADAPTERS",
    default=[
        "carriers.postnord.PostNordAdapter",
        "carriers.budbee.BudbeeAdapter",
        "carriers.instabox.InstaboxAdapter",
        "carriers.dhl.DhlAdapter",
        "carriers.bring.BringAdapter",
    ],
)

# Bookings: retried with exponential backoff and jitter (base, cap) until the give-up time after
# confirmation; an attempt holds its shipment for the lease: longer than a whole booking (a few
# carrier calls of CARRIER_CONNECT_TIMEOUT + CARRIER_BOOKING_TIMEOUT each), never shorter than one.
BOOKING_RETRY_BASE_SECONDS = env.float("BOOKING_RETRY_BASE_SECONDS", default=5.0)
BOOKING_RETRY_MAX_SECONDS = env.float("BOOKING_RETRY_MAX_SECONDS", default=600.0)
BOOKING_GIVE_UP_SECONDS = env.float("BOOKING_GIVE_UP_SECONDS", default=4 * 3600.0)
BOOKING_LEASE_SECONDS = env.float("BOOKING_LEASE_SECONDS", default=60.0)
BOOKING_REQUEUE_AFTER_SECONDS = env.float("BOOKING_REQUEUE_AFTER_SECONDS", default=60.0)
# A queued booking message not started this long after its countdown is presumed lost (a worker
# killed while holding it) and queued again; until then requeue leaves the shipment alone.
BOOKING_QUEUED_SECONDS = env.float("BOOKING_QUEUED_SECONDS", default=600.0)
BOOKING_DEFAULT_WEIGHT_G = env.int("BOOKING_DEFAULT_WEIGHT_G", default=1000)

# Klarna's confirm is best effort: a reservation it has not confirmed this long after the last
# POST/PUT has its checkout order read from the shop's Klarna (Kustom) Checkout API, with the
# shop's credentials (tms_gateway/shipments/reconcile.py), every RECONCILE_INTERVAL seconds, up
# to BATCH per run and READS_PER_MINUTE per shop; a reservation is given up this long after it.
KLARNA_CHECKOUT_RECONCILE_AFTER = timedelta(
    seconds=env.float("KLARNA_CHECKOUT_RECONCILE_AFTER_SECONDS", default=300.0)
)
KLARNA_CHECKOUT_RECONCILE_GIVE_UP = timedelta(
    seconds=env.float("KLARNA_CHECKOUT_RECONCILE_GIVE_UP_SECONDS", default=48 * 3600.0)
)
KLARNA_CHECKOUT_RECONCILE_BATCH = env.int("KLARNA_CHECKOUT_RECONCILE_BATCH", default=200)
KLARNA_CHECKOUT_READS_PER_MINUTE = env.int("KLARNA_CHECKOUT_READS_PER_MINUTE", default=60)
# Read timeout of one order read (the connect timeout is CARRIER_CONNECT_TIMEOUT).
KLARNA_CHECKOUT_TIMEOUT = env.float("KLARNA_CHECKOUT_TIMEOUT", default=10.0)

# Carrier transport. Hosts default to each carrier's own (test or live per agreement);
# CARRIER_BASE_URLS (JSON) overrides per carrier and mode; CARRIER_SANDBOX_URL sends every
# carrier to the local carrier sandbox (make run, tests, benchmarks).
CARRIER_BASE_URLS: dict[str, dict[str, str]] = env.json("CARRIER_BASE_URLS", default={})
CARRIER_SANDBOX_URL = env("CARRIER_SANDBOX_URL", default="")
# A requests transport adapter (dotted path) mounted for CARRIER_SANDBOX_URL: the bench's
# options_computed sets "carriers.sandbox.transport.InProcessSandboxAdapter" to answer the
# carriers in-process. Empty: real HTTP. Production refuses it.
CARRIER_HTTP_TRANSPORT = env("CARRIER_HTTP_TRANSPORT", default="")
# Hosts a carrier's calls may go to (carriers/hosts.py), JSON: slug -> host patterns, replacing
# the carrier's own hosts; "*" adds to every carrier, e.g. {"*": ["carrier-sandbox.internal:8090"]}.
# Hosts of CARRIER_BASE_URLS and CARRIER_SANDBOX_URL are always allowed.
CARRIER_ALLOWED_HOSTS: dict[str, list[str]] = env.json("CARRIER_ALLOWED_HOSTS", default={})
# Fakes of other services the carrier sandbox serves beside the carriers (dotted paths of
# CarrierSandbox objects): Klarna's checkout API under /klarna.
SANDBOX_EXTRA_SERVICES = env.list(
    "SANDBOX_EXTRA_SERVICES", default=["tms_gateway.klarna_checkout.sandbox.sandbox"]
)
# Klarna's ``carrier`` value (its logo) per carrier, or per "carrier:product", overriding the
# carrier's declaration (JSON, e.g. {"bring": "generic"}); Klarna's enum is not public.
KLARNA_CARRIER_VALUES: dict[str, str] = env.json("KLARNA_CARRIER_VALUES", default={})
# Per call: connect and read timeouts for checkout calls, and for bookings.
CARRIER_CONNECT_TIMEOUT = env.float("CARRIER_CONNECT_TIMEOUT", default=0.5)
# An outbound proxy for carrier calls, if the network needs one (http://host:port).
CARRIER_HTTP_PROXY = env("CARRIER_HTTP_PROXY", default="")
CARRIER_READ_TIMEOUT = env.float("CARRIER_READ_TIMEOUT", default=1.3)
CARRIER_BOOKING_TIMEOUT = env.float("CARRIER_BOOKING_TIMEOUT", default=15.0)
# Cache lifetimes (seconds) of answers that do not depend on the cart.
CARRIER_CACHE_TTL = {
    "service_points": env.int("CARRIER_CACHE_TTL_SERVICE_POINTS", default=3600),
    "availability": env.int("CARRIER_CACHE_TTL_AVAILABILITY", default=3600),
    "timeslots": env.int("CARRIER_CACHE_TTL_TIMESLOTS", default=300),
}
# Circuit breaker per carrier and agreement.
CARRIER_BREAKER_FAILURES = env.int("CARRIER_BREAKER_FAILURES", default=5)
CARRIER_BREAKER_RESET_SECONDS = env.float("CARRIER_BREAKER_RESET_SECONDS", default=30.0)
# Where carrier call traces go; bodies are kept up to this size.
CARRIER_TRACE_SINK = env("CARRIER_TRACE_SINK", default="carriers.traces.trace_store")
# Told of every carrier cache lookup (carrier, operation, hit): the metrics; "" for none.
CARRIER_CACHE_OBSERVER = "tms_gateway.ops.metrics.carrier_cache_observe"
# The largest tracking webhook body a carrier may post (/webhooks/<carrier>/<token>).
CARRIER_WEBHOOK_MAX_BYTES = env.int("CARRIER_WEBHOOK_MAX_BYTES", default=256 * 1024)
CARRIER_TRACE_MAX_BODY = env.int("CARRIER_TRACE_MAX_BODY", default=65536)
# Traces of checkout calls are written by a background thread every few seconds.
CARRIER_TRACE_BACKGROUND = env.bool("CARRIER_TRACE_BACKGROUND", default=True)
CARRIER_TRACE_FLUSH_SECONDS = env.float("CARRIER_TRACE_FLUSH_SECONDS", default=2.0)

# Demo shop seeded by `make run` (never in production).
DEMO_SEED_ENABLED = env.bool("DEMO_SEED_ENABLED", default=True)
DEMO_KSA_IDENTIFIER = env("DEMO_KSA_IDENTIFIER", default="demo")
DEMO_KSA_KEY = env("DEMO_KSA_KEY", default="demo-key")
DEMO_STAFF_USERNAME = env("DEMO_STAFF_USERNAME", default="admin")
DEMO_STAFF_PASSWORD = env("DEMO_STAFF_PASSWORD", default="demo-admin")
DEMO_SHOP_EMAIL = env("DEMO_SHOP_EMAIL", default="shop@demo-shop.example")
DEMO_SHOP_PASSWORD = env("DEMO_SHOP_PASSWORD", default="demo-shop")

# LOGGING: observability.py (the one place it is built).

# Production concerns, one module each: observability (health, metrics, logs), limits
# (per-merchant rate limits), api (OpenAPI). Each reads its own variables from `env`.
from .api import API_APPS, API_REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401
from .insights import *  # noqa: E402, F403
from .insights import INSIGHTS_BEAT_SCHEDULE  # noqa: E402
from .limits import *  # noqa: E402, F403
from .observability import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, *API_APPS]
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, **INSIGHTS_BEAT_SCHEDULE}
REST_FRAMEWORK = {**REST_FRAMEWORK, **API_REST_FRAMEWORK}
