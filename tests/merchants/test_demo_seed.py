"""The demo shop: idempotent seeding, full coverage of kinds and markets, the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings

from carriers.registry import get_adapter
from merchants.demo import CURRENCY_BY_COUNTRY, DEMO_SLUG, demo_merchant_seed
from merchants.models import (
    CarrierAgreement,
    DeliveryOption,
    DeliveryOptionAddon,
    KlarnaCredential,
    Merchant,
    OptionKind,
    Store,
)
from merchants.selectors import klarna_credential_get_by_identifier
from merchants.services import klarna_credential_revoke
from tests.factories import KlarnaCredentialFactory
from tms_gateway.common.errors import ApplicationError

pytestmark = pytest.mark.django_db

SEEDED_MODELS = [
    Merchant,
    KlarnaCredential,
    CarrierAgreement,
    Store,
    DeliveryOption,
    DeliveryOptionAddon,
]


def _counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in SEEDED_MODELS}


def test_seeding_twice_leaves_the_same_rows() -> None:
    demo_merchant_seed(identifier="demo", key="demo-key")
    first = _counts()
    first_ids = sorted(DeliveryOption.objects.values_list("id", flat=True))

    demo_merchant_seed(identifier="demo", key="demo-key")

    assert _counts() == first
    assert sorted(DeliveryOption.objects.values_list("id", flat=True)) == first_ids
    assert first == {
        "Merchant": 1,
        "KlarnaCredential": 1,
        "CarrierAgreement": 5,
        "Store": 2,
        "DeliveryOption": 14,
        "DeliveryOptionAddon": 7,
    }


def test_every_option_kind_is_offered() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    kinds = set(merchant.options.values_list("kind", flat=True))

    assert kinds == set(OptionKind.values)


def test_every_seeded_row_is_valid() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    for option in merchant.options.all():
        option.full_clean()
        for addon in option.addons.all():
            addon.full_clean()
    for store in merchant.stores.all():
        store.full_clean()


@pytest.mark.parametrize("country", sorted(CURRENCY_BY_COUNTRY))
def test_each_market_has_home_delivery_and_another_option_in_its_currency(country: str) -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    currency = CURRENCY_BY_COUNTRY[country]

    offered = [
        option
        for option in merchant.options.all()
        if (not option.countries or country in option.countries) and currency in option.prices
    ]

    assert len(offered) >= 2
    # To the door: a carrier's home delivery, or the shop's courier (partner) abroad.
    assert {OptionKind.HOME, OptionKind.OWN} & {option.kind for option in offered}


def test_every_option_has_names_and_descriptions_in_every_shopper_language() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    languages = {"sv", "nb", "da", "fi", "de", "nl", "en"}

    for option in merchant.options.all():
        assert set(option.names) == languages, option.code
        assert set(option.descriptions) == languages, option.code


def test_carrier_options_use_the_merchants_agreement_with_their_carrier() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    for option in merchant.options.select_related("agreement"):
        if option.carrier == "generic":
            assert option.agreement is None
        else:
            assert option.agreement is not None
            assert option.agreement.merchant_id == merchant.pk
            assert option.agreement.carrier == option.carrier
            assert option.agreement.test_mode is True


def test_the_two_stores_are_attached_to_the_store_option() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    option = merchant.options.get(kind=OptionKind.STORE)

    assert sorted(option.stores.values_list("code", flat=True)) == [
        "goteborg-kungsgatan",
        "stockholm-drottninggatan",
    ]
    assert option.carrier == "generic"
    assert option.prices == {"SEK": 0}


def test_the_credential_key_is_encrypted_at_rest() -> None:
    merchant = demo_merchant_seed(identifier="demo-ident", key="s3cret-demo-key")

    credential = klarna_credential_get_by_identifier(identifier="demo-ident")
    assert credential is not None
    assert credential.merchant_id == merchant.pk
    assert credential.key == "s3cret-demo-key"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key FROM merchants_klarnacredential WHERE identifier = %s", ["demo-ident"]
        )
        (stored,) = cursor.fetchone()
    assert stored
    assert "s3cret-demo-key" not in stored


def test_reseeding_with_a_new_key_updates_the_credential_in_place() -> None:
    demo_merchant_seed(identifier="demo", key="old-key")
    credential_id = KlarnaCredential.objects.get().pk

    demo_merchant_seed(identifier="demo", key="new-key")

    credential = KlarnaCredential.objects.get()
    assert credential.pk == credential_id
    assert credential.key == "new-key"
    assert credential.previous_key == ""


def test_reseeding_with_a_new_identifier_renames_the_credential() -> None:
    demo_merchant_seed(identifier="demo", key="demo-key")

    demo_merchant_seed(identifier="demo-2", key="demo-key")

    assert list(KlarnaCredential.objects.values_list("identifier", flat=True)) == ["demo-2"]
    assert klarna_credential_get_by_identifier(identifier="demo") is None


def test_the_command_refuses_when_demo_seeding_is_disabled(settings: Settings) -> None:
    settings.DEMO_SEED_ENABLED = False

    with pytest.raises(CommandError, match="DEMO_SEED_ENABLED"):
        call_command("seed_demo", stdout=StringIO())

    assert not Merchant.objects.exists()


def test_the_command_seeds_with_the_configured_credential(settings: Settings) -> None:
    settings.DEMO_SEED_ENABLED = True
    settings.DEMO_KSA_IDENTIFIER = "demo-from-settings"
    settings.DEMO_KSA_KEY = "key-from-settings"
    out = StringIO()

    call_command("seed_demo", stdout=out)

    merchant = Merchant.objects.get(slug=DEMO_SLUG)
    assert merchant.name == "Demo Shop"
    credential = klarna_credential_get_by_identifier(identifier="demo-from-settings")
    assert credential is not None
    assert credential.key == "key-from-settings"
    output = out.getvalue()
    assert "demo-from-settings" in output
    assert "14 delivery options" in output
    assert "key-from-settings" not in output


def test_seeding_refuses_an_identifier_of_another_merchant() -> None:
    KlarnaCredentialFactory.create(identifier="demo", key="not-the-demo")

    with pytest.raises(ApplicationError) as excinfo:
        demo_merchant_seed(identifier="demo", key="demo-key")

    assert excinfo.value.code == "identifier_taken"
    assert not Merchant.objects.filter(slug=DEMO_SLUG).exists()


def test_reseeding_reinstates_a_revoked_demo_credential() -> None:
    demo_merchant_seed(identifier="demo", key="demo-key")
    klarna_credential_revoke(credential=KlarnaCredential.objects.get())

    demo_merchant_seed(identifier="demo", key="demo-key")

    credential = klarna_credential_get_by_identifier(identifier="demo")
    assert credential is not None
    assert credential.key == "demo-key"


def test_every_carrier_option_uses_a_product_its_adapter_knows() -> None:
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")

    for option in merchant.options.exclude(carrier="generic"):
        adapter = get_adapter(option.carrier)
        assert option.carrier_product in adapter.products, option.code
        assert set(option.countries) <= set(getattr(adapter, "countries", option.countries))


def test_the_command_seeds_a_staff_user_and_a_shop_user_for_make_run(settings: Settings) -> None:
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User

    from merchants.models import MerchantUser

    settings.DEMO_SEED_ENABLED = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    staff = authenticate(
        username=settings.DEMO_STAFF_USERNAME, password=settings.DEMO_STAFF_PASSWORD
    )
    shop = authenticate(username=settings.DEMO_SHOP_EMAIL, password=settings.DEMO_SHOP_PASSWORD)
    assert staff is not None and staff.is_staff and staff.is_superuser
    assert shop is not None and not shop.is_staff
    assert MerchantUser.objects.get(user=shop).merchant.slug == "demo"
    assert User.objects.count() == 2
