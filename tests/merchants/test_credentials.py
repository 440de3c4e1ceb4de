"""Klarna credentials: issue, rotate with a grace period, revoke."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django.fixtures import Settings

from merchants.models import KlarnaCredential
from merchants.selectors import (
    klarna_credential_accepted_keys,
    klarna_credential_get_by_identifier,
)
from merchants.services import (
    klarna_credential_create,
    klarna_credential_revoke,
    klarna_credential_rotate,
)
from tests.factories import KlarnaCredentialFactory, MerchantFactory
from tms_gateway.common.errors import ApplicationError

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
GRACE = dt.timedelta(hours=72)


def test_create_returns_the_plain_key_that_is_stored() -> None:
    merchant = MerchantFactory.create(slug="acme")

    credential, plain_key = klarna_credential_create(merchant=merchant)

    assert len(plain_key) >= 32
    assert credential.identifier.startswith("acme-")
    assert KlarnaCredential.objects.get(pk=credential.pk).key == plain_key
    assert klarna_credential_get_by_identifier(identifier=credential.identifier) == credential


def test_create_takes_a_given_identifier_and_key() -> None:
    merchant = MerchantFactory.create()

    credential, plain_key = klarna_credential_create(
        merchant=merchant, identifier="shop-id", key="given-key"
    )

    assert plain_key == "given-key"
    assert credential.identifier == "shop-id"
    assert KlarnaCredential.objects.get(identifier="shop-id").key == "given-key"


def test_create_refuses_an_identifier_in_use() -> None:
    KlarnaCredentialFactory.create(identifier="taken", key="first-key")
    other = MerchantFactory.create()

    with pytest.raises(ApplicationError) as excinfo:
        klarna_credential_create(merchant=other, identifier="taken", key="second-key")

    assert excinfo.value.code == "identifier_taken"
    assert KlarnaCredential.objects.filter(identifier="taken").count() == 1
    assert not KlarnaCredential.objects.filter(merchant=other).exists()


def test_rotate_keeps_the_previous_key_until_the_grace_ends() -> None:
    credential = KlarnaCredentialFactory.create(key="old-key")

    new_key = klarna_credential_rotate(credential=credential, grace=GRACE, now=T0)

    assert new_key != "old-key"
    assert credential.key == new_key
    assert credential.rotated_at == T0
    assert credential.previous_key_valid_until == T0 + GRACE
    assert klarna_credential_accepted_keys(credential=credential, now=T0) == [new_key, "old-key"]
    assert klarna_credential_accepted_keys(
        credential=credential, now=T0 + GRACE - dt.timedelta(seconds=1)
    ) == [new_key, "old-key"]
    assert klarna_credential_accepted_keys(credential=credential, now=T0 + GRACE) == [new_key]


def test_rotate_uses_the_configured_grace_by_default(settings: Settings) -> None:
    settings.KSA_KEY_ROTATION_GRACE = dt.timedelta(hours=2)
    credential = KlarnaCredentialFactory.create(key="old-key")

    klarna_credential_rotate(credential=credential, key="new-key", now=T0)

    assert credential.previous_key_valid_until == T0 + dt.timedelta(hours=2)
    assert klarna_credential_accepted_keys(credential=credential, now=T0) == [
        "new-key",
        "old-key",
    ]


def test_rotate_refuses_a_revoked_credential() -> None:
    credential = KlarnaCredentialFactory.create(key="old-key")
    klarna_credential_revoke(credential=credential, now=T0)

    with pytest.raises(ApplicationError) as excinfo:
        klarna_credential_rotate(credential=credential, key="new-key", now=T0)

    assert excinfo.value.code == "revoked"
    assert KlarnaCredential.objects.get(pk=credential.pk).key == "old-key"


def test_revoke_makes_the_identifier_unknown() -> None:
    credential = KlarnaCredentialFactory.create(identifier="to-revoke", key="old-key")
    klarna_credential_rotate(credential=credential, key="new-key", grace=GRACE, now=T0)

    klarna_credential_revoke(credential=credential, now=T0)

    assert klarna_credential_get_by_identifier(identifier="to-revoke") is None
    stored = KlarnaCredential.objects.get(pk=credential.pk)
    assert stored.revoked_at == T0
    assert stored.previous_key == ""
    assert stored.previous_key_valid_until is None


def test_an_inactive_merchants_credential_is_not_found() -> None:
    KlarnaCredentialFactory.create(
        identifier="sleeping", merchant=MerchantFactory.create(is_active=False)
    )

    assert klarna_credential_get_by_identifier(identifier="sleeping") is None
