"""The merchant factories build valid rows that other tests can rely on."""

from __future__ import annotations

import pytest

from merchants.models import Carrier, CarrierAgreement, OptionKind
from tests.factories import (
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    MerchantFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def test_options_of_one_merchant_share_its_agreement_with_the_carrier() -> None:
    merchant = MerchantFactory.create()

    first = DeliveryOptionFactory.create(merchant=merchant)
    second = DeliveryOptionFactory.create(merchant=merchant, carrier_product="19")

    assert first.agreement is not None
    assert first.agreement == second.agreement
    assert first.agreement.merchant == merchant
    assert first.agreement.carrier == "postnord"
    assert CarrierAgreement.objects.filter(merchant=merchant).count() == 1
    first.full_clean()
    second.full_clean()


def test_a_shop_own_option_has_no_agreement_and_takes_stores() -> None:
    store = StoreFactory.create()

    option = DeliveryOptionFactory.create(
        merchant=store.merchant,
        kind=OptionKind.STORE,
        carrier=Carrier.GENERIC,
        carrier_product="",
        stores=[store],
    )

    assert option.agreement is None
    assert list(option.stores.all()) == [store]
    option.full_clean()
    store.full_clean()


def test_an_addon_belongs_to_its_options_merchant() -> None:
    addon = DeliveryOptionAddonFactory.create()

    assert addon.merchant == addon.option.merchant
    addon.full_clean()
