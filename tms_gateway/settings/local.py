"""Local development (`make run`): embedded defaults so a fresh machine needs nothing else.

The keys below are for development only; production refuses to start without its own.
"""

from .base import *  # noqa: F403
from .environment import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-change-me")
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktZmllbGQta2V5LTAwMDAwMDAwMDAwMDA="]
)
KSA_SIGNING_KEYS = env.list(
    "KSA_SIGNING_KEYS", default=["dev1:dev-only-ksa-signing-secret-0123456789"]
)
SHOPPER_HASH_KEYS = env.list(
    "SHOPPER_HASH_KEYS", default=["dev1:dev-only-shopper-hash-secret-0123456789"]
)
# `make run` serves the carrier sandbox here; the demo shop's agreements point at it.
CARRIER_SANDBOX_URL = env("CARRIER_SANDBOX_URL", default="http://127.0.0.1:8090")
