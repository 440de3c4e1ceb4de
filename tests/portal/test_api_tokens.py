"""The API tokens page: shop staff issue a merchant API token (shown once, only its hash kept)
and revoke it; another shop's tokens are neither shown nor revocable."""

from __future__ import annotations

import hashlib
import html as html_text
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from merchants.audit import AuditAction
from merchants.models import AuditLog, Merchant, MerchantApiToken
from merchants.services import merchant_api_token_issue

pytestmark = pytest.mark.django_db

PAGE = "/portal/api-tokens/"
TOKEN = re.compile(r"tms_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def revoke_url(api_token: MerchantApiToken) -> str:
    return reverse("portal:api_token_revoke", kwargs={"token_id": api_token.pk})


def test_the_page_is_linked_and_lists_only_the_shops_tokens(
    client_a: Client, shop_a: Merchant, shop_b: Merchant, user_a: User
) -> None:
    mine, _ = merchant_api_token_issue(merchant=shop_a, name="order system", actor=user_a)
    theirs, _ = merchant_api_token_issue(merchant=shop_b, name="their erp", actor=None)

    response = client_a.get(PAGE)

    assert reverse("portal:api_tokens") == PAGE
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{PAGE}" aria-current="page">API tokens</a>' in html
    assert "order system" in html
    assert f"<code>{mine.prefix}…</code>" in html
    assert "anna" in html  # created by
    assert "their erp" not in html
    assert theirs.prefix not in html
    assert f'action="{revoke_url(mine)}"' in html
    assert TOKEN.search(html) is None


def test_the_page_needs_a_signed_in_shop_user(client: Client) -> None:
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={PAGE}"


def test_issuing_shows_the_token_once_and_stores_only_its_hash(
    client_a: Client, shop_a: Merchant, user_a: User
) -> None:
    response = client_a.post(PAGE, {"name": "order system"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    shown = TOKEN.findall(html)
    assert len(set(shown)) == 1
    token = shown[0]
    api_token = MerchantApiToken.objects.get(merchant=shop_a)
    assert api_token.name == "order system"
    assert api_token.prefix == token[:12]
    assert api_token.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert api_token.created_by == user_a
    assert (api_token.last_used_at, api_token.revoked_at) == (None, None)
    assert "it is shown only this once" in html
    # Nothing holds the token itself: not the row, not the audit.
    secret = token.split("_", 2)[2]
    assert not MerchantApiToken.objects.filter(token_hash__contains=secret).exists()
    assert list(AuditLog.objects.values_list("action", "changes")) == [
        (
            AuditAction.API_TOKEN_ISSUE,
            {"name": [None, "order system"], "prefix": [None, token[:12]]},
        )
    ]

    # Shown never again: the page lists its prefix only.
    again = client_a.get(PAGE).content.decode()
    assert token not in again and secret not in again
    assert f"<code>{token[:12]}…</code>" in again

    # And it works.
    api = Client().get("/api/v1/shipments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    assert api.json()["count"] == 0


def test_the_curl_example_confirms_with_the_new_token(client_a: Client) -> None:
    html = client_a.post(PAGE, {"name": "order system"}).content.decode()

    token = TOKEN.findall(html)[0]
    curl = re.search(r'<pre id="issued-curl">(.*?)</pre>', html, re.S)
    assert curl is not None
    assert html_text.unescape(curl.group(1)) == (
        'curl -X POST "http://testserver/api/v1/orders/KLARNA_ORDER_ID/confirm" \\\n'
        f'  -H "Authorization: Bearer {token}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{"merchant_reference": "10042"}\''
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_and_nothing_is_issued_without_one(
    client_a: Client, name: str
) -> None:
    response = client_a.post(PAGE, {"name": name})

    assert response.status_code == 400
    assert TOKEN.search(response.content.decode()) is None
    assert MerchantApiToken.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_revoking_stops_the_token_and_is_audited(
    client_a: Client, shop_a: Merchant, user_a: User
) -> None:
    api_token, token = merchant_api_token_issue(merchant=shop_a, name="old erp", actor=user_a)

    response = client_a.post(revoke_url(api_token))

    assert response.status_code == 302
    assert response["Location"] == PAGE
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert api_token.revoked_by == user_a
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == [
        AuditAction.API_TOKEN_ISSUE,
        AuditAction.API_TOKEN_REVOKE,
    ]
    page = client_a.get(PAGE).content.decode()
    assert "is revoked: calls with it are refused." in page
    assert f'action="{revoke_url(api_token)}"' not in page
    api = Client().get("/api/v1/shipments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 401
    assert api.json()["code"] == "authentication_failed"


def test_revoking_twice_changes_nothing_the_second_time(
    client_a: Client, shop_a: Merchant, user_a: User
) -> None:
    api_token, _ = merchant_api_token_issue(merchant=shop_a, name="old erp", actor=user_a)
    client_a.post(revoke_url(api_token))
    api_token.refresh_from_db()
    revoked_at = api_token.revoked_at

    response = client_a.post(revoke_url(api_token))

    assert response.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked_at == revoked_at
    assert AuditLog.objects.filter(action=AuditAction.API_TOKEN_REVOKE).count() == 1


def test_another_shops_token_is_404_and_stays_live(client_a: Client, shop_b: Merchant) -> None:
    theirs, token = merchant_api_token_issue(merchant=shop_b, name="their erp", actor=None)
    audits = AuditLog.objects.count()

    response = client_a.post(revoke_url(theirs))
    unknown = client_a.post(reverse("portal:api_token_revoke", kwargs={"token_id": 999_999}))

    assert response.status_code == unknown.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.revoked_at, theirs.revoked_by) == (None, None)
    assert AuditLog.objects.count() == audits
    api = Client().get("/api/v1/shipments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200


def test_revoking_needs_a_post_with_the_csrf_token(user_a: User, shop_a: Merchant) -> None:
    api_token, _ = merchant_api_token_issue(merchant=shop_a, name="erp", actor=user_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_a)

    by_get = client.get(revoke_url(api_token))
    without_csrf = client.post(revoke_url(api_token))
    issue_without_csrf = client.post(PAGE, {"name": "sneaky"})

    assert by_get.status_code == 405
    assert without_csrf.status_code == issue_without_csrf.status_code == 403
    api_token.refresh_from_db()
    assert api_token.revoked_at is None
    assert MerchantApiToken.objects.count() == 1
