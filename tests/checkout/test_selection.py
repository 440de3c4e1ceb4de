"""selection_validate: the shopper's choice checked against a fresh computation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carriers.types import Address, Timeslot
from merchants.models import AddonType, DeliveryOption, Merchant, OptionKind
from tests.factories import DeliveryOptionAddonFactory, DeliveryOptionFactory, MerchantFactory
from tms_gateway.checkout.recipient import mobile_number_normalize
from tms_gateway.checkout.services import SelectionRejected, selection_validate
from tms_gateway.checkout.types import (
    AddonSelection,
    OfferedAddon,
    Order,
    Recipient,
    Selection,
    Session,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Thursday afternoon: the next business days are Fri 27, Mon 30 Nov, Tue 1, Wed 2, Thu 3 Dec.
THURSDAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
ADDRESS = Address(
    country="SE", postal_code="111 51", city="Stockholm", street_address="Storgatan 1"
)
MOBILE = "+46701234567"


def _session(*, address: Address = ADDRESS, phone: str = MOBILE) -> Session:
    return Session(
        currency="SEK",
        locale="sv-SE",
        session_id="session-1",
        order=Order(id="order-1", total_amount=59800, total_weight_g=1200),
        recipient=Recipient(address=address, phone=phone, customer_type="person"),
    )


def _shop() -> Merchant:
    return MerchantFactory.create(default_locale="en")


def _home(merchant: Merchant, **fields: object) -> DeliveryOption:
    values: dict[str, object] = {
        "merchant": merchant,
        "code": "pn-home",
        "kind": OptionKind.HOME,
        "carrier_product": "17",
        "prices": {"SEK": 4900},
    }
    values.update(fields)
    return DeliveryOptionFactory.create(**values)


def _pickup(merchant: Merchant, **fields: object) -> DeliveryOption:
    values: dict[str, object] = {
        "merchant": merchant,
        "code": "pn-pickup",
        "kind": OptionKind.PICKUP_POINT,
        "carrier_product": "19",
        "prices": {"SEK": 3900},
    }
    values.update(fields)
    return DeliveryOptionFactory.create(**values)


def _evening(merchant: Merchant) -> DeliveryOption:
    return DeliveryOptionFactory.create(
        merchant=merchant,
        code="budbee-evening",
        kind=OptionKind.HOME,
        carrier="budbee",
        carrier_product="home",
        uses_timeslots=True,
        prices={"SEK": 7900},
    )


def _rejected(
    merchant: Merchant, selection: Selection, session: Session | None = None
) -> SelectionRejected:
    with pytest.raises(SelectionRejected) as raised:
        selection_validate(
            merchant=merchant, session=session or _session(), selection=selection, now=THURSDAY
        )
    return raised.value


# --- the option -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_option_is_not_available() -> None:
    merchant = _shop()
    _home(merchant)

    error = _rejected(merchant, Selection(option_id="no-such-option"))

    assert error.code == "shipping_option_not_available"
    assert error.message == "Option 'no-such-option' is not offered for this order and address."


@pytest.mark.django_db
def test_an_option_its_conditions_refuse_is_not_available() -> None:
    merchant = _shop()
    _home(merchant, countries=["NO"])

    error = _rejected(merchant, Selection(option_id="pn-home"))

    assert error.code == "shipping_option_not_available"


@pytest.mark.django_db
def test_a_valid_home_selection_is_priced_and_has_neither_location_nor_timeslot() -> None:
    merchant = _shop()
    _home(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="pn-home"),
        now=THURSDAY,
    )

    assert validated.option.id == "pn-home"
    assert validated.location is None
    assert validated.timeslot is None
    assert validated.addons == ()
    assert validated.price == 4900


# --- locations --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_location_that_is_not_offered_is_refused() -> None:
    merchant = _shop()
    _pickup(merchant)

    error = _rejected(merchant, Selection(option_id="pn-pickup", location_id="postnord-SE-99999-1"))

    assert error.code == "location_not_available"
    assert error.message == "Location 'postnord-SE-99999-1' is not offered."


@pytest.mark.django_db
def test_without_a_location_the_nearest_one_is_chosen() -> None:
    merchant = _shop()
    _pickup(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="pn-pickup"),
        now=THURSDAY,
    )

    assert validated.location is not None
    assert validated.location == validated.option.locations[0]
    assert validated.location.id == "postnord-SE-11151-1"


@pytest.mark.django_db
def test_an_offered_location_is_kept() -> None:
    merchant = _shop()
    _pickup(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="pn-pickup", location_id="postnord-SE-11151-2"),
        now=THURSDAY,
    )

    assert validated.location is not None
    assert validated.location == validated.option.locations[1]
    assert validated.location.id == "postnord-SE-11151-2"
    assert validated.price == 3900


# --- timeslots --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_timeslot_that_is_not_offered_is_refused() -> None:
    merchant = _shop()
    _evening(merchant)

    # a Saturday: the static source offers business days only
    error = _rejected(
        merchant, Selection(option_id="budbee-evening", timeslot_id="2026-11-28T17:00")
    )

    assert error.code == "timeslot_not_available"
    assert error.message == "Time slot '2026-11-28T17:00' is not offered."


@pytest.mark.django_db
def test_without_a_timeslot_the_first_one_is_chosen() -> None:
    merchant = _shop()
    _evening(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="budbee-evening"),
        now=THURSDAY,
    )

    friday = dt.date(2026, 11, 27)
    assert validated.timeslot == Timeslot(
        id="2026-11-27T17:00",
        start=dt.datetime.combine(friday, dt.time(17, 0), tzinfo=STOCKHOLM),
        end=dt.datetime.combine(friday, dt.time(22, 0), tzinfo=STOCKHOLM),
        cutoff=dt.datetime.combine(friday, dt.time(12, 0), tzinfo=STOCKHOLM),
    )
    assert validated.location is None


@pytest.mark.django_db
def test_an_offered_timeslot_is_kept() -> None:
    merchant = _shop()
    _evening(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="budbee-evening", timeslot_id="2026-12-01T17:00"),
        now=THURSDAY,
    )

    assert validated.timeslot is not None
    assert validated.timeslot.id == "2026-12-01T17:00"
    assert validated.price == 7900


# --- add-ons ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_addon_that_is_not_offered_cannot_be_selected() -> None:
    merchant = _shop()
    home = _home(merchant)
    pickup = _pickup(merchant)
    DeliveryOptionAddonFactory.create(option=home, code="sms")
    DeliveryOptionAddonFactory.create(option=pickup, code="carry-in", type=AddonType.CARRY_IN)

    error = _rejected(
        merchant, Selection(option_id="pn-home", addons=(AddonSelection(id="carry-in"),))
    )

    assert error.code == "addon_not_available"
    assert error.message == "Add-on 'carry-in' is not offered with this option."


@pytest.mark.django_db
def test_an_addon_priced_in_another_currency_only_cannot_be_selected() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home, code="insurance", type=AddonType.INSURANCE, prices={"EUR": 300}
    )

    error = _rejected(
        merchant, Selection(option_id="pn-home", addons=(AddonSelection(id="insurance"),))
    )

    assert error.code == "addon_not_available"


@pytest.mark.django_db
def test_an_unknown_addon_sent_as_unselected_is_ignored() -> None:
    merchant = _shop()
    _home(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(
            option_id="pn-home", addons=(AddonSelection(id="gift-wrap", selected=False),)
        ),
        now=THURSDAY,
    )

    assert validated.addons == ()
    assert validated.price == 4900


@pytest.mark.django_db
def test_a_required_addon_taking_text_needs_input() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home, code="door-code", type=AddonType.ENTRY_CODE, max_length=10, required=True
    )

    error = _rejected(
        merchant,
        Selection(option_id="pn-home", addons=(AddonSelection(id="door-code", text="   "),)),
    )

    assert error.code == "missing_addon_input"
    assert error.message == "Add-on 'door-code' needs input."


@pytest.mark.django_db
def test_a_required_addon_taking_text_needs_input_even_when_not_sent() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home, code="door-code", type=AddonType.ENTRY_CODE, max_length=10, required=True
    )

    error = _rejected(merchant, Selection(option_id="pn-home"))

    assert error.code == "missing_addon_input"


@pytest.mark.django_db
def test_a_text_longer_than_max_length_is_invalid() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home, code="door-code", type=AddonType.ENTRY_CODE, max_length=4
    )

    error = _rejected(
        merchant,
        Selection(option_id="pn-home", addons=(AddonSelection(id="door-code", text="12345"),)),
    )

    assert error.code == "invalid_addon_input"
    assert error.message == "Add-on 'door-code' takes at most 4 characters."


@pytest.mark.django_db
def test_a_text_of_exactly_max_length_is_kept_stripped() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home,
        code="door-code",
        type=AddonType.ENTRY_CODE,
        names={"en": "Door code"},
        max_length=4,
        prices={"SEK": 1000},
    )

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(
            option_id="pn-home", addons=(AddonSelection(id="door-code", text=" 1234 "),)
        ),
        now=THURSDAY,
    )

    assert validated.addons == (
        (
            OfferedAddon(
                id="door-code",
                type="entry-code",
                name="Door code",
                price=1000,
                preselected=False,
                required=False,
                max_length=4,
            ),
            "1234",
        ),
    )
    assert validated.price == 5900


@pytest.mark.django_db
def test_a_required_addon_is_counted_even_when_not_sent() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home,
        code="carry-in",
        type=AddonType.CARRY_IN,
        names={"en": "Carry-in"},
        required=True,
        prices={"SEK": 9900},
    )

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(option_id="pn-home"),
        now=THURSDAY,
    )

    assert [(addon.id, text) for addon, text in validated.addons] == [("carry-in", "")]
    assert validated.price == 4900 + 9900


@pytest.mark.django_db
def test_the_price_is_the_option_price_plus_the_selected_addons() -> None:
    merchant = _shop()
    home = _home(merchant)
    DeliveryOptionAddonFactory.create(
        option=home, code="sms", type=AddonType.SMS, prices={}, sort_order=1
    )
    DeliveryOptionAddonFactory.create(
        option=home,
        code="door-code",
        type=AddonType.ENTRY_CODE,
        max_length=10,
        prices={"SEK": 1000},
        sort_order=2,
    )
    DeliveryOptionAddonFactory.create(
        option=home, code="insurance", type=AddonType.INSURANCE, prices={"SEK": 2500}, sort_order=3
    )
    DeliveryOptionAddonFactory.create(
        option=home, code="carry-in", type=AddonType.CARRY_IN, prices={"SEK": 9900}, sort_order=4
    )

    validated = selection_validate(
        merchant=merchant,
        session=_session(),
        selection=Selection(
            option_id="pn-home",
            addons=(
                AddonSelection(id="sms"),
                AddonSelection(id="door-code", text="1234"),
                AddonSelection(id="insurance"),
                AddonSelection(id="carry-in", selected=False),
            ),
        ),
        now=THURSDAY,
    )

    assert [(addon.id, text) for addon, text in validated.addons] == [
        ("sms", ""),
        ("door-code", "1234"),
        ("insurance", ""),
    ]
    assert validated.price == 4900 + 0 + 1000 + 2500


# --- the recipient ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    ["+46812345678", "+4670123", "", "not a number"],
    ids=["landline", "too short", "empty", "garbage"],
)
def test_home_delivery_without_a_textable_mobile_is_refused(phone: str) -> None:
    merchant = _shop()
    _home(merchant)

    error = _rejected(merchant, Selection(option_id="pn-home"), session=_session(phone=phone))

    assert error.code == "invalid_recipient"
    assert error.extra == {"fields": ["phone"]}
    assert error.message == "The recipient needs a mobile number the carrier can text."


@pytest.mark.django_db
def test_home_delivery_accepts_a_national_mobile_number_in_the_recipient_country() -> None:
    merchant = _shop()
    _home(merchant)

    validated = selection_validate(
        merchant=merchant,
        session=_session(phone="070-123 45 67"),
        selection=Selection(option_id="pn-home"),
        now=THURSDAY,
    )

    assert validated.option.id == "pn-home"


@pytest.mark.django_db
def test_home_delivery_without_a_street_address_is_refused() -> None:
    merchant = _shop()
    _home(merchant)
    address = Address(country="SE", postal_code="111 51", city="Stockholm")

    error = _rejected(
        merchant, Selection(option_id="pn-home"), session=_session(address=address, phone="")
    )

    assert error.code == "invalid_recipient"
    assert error.extra == {"fields": ["street_address"]}
    assert error.message == "The recipient's street_address is missing."


@pytest.mark.django_db
def test_home_delivery_without_street_address_and_city_lists_both() -> None:
    merchant = _shop()
    _home(merchant)
    address = Address(country="SE", postal_code="111 51")

    error = _rejected(merchant, Selection(option_id="pn-home"), session=_session(address=address))

    assert error.code == "invalid_recipient"
    assert error.extra == {"fields": ["street_address", "city"]}


@pytest.mark.django_db
def test_a_pickup_point_does_not_need_a_mobile_number() -> None:
    merchant = _shop()
    pickup = _pickup(merchant)
    DeliveryOptionAddonFactory.create(option=pickup, code="sms", type=AddonType.SMS)
    address = Address(country="SE", postal_code="111 51")

    validated = selection_validate(
        merchant=merchant,
        session=_session(address=address, phone=""),
        selection=Selection(option_id="pn-pickup"),
        now=THURSDAY,
    )

    assert validated.option.id == "pn-pickup"
    assert validated.addons == ()


@pytest.mark.django_db
def test_a_pickup_point_with_the_sms_addon_needs_a_mobile_number() -> None:
    merchant = _shop()
    pickup = _pickup(merchant)
    DeliveryOptionAddonFactory.create(option=pickup, code="sms", type=AddonType.SMS)

    error = _rejected(
        merchant,
        Selection(option_id="pn-pickup", addons=(AddonSelection(id="sms"),)),
        session=_session(phone="+46812345678"),
    )

    assert error.code == "invalid_recipient"
    assert error.extra == {"fields": ["phone"]}


@pytest.mark.django_db
def test_a_pickup_point_with_the_sms_addon_and_a_mobile_is_accepted() -> None:
    merchant = _shop()
    pickup = _pickup(merchant)
    DeliveryOptionAddonFactory.create(option=pickup, code="sms", type=AddonType.SMS)

    validated = selection_validate(
        merchant=merchant,
        session=_session(phone=MOBILE),
        selection=Selection(option_id="pn-pickup", addons=(AddonSelection(id="sms"),)),
        now=THURSDAY,
    )

    assert [(addon.id, text) for addon, text in validated.addons] == [("sms", "")]


# --- mobile_number_normalize ------------------------------------------------------------------


def test_a_swedish_national_mobile_number_is_normalised_to_e164() -> None:
    assert mobile_number_normalize(phone="070-123 45 67", country="SE") == "+46701234567"
    assert mobile_number_normalize(phone="070-123 45 67", country="se") == "+46701234567"


def test_an_international_swedish_mobile_number_is_kept() -> None:
    assert mobile_number_normalize(phone="+46 70 123 45 67", country="") == "+46701234567"


def test_a_swedish_landline_is_not_a_mobile_number() -> None:
    assert mobile_number_normalize(phone="+46812345678", country="SE") is None
    assert mobile_number_normalize(phone="08-123 456 78", country="SE") is None


def test_a_too_short_number_is_refused() -> None:
    assert mobile_number_normalize(phone="+4670123", country="SE") is None


def test_a_norwegian_mobile_number_is_normalised() -> None:
    assert mobile_number_normalize(phone="412 34 567", country="NO") == "+4741234567"


def test_a_us_fixed_line_or_mobile_number_is_accepted() -> None:
    assert mobile_number_normalize(phone="(201) 555-0123", country="US") == "+12015550123"


def test_garbage_and_empty_numbers_are_none() -> None:
    assert mobile_number_normalize(phone="not a number", country="SE") is None
    assert mobile_number_normalize(phone="", country="SE") is None
    assert mobile_number_normalize(phone="   ", country="SE") is None


def test_a_national_number_without_a_country_is_none() -> None:
    assert mobile_number_normalize(phone="070-123 45 67", country="") is None
