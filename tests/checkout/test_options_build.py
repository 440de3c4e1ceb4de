"""options_build: pricing, add-ons, sorting, texts, preview, locations, timeslots and carriers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carriers.static import BudbeeStaticAdapter, PostNordStaticAdapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Coordinates,
    DeliveryEstimate,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    ProductQuery,
    QuoteRequest,
    Timeslot,
)
from merchants.models import AddonType, Carrier, Merchant, OptionKind
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    MerchantFactory,
    StoreFactory,
)
from tms_gateway.checkout.services import CurrencyNotSupported, options_build
from tms_gateway.checkout.types import (
    OfferedAddon,
    OfferedOption,
    Order,
    Recipient,
    Session,
    SkippedOption,
)

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Thursday afternoon: the next business days are Fri 27, Mon 30 Nov, Tue 1, Wed 2, Thu 3 Dec.
THURSDAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
ADDRESS = Address(
    country="SE", postal_code="111 51", city="Stockholm", street_address="Storgatan 1"
)


def _session(
    *,
    currency: str = "SEK",
    locale: str = "sv-SE",
    address: Address = ADDRESS,
    total_amount: int | None = None,
) -> Session:
    return Session(
        currency=currency,
        locale=locale,
        session_id="session-1",
        order=Order(id="order-1", total_amount=total_amount, total_weight_g=1200),
        recipient=Recipient(address=address, phone="+46701234567", customer_type="person"),
    )


def _preview(**overrides: Any) -> Session:
    return _session(address=Address(), **overrides)


def _ids(options: tuple[OfferedOption, ...]) -> list[str]:
    return [o.id for o in options]


def _shop() -> Merchant:
    return MerchantFactory.create(default_locale="en")


def _static_locations(
    adapter: PostNordStaticAdapter, *, code: str, kind: ProductKind, count: int
) -> tuple[Location, ...]:
    quotes = adapter.quote(
        request=QuoteRequest(
            merchant_ref="x",
            agreement=AgreementCredentials(agreement_id=1, customer_number="1"),
            products=(ProductQuery(code=code, kind=kind, wants_locations=True),),
            recipient=ADDRESS,
            parcels=(Parcel(weight_g=1200),),
            currency="SEK",
            now=THURSDAY,
            max_locations=count,
        )
    )
    return quotes[0].locations


# --- pricing ----------------------------------------------------------------------------------


def test_an_option_is_priced_in_the_session_currency() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant, code="pn-home", prices={"SEK": 4900, "EUR": 490}
    )

    in_sek = options_build(merchant=merchant, session=_preview(currency="SEK"), now=THURSDAY)
    in_eur = options_build(merchant=merchant, session=_preview(currency="EUR"), now=THURSDAY)

    assert [o.price for o in in_sek.options] == [4900]
    assert [o.price for o in in_eur.options] == [490]


def test_an_option_is_free_from_the_threshold_and_priced_one_unit_below() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-home",
        prices={"SEK": 4900},
        free_shipping_thresholds={"SEK": 50000},
    )

    at = options_build(merchant=merchant, session=_preview(total_amount=50000), now=THURSDAY)
    below = options_build(merchant=merchant, session=_preview(total_amount=49999), now=THURSDAY)
    unknown = options_build(merchant=merchant, session=_preview(total_amount=None), now=THURSDAY)

    assert [o.price for o in at.options] == [0]
    assert [o.price for o in below.options] == [4900]
    assert [o.price for o in unknown.options] == [4900]


def test_a_threshold_in_another_currency_does_not_make_the_option_free() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-home",
        prices={"SEK": 4900, "EUR": 490},
        free_shipping_thresholds={"EUR": 5000},
    )

    result = options_build(
        merchant=merchant, session=_preview(total_amount=1_000_000), now=THURSDAY
    )

    assert [o.price for o in result.options] == [4900]


def test_addons_are_priced_in_the_session_currency_and_free_when_unpriced() -> None:
    merchant = _shop()
    option = DeliveryOptionFactory.create(
        merchant=merchant, code="pn-home", prices={"SEK": 4900, "EUR": 490}
    )
    DeliveryOptionAddonFactory.create(
        option=option,
        code="sms",
        type=AddonType.SMS,
        names={"en": "SMS notification", "sv": "SMS-avisering"},
        prices={},
        preselected=True,
        sort_order=1,
    )
    DeliveryOptionAddonFactory.create(
        option=option,
        code="door-code",
        type=AddonType.ENTRY_CODE,
        names={"en": "Door code", "sv": "Portkod"},
        prices={"SEK": 1000, "EUR": 100},
        max_length=10,
        sort_order=2,
    )
    DeliveryOptionAddonFactory.create(
        option=option,
        code="insurance",
        type=AddonType.INSURANCE,
        names={"en": "Insurance", "sv": "Försäkring"},
        prices={"EUR": 300},
        required=True,
        sort_order=3,
    )

    in_sek = options_build(merchant=merchant, session=_preview(currency="SEK"), now=THURSDAY)
    in_eur = options_build(
        merchant=merchant, session=_preview(currency="EUR", locale="en-FI"), now=THURSDAY
    )

    assert in_sek.options[0].addons == (
        OfferedAddon(
            id="sms",
            type="sms",
            name="SMS-avisering",
            price=0,
            preselected=True,
            required=False,
        ),
        OfferedAddon(
            id="door-code",
            type="entry-code",
            name="Portkod",
            price=1000,
            preselected=False,
            required=False,
            max_length=10,
        ),
    )
    assert in_eur.options[0].addons == (
        OfferedAddon(
            id="sms",
            type="sms",
            name="SMS notification",
            price=0,
            preselected=True,
            required=False,
        ),
        OfferedAddon(
            id="door-code",
            type="entry-code",
            name="Door code",
            price=100,
            preselected=False,
            required=False,
            max_length=10,
        ),
        OfferedAddon(
            id="insurance",
            type="insurance",
            name="Insurance",
            price=300,
            preselected=True,
            required=True,
        ),
    )


def test_a_currency_no_option_is_priced_in_is_not_supported() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, prices={"SEK": 4900, "EUR": 490})
    DeliveryOptionFactory.create(merchant=merchant, carrier_product="19", prices={"NOK": 4900})

    with pytest.raises(CurrencyNotSupported) as raised:
        options_build(merchant=merchant, session=_preview(currency="JPY"), now=THURSDAY)

    assert raised.value.code == "currency_not_supported"
    assert raised.value.message == "The shop has no prices in JPY."


def test_a_currency_only_some_options_are_priced_in_skips_the_others() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", prices={"SEK": 4900})
    DeliveryOptionFactory.create(
        merchant=merchant, code="pn-pickup", carrier_product="19", prices={"NOK": 4900}
    )

    result = options_build(merchant=merchant, session=_preview(currency="NOK"), now=THURSDAY)

    assert _ids(result.options) == ["pn-pickup"]
    assert result.skipped == (SkippedOption("pn-home", "currency", "no price in NOK"),)


def test_a_merchant_without_options_gets_an_empty_answer() -> None:
    merchant = _shop()

    result = options_build(merchant=merchant, session=_preview(currency="JPY"), now=THURSDAY)

    assert result.options == ()
    assert result.skipped == ()
    assert result.carriers == ()


# --- sorting and preselection ---------------------------------------------------------------


def test_options_are_sorted_by_sort_order_then_price_then_id() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant, code="c-late", sort_order=20, prices={"SEK": 100}
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="b-dear", sort_order=10, prices={"SEK": 9900}
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="z-cheap", sort_order=10, prices={"SEK": 2900}
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="a-cheap", sort_order=10, prices={"SEK": 2900}
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="y-first", sort_order=5, prices={"SEK": 99900}
    )

    result = options_build(merchant=merchant, session=_preview(), now=THURSDAY)

    assert _ids(result.options) == ["y-first", "a-cheap", "z-cheap", "b-dear", "c-late"]


def test_a_free_option_sorts_before_a_priced_one_of_the_same_sort_order() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="a-priced", prices={"SEK": 2900})
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="b-free-above",
        prices={"SEK": 4900},
        free_shipping_thresholds={"SEK": 10000},
    )

    result = options_build(merchant=merchant, session=_preview(total_amount=10000), now=THURSDAY)

    assert [(o.id, o.price) for o in result.options] == [("b-free-above", 0), ("a-priced", 2900)]


def test_the_first_option_is_preselected_when_none_is_flagged() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="second", sort_order=2)
    DeliveryOptionFactory.create(merchant=merchant, code="first", sort_order=1)

    result = options_build(merchant=merchant, session=_preview(), now=THURSDAY)

    assert [(o.id, o.preselected) for o in result.options] == [("first", True), ("second", False)]


def test_only_the_first_flagged_option_is_preselected() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="first", sort_order=1)
    DeliveryOptionFactory.create(merchant=merchant, code="third", sort_order=3, preselected=True)
    DeliveryOptionFactory.create(merchant=merchant, code="second", sort_order=2, preselected=True)

    result = options_build(merchant=merchant, session=_preview(), now=THURSDAY)

    assert [(o.id, o.preselected) for o in result.options] == [
        ("first", False),
        ("second", True),
        ("third", False),
    ]


# --- texts ------------------------------------------------------------------------------------


def test_names_and_descriptions_are_in_the_session_language() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        names={"en": "Home delivery", "sv": "Hemleverans"},
        descriptions={"en": "To your door", "sv": "Till din dörr"},
    )

    result = options_build(merchant=merchant, session=_preview(locale="sv-SE"), now=THURSDAY)

    assert [(o.name, o.description) for o in result.options] == [("Hemleverans", "Till din dörr")]


def test_a_text_for_the_full_locale_wins_over_the_language() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        names={"en": "Home delivery", "de": "Lieferung", "de-CH": "Hauslieferung"},
    )

    swiss = options_build(merchant=merchant, session=_preview(locale="de-CH"), now=THURSDAY)
    german = options_build(merchant=merchant, session=_preview(locale="de-DE"), now=THURSDAY)

    assert [o.name for o in swiss.options] == ["Hauslieferung"]
    assert [o.name for o in german.options] == ["Lieferung"]


def test_texts_fall_back_to_the_merchant_default_locale() -> None:
    merchant = MerchantFactory.create(default_locale="sv")
    DeliveryOptionFactory.create(
        merchant=merchant,
        names={"en": "Home delivery", "sv": "Hemleverans"},
        descriptions={"en": "To your door", "sv": "Till din dörr"},
    )

    result = options_build(merchant=merchant, session=_preview(locale="de-DE"), now=THURSDAY)

    assert [(o.name, o.description) for o in result.options] == [("Hemleverans", "Till din dörr")]


def test_texts_fall_back_to_english_when_neither_language_has_one() -> None:
    merchant = MerchantFactory.create(default_locale="fi")
    DeliveryOptionFactory.create(
        merchant=merchant,
        names={"en": "Home delivery", "sv": "Hemleverans"},
        descriptions={"en": "To your door", "sv": "Till din dörr"},
    )

    result = options_build(merchant=merchant, session=_preview(locale="de-DE"), now=THURSDAY)

    assert [(o.name, o.description) for o in result.options] == [("Home delivery", "To your door")]


def test_an_option_without_a_description_has_an_empty_one() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, descriptions={})

    result = options_build(merchant=merchant, session=_preview(), now=THURSDAY)

    assert [o.description for o in result.options] == [""]


# --- preview ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [Address(), Address(country="SE")],
    ids=["no recipient", "only a country"],
)
def test_a_preview_offers_carrier_options_without_asking_the_carriers(address: Address) -> None:
    merchant = _shop()
    option = DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier_product="19",
        carrier_product_name="MyPack Collect",
        names={"en": "Pickup point", "sv": "Ombud"},
        prices={"SEK": 4900},
        countries=["SE"],
    )

    result = options_build(merchant=merchant, session=_session(address=address), now=THURSDAY)

    assert result.options == (
        OfferedOption(
            option_pk=option.pk,
            id="pn-pickup",
            kind="pickup_point",
            carrier="postnord",
            carrier_product="19",
            carrier_product_name="MyPack Collect",
            service_class="standard",
            name="Ombud",
            description="",
            price=4900,
            tax_rate=2500,
            delivery=DeliveryEstimate(earliest_days=1, latest_days=3, cutoff=dt.time(14, 0)),
            preselected=True,
            preview=True,
        ),
    )
    assert result.skipped == ()
    assert result.carriers == ()
    assert result.built_at == THURSDAY


def test_a_preview_does_not_call_even_a_failing_carrier() -> None:
    merchant = _shop()
    CarrierAgreementFactory.create(
        merchant=merchant, carrier="postnord", credentials={"static_behaviour": "fail"}
    )
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home")

    result = options_build(merchant=merchant, session=_preview(), now=THURSDAY)

    assert [(o.id, o.preview, o.from_fallback) for o in result.options] == [
        ("pn-home", True, False)
    ]
    assert result.carriers == ()


# --- carrier answers: locations and timeslots ------------------------------------------------


def test_a_pickup_point_option_carries_the_carrier_locations(settings: Any) -> None:
    settings.CHECKOUT_MAX_LOCATIONS = 3
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant, code="pn-pickup", kind=OptionKind.PICKUP_POINT, carrier_product="19"
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    [option] = result.options
    assert [loc.id for loc in option.locations] == [
        "postnord-SE-11151-1",
        "postnord-SE-11151-2",
        "postnord-SE-11151-3",
    ]
    assert option.locations == _static_locations(
        PostNordStaticAdapter(), code="19", kind=ProductKind.PICKUP_POINT, count=3
    )
    assert {loc.kind for loc in option.locations} == {LocationKind.SERVICE_POINT}
    assert option.timeslots == ()
    assert option.preview is False
    assert option.from_fallback is False
    # the carrier's days, the shop's cut-off
    assert option.delivery == DeliveryEstimate(
        earliest_days=1, latest_days=3, cutoff=dt.time(14, 0)
    )
    [outcome] = result.carriers
    assert (outcome.carrier, outcome.agreement_id, outcome.ok, outcome.error) == (
        "postnord",
        merchant.agreements.get().pk,
        True,
        "",
    )


def test_a_timeslot_option_carries_the_carrier_timeslots() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="budbee-evening",
        kind=OptionKind.HOME,
        carrier="budbee",
        carrier_product="home",
        uses_timeslots=True,
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    [option] = result.options
    days = [
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 3),
    ]
    assert option.timeslots == tuple(
        Timeslot(
            id=f"{day.isoformat()}T17:00",
            start=dt.datetime.combine(day, dt.time(17, 0), tzinfo=STOCKHOLM),
            end=dt.datetime.combine(day, dt.time(22, 0), tzinfo=STOCKHOLM),
            cutoff=dt.datetime.combine(day, dt.time(12, 0), tzinfo=STOCKHOLM),
        )
        for day in days
    )
    assert option.locations == ()
    assert option.delivery == DeliveryEstimate(
        earliest_days=1,
        latest_days=2,
        cutoff=dt.time(14, 0),
        time_of_day_start=dt.time(17, 0),
        time_of_day_end=dt.time(22, 0),
    )
    assert BudbeeStaticAdapter().catalogue["home"].timeslots is True


def test_a_home_option_without_timeslots_carries_neither_locations_nor_timeslots() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", carrier_product="17")

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    [option] = result.options
    assert (option.locations, option.timeslots, option.preview) == ((), (), False)
    assert option.delivery == DeliveryEstimate(
        earliest_days=1, latest_days=2, cutoff=dt.time(14, 0)
    )


def test_a_pickup_point_and_a_locker_of_one_product_each_get_their_own_locations(
    settings: Any,
) -> None:
    settings.CHECKOUT_MAX_LOCATIONS = 2
    merchant = _shop()
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier_product="19",
        sort_order=1,
    )
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-locker",
        kind=OptionKind.LOCKER,
        carrier_product="19",
        sort_order=2,
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert [(o.id, [loc.id for loc in o.locations]) for o in result.options] == [
        ("pn-pickup", ["postnord-SE-11151-1", "postnord-SE-11151-2"]),
        ("pn-locker", ["postnord-SE-11151-L1", "postnord-SE-11151-L2"]),
    ]
    assert len(result.carriers) == 1


# --- stores -----------------------------------------------------------------------------------


def test_a_store_option_carries_its_active_stores_as_locations() -> None:
    merchant = _shop()
    city = StoreFactory.create(
        merchant=merchant,
        code="sthlm",
        name="Stockholm City",
        street_address="Drottninggatan 50",
        postal_code="11121",
        city="Stockholm",
        country="SE",
        latitude=Decimal("59.333300"),
        longitude=Decimal("18.062400"),
        opening_hours=[{"weekday": 0, "opens": "10:00", "closes": "19:00"}],
    )
    closed = StoreFactory.create(merchant=merchant, code="closed", is_active=False)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="store",
        kind=OptionKind.STORE,
        carrier=Carrier.GENERIC,
        carrier_product="",
        prices={"SEK": 0},
        stores=[city, closed],
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    [option] = result.options
    assert option.locations == (
        Location(
            id="sthlm",
            name="Stockholm City",
            kind=LocationKind.STORE,
            address=Address(
                country="SE",
                postal_code="11121",
                city="Stockholm",
                street_address="Drottninggatan 50",
            ),
            coordinates=Coordinates(lat=59.3333, lng=18.0624),
            opening_hours=(OpeningHours(0, dt.time(10, 0), dt.time(19, 0)),),
        ),
    )
    assert option.preview is False
    assert result.carriers == ()


def test_a_store_option_without_an_active_store_is_skipped() -> None:
    merchant = _shop()
    closed = StoreFactory.create(merchant=merchant, code="closed", is_active=False)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="store",
        kind=OptionKind.STORE,
        carrier=Carrier.GENERIC,
        carrier_product="",
        stores=[closed],
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert result.options == ()
    assert result.skipped == (SkippedOption("store", "no_locations", "no active store attached"),)


# --- inactive options and agreements ----------------------------------------------------------


def test_an_inactive_option_is_not_offered() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home")
    DeliveryOptionFactory.create(
        merchant=merchant, code="pn-pickup", kind=OptionKind.PICKUP_POINT, is_active=False
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert _ids(result.options) == ["pn-home"]
    assert result.skipped == ()


def test_options_of_an_inactive_agreement_are_skipped() -> None:
    merchant = _shop()
    CarrierAgreementFactory.create(merchant=merchant, carrier="postnord", is_active=False)
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home")
    DeliveryOptionFactory.create(
        merchant=merchant, code="budbee-home", carrier="budbee", carrier_product="home"
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert _ids(result.options) == ["budbee-home"]
    assert result.skipped == (SkippedOption("pn-home", "no_agreement", "agreement inactive"),)
    assert [o.carrier for o in result.carriers] == ["budbee"]


def test_a_carrier_option_without_an_agreement_is_skipped() -> None:
    merchant = _shop()
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", agreement=None)

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert result.options == ()
    assert result.skipped == (SkippedOption("pn-home", "no_agreement", "no carrier agreement"),)
    assert result.carriers == ()


# --- failing, slow and rejecting carriers -----------------------------------------------------


def test_a_failing_carrier_drops_its_options_but_offers_its_fallbacks() -> None:
    merchant = _shop()
    agreement = CarrierAgreementFactory.create(
        merchant=merchant, carrier="postnord", credentials={"static_behaviour": "fail"}
    )
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", sort_order=1)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-pickup",
        kind=OptionKind.PICKUP_POINT,
        carrier_product="19",
        is_fallback=True,
        sort_order=2,
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    [option] = result.options
    assert (option.id, option.from_fallback, option.locations, option.preview) == (
        "pn-pickup",
        True,
        (),
        False,
    )
    assert option.delivery == DeliveryEstimate(
        earliest_days=1, latest_days=3, cutoff=dt.time(14, 0)
    )
    assert result.skipped == (
        SkippedOption(
            "pn-home", "carrier_unavailable", "CarrierUnavailable: static source told to fail"
        ),
    )
    [outcome] = result.carriers
    assert (outcome.carrier, outcome.agreement_id, outcome.ok, outcome.error) == (
        "postnord",
        agreement.pk,
        False,
        "CarrierUnavailable: static source told to fail",
    )


def test_a_carrier_slower_than_the_deadline_is_dropped_and_the_others_offered(
    settings: Any,
) -> None:
    settings.CHECKOUT_DEADLINE_SECONDS = 0.3
    merchant = _shop()
    slow = CarrierAgreementFactory.create(
        merchant=merchant,
        carrier="postnord",
        credentials={"static_behaviour": "slow", "static_delay_seconds": 2},
    )
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", sort_order=1)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="budbee-box",
        kind=OptionKind.LOCKER,
        carrier="budbee",
        carrier_product="DLVBOX",
        sort_order=2,
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert _ids(result.options) == ["budbee-box"]
    assert result.options[0].locations[0].id == "budbee-SE-11151-L1"
    assert result.skipped == (SkippedOption("pn-home", "carrier_unavailable", "deadline exceeded"),)
    assert [(o.carrier, o.agreement_id, o.ok, o.error) for o in result.carriers] == [
        ("postnord", slow.pk, False, "deadline exceeded"),
        ("budbee", merchant.agreements.get(carrier="budbee").pk, True, ""),
    ]


def test_a_rejecting_carrier_is_dropped_and_the_others_offered() -> None:
    merchant = _shop()
    rejecting = CarrierAgreementFactory.create(
        merchant=merchant, carrier="postnord", credentials={"static_behaviour": "reject"}
    )
    DeliveryOptionFactory.create(merchant=merchant, code="pn-home", sort_order=1)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="budbee-home",
        carrier="budbee",
        carrier_product="home",
        sort_order=2,
    )

    result = options_build(merchant=merchant, session=_session(), now=THURSDAY)

    assert _ids(result.options) == ["budbee-home"]
    assert result.skipped == (
        SkippedOption(
            "pn-home", "carrier_unavailable", "CarrierRejected: static source told to reject"
        ),
    )
    assert [(o.carrier, o.agreement_id, o.ok, o.error) for o in result.carriers] == [
        ("postnord", rejecting.pk, False, "CarrierRejected: static source told to reject"),
        ("budbee", merchant.agreements.get(carrier="budbee").pk, True, ""),
    ]
