"""What partner staff save in the admin reaches Klarna's next question at once, whatever it is:
the shop's kept answers are dropped once the change is committed (an option's save was tested
with the portal's in tests/portal/test_portal_options.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from merchants.models import Store
from tests.ksa.conftest import Klarna, session, shop_create
from tms_gateway.checkout.services import _configuration

from .helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def klarna(settings: Any) -> Iterator[Klarna]:
    """The answer and configuration caches on, as in production."""
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 60
    settings.CHECKOUT_CONFIG_CACHE_SECONDS = 60
    _configuration.clear()
    yield Klarna(Client(), shop_create(identifier="admin-shop", key="admin-key")).login()
    _configuration.clear()


def offered(klarna: Klarna, body: dict[str, Any]) -> list[str]:
    return [o["id"] for o in klarna.options(dict(body, session_id=str(uuid.uuid4())))]


def test_a_store_closed_in_the_admin_is_no_longer_offered(
    klarna: Klarna, staff: Client, django_capture_on_commit_callbacks: Any
) -> None:
    body = session()
    assert "store" in offered(klarna, body)
    store = Store.objects.get(merchant=klarna.shop.merchant, code="sthlm")
    # the answer is kept: a change behind the admin's back does not show (yet)
    Store.objects.filter(pk=store.pk).update(is_active=False)
    assert "store" in offered(klarna, body)
    Store.objects.filter(pk=store.pk).update(is_active=True)

    url = f"/admin/merchants/store/{store.pk}/change/"
    data = form_data(staff, url, "store_form")
    data.pop("is_active", None)  # unticked
    with django_capture_on_commit_callbacks(execute=True) as committed:
        response = staff.post(url, data)

    assert response.status_code == 302
    assert committed
    assert "store" not in offered(klarna, body)


def test_a_store_deleted_in_the_admin_is_no_longer_offered(
    klarna: Klarna, staff: Client, django_capture_on_commit_callbacks: Any
) -> None:
    body = session()
    assert "store" in offered(klarna, body)
    store = Store.objects.get(merchant=klarna.shop.merchant, code="sthlm")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/admin/merchants/store/{store.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert "store" not in offered(klarna, body)
