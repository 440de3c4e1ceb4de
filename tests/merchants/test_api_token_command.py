"""``manage.py api_token_issue``: a merchant API token for scripts, printed once."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from merchants.models import Merchant, MerchantApiToken
from merchants.selectors import merchant_api_token_authenticate

pytestmark = pytest.mark.django_db


def _shop() -> Merchant:
    return Merchant.objects.create(name="Shop", slug="shop")


def test_the_command_prints_a_working_token_and_keeps_only_its_hash() -> None:
    shop = _shop()
    out = StringIO()

    call_command("api_token_issue", "--merchant", "shop", "--name", "order system", stdout=out)

    token = out.getvalue().strip()
    stored = MerchantApiToken.objects.get(merchant=shop)
    assert stored.name == "order system"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.prefix + "_")
    found = merchant_api_token_authenticate(token=token)
    assert found is not None and found.pk == stored.pk


def test_an_unknown_shop_is_refused_and_nothing_is_issued() -> None:
    _shop()
    with pytest.raises(CommandError, match="No active shop with the slug 'nope'"):
        call_command("api_token_issue", "--merchant", "nope", "--name", "x", stdout=StringIO())
    assert MerchantApiToken.objects.count() == 0


def test_an_empty_name_is_refused() -> None:
    _shop()
    with pytest.raises(CommandError, match="--name must not be empty"):
        call_command("api_token_issue", "--merchant", "shop", "--name", " ", stdout=StringIO())
    assert MerchantApiToken.objects.count() == 0
