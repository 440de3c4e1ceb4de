"""Hashing, key rotation, retention and erasure of remembered choices (services, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from merchants.audit import AuditAction
from merchants.models import AuditLog, Merchant
from tests.factories import MerchantFactory
from tms_gateway.checkout.types import OfferedOption, Recipient, Session
from tms_gateway.shoppers.identity import email_normalize, hash_keys, phone_normalize
from tms_gateway.shoppers.models import RememberedChoice
from tms_gateway.shoppers.services import (
    NoShopperGiven,
    choice_apply,
    choice_remember,
    remembered_choices_forget_expired,
    shopper_forget,
)
from tms_gateway.shoppers.tasks import remembered_choices_forget_expired as forget_task

pytestmark = pytest.mark.django_db

OLD_KEY = "s0:old-shopper-hash-secret-abcdefghijklmnop"
NEW_KEY = "s1:new-shopper-hash-secret-qrstuvwxyz012345"
RECIPIENT = {"email": "ann@example.com", "phone": "+46701234567", "country": "SE"}


def _shop(**fields: Any) -> Merchant:
    return MerchantFactory.create(remember_choices=True, **fields)


def _session(email: str = "ann@example.com", phone: str = "") -> Session:
    return Session(
        currency="SEK",
        locale="sv-SE",
        recipient=Recipient(email=email, phone=phone),
    )


def _options(*ids: str) -> tuple[OfferedOption, ...]:
    from carriers.types import DeliveryEstimate

    return tuple(
        OfferedOption(
            option_pk=n,
            id=code,
            kind="home",
            carrier="generic",
            carrier_product="",
            carrier_product_name="",
            service_class="",
            name=code,
            description="",
            price=0,
            tax_rate=2500,
            delivery=DeliveryEstimate(),
            preselected=n == 0,
        )
        for n, code in enumerate(ids)
    )


def test_identities_are_normalised() -> None:
    assert email_normalize("  Ann@Example.COM ") == "ann@example.com"
    assert email_normalize("no address") == ""
    assert phone_normalize(phone="070-123 45 67", country="SE") == "+46701234567"
    assert phone_normalize(phone="040 123 456", country="FI") == "+35840123456"
    assert phone_normalize(phone="12", country="SE") == ""


def test_a_lookup_finds_a_choice_under_an_old_key_and_rewrites_it_under_the_new(
    settings: Any,
) -> None:
    shop = _shop()
    settings.SHOPPER_HASH_KEYS = [OLD_KEY]
    choice_remember(merchant=shop, recipient=RECIPIENT, option_id="b")
    old_hashes = set(RememberedChoice.objects.values_list("identity_hash", flat=True))
    assert set(RememberedChoice.objects.values_list("key_id", flat=True)) == {"s0"}

    # when: a new key is put first
    settings.SHOPPER_HASH_KEYS = [NEW_KEY, OLD_KEY]
    assert hash_keys()[0].kid == "s1"
    options, remembered = choice_apply(
        merchant=shop, session=_session(), options=_options("a", "b")
    )

    # then
    assert remembered is not None and remembered.option_id == "b"
    assert [o.id for o in options if o.preselected] == ["b"]
    email_row = RememberedChoice.objects.get(identity_kind="email")
    assert email_row.key_id == "s1"
    assert email_row.identity_hash not in old_hashes
    # and once the old key is gone, the rewritten row is still found
    settings.SHOPPER_HASH_KEYS = [NEW_KEY]
    _, again = choice_apply(merchant=shop, session=_session(), options=_options("a", "b"))
    assert again is not None and again.option_id == "b"


def test_a_remembered_choice_is_written_under_the_newest_key_only(settings: Any) -> None:
    shop = _shop()
    settings.SHOPPER_HASH_KEYS = [OLD_KEY]
    choice_remember(merchant=shop, recipient=RECIPIENT, option_id="a")
    settings.SHOPPER_HASH_KEYS = [NEW_KEY, OLD_KEY]

    choice_remember(merchant=shop, recipient=RECIPIENT, option_id="b")

    rows = list(RememberedChoice.objects.values_list("identity_kind", "key_id", "option_id"))
    assert sorted(rows) == [("email", "s1", "b"), ("phone", "s1", "b")]


def test_without_keys_nothing_is_remembered(settings: Any) -> None:
    shop = _shop()
    settings.SHOPPER_HASH_KEYS = []

    assert choice_remember(merchant=shop, recipient=RECIPIENT, option_id="a") == 0
    assert RememberedChoice.objects.count() == 0


def test_the_same_shopper_has_unrelated_hashes_at_two_shops() -> None:
    first, second = _shop(), _shop()
    choice_remember(merchant=first, recipient=RECIPIENT, option_id="a")
    choice_remember(merchant=second, recipient=RECIPIENT, option_id="a")

    hashes = {
        shop.pk: set(
            RememberedChoice.objects.filter(merchant=shop).values_list("identity_hash", flat=True)
        )
        for shop in (first, second)
    }
    assert hashes[first.pk].isdisjoint(hashes[second.pk])
    _, remembered = choice_apply(merchant=second, session=_session(), options=_options("z"))
    assert remembered is None  # option "a" is not offered there: the shop's order


def test_retention_forgets_choices_older_than_the_shops_days() -> None:
    now = timezone.now()
    short, default, off = _shop(remember_days=30), _shop(), _shop()
    for shop in (short, default, off):
        choice_remember(
            merchant=shop, recipient=RECIPIENT, option_id="a", now=now - dt.timedelta(days=31)
        )
    Merchant.objects.filter(pk=off.pk).update(remember_choices=False)

    forgotten = forget_task()

    assert forgotten == 4  # e-mail and phone of the 30-day shop and of the shop switched off
    assert set(RememberedChoice.objects.values_list("merchant_id", flat=True)) == {default.pk}
    assert remembered_choices_forget_expired(now=now + dt.timedelta(days=335)) == 2
    assert RememberedChoice.objects.count() == 0


def test_a_choice_past_its_days_is_not_applied_before_the_task_runs() -> None:
    shop = _shop(remember_days=7)
    choice_remember(
        merchant=shop,
        recipient=RECIPIENT,
        option_id="b",
        now=timezone.now() - dt.timedelta(days=8),
    )

    _, remembered = choice_apply(merchant=shop, session=_session(), options=_options("a", "b"))

    assert remembered is None


def test_erasure_by_phone_forgets_the_email_kept_with_it_and_is_audited() -> None:
    shop, other = _shop(), _shop()
    choice_remember(merchant=shop, recipient=RECIPIENT, option_id="a")
    choice_remember(merchant=other, recipient=RECIPIENT, option_id="a")

    forgotten = shopper_forget(merchant=shop, phone="070 123 45 67", country="SE", actor=None)

    assert forgotten == 2
    assert not RememberedChoice.objects.filter(merchant=shop).exists()
    assert RememberedChoice.objects.filter(merchant=other).count() == 2  # another shop's: kept
    log = AuditLog.objects.get(merchant=shop, action=AuditAction.SHOPPER_FORGET)
    assert log.changes == {"identified_by": "Mobile number", "remembered_choices": [2, 0]}
    assert "701234567" not in repr(log.__dict__) and "ann@" not in repr(log.__dict__)


def test_erasure_needs_an_email_or_a_number() -> None:
    shop = _shop()

    with pytest.raises(NoShopperGiven):
        shopper_forget(merchant=shop, email="not an address", actor=None)
    assert not AuditLog.objects.filter(action=AuditAction.SHOPPER_FORGET).exists()


def test_production_refuses_placeholder_or_malformed_shopper_hash_keys() -> None:
    from tms_gateway.settings.secret_checks import secret_problems

    def problems(keys: list[str]) -> list[str]:
        return [
            p
            for p in secret_problems(
                secret_key="Vb3Qn8zK1wR6tY0mX4cJ7hL2pF9sD5gA-eUiOoZaWqErTyHnMkPl",
                field_encryption_keys=[],
                ksa_signing_keys=[],
                shopper_hash_keys=keys,
            )
            if "SHOPPER_HASH_KEYS" in p
        ]

    assert problems(["s1:Xk4vR9mQ2wZ7tB1nH8jL3pF6sD0gYaCeUiOo"]) == []
    assert problems([]) == []
    for placeholder in (
        "dev1:dev-only-shopper-hash-secret-0123456789",  # settings/local.py's
        "s1:test-secret-shopper-hash-0123456789ab",  # settings/test.py's
        "s2026a:a-long-random-secret",  # .env.example's
        "s1:Kq9z",
        "no-kid-at-all",
    ):
        found = problems(["s1:Xk4vR9mQ2wZ7tB1nH8jL3pF6sD0gYaCeUiOo", placeholder])
        assert len(found) == 1 and found[0].startswith("SHOPPER_HASH_KEYS entry 2"), placeholder
        assert placeholder.partition(":")[2] not in found[0] or not placeholder.partition(":")[2]


def test_beat_runs_the_retention_task(settings: Any) -> None:
    from tms_gateway.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "tms_gateway.shoppers.tasks.remembered_choices_forget_expired" in tasks
    app.loader.import_default_modules()
    assert "tms_gateway.shoppers.tasks.remembered_choices_forget_expired" in app.tasks
