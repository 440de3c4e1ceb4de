"""manage.py reencrypt_secrets: stored secrets move to the first FIELD_ENCRYPTION_KEYS key."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings

from merchants import rotation
from merchants.models import AuditLog, CarrierAgreement, KlarnaCredential
from tests.factories import CarrierAgreementFactory, KlarnaCredentialFactory

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_UNKNOWN = Fernet.generate_key().decode()

SECRETS = ("klarna-secret-key-1", "klarna-old-key-0", "pn-secret-123", "budbee-token-xyz")
CREDENTIAL = "merchants.KlarnaCredential"
AGREEMENT = "merchants.CarrierAgreement"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        (value,) = cursor.fetchone()
    return value


def _raw_credential(credential: KlarnaCredential, column: str = "key") -> str:
    return _raw("merchants_klarnacredential", column, credential.pk)


def _raw_agreement(agreement: CarrierAgreement) -> str:
    return _raw("merchants_carrieragreement", "credentials", agreement.pk)


def _decrypts_with(key: str, token: str) -> str:
    return Fernet(key.encode()).decrypt(token.encode()).decode()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("reencrypt_secrets", *args, stdout=out, stderr=out)
    return out.getvalue()


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def _line(output: str, label: str) -> str:
    (line,) = [x for x in output.splitlines() if x.startswith(f"{label}:")]
    return line


@pytest.fixture
def rows_under_a(settings: Settings) -> dict[str, Any]:
    """A credential with a previous key and an agreement with credentials, all under key A;
    then the keys rotated to [B, A]."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    credential = KlarnaCredentialFactory.create(key=SECRETS[0], previous_key=SECRETS[1])
    agreement = CarrierAgreementFactory.create(
        credentials={"api_key": SECRETS[2], "nested": {"token": SECRETS[3]}}
    )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    return {"credential": credential, "agreement": agreement}


def test_every_encrypted_field_is_found_without_naming_models() -> None:
    labels = {m.label(f) for m in rotation.encrypted_models() for f in m.fields}

    assert {
        f"{CREDENTIAL}.key",
        f"{CREDENTIAL}.previous_key",
        f"{AGREEMENT}.credentials",
    } <= labels


def test_dry_run_counts_what_is_not_under_the_first_key_and_changes_nothing(
    rows_under_a: dict[str, Any],
) -> None:
    credential, agreement = rows_under_a["credential"], rows_under_a["agreement"]
    before = (_raw_credential(credential), _raw_agreement(agreement))

    output = _run("--dry-run")

    assert (
        _line(output, f"{CREDENTIAL}.key")
        == f"{CREDENTIAL}.key: 1 stored, 1 not under the first key"
    )
    assert _line(output, f"{CREDENTIAL}.previous_key").endswith(
        "1 stored, 1 not under the first key"
    )
    assert _line(output, f"{AGREEMENT}.credentials").endswith("1 stored, 1 not under the first key")
    assert "Dry run: 3 value(s) not yet under the first key; nothing changed." in output
    assert (_raw_credential(credential), _raw_agreement(agreement)) == before
    assert not AuditLog.objects.filter(action=rotation.AUDIT_ACTION).exists()
    _assert_no_secret(output)


def test_reencrypts_every_secret_under_the_first_key(
    rows_under_a: dict[str, Any], settings: Settings
) -> None:
    credential, agreement = rows_under_a["credential"], rows_under_a["agreement"]
    with pytest.raises(InvalidToken):
        _decrypts_with(KEY_B, _raw_credential(credential))

    output = _run()

    assert _line(output, f"{CREDENTIAL}.key") == (
        f"{CREDENTIAL}.key: 1 re-encrypted, 0 already under the first key"
    )
    assert "Re-encrypted 3 value(s) under the first key." in output
    _assert_no_secret(output)
    # The raw columns now decrypt with B alone, and no longer with A.
    assert _decrypts_with(KEY_B, _raw_credential(credential)) == SECRETS[0]
    assert _decrypts_with(KEY_B, _raw_credential(credential, "previous_key")) == SECRETS[1]
    assert SECRETS[2] in _decrypts_with(KEY_B, _raw_agreement(agreement))
    with pytest.raises(InvalidToken):
        _decrypts_with(KEY_A, _raw_credential(credential))
    # The models read the same plaintext, even once A is dropped.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    reloaded = KlarnaCredential.objects.get(pk=credential.pk)
    assert (reloaded.key, reloaded.previous_key) == (SECRETS[0], SECRETS[1])
    assert CarrierAgreement.objects.get(pk=agreement.pk).credentials == {
        "api_key": SECRETS[2],
        "nested": {"token": SECRETS[3]},
    }


def test_a_second_run_changes_nothing(rows_under_a: dict[str, Any]) -> None:
    credential, agreement = rows_under_a["credential"], rows_under_a["agreement"]
    _run()
    after_first = (
        _raw_credential(credential),
        _raw_credential(credential, "previous_key"),
        _raw_agreement(agreement),
    )
    audits = AuditLog.objects.count()

    output = _run()

    assert "Re-encrypted 0 value(s) under the first key." in output
    assert _line(output, f"{CREDENTIAL}.key").endswith(
        "0 re-encrypted, 1 already under the first key"
    )
    assert (
        _raw_credential(credential),
        _raw_credential(credential, "previous_key"),
        _raw_agreement(agreement),
    ) == after_first
    assert AuditLog.objects.count() == audits
    assert "Dry run: 0 value(s) not yet under the first key" in _run("--dry-run")


def test_empty_secrets_are_neither_counted_nor_written(settings: Settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    credential = KlarnaCredentialFactory.create(key=SECRETS[0])  # previous_key ""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    output = _run()

    assert _line(output, f"{CREDENTIAL}.previous_key").startswith(
        f"{CREDENTIAL}.previous_key: 0 re-encrypted, 0 already"
    )
    assert _raw_credential(credential, "previous_key") == ""


def test_small_batches_reach_every_row(settings: Settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    credentials = [KlarnaCredentialFactory.create(key=f"batch-key-{n}") for n in range(5)]
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    output = _run("--batch-size", "2")

    assert _line(output, f"{CREDENTIAL}.key").startswith(f"{CREDENTIAL}.key: 5 re-encrypted")
    for n, credential in enumerate(credentials):
        assert _decrypts_with(KEY_B, _raw_credential(credential)) == f"batch-key-{n}"


def test_each_reencrypted_row_is_audited_without_its_secret(rows_under_a: dict[str, Any]) -> None:
    credential, agreement = rows_under_a["credential"], rows_under_a["agreement"]

    _run()

    rows = {row.object_type: row for row in AuditLog.objects.filter(action=rotation.AUDIT_ACTION)}
    assert set(rows) == {"KlarnaCredential", "CarrierAgreement"}
    assert rows["KlarnaCredential"].object_id == str(credential.pk)
    assert rows["KlarnaCredential"].merchant_id == credential.merchant_id
    assert rows["KlarnaCredential"].actor is None
    assert rows["KlarnaCredential"].changes == {
        "key": "(re-encrypted)",
        "previous_key": "(re-encrypted)",
    }
    assert rows["CarrierAgreement"].object_id == str(agreement.pk)
    assert rows["CarrierAgreement"].changes == {"credentials": "(re-encrypted)"}
    _assert_no_secret(repr([(r.changes, r.object_repr) for r in rows.values()]))


def test_a_value_under_an_unknown_key_fails_clearly_and_changes_nothing(
    rows_under_a: dict[str, Any], settings: Settings
) -> None:
    credential, agreement = rows_under_a["credential"], rows_under_a["agreement"]
    settings.FIELD_ENCRYPTION_KEYS = [KEY_UNKNOWN]
    lost = KlarnaCredentialFactory.create(key="written-with-a-lost-key")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = (_raw_credential(credential), _raw_agreement(agreement), _raw_credential(lost))

    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("reencrypt_secrets", stdout=out, stderr=out)

    message = str(failure.value)
    assert "cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS" in message
    assert f"{CREDENTIAL}.key pk={lost.pk}" in message
    assert "Nothing was re-encrypted" in message
    assert (_raw_credential(credential), _raw_agreement(agreement), _raw_credential(lost)) == before
    assert not AuditLog.objects.filter(action=rotation.AUDIT_ACTION).exists()
    assert "1 undecryptable" in out.getvalue()
    for text in (message, out.getvalue()):
        _assert_no_secret(text)
        assert "written-with-a-lost-key" not in text
        assert before[2] not in text  # nor the token


def test_dry_run_also_fails_on_a_value_under_an_unknown_key(
    rows_under_a: dict[str, Any], settings: Settings
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_UNKNOWN]
    lost = KlarnaCredentialFactory.create()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    out = StringIO()
    with pytest.raises(CommandError, match=f"{CREDENTIAL}.key pk={lost.pk}"):
        call_command("reencrypt_secrets", "--dry-run", stdout=out)

    assert _line(out.getvalue(), f"{CREDENTIAL}.key") == (
        f"{CREDENTIAL}.key: 2 stored, 1 not under the first key, 1 undecryptable"
    )


def test_a_batch_that_meets_an_unknown_key_is_rolled_back_whole(
    rows_under_a: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value written under an unknown key after the survey (say by a pod with other keys):
    the batch it is in is undone, the rows before it in that batch included."""
    credential = rows_under_a["credential"]
    settings.FIELD_ENCRYPTION_KEYS = [KEY_UNKNOWN]
    lost = KlarnaCredentialFactory.create()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = (_raw_credential(credential), _raw_credential(lost))
    survey = rotation.secrets_survey

    def survey_before_the_write(**kwargs: Any) -> rotation.RotationReport:
        report = survey(**kwargs)
        report.undecryptable.clear()  # the survey ran before the lost key's row was written
        return report

    monkeypatch.setattr(rotation, "secrets_survey", survey_before_the_write)

    with pytest.raises(CommandError, match=f"pk={lost.pk}"):
        _run()

    assert (_raw_credential(credential), _raw_credential(lost)) == before
    assert not AuditLog.objects.filter(object_type="KlarnaCredential").exists()


def test_no_keys_is_a_clear_error(settings: Settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS is empty"):
        _run("--dry-run")


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(CommandError, match="--batch-size"):
        _run("--batch-size", "0")
