"""Factories for tenant data: one merchant, its credential, agreements, stores and options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from merchants.models import (
    AddonType,
    Carrier,
    CarrierAgreement,
    DeliveryOption,
    DeliveryOptionAddon,
    KlarnaCredential,
    Merchant,
    OptionKind,
    Store,
)


class MerchantFactory(DjangoModelFactory[Merchant]):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    sender_name = factory.SelfAttribute("name")
    sender_street_address = "Lagergatan 1"
    sender_postal_code = "11122"
    sender_city = "Stockholm"
    sender_country = "SE"
    sender_phone = "+46701234567"
    sender_email = "warehouse@example.com"


class KlarnaCredentialFactory(DjangoModelFactory[KlarnaCredential]):
    class Meta:
        model = KlarnaCredential

    merchant = factory.SubFactory(MerchantFactory)
    identifier = factory.Sequence(lambda n: f"ident-{n}")
    key = factory.Sequence(lambda n: f"key-{n}")


class CarrierAgreementFactory(DjangoModelFactory[CarrierAgreement]):
    class Meta:
        model = CarrierAgreement
        # One agreement per merchant and carrier (a unique constraint): options share it.
        django_get_or_create = ("merchant", "carrier")

    merchant = factory.SubFactory(MerchantFactory)
    carrier = "postnord"
    customer_number = factory.Sequence(lambda n: f"{10000000 + n}")
    credentials = factory.LazyFunction(dict)
    test_mode = True


class StoreFactory(DjangoModelFactory[Store]):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    code = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    street_address = "Drottninggatan 50"
    postal_code = "11121"
    city = "Stockholm"
    country = "SE"
    latitude = Decimal("59.333300")
    longitude = Decimal("18.062400")
    opening_hours = factory.LazyFunction(
        lambda: [
            *({"weekday": d, "opens": "10:00", "closes": "19:00"} for d in range(5)),
            {"weekday": 5, "opens": "10:00", "closes": "17:00"},
        ]
    )


class DeliveryOptionFactory(DjangoModelFactory[DeliveryOption]):
    class Meta:
        model = DeliveryOption
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    code = factory.Sequence(lambda n: f"option-{n}")
    kind = OptionKind.HOME
    carrier = "postnord"
    # The merchant's agreement with the option's carrier; none for the shop's own options.
    agreement = factory.Maybe(
        factory.LazyAttribute(lambda o: o.carrier != Carrier.GENERIC),
        yes_declaration=factory.SubFactory(
            CarrierAgreementFactory,
            merchant=factory.SelfAttribute("..merchant"),
            carrier=factory.SelfAttribute("..carrier"),
        ),
        no_declaration=None,
    )
    carrier_product = "17"
    names = factory.LazyFunction(lambda: {"en": "Home delivery", "sv": "Hemleverans"})
    prices = factory.LazyFunction(lambda: {"SEK": 4900, "EUR": 490})
    tax_rate = 2500
    earliest_days = 1
    latest_days = 3
    cutoff = dt.time(14, 0)

    @factory.post_generation
    def stores(self, create: bool, extracted: list[Store] | None, **kwargs: object) -> None:
        if create and extracted:
            self.stores.set(extracted)


class DeliveryOptionAddonFactory(DjangoModelFactory[DeliveryOptionAddon]):
    class Meta:
        model = DeliveryOptionAddon

    option = factory.SubFactory(DeliveryOptionFactory)
    merchant = factory.SelfAttribute("option.merchant")
    code = factory.Sequence(lambda n: f"addon-{n}")
    type = AddonType.SMS
    names = factory.LazyFunction(lambda: {"en": "SMS notification", "sv": "SMS-avisering"})
    prices = factory.LazyFunction(dict)
