"""Adding a carrier is one package and one settings line.

``tests.carriers.sixth`` declares a carrier that no module of the project names. Registered
in ``CARRIER_ADAPTERS`` it shows up in the admin's agreement form (with its own credential
fields), in "check connection" (with its unverified operations said) and in a Klarna options
answer, with its declared Klarna carrier value and no other change anywhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client

from carriers.registry import declarations, get_adapter, klarna_carrier
from merchants.agreements import carrier_agreement_check
from merchants.models import CarrierAgreement, OptionKind
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
)
from tests.ksa.conftest import Klarna, Shop, session

SIXTH = "tests.carriers.sixth.SixthAdapter"


@pytest.fixture
def sixth(settings: Any) -> None:
    settings.CARRIER_ADAPTERS = [*django_settings.CARRIER_ADAPTERS, SIXTH]


def shop_create(*, identifier: str, key: str) -> Shop:
    """A shop with no option yet: the only carrier it will use is the sixth."""
    merchant = MerchantFactory.create(default_locale="en")
    credential = KlarnaCredentialFactory.create(merchant=merchant, identifier=identifier, key=key)
    return Shop(merchant=merchant, credential=credential, key=key)


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser("partner", "partner@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_without_the_settings_line_the_carrier_is_unknown(db: None) -> None:
    assert "sixth" not in declarations()


@pytest.mark.usefixtures("sixth")
def test_the_registry_reads_its_declaration() -> None:
    assert get_adapter("sixth").name == "Sixth Parcel"
    assert get_adapter("sixth").products == {"SIX-PUP": "Sixth Pickup"}
    assert klarna_carrier("sixth", "SIX-PUP") == "generic"


@pytest.mark.usefixtures("sixth")
def test_the_admin_agreement_form_offers_it_with_its_own_credential_fields(
    staff: Client,
) -> None:
    page = staff.get("/admin/merchants/carrieragreement/add/?carrier=sixth")

    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="sixth"' in html and "Sixth Parcel" in html
    assert 'name="credential_sixth_token"' in html
    assert 'name="credential_sixth_depot"' in html


@pytest.mark.usefixtures("sixth")
def test_an_agreement_with_it_is_saved_with_its_credentials(staff: Client) -> None:
    shop = shop_create(identifier="shop-six", key="key-six")

    response = staff.post(
        "/admin/merchants/carrieragreement/add/",
        {
            "merchant": shop.merchant.pk,
            "carrier": "sixth",
            "customer_number": "S-1",
            "test_mode": "on",
            "is_active": "on",
            "credential_sixth_token": "tok-123456",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    agreement = CarrierAgreement.objects.get(merchant=shop.merchant, carrier="sixth")
    assert agreement.credentials == {"sixth_token": "tok-123456"}
    page = staff.get(f"/admin/merchants/carrieragreement/{agreement.pk}/change/").content.decode()
    assert "tok-123456" not in page
    assert "service points / lockers" in page  # its unverified operation, said on its page


@pytest.mark.usefixtures("sixth")
def test_check_connection_quotes_its_check_product_and_says_what_is_unverified(
    db: None,
) -> None:
    shop = shop_create(identifier="shop-six", key="key-six")
    agreement = CarrierAgreementFactory.create(
        merchant=shop.merchant, carrier="sixth", credentials={"sixth_token": "tok"}
    )

    result = carrier_agreement_check(agreement=agreement)

    assert result.ok, result.message
    assert "Sixth Parcel OK" in result.message
    assert "Sixth Pickup (SIX-PUP) to SE 11151" in result.message
    assert "1 service points" in result.message
    assert "unverified" in result.caveat and "service points / lockers" in result.caveat


@pytest.mark.usefixtures("sixth")
def test_a_klarna_options_answer_carries_its_option(db: None, client: Client) -> None:
    shop = shop_create(identifier="shop-six", key="key-six")
    agreement = CarrierAgreementFactory.create(merchant=shop.merchant, carrier="sixth")
    DeliveryOptionFactory(
        merchant=shop.merchant,
        code="six-pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier="sixth",
        agreement=agreement,
        carrier_product="SIX-PUP",
        carrier_product_name="Sixth Pickup",
        names={"en": "Sixth pickup"},
        prices={"SEK": 3900},
        countries=["SE"],
        sort_order=1,
    )
    klarna = Klarna(client, shop).login()

    options = klarna.options(session())

    (six,) = [o for o in options if o["id"] == "six-pickup"]
    assert six["carrier"] == "generic"
    assert six["carrier_product"] == {"identifier": "SIX-PUP", "name": "Sixth Pickup"}
    assert [p["id"] for p in six["locations"]] == ["six-12345"]
