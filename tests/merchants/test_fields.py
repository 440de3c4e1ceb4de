"""Encrypted model fields: round trip, nothing in clear at rest, key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from pytest_django.fixtures import Settings

from merchants.models import CarrierAgreement, KlarnaCredential
from tests.factories import CarrierAgreementFactory, KlarnaCredentialFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        (value,) = cursor.fetchone()
    return value


def _raw_key(credential: KlarnaCredential) -> str:
    return _raw("merchants_klarnacredential", "key", credential.pk)


def test_text_field_round_trips_and_is_not_stored_in_clear() -> None:
    credential = KlarnaCredentialFactory.create(key="plain-klarna-key")

    reloaded = KlarnaCredential.objects.get(pk=credential.pk)

    assert reloaded.key == "plain-klarna-key"
    stored = _raw_key(credential)
    assert stored
    assert "plain-klarna-key" not in stored


def test_text_field_stores_an_empty_value_as_empty() -> None:
    credential = KlarnaCredentialFactory.create()

    reloaded = KlarnaCredential.objects.get(pk=credential.pk)

    assert reloaded.previous_key == ""
    assert _raw("merchants_klarnacredential", "previous_key", credential.pk) == ""


def test_json_field_round_trips_and_is_not_stored_in_clear() -> None:
    agreement = CarrierAgreementFactory.create(
        credentials={"api_key": "pn-secret-123", "customer": {"id": 42}}
    )

    reloaded = CarrierAgreement.objects.get(pk=agreement.pk)

    assert reloaded.credentials == {"api_key": "pn-secret-123", "customer": {"id": 42}}
    stored = _raw("merchants_carrieragreement", "credentials", agreement.pk)
    assert "pn-secret-123" not in stored
    assert "api_key" not in stored


def test_json_field_without_credentials_reads_as_an_empty_object() -> None:
    agreement = CarrierAgreementFactory.create()

    assert CarrierAgreement.objects.get(pk=agreement.pk).credentials == {}


def test_each_write_gets_a_fresh_token() -> None:
    first = KlarnaCredentialFactory.create(key="same-key")
    second = KlarnaCredentialFactory.create(key="same-key")

    assert _raw_key(first) != _raw_key(second)


def test_a_prepended_key_encrypts_and_old_rows_still_decrypt(settings: Settings) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    credential = KlarnaCredentialFactory.create(key="written-with-old-key")
    new_key = Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    assert KlarnaCredential.objects.get(pk=credential.pk).key == "written-with-old-key"
    fresh = KlarnaCredentialFactory.create(key="written-with-new-key")
    token = _raw_key(fresh).encode()
    assert Fernet(new_key.encode()).decrypt(token) == b"written-with-new-key"
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(token)


def test_rows_resaved_after_rotation_survive_dropping_the_old_key(
    settings: Settings,
) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    resaved = KlarnaCredentialFactory.create(key="resaved")
    left_behind = KlarnaCredentialFactory.create(key="left-behind")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    row = KlarnaCredential.objects.get(pk=resaved.pk)
    row.save()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    assert KlarnaCredential.objects.get(pk=resaved.pk).key == "resaved"
    with pytest.raises(ImproperlyConfigured):
        KlarnaCredential.objects.get(pk=left_behind.pk)


def test_writing_a_secret_without_keys_is_refused(settings: Settings) -> None:
    merchant = MerchantFactory.create()
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        KlarnaCredentialFactory.create(merchant=merchant, key="nowhere-to-go")

    assert not KlarnaCredential.objects.exists()
