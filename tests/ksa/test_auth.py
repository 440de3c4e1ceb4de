"""POST /ksa/v1/auth and the bearer token it yields."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from merchants.services import klarna_credential_revoke, klarna_credential_rotate
from tests.factories import KlarnaCredentialFactory, MerchantFactory
from tms_gateway.ksa.authentication import token_issue

from .conftest import AUTH_TYPE, Klarna, Shop, digest, session

pytestmark = pytest.mark.django_db


def auth(client: Client, body: object, content_type: str = AUTH_TYPE) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/ksa/v1/auth", data=data, content_type=content_type)


def test_contract_worked_example_authenticates(client: Client) -> None:
    # Given the credential of the contract's worked example (§3.1)
    KlarnaCredentialFactory(identifier="sweMerch123", key="smOOOth")

    # When Klarna sends the example's nonce and upper-case digest
    response = auth(
        client,
        {
            "identifier": "sweMerch123",
            "secret": {
                "nonce": "lRFUpqW7Xd",
                "digest": "8C3891B3162DB3AB61A9B2DA74E6A479553ABA897894E5236ED290C11A0B832B",
            },
        },
    )

    # Then a token is created, in Klarna's media type
    assert response.status_code == 201
    assert response["Content-Type"] == AUTH_TYPE
    assert set(response.json()) == {"token"}


def test_lower_case_digest_is_accepted(client: Client, shop: Shop) -> None:
    body = {"identifier": "shop-a", "secret": {"nonce": "n1", "digest": digest("n1", "key-a")}}
    assert auth(client, body).status_code == 201


def test_json_media_type_is_answered_with_json(client: Client, shop: Shop) -> None:
    body = {"identifier": "shop-a", "secret": {"nonce": "n1", "digest": digest("n1", "key-a")}}
    response = auth(client, body, content_type="application/json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "identifier, key",
    [("shop-a", "wrong-key"), ("unknown-identifier", "key-a")],
)
def test_wrong_key_or_unknown_identifier_is_401_with_empty_body(
    client: Client, shop: Shop, identifier: str, key: str
) -> None:
    body = {"identifier": identifier, "secret": {"nonce": "n1", "digest": digest("n1", key)}}
    response = auth(client, body)
    assert response.status_code == 401
    assert response.content == b""


def test_nonce_reused_within_window_is_refused(client: Client, shop: Shop) -> None:
    body = {"identifier": "shop-a", "secret": {"nonce": "once", "digest": digest("once", "key-a")}}
    assert auth(client, body).status_code == 201
    second = auth(client, body)
    assert second.status_code == 401
    assert second.content == b""


def test_failed_auth_does_not_use_up_the_nonce(client: Client, shop: Shop) -> None:
    wrong = {"identifier": "shop-a", "secret": {"nonce": "n", "digest": digest("n", "nope")}}
    right = {"identifier": "shop-a", "secret": {"nonce": "n", "digest": digest("n", "key-a")}}
    assert auth(client, wrong).status_code == 401
    assert auth(client, right).status_code == 201


def test_same_nonce_for_two_merchants_is_fine(client: Client, shop: Shop, other_shop: Shop) -> None:
    a = {"identifier": "shop-a", "secret": {"nonce": "n", "digest": digest("n", "key-a")}}
    b = {"identifier": "shop-b", "secret": {"nonce": "n", "digest": digest("n", "key-b")}}
    assert auth(client, a).status_code == 201
    assert auth(client, b).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"secret": {"nonce": "n", "digest": "d"}}, "identifier"),
        ({"identifier": "shop-a"}, "secret"),
        ({"identifier": "shop-a", "secret": {"digest": "d"}}, "secret.nonce"),
        ({"identifier": 12, "secret": {"nonce": "n", "digest": "d"}}, "identifier"),
        ({"identifier": "shop-a", "secret": "xyz"}, "secret"),
    ],
)
def test_malformed_auth_is_400_naming_the_field(
    client: Client, shop: Shop, body: dict[str, object], field: str
) -> None:
    response = auth(client, body)
    assert response.status_code == 400
    assert response.json()["failure_reason"] == "malformed_request"
    assert response.json()["message"].startswith(f"{field}:")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_body_that_is_not_a_json_object_is_400(client: Client, raw: str) -> None:
    response = auth(client, raw)
    assert response.status_code == 400
    assert response.json()["failure_reason"] == "malformed_request"


def test_token_is_a_jwt_bound_to_the_merchant_for_one_hour(client: Client, shop: Shop) -> None:
    token = Klarna(client, shop).login().token

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert header["kid"] == "t2"  # the first of KSA_SIGNING_KEYS signs
    assert claims["sub"] == str(shop.merchant.public_id)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


def test_token_signed_with_an_older_listed_key_still_verifies(client: Client, shop: Shop) -> None:
    token = jwt.encode(
        {
            "iss": "tms-gateway",
            "aud": "ksa",
            "sub": str(shop.merchant.public_id),
            "cid": shop.credential.pk,
            "iat": int(timezone.now().timestamp()),
            "exp": int(timezone.now().timestamp()) + 600,
        },
        "test-signing-secret-one-0123456789ab",
        algorithm="HS256",
        headers={"kid": "t1"},
    )
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps(session(recipient={"country": "SE"})),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "make_header",
    [
        lambda token: "",
        lambda token: f"Basic {token}",
        lambda token: "Bearer not-a-jwt",
        lambda token: f"Bearer {token[:-4]}AAAA",
        lambda token: (
            f"Bearer {jwt.encode({'sub': 'x'}, 'a-guessed-secret-of-thirty-two-bytes!', algorithm='HS256', headers={'kid': 't2'})}"
        ),
    ],
)
def test_missing_or_invalid_token_is_401_with_empty_body(
    client: Client, shop: Shop, make_header: object
) -> None:
    token = Klarna(client, shop).login().token
    header = make_header(token)  # type: ignore[operator]
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps(session()),
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 401
    assert response.content == b""


def test_expired_token_is_401(client: Client, shop: Shop) -> None:
    token = token_issue(
        credential=shop.credential, now=timezone.now() - dt.timedelta(hours=1, seconds=1)
    )
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps(session()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 401
    assert response.content == b""


def test_revoked_credential_refuses_auth_and_its_tokens(client: Client, shop: Shop) -> None:
    klarna = Klarna(client, shop).login()
    klarna_credential_revoke(credential=shop.credential)

    assert klarna.post("shippingoptions", session()).status_code == 401
    assert klarna.auth().status_code == 401


def test_rotated_key_keeps_the_previous_key_valid_for_the_grace_period(
    client: Client, shop: Shop
) -> None:
    klarna = Klarna(client, shop)
    new_key = klarna_credential_rotate(credential=shop.credential, grace=dt.timedelta(hours=1))

    assert klarna.auth(key="key-a").status_code == 201
    assert klarna.auth(key=new_key).status_code == 201


def test_previous_key_is_refused_after_the_grace_period(client: Client, shop: Shop) -> None:
    klarna = Klarna(client, shop)
    new_key = klarna_credential_rotate(
        credential=shop.credential,
        grace=dt.timedelta(hours=1),
        now=timezone.now() - dt.timedelta(hours=2),
    )

    assert klarna.auth(key="key-a").status_code == 401
    assert klarna.auth(key=new_key).status_code == 201


def test_inactive_merchant_cannot_authenticate(client: Client) -> None:
    merchant = MerchantFactory(is_active=False)
    KlarnaCredentialFactory(merchant=merchant, identifier="off", key="k")
    body = {"identifier": "off", "secret": {"nonce": "n", "digest": digest("n", "k")}}
    assert auth(client, body).status_code == 401


def test_oversize_body_is_413_before_authentication(client: Client) -> None:
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps({"currency": "SEK", "locale": "sv-SE", "pad": "x" * (1024 * 1024)}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["failure_reason"] == "payload_too_large"
