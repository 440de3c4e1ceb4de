"""Re-encrypt every stored secret under the first FIELD_ENCRYPTION_KEYS key (after a rotation).

    manage.py reencrypt_secrets --dry-run   # per model.field: how many are not under the first key
    manage.py reencrypt_secrets             # re-encrypt them, batch by batch; idempotent

Exits non-zero, changing nothing, when a stored value cannot be decrypted with any key. Prints
counts only, never a value. See merchants/rotation.py and deploy/operations.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from merchants.rotation import (
    DEFAULT_BATCH_SIZE,
    RotationReport,
    UndecryptableSecrets,
    secrets_reencrypt,
    secrets_survey,
)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted model field's stored values with the first key of "
        "FIELD_ENCRYPTION_KEYS, so older keys can be removed. --dry-run only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the values not yet under the first key; change nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            if options["dry_run"]:
                report = secrets_survey(batch_size=batch_size)
            else:
                report = secrets_reencrypt(batch_size=batch_size)
        except UndecryptableSecrets as exc:
            self._write_columns(exc.report, dry_run=True)
            raise CommandError(str(exc)) from None
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self._write_columns(report, dry_run=options["dry_run"])
        if report.undecryptable:  # only a dry run gets here with some
            raise CommandError(str(UndecryptableSecrets(report)))
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {report.stale} value(s) not yet under the first key; nothing changed."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Re-encrypted {report.reencrypted} value(s) under the first key."
                )
            )

    def _write_columns(self, report: RotationReport, *, dry_run: bool) -> None:
        for c in report.columns:
            if dry_run:
                line = f"{c.label}: {c.total} stored, {c.stale} not under the first key" + (
                    f", {c.undecryptable} undecryptable" if c.undecryptable else ""
                )
            else:
                line = (
                    f"{c.label}: {c.reencrypted} re-encrypted, "
                    f"{c.total - c.reencrypted} already under the first key"
                )
            self.stdout.write(line)
