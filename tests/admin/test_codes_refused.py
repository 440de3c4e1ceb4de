"""Codes typed into the merchant and agreement forms are refused on their field when unknown:
the shop's default language (a language CLDR knows, as on the option form) and a country a
carrier is sent (PostNord's origin_country), which is stored upper-case. Nothing is saved."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import CarrierAgreement, Merchant
from tests.factories import MerchantFactory

from .helpers import form_data

pytestmark = pytest.mark.django_db

MERCHANT_ADD = "/admin/merchants/merchant/add/"


def _errors(response: object) -> dict[str, list[str]]:
    form = response.context["adminform"].form  # type: ignore[attr-defined]
    return {name: list(errors) for name, errors in form.errors.items()}


@pytest.mark.parametrize("locale", ["xx", "svenska", "sv-XX1", "SV"])
def test_an_unknown_default_language_is_refused(staff: Client, locale: str) -> None:
    data = form_data(staff, MERCHANT_ADD, "merchant_form")
    data.update(name="Ny Butik", slug="ny-butik", default_locale=locale)

    refused = staff.post(MERCHANT_ADD, data)

    assert refused.status_code == 200
    assert _errors(refused) == {
        "default_locale": [f"{locale!r} is not a known language code (e.g. sv, sv-SE, en)."]
    }
    assert not Merchant.objects.filter(slug="ny-butik").exists()


@pytest.mark.parametrize("locale", ["sv", "sv-SE", "nb", "en"])
def test_a_known_default_language_is_kept(staff: Client, locale: str) -> None:
    data = form_data(staff, MERCHANT_ADD, "merchant_form")
    data.update(name="Ny Butik", slug="ny-butik", default_locale=locale)

    assert staff.post(MERCHANT_ADD, data).status_code == 302
    assert Merchant.objects.get(slug="ny-butik").default_locale == locale


def test_an_unknown_origin_country_is_refused_and_a_known_one_kept_upper_case(
    staff: Client,
) -> None:
    # given
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/carrieragreement/add/?merchant={merchant.pk}&carrier=postnord"
    data = form_data(staff, url, "carrieragreement_form")
    data.update(
        merchant=str(merchant.pk),
        carrier="postnord",
        credential_api_key="pn-key",
        credential_origin_country="XX",
    )

    # when
    refused = staff.post(url, data)
    data.update(credential_origin_country="se")
    kept = staff.post(url, data)

    # then
    assert refused.status_code == 200
    assert _errors(refused) == {
        "credential_origin_country": ["'XX' is not a country code (e.g. SE, NO)."]
    }
    assert kept.status_code == 302, _errors(kept)
    agreement = CarrierAgreement.objects.get(merchant=merchant)
    assert agreement.credentials["origin_country"] == "SE"
