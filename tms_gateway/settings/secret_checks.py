"""Which secrets production refuses: placeholders, short values and low-entropy ones.

Not a settings module: ``production.py`` calls ``secret_problems`` and refuses to start (an
``ImproperlyConfigured`` at settings import, so ``manage.py`` — ``check --deploy`` included —,
gunicorn and Celery all stop) with one line per problem, naming the variable and never the value.

Refused:

* placeholders: the templates' values (``change-me`` of .env.example, ``REPLACE…`` of
  deploy/k8s/secret.yaml, ``replace-me`` of deploy/env.production.example), the development and
  test settings' embedded keys, and anything with such a word in it;
* ``DJANGO_SECRET_KEY`` under 50 characters, ``KSA_SIGNING_KEYS`` and ``SHOPPER_HASH_KEYS``
  secrets and ``METRICS_TOKEN`` under 32;
* low entropy: under 128 bits estimated from the characters' frequencies, or a value that
  compresses well (a repeated pattern);
* ``FIELD_ENCRYPTION_KEYS`` entries that are not Fernet keys (urlsafe base64 of 32 bytes), or
  whose 32 bytes are readable text or repeat (typed, not generated);
* a password in ``DATABASE_URL`` or ``REDIS_URL`` that is a placeholder.

Pure Python (no Django), so the test suite can call it without production settings.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from collections import Counter
from urllib.parse import urlsplit

#: Words only a template or a development value has (random values do not: each is 6+ letters).
PLACEHOLDER_WORDS = (
    "replace",
    "change-me",
    "change_me",
    "changeme",
    "placeholder",
    "dev-only",
    "insecure",
    "not-for-production",
    "example",
    "test-only",
    "test-secret",
    "test-signing",
    "django-insecure",
)
MIN_ENTROPY_BITS = 128
MIN_SECRET_KEY_LENGTH = 50
MIN_TOKEN_LENGTH = 32
_GENERATE = "generate one: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
_GENERATE_FERNET = (
    "generate one: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def entropy_bits(value: str) -> float:
    """The value's length times the Shannon entropy of its characters' frequencies: an upper
    estimate of the bits a guesser needs (random 64-character tokens have about 330)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return max(0.0, -sum(n / total * math.log2(n / total) for n in counts.values()) * total)


def _repeats(value: bytes) -> bool:
    """True when zlib finds the value compressible: a pattern, not random characters (zlib adds
    about 8 bytes to a random value and cannot shorten it)."""
    return len(zlib.compress(value, 9)) < len(value) * 0.8


def _placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in PLACEHOLDER_WORDS)


def secret_problem(name: str, value: str, *, min_length: int = MIN_TOKEN_LENGTH) -> str:
    """Why ``value`` is no secret for ``name``; "" when it will do."""
    if _placeholder(value):
        return f"{name} is a placeholder, not a secret: {_GENERATE}"
    if len(value) < min_length:
        return f"{name} is too short ({len(value)} characters, at least {min_length}): {_GENERATE}"
    bits = entropy_bits(value)
    if bits < MIN_ENTROPY_BITS or _repeats(value.encode()):
        return (
            f"{name} has too little entropy (about {bits:.0f} bits or a repeated pattern, at "
            f"least {MIN_ENTROPY_BITS} random bits): {_GENERATE}"
        )
    return ""


def fernet_key_problem(name: str, key: str) -> str:
    """Why ``key`` is no generated Fernet key; "" when it is one."""
    if _placeholder(key):
        return f"{name} is a placeholder, not a key: {_GENERATE_FERNET}"
    try:
        raw = base64.urlsafe_b64decode(key.strip().encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        return f"{name} is not a Fernet key (urlsafe base64 of 32 bytes): {_GENERATE_FERNET}"
    readable = all(32 <= byte < 127 for byte in raw)
    if readable or len(set(raw)) < 16 or _repeats(raw):
        return (
            f"{name} is typed, not generated (its 32 bytes are readable text or repeat): "
            f"{_GENERATE_FERNET}"
        )
    return ""


def _url_password_problem(name: str, url: str) -> str:
    try:
        password = urlsplit(url).password or ""
    except ValueError:
        return ""
    if password and _placeholder(password):
        return f"{name} has a placeholder password: set the real one"
    return ""


def secret_problems(
    *,
    secret_key: str,
    field_encryption_keys: list[str],
    ksa_signing_keys: list[str],
    metrics_token: str = "",
    database_url: str = "",
    redis_url: str = "",
    shopper_hash_keys: list[str] | None = None,
) -> list[str]:
    """Every problem of production's secrets, one line each (empty when all will do)."""
    problems = [
        secret_problem("DJANGO_SECRET_KEY", secret_key, min_length=MIN_SECRET_KEY_LENGTH),
    ]
    for number, key in enumerate(field_encryption_keys, start=1):
        problems.append(fernet_key_problem(f"FIELD_ENCRYPTION_KEYS entry {number}", key))
    for number, entry in enumerate(ksa_signing_keys, start=1):
        kid, separator, secret = entry.partition(":")
        name = f"KSA_SIGNING_KEYS entry {number}"
        if not separator or not kid.strip() or not secret:
            problems.append(f"{name} is not kid:secret")
            continue
        problems.append(secret_problem(f"{name} (kid {kid.strip()!r})", secret))
    for number, entry in enumerate(shopper_hash_keys or [], start=1):
        kid, separator, secret = entry.partition(":")
        name = f"SHOPPER_HASH_KEYS entry {number}"
        if not separator or not kid.strip() or not secret:
            problems.append(f"{name} is not kid:secret")
            continue
        problems.append(secret_problem(f"{name} (kid {kid.strip()!r})", secret))
    if metrics_token:
        problems.append(secret_problem("METRICS_TOKEN", metrics_token))
    problems.append(_url_password_problem("DATABASE_URL", database_url))
    problems.append(_url_password_problem("REDIS_URL", redis_url))
    return [problem for problem in problems if problem]
