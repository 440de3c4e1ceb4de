"""What the onboarding walk (tests/browser/test_onboarding_walk.py) found the option form asking
for twice: the agreement of a carrier option is the shop's with that carrier unless one is
chosen, and a shop whose default locale is sv-SE is asked for a Swedish name once ("sv", the
language the go-live checklist and the checkout read), not for "sv-SE" and "sv"."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.admin.forms import shop_languages
from merchants.models import DeliveryOption
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .form_rows import set_rows
from .helpers import form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/merchants/deliveryoption/add/"


def _pickup(staff: Client, merchant_id: int, **values: object) -> dict[str, object]:
    data = form_data(staff, f"{ADD}?merchant={merchant_id}", "deliveryoption_form")
    data.update(code="ombud", kind="pickup_point", carrier="postnord", carrier_product="19")
    set_rows(data, "names", {"sv": "Ombud"})
    set_rows(data, "prices", {"SEK": "49"})
    data.update(values)
    return data


def test_a_carrier_option_left_without_agreement_gets_the_shops_with_that_carrier(
    staff: Client,
) -> None:
    # given
    merchant = MerchantFactory.create()
    budbee = CarrierAgreementFactory.create(merchant=merchant, carrier="budbee")
    postnord = CarrierAgreementFactory.create(merchant=merchant, carrier="postnord")
    CarrierAgreementFactory.create(carrier="postnord")  # another shop's

    # when
    response = staff.post(ADD, _pickup(staff, merchant.pk, agreement=""))

    # then
    assert response.status_code == 302
    option = DeliveryOption.objects.get(merchant=merchant)
    assert option.agreement == postnord
    assert option.agreement != budbee


def test_without_an_agreement_with_the_carrier_it_stays_empty_and_own_options_need_none(
    staff: Client,
) -> None:
    merchant = MerchantFactory.create()
    CarrierAgreementFactory.create(merchant=merchant, carrier="budbee")

    staff.post(ADD, _pickup(staff, merchant.pk, agreement=""))
    staff.post(
        ADD,
        _pickup(staff, merchant.pk, code="bud", kind="own", carrier="generic", carrier_product=""),
    )

    options = dict(
        DeliveryOption.objects.filter(merchant=merchant).values_list("code", "agreement")
    )
    assert options == {"ombud": None, "bud": None}


def test_a_regional_default_locale_asks_for_its_language_once() -> None:
    assert shop_languages(MerchantFactory.create(default_locale="sv-SE", sender_country="SE")) == [
        "sv"
    ]
    assert shop_languages(MerchantFactory.create(default_locale="en-GB", sender_country="NO")) == [
        "en",
        "nb",
    ]
    assert shop_languages(MerchantFactory.create(default_locale="no", sender_country="")) == ["nb"]
