"""Re-encrypt stored secrets under the first ``FIELD_ENCRYPTION_KEYS`` key.

``merchants.fields`` encrypts with the first key and decrypts with any, so after a new key is
prepended the rows written before still carry tokens of the old one, and the old key cannot be
dropped until they are re-encrypted. This module finds every column of an encrypted field class
(``ENCRYPTED_FIELD_CLASSES``) in every installed model, and:

* ``secrets_survey`` counts, per ``app.Model.field``, the stored tokens already under the first
  key, those under another key (still to re-encrypt) and those no key decrypts; it writes nothing.
* ``secrets_reencrypt`` surveys first and refuses (``UndecryptableSecrets``, nothing written) if
  any token cannot be decrypted; otherwise it rewrites each token not under the first key with
  ``MultiFernet.rotate``, in batches of rows, each batch in its own transaction with its rows
  locked, and records one audit row per re-encrypted row (action ``secret_reencrypt``). Tokens
  already under the first key are left as they are, so a second run changes nothing.

Tokens are read from and written to the columns with plain SQL: the fields' own conversions
would decrypt on read and encrypt again on write. Plaintext exists only in memory inside
``Fernet``; no value, token or plaintext, is ever logged, printed or put in an exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction

from .audit import audit_merchant, audit_record
from .fields import EncryptedJSONField, EncryptedTextField

#: Every field class whose column holds a Fernet token.
ENCRYPTED_FIELD_CLASSES: tuple[type[models.Field[Any, Any]], ...] = (
    EncryptedTextField,
    EncryptedJSONField,
)
#: The audit action of a re-encrypted row (``AuditLog.action`` holds up to 30 characters).
AUDIT_ACTION = "secret_reencrypt"
#: What the audit row says of each re-encrypted field: never a value.
AUDIT_MARK = "(re-encrypted)"
DEFAULT_BATCH_SIZE = 500
#: How many undecryptable values an error message names before it only counts the rest.
_NAMED_IN_ERROR = 20


@dataclass(frozen=True)
class EncryptedModel:
    """One model with encrypted columns in its own table."""

    model: type[models.Model]
    fields: tuple[models.Field[Any, Any], ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def alias(self) -> str:
        return router.db_for_write(self.model)

    def label(self, model_field: models.Field[Any, Any]) -> str:
        return f"{self.model._meta.label}.{model_field.name}"


def _column(model_field: models.Field[Any, Any] | None) -> str:
    """The database column of a concrete field (quoted by the caller)."""
    assert model_field is not None and model_field.column is not None
    return model_field.column


@dataclass
class ColumnCounts:
    """Stored (non-empty) tokens of one ``app.Model.field``."""

    label: str
    current: int = 0  # already under the first key
    stale: int = 0  # under another key: to re-encrypt
    undecryptable: int = 0  # under no configured key
    reencrypted: int = 0  # rewritten under the first key by this run

    @property
    def total(self) -> int:
        return self.current + self.stale + self.undecryptable


@dataclass
class RotationReport:
    columns: list[ColumnCounts] = field(default_factory=list)
    #: ``(app.Model.field, primary key)`` of each value no key decrypts.
    undecryptable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def stale(self) -> int:
        return sum(c.stale for c in self.columns)

    @property
    def reencrypted(self) -> int:
        return sum(c.reencrypted for c in self.columns)

    def column(self, label: str) -> ColumnCounts:
        for counts in self.columns:
            if counts.label == label:
                return counts
        raise KeyError(label)


class UndecryptableSecrets(Exception):
    """Stored values that no key in FIELD_ENCRYPTION_KEYS decrypts; nothing was changed."""

    def __init__(self, report: RotationReport) -> None:
        self.report = report
        found = report.undecryptable
        named = ", ".join(f"{label} pk={pk}" for label, pk in found[:_NAMED_IN_ERROR])
        more = f" and {len(found) - _NAMED_IN_ERROR} more" if len(found) > _NAMED_IN_ERROR else ""
        super().__init__(
            f"{len(found)} stored secret(s) cannot be decrypted with any key in "
            f"FIELD_ENCRYPTION_KEYS: {named}{more}. Nothing was re-encrypted. Add the key they "
            "were written with to FIELD_ENCRYPTION_KEYS, or enter those secrets again."
        )


def encrypted_models() -> list[EncryptedModel]:
    """Every installed concrete model with a field of ``ENCRYPTED_FIELD_CLASSES`` in its own
    table (a proxy shares its table, a child model's inherited fields live in its parent's)."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or meta.swapped or not meta.managed:
            continue
        encrypted = tuple(
            f for f in meta.local_concrete_fields if isinstance(f, ENCRYPTED_FIELD_CLASSES)
        )
        if encrypted:
            found.append(EncryptedModel(model=model, fields=encrypted))
    return sorted(found, key=lambda m: m.model._meta.label)


def _fernets(keys: Sequence[str] | None) -> tuple[Fernet, MultiFernet]:
    keys = list(settings.FIELD_ENCRYPTION_KEYS if keys is None else keys)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: nothing can be decrypted")
    fernets = [Fernet(k.encode()) for k in keys]
    return fernets[0], MultiFernet(fernets)


def _is_under(fernet: Fernet | MultiFernet, token: bytes) -> bool:
    try:
        fernet.decrypt(token)
    except InvalidToken:
        return False
    return True


def _token(value: Any) -> bytes | None:
    """The stored token as bytes; None for an empty column (no secret set)."""
    if value is None or value == "":
        return None
    if isinstance(value, memoryview | bytes):
        return bytes(value)
    return str(value).encode()


def _batches(
    encrypted: EncryptedModel, batch_size: int, *, for_update: bool
) -> Iterator[list[tuple[Any, ...]]]:
    """``(pk, token, token, ...)`` rows in primary-key order, ``batch_size`` at a time.

    With ``for_update`` each batch is read inside the caller's transaction, its rows locked
    (where the database can), and the next batch is read only once the caller resumes.
    """
    connection = connections[encrypted.alias]
    quote = connection.ops.quote_name
    pk = quote(_column(encrypted.model._meta.pk))
    columns = ", ".join(quote(_column(f)) for f in encrypted.fields)
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    # Identifiers come from model metadata, quoted; values are parameters.
    first = f"SELECT {pk}, {columns} FROM {quote(encrypted.table)} ORDER BY {pk} LIMIT %s{lock}"  # noqa: S608
    after = f"SELECT {pk}, {columns} FROM {quote(encrypted.table)} WHERE {pk} > %s ORDER BY {pk} LIMIT %s{lock}"  # noqa: S608
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(first, [batch_size])
            else:
                cursor.execute(after, [last, batch_size])
            rows = [tuple(row) for row in cursor.fetchall()]
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def secrets_survey(
    *, keys: Sequence[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> RotationReport:
    """Count, per encrypted column, the tokens under the first key, under another key, and
    under none. Reads only."""
    primary, every = _fernets(keys)
    report = RotationReport()
    for encrypted in encrypted_models():
        counts = [ColumnCounts(label=encrypted.label(f)) for f in encrypted.fields]
        report.columns.extend(counts)
        for rows in _batches(encrypted, batch_size, for_update=False):
            for pk, *values in rows:
                for column, value in zip(counts, values, strict=True):
                    token = _token(value)
                    if token is None:
                        continue
                    if _is_under(primary, token):
                        column.current += 1
                    elif _is_under(every, token):
                        column.stale += 1
                    else:
                        column.undecryptable += 1
                        report.undecryptable.append((column.label, str(pk)))
    return report


def _audit(encrypted: EncryptedModel, changed: dict[Any, list[str]]) -> None:
    """One audit row per re-encrypted row, when the model belongs to a merchant."""
    queryset = encrypted.model._base_manager.filter(pk__in=list(changed))
    if any(f.name == "merchant" for f in encrypted.model._meta.concrete_fields):
        queryset = queryset.select_related("merchant")
    for obj in queryset:
        try:
            merchant = audit_merchant(obj)
        except TypeError:
            return  # not a tenant row: there is no merchant's log to write to
        audit_record(
            merchant=merchant,
            actor=None,
            action=AUDIT_ACTION,
            obj=obj,
            changes=dict.fromkeys(changed[obj.pk], AUDIT_MARK),
        )


def _reencrypt_model(
    encrypted: EncryptedModel,
    counts: list[ColumnCounts],
    primary: Fernet,
    every: MultiFernet,
    batch_size: int,
) -> None:
    connection = connections[encrypted.alias]
    quote = connection.ops.quote_name
    pk_column = quote(_column(encrypted.model._meta.pk))
    batches = _batches(encrypted, batch_size, for_update=True)
    while True:
        with transaction.atomic(using=encrypted.alias):
            rows = next(batches, None)
            if rows is None:
                return
            changed: dict[Any, list[str]] = {}
            for pk, *values in rows:
                updates: list[tuple[models.Field[Any, Any], str]] = []
                for model_field, column, value in zip(
                    encrypted.fields, counts, values, strict=True
                ):
                    token = _token(value)
                    if token is None or _is_under(primary, token):
                        continue
                    try:
                        rotated = every.rotate(token)
                    except InvalidToken:
                        # Written since the survey with a key we do not have: undo this batch.
                        report = RotationReport(undecryptable=[(column.label, str(pk))])
                        raise UndecryptableSecrets(report) from None
                    updates.append((model_field, rotated.decode()))
                    column.reencrypted += 1
                if not updates:
                    continue
                assignments = ", ".join(f"{quote(_column(f))} = %s" for f, _ in updates)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {quote(encrypted.table)} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                        [*(token for _, token in updates), pk],
                    )
                changed[pk] = [f.name for f, _ in updates]
            if changed:
                _audit(encrypted, changed)


def secrets_reencrypt(
    *, keys: Sequence[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> RotationReport:
    """Rewrite every stored token not under the first key with the first key.

    Raises ``UndecryptableSecrets`` before writing anything when a token decrypts with no key.
    Batches commit one by one: a run stopped half-way leaves a mix of old and new tokens, each
    still readable, and running again finishes the job.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = secrets_survey(keys=keys, batch_size=batch_size)
    if report.undecryptable:
        raise UndecryptableSecrets(report)
    primary, every = _fernets(keys)
    for encrypted in encrypted_models():
        counts = [report.column(encrypted.label(f)) for f in encrypted.fields]
        if any(c.stale for c in counts):
            _reencrypt_model(encrypted, counts, primary, every, batch_size)
    return report
