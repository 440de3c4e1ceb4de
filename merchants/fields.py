"""Encrypted model fields: secrets at rest, Fernet keys from FIELD_ENCRYPTION_KEYS.

The first key encrypts, every key decrypts, so a key is rotated by prepending a new one and
re-encrypting the stored values under it (``manage.py reencrypt_secrets``, see
deploy/operations.md). Values are never rendered
back in forms: the admin shows only whether a secret is set.
"""

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: secrets cannot be stored")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS"
        ) from exc


class EncryptedTextField(models.TextField):
    """A string stored as a Fernet token."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON object (carrier credentials) stored as one Fernet token."""

    # Tell django-stubs the Python type is a dict, not the str of the column.
    _pyi_private_set_type: dict[str, Any]  # type: ignore[assignment]
    _pyi_private_get_type: dict[str, Any]  # type: ignore[assignment]

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt_str(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if value is None or value == "":
            return {}
        return json.loads(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            value = {}
        return encrypt_str(json.dumps(value, sort_keys=True))
