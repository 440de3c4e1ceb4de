"""Klarna credentials in the admin: a key is shown once, on the page that issues it, and
nowhere afterwards; a rotated key keeps the previous one valid for the grace period; a revoked
credential stops working at once. Every step is in the audit log, the key masked."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from merchants.models import AuditLog, KlarnaCredential, Merchant
from merchants.selectors import (
    klarna_credential_accepted_keys,
    klarna_credential_get_by_identifier,
)
from tests.factories import KlarnaCredentialFactory, MerchantFactory

from .helpers import audit_rows, messages_of, post_once

pytestmark = pytest.mark.django_db

KEY_ON_PAGE = re.compile(r'id="ksa-key" type="text" value="([^"]+)"')


def _urls(merchant: Merchant, credential: KlarnaCredential | None = None) -> list[str]:
    urls = [
        "/admin/merchants/merchant/",
        f"/admin/merchants/merchant/{merchant.pk}/change/",
        "/admin/merchants/klarnacredential/",
    ]
    if credential is not None:
        urls.append(f"/admin/merchants/klarnacredential/{credential.pk}/change/")
    return urls


def _key_from(page: str) -> str:
    match = KEY_ON_PAGE.search(page)
    assert match, "no key on the page"
    return match.group(1)


def test_an_issued_key_is_shown_once_and_never_again(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(name="Kaffe AB", slug="kaffe")

    # when
    form = staff.get(f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/")
    issued = post_once(
        staff, f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/", {}, follow=True
    )

    # then: the confirmation page carries the key, and is not to be cached
    assert form.status_code == 200
    assert issued.status_code == 200
    assert "no-store" in issued["Cache-Control"]
    credential = KlarnaCredential.objects.get(merchant=merchant)
    page = issued.content.decode()
    key = _key_from(page)
    assert key == credential.key
    assert credential.identifier.startswith("kaffe-")
    assert credential.identifier in page
    assert "shown on this page only" in page

    # then: no other page shows it, though they show the identifier
    for url in _urls(merchant, credential):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert key not in response.content.decode(), url
        assert credential.identifier in response.content.decode(), url
    change = staff.get(f"/admin/merchants/klarnacredential/{credential.pk}/change/").content
    assert b"set" in change


def test_an_identifier_can_be_chosen_and_a_taken_one_is_refused(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    KlarnaCredentialFactory.create(identifier="taken-id")
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/"

    # when
    refused = post_once(staff, url, {"identifier": "taken-id"})
    chosen = post_once(staff, url, {"identifier": "my-shop-1"}, follow=True)

    # then
    assert refused.status_code == 200
    assert "The identifier &#x27;taken-id&#x27; is already in use." in refused.content.decode()
    assert chosen.status_code == 200
    assert list(merchant.credentials.values_list("identifier", flat=True)) == ["my-shop-1"]


def test_rotating_shows_the_new_key_once_and_the_old_one_works_during_the_grace(
    staff: Client,
) -> None:
    # given
    credential = KlarnaCredentialFactory.create(identifier="shop-rot", key="old-key-123456")
    merchant = credential.merchant
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/{credential.pk}/rotate/"

    # when
    confirm = staff.get(url)
    rotated = post_once(staff, url, follow=True)

    # then
    assert confirm.status_code == 200
    assert "old-key-123456" not in confirm.content.decode()
    assert rotated.status_code == 200
    new_key = _key_from(rotated.content.decode())
    credential.refresh_from_db()
    assert credential.key == new_key != "old-key-123456"
    now = timezone.now()
    assert klarna_credential_accepted_keys(credential=credential, now=now) == [
        new_key,
        "old-key-123456",
    ]
    after_grace = now + settings.KSA_KEY_ROTATION_GRACE + dt.timedelta(seconds=1)
    assert klarna_credential_accepted_keys(credential=credential, now=after_grace) == [new_key]
    for page in _urls(merchant, credential):
        content = staff.get(page).content.decode()
        assert new_key not in content
        assert "old-key-123456" not in content
    assert (
        "rotated at"
        in staff.get(f"/admin/merchants/merchant/{merchant.pk}/change/").content.decode()
    )


def test_revoking_stops_the_credential(staff: Client) -> None:
    # given
    credential = KlarnaCredentialFactory.create(identifier="shop-rev")
    url = f"/admin/merchants/merchant/{credential.merchant_id}/credentials/{credential.pk}/revoke/"

    # when
    confirm = staff.get(url)
    revoked = staff.post(url, follow=True)

    # then
    assert confirm.status_code == 200
    assert revoked.status_code == 200
    assert messages_of(revoked) == [
        "Revoked shop-rev: Klarna's calls with it are refused from now on."
    ]
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert klarna_credential_get_by_identifier(identifier="shop-rev") is None


def test_a_revoked_credential_cannot_be_rotated(staff: Client) -> None:
    # given
    credential = KlarnaCredentialFactory.create(key="kept-key-0001", revoked_at=timezone.now())
    url = f"/admin/merchants/merchant/{credential.merchant_id}/credentials/{credential.pk}/rotate/"

    # when
    response = post_once(staff, url, follow=True)

    # then
    assert "A revoked credential cannot be rotated." in response.content.decode()
    credential.refresh_from_db()
    assert credential.key == "kept-key-0001"
    assert credential.rotated_at is None


def test_a_credential_of_another_merchant_is_not_found(staff: Client) -> None:
    # given
    credential = KlarnaCredentialFactory.create()
    other = MerchantFactory.create()

    # when
    response = staff.post(
        f"/admin/merchants/merchant/{other.pk}/credentials/{credential.pk}/revoke/"
    )

    # then
    assert response.status_code == 404
    credential.refresh_from_db()
    assert credential.revoked_at is None


def test_issue_rotate_and_revoke_are_audited_with_the_key_masked(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    base = f"/admin/merchants/merchant/{merchant.pk}/credentials"

    # when
    issued = post_once(staff, f"{base}/issue/", {"identifier": "audit-me"}, follow=True)
    first_key = _key_from(issued.content.decode())
    credential = KlarnaCredential.objects.get(identifier="audit-me")
    rotated = post_once(staff, f"{base}/{credential.pk}/rotate/", follow=True)
    second_key = _key_from(rotated.content.decode())
    staff.post(f"{base}/{credential.pk}/revoke/")

    # then
    rows = audit_rows(merchant=merchant)
    assert [(action, kind) for action, kind, _ in rows] == [
        ("credential_issue", "KlarnaCredential"),
        ("credential_rotate", "KlarnaCredential"),
        ("credential_revoke", "KlarnaCredential"),
    ]
    issue, rotate, revoke = (changes for _, _, changes in rows)
    assert issue["identifier"] == [None, "audit-me"]
    assert issue["key"] == "(changed)"
    assert rotate["key"] == "(changed)"
    assert rotate["previous_key"] == "(changed)"
    assert set(rotate) == {"key", "previous_key", "previous_key_valid_until", "rotated_at"}
    assert set(revoke) == {"revoked_at", "previous_key", "previous_key_valid_until"}
    assert all(row.actor and row.actor.username == "root" for row in AuditLog.objects.all())
    logged = json.dumps(list(AuditLog.objects.values("changes", "object_repr")))
    assert first_key not in logged
    assert second_key not in logged
