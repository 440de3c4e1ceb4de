"""The agreement form: an active agreement needs its required credentials, non-secret values
(logins, client URLs) are shown and editable, only secrets are masked."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from merchants.models import CarrierAgreement
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .helpers import form_data

pytestmark = pytest.mark.django_db


def _errors(response: object) -> dict[str, list[str]]:
    form = response.context["adminform"].form  # type: ignore[attr-defined]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_an_active_agreement_needs_its_required_credentials(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/carrieragreement/add/?merchant={merchant.pk}&carrier=postnord"
    data = form_data(staff, url, "carrieragreement_form")
    data.update(merchant=str(merchant.pk), carrier="postnord", is_active="on")

    # when
    refused = staff.post(url, data)
    data.pop("is_active")
    inactive = staff.post(url, data)

    # then
    assert refused.status_code == 200
    errors = _errors(refused)
    assert errors["is_active"] == [
        "An active agreement needs every required credential: enter API key (api_key), or "
        "leave it inactive."
    ]
    assert errors["credential_api_key"] == ["Required while the agreement is active."]
    assert inactive.status_code == 302, _errors(inactive)
    assert CarrierAgreement.objects.get(merchant=merchant).is_active is False


def test_non_secret_values_are_shown_and_only_secrets_masked(staff: Client) -> None:
    # given
    agreement = CarrierAgreementFactory.create(
        carrier="bring",
        credentials={
            "api_uid": "shop@example.com",
            "api_key": "s3cret-key",
            "client_url": "https://shop.example",
        },
    )
    url = f"/admin/merchants/carrieragreement/{agreement.pk}/change/"

    # when
    page = staff.get(url).content.decode()
    data = form_data(staff, url, "carrieragreement_form")
    data["credential_client_url"] = "https://shop.example/se"
    saved = staff.post(url, data)

    # then
    assert 'value="shop@example.com"' in page
    assert 'value="https://shop.example"' in page
    assert "s3cret-key" not in page
    assert data["credential_api_key"] == ""
    assert saved.status_code == 302, _errors(saved)
    agreement.refresh_from_db()
    assert agreement.credentials == {
        "api_uid": "shop@example.com",
        "api_key": "s3cret-key",
        "client_url": "https://shop.example/se",
    }


def test_emptying_a_required_shown_value_of_an_active_agreement_is_refused(
    staff: Client,
) -> None:
    # given
    agreement = CarrierAgreementFactory.create(
        carrier="bring",
        is_active=True,
        credentials={
            "api_uid": "shop@example.com",
            "api_key": "s3cret-key",
            "client_url": "https://shop.example",
        },
    )
    url = f"/admin/merchants/carrieragreement/{agreement.pk}/change/"
    data = form_data(staff, url, "carrieragreement_form")
    data["credential_api_uid"] = ""

    # when
    response = staff.post(url, data)

    # then
    assert response.status_code == 200
    assert _errors(response)["credential_api_uid"] == ["Required while the agreement is active."]
    agreement.refresh_from_db()
    assert agreement.credentials["api_uid"] == "shop@example.com"


def test_the_add_page_knows_each_carriers_credential_keys(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()

    # when
    page = staff.get(f"/admin/merchants/carrieragreement/add/?merchant={merchant.pk}")

    # then: agreement_form.js hides the keys the chosen carrier does not use
    form = page.context["adminform"].form
    keys = json.loads(form.fields["carrier"].widget.attrs["data-credential-keys"])
    assert keys["bring"] == ["api_key", "api_uid", "client_url"]
    assert "origin_postal_code" not in keys["bring"]
    html = page.content.decode()
    assert "merchants/agreement_form.js" in html
    assert "data-credential-keys=" in html
    assert 'class="form-row field-credential_client_url"' in html
