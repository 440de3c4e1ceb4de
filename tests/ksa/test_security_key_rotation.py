"""Security review (issue 13), item 5: a key rotation cuts off the old key's tokens.

A bearer token names the Klarna key that minted it. After the merchant's key is rotated, a
token minted with the old key works only while the old key does (the grace period), not for
its whole hour; a token minted with the new key is not affected. Revocation stays as quick as
before (at once, or within KSA_PRINCIPAL_CACHE_SECONDS when that cache is on).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from merchants.models import KlarnaCredential
from merchants.services import klarna_credential_revoke, klarna_credential_rotate
from tms_gateway.ksa import authentication
from tms_gateway.ksa.authentication import token_issue

from .conftest import Klarna, Shop, session

pytestmark = pytest.mark.django_db

GRACE = dt.timedelta(minutes=10)


@pytest.fixture(autouse=True)
def _fresh_memory() -> Any:
    authentication._tokens.clear()
    authentication._principals.clear()
    yield
    authentication._tokens.clear()
    authentication._principals.clear()


def clock_at(monkeypatch: pytest.MonkeyPatch, seconds_from_now: float) -> None:
    """Move the clock tokens are judged by (their signature's expiry check keeps real time)."""
    at = time.time() + seconds_from_now
    monkeypatch.setattr(authentication, "_now", lambda: at, raising=False)


def options_status(client: Client, token: str) -> int:
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps(session(recipient={"country": "SE"})),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    if response.status_code == 401:
        assert response.content == b""
    return int(response.status_code)


def test_a_token_minted_before_a_rotation_works_during_the_grace_then_not(
    client: Client, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a token minted with the shop's key, then the key rotated with a 10-minute grace
    old_token = Klarna(client, shop).login().token
    new_key = klarna_credential_rotate(credential=shop.credential, grace=GRACE)

    # Then the old token works during the grace
    assert options_status(client, old_token) == 200
    clock_at(monkeypatch, 9 * 60)
    assert options_status(client, old_token) == 200

    # And 11 minutes after the rotation (the token has 49 minutes left) it is refused
    clock_at(monkeypatch, 11 * 60)
    assert options_status(client, old_token) == 401

    # While a token minted with the new key keeps working
    shop.key = new_key
    assert options_status(client, Klarna(client, shop).login().token) == 200


def test_a_token_minted_after_the_rotation_keeps_working_after_the_grace(
    client: Client, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the key rotated, and Klarna logging in with the new key
    new_key = klarna_credential_rotate(credential=shop.credential, grace=GRACE)
    shop.key = new_key
    token = Klarna(client, shop).login().token

    # Then the token works during the grace and after it, for its hour
    assert options_status(client, token) == 200
    clock_at(monkeypatch, 11 * 60)
    assert options_status(client, token) == 200
    clock_at(monkeypatch, 59 * 60)
    assert options_status(client, token) == 200


def test_a_token_minted_with_the_previous_key_during_the_grace_ends_with_it(
    client: Client, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the key rotated, and Klarna (not yet updated) logging in with the old key
    klarna_credential_rotate(credential=shop.credential, grace=GRACE)
    token = Klarna(client, shop).login().token  # shop.key is still the old key

    assert options_status(client, token) == 200
    clock_at(monkeypatch, 11 * 60)
    assert options_status(client, token) == 401


def test_the_grace_ending_is_kept_to_the_second_with_the_token_cache_on(
    client: Client, shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the in-process token cache on for a whole hour
    settings.KSA_PRINCIPAL_CACHE_SECONDS = 3600
    old_token = Klarna(client, shop).login().token
    klarna_credential_rotate(credential=shop.credential, grace=GRACE)
    assert options_status(client, old_token) == 200  # verified during the grace: remembered

    # When the grace has ended
    clock_at(monkeypatch, 11 * 60)

    # Then the remembered token is refused all the same
    assert options_status(client, old_token) == 401


def test_a_second_rotation_cuts_off_the_tokens_of_the_key_before(
    client: Client, shop: Shop
) -> None:
    # Given a token of the first key, and two rotations (the first key is gone entirely)
    first_token = Klarna(client, shop).login().token
    klarna_credential_rotate(credential=shop.credential, grace=dt.timedelta(hours=1))
    shop.credential.refresh_from_db()
    second_key = shop.credential.key
    second_token = token_issue(credential=shop.credential)
    klarna_credential_rotate(credential=shop.credential, grace=dt.timedelta(hours=1))

    # Then the first key's token is refused at once, the second key's works in its grace
    assert options_status(client, first_token) == 401
    assert options_status(client, second_token) == 200
    assert KlarnaCredential.objects.get(pk=shop.credential.pk).previous_key == second_key


def test_a_rotation_with_no_grace_cuts_off_the_old_tokens_at_once(
    client: Client, shop: Shop
) -> None:
    old_token = Klarna(client, shop).login().token
    klarna_credential_rotate(credential=shop.credential, grace=dt.timedelta(0))

    assert options_status(client, old_token) == 401


def test_revocation_still_refuses_every_token_at_once(client: Client, shop: Shop) -> None:
    token = Klarna(client, shop).login().token
    new_key = klarna_credential_rotate(credential=shop.credential, grace=GRACE)
    shop.key = new_key
    new_token = Klarna(client, shop).login().token

    klarna_credential_revoke(credential=shop.credential)

    assert options_status(client, token) == 401
    assert options_status(client, new_token) == 401


def test_the_token_names_its_key_without_revealing_it(client: Client, shop: Shop) -> None:
    token = Klarna(client, shop).login().token
    claims = jwt.decode(token, options={"verify_signature": False})

    assert set(claims) == {"iss", "aud", "sub", "cid", "kfp", "iat", "exp", "jti"}
    assert len(claims["kfp"]) == 32
    assert "key-a" not in token
    assert claims["kfp"] == authentication.key_fingerprint(
        key="key-a", secret="test-signing-secret-two-0123456789ab"
    )


def legacy_token(shop: Shop, *, minted: dt.datetime) -> str:
    """A token as minted before tokens named their key (no ``kfp``)."""
    return jwt.encode(
        {
            "iss": "tms-gateway",
            "aud": "ksa",
            "sub": str(shop.merchant.public_id),
            "cid": shop.credential.pk,
            "iat": int(minted.timestamp()),
            "exp": int((minted + dt.timedelta(hours=1)).timestamp()),
            "jti": "legacy",
        },
        "test-signing-secret-two-0123456789ab",
        algorithm="HS256",
        headers={"kid": "t2"},
    )


def test_a_token_from_before_the_release_is_judged_by_when_it_was_minted(
    client: Client, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = timezone.now()
    before_rotation = legacy_token(shop, minted=now - dt.timedelta(minutes=5))
    assert options_status(client, before_rotation) == 200  # never rotated: as before

    # Given a rotation 2 minutes ago (its grace ends in 8), and a token minted 1 minute ago
    klarna_credential_rotate(
        credential=shop.credential, grace=GRACE, now=now - dt.timedelta(minutes=2)
    )
    after_rotation = legacy_token(shop, minted=now - dt.timedelta(minutes=1))
    assert options_status(client, before_rotation) == 200  # in the grace
    assert options_status(client, after_rotation) == 200

    clock_at(monkeypatch, 9 * 60)
    assert options_status(client, before_rotation) == 401
    assert options_status(client, after_rotation) == 200
