"""The option and store forms: money in normal units stored in minor units, a text per
language with the shop's languages first, multi-selects and lists validated on their field,
opening hours per weekday, and the checkout still offering what the form saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from carriers.types import Address
from merchants.models import AuditLog, DeliveryOption
from tests.factories import DeliveryOptionFactory, MerchantFactory, StoreFactory
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import Order, Recipient, Session
from tms_gateway.common.money import minor_unit_exponent

from .form_rows import rows_of, set_rows
from .helpers import form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/merchants/deliveryoption/add/"


def _own_courier(staff: Client, merchant_id: int, **values: object) -> dict[str, object]:
    data = form_data(staff, f"{ADD}?merchant={merchant_id}", "deliveryoption_form")
    data.update(code="courier-se", kind="own", carrier="generic", countries=["SE"])
    set_rows(data, "names", {"sv": "Vårt bud", "en": "Our courier"})
    set_rows(data, "prices", {"SEK": "49"})
    for field in ("names", "descriptions", "prices", "free_shipping_thresholds"):
        if field in values:
            set_rows(data, field, values.pop(field))  # type: ignore[arg-type]
    data.update(values)
    return data


def _errors(response: object) -> dict[str, list[str]]:
    form = response.context["adminform"].form  # type: ignore[attr-defined]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_the_currency_exponents_come_from_babel() -> None:
    assert minor_unit_exponent("SEK") == 2
    assert minor_unit_exponent("JPY") == 0


@pytest.mark.parametrize(
    ("entered", "stored"),
    [("49", 4900), ("49,00", 4900), ("49.5", 4950), ("1 234,50", 123450), ("1.234,50", 123450)],
)
def test_a_price_in_normal_units_is_stored_in_minor_units(
    staff: Client, entered: str, stored: int
) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(
        staff,
        merchant.pk,
        prices={"SEK": entered, "jpy": "500"},
        free_shipping_thresholds={"SEK": "499"},
    )

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 302, _errors(response)
    option = DeliveryOption.objects.get(merchant=merchant, code="courier-se")
    assert option.prices == {"SEK": stored, "JPY": 500}
    assert option.free_shipping_thresholds == {"SEK": 49900}


def test_the_change_form_shows_prices_in_normal_units_and_round_trips(staff: Client) -> None:
    # given
    option = DeliveryOptionFactory.create(prices={"SEK": 4900, "EUR": 599})
    url = f"/admin/merchants/deliveryoption/{option.pk}/change/"

    # when
    data = form_data(staff, url, "deliveryoption_form")
    response = staff.post(url, data)

    # then
    assert rows_of(data, "prices") == {"SEK": "49.00", "EUR": "5.99"}
    assert response.status_code == 302, _errors(response)
    option.refresh_from_db()
    assert option.prices == {"SEK": 4900, "EUR": 599}
    assert not AuditLog.objects.filter(action="update").exists()


def test_more_decimals_than_the_currency_has_are_refused(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(staff, merchant.pk, prices={"SEK": "49,005", "JPY": "1.5"})

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 200
    errors = _errors(response)
    assert errors["prices"] == [
        "SEK has 2 decimals: '49,005' has more.",
        "JPY has 0 decimals: '1.5' has more.",
    ]
    assert not DeliveryOption.objects.exists()


def test_unknown_currency_language_and_country_are_refused_on_their_fields(
    staff: Client,
) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(
        staff,
        merchant.pk,
        prices={"SEK": "49", "XYZ": "10"},
        names={"sv": "Bud", "xx": "Courier"},
        descriptions={"klingon": "Qapla"},
        countries=["SE", "QQ"],
    )

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 200
    errors = _errors(response)
    assert errors["prices"] == ["'XYZ' is not an ISO 4217 currency code."]
    assert errors["names"] == ["'xx' is not a known language code (e.g. sv, en)."]
    assert errors["descriptions"] == ["'klingon' is not a known language code (e.g. sv, en)."]
    assert errors["countries"] == ["Select a valid choice. QQ is not one of the available choices."]
    page = response.content.decode()
    assert 'class="form-row errors field-prices"' in page
    assert not DeliveryOption.objects.exists()


def test_a_text_without_its_language_and_a_missing_name_are_refused(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(staff, merchant.pk, names={"": "Courier"}, prices={})

    # when
    response = staff.post(ADD, data)

    # then
    errors = _errors(response)
    assert errors["names"] == ["Choose the language of 'Courier'."]
    assert errors["prices"] == ["This field is required."]


def test_the_shops_languages_come_first_and_missing_ones_are_flagged(staff: Client) -> None:
    # given: an English shop with options in Swedish and one delivering to Norway
    merchant = MerchantFactory.create(default_locale="en")
    DeliveryOptionFactory.create(merchant=merchant, names={"sv": "Hem", "en": "Home"})
    option = DeliveryOptionFactory.create(
        merchant=merchant, names={"en": "Locker"}, countries=["NO"], prices={"NOK": 4900}
    )
    url = f"/admin/merchants/deliveryoption/{option.pk}/change/"

    # when
    page = staff.get(url).content.decode()
    data = form_data(staff, url, "deliveryoption_form")

    # then
    assert [data[f"names_key_{i}"] for i in range(4)] == ["en", "sv", "nb", ""]
    assert rows_of(data, "names") == {"en": "Locker", "sv": "", "nb": ""}
    assert "No text yet in the shop's languages: Swedish (sv), Norwegian Bokmål (nb)." in page


def test_conditions_are_lists_and_selects(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(
        staff,
        merchant.pk,
        countries=["SE", "NO"],
        postal_codes="114 55\n20000-29999, 9",
        required_tags="bulky, fragile,bulky",
        excluded_tags="",
        customer_types=["organization"],
    )

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 302, _errors(response)
    option = DeliveryOption.objects.get(merchant=merchant)
    assert option.countries == ["SE", "NO"]
    assert option.postal_codes == ["11455", "20000-29999", "9"]
    assert option.required_tags == ["bulky", "fragile"]
    assert option.excluded_tags == []
    assert option.customer_types == ["organization"]


def test_bad_postal_code_rules_are_named(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(staff, merchant.pk, postal_codes="29999-20000\n1-22\n11#")

    # when
    response = staff.post(ADD, data)

    # then
    assert _errors(response)["postal_codes"] == [
        "'29999-20000': the range starts after it ends.",
        "'1-22': both ends of a range have the same length.",
        "'11#' is neither a prefix (letters and digits) nor a range a-b.",
    ]


def test_opening_hours_per_weekday_round_trip(staff: Client) -> None:
    # given
    store = StoreFactory.create()
    hours = list(store.opening_hours)
    url = f"/admin/merchants/store/{store.pk}/change/"

    # when: unchanged, then Saturday with a lunch break and Sunday open
    data = form_data(staff, url, "store_form")
    unchanged = staff.post(url, data)
    data.update(
        opening_hours_5_0_opens="10:00",
        opening_hours_5_0_closes="12:00",
        opening_hours_5_1_opens="13:00",
        opening_hours_5_1_closes="16:00",
        opening_hours_6_0_opens="11:00",
        opening_hours_6_0_closes="15:00",
    )
    data.update(opening_hours_0_0_opens="", opening_hours_0_0_closes="")
    changed = staff.post(url, data)

    # then
    assert data["opening_hours_0_0_opens"] == ""
    assert unchanged.status_code == changed.status_code == 302
    store.refresh_from_db()
    assert store.opening_hours == [
        *hours[1:5],
        {"weekday": 5, "opens": "10:00", "closes": "12:00"},
        {"weekday": 5, "opens": "13:00", "closes": "16:00"},
        {"weekday": 6, "opens": "11:00", "closes": "15:00"},
    ]
    assert AuditLog.objects.filter(action="update").count() == 1


def test_the_store_form_shows_the_times_and_refuses_overlaps(staff: Client) -> None:
    # given
    store = StoreFactory.create()
    url = f"/admin/merchants/store/{store.pk}/change/"

    # when
    data = form_data(staff, url, "store_form")
    data.update(opening_hours_1_1_opens="18:00", opening_hours_1_1_closes="20:00")
    data.update(opening_hours_2_0_opens="9:00", opening_hours_2_0_closes="")
    data["country"] = "QQ"
    response = staff.post(url, data)

    # then
    assert data["opening_hours_0_0_opens"] == "10:00"
    assert data["opening_hours_0_0_closes"] == "19:00"
    assert _errors(response) == {
        "country": ["Select a valid choice. QQ is not one of the available choices."],
        "opening_hours": [
            "Tuesday: the intervals overlap.",
            "Wednesday: enter both opening and closing time as HH:MM.",
        ],
    }


def test_the_checkout_offers_the_option_the_form_saved(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(default_locale="en")
    data = _own_courier(staff, merchant.pk, prices={"SEK": "49"}, postal_codes="11")
    assert staff.post(ADD, data).status_code == 302
    session = Session(
        currency="SEK",
        locale="sv-SE",
        session_id="session-1",
        order=Order(id="order-1", total_amount=10000, total_weight_g=1200),
        recipient=Recipient(
            address=Address(
                country="SE", postal_code="111 51", city="Stockholm", street_address="Storgatan 1"
            ),
            phone="+46701234567",
            customer_type="person",
        ),
    )

    # when
    result = options_build(merchant=merchant, session=session)

    # then
    (offered,) = result.options
    assert offered.id == "courier-se"
    assert offered.name == "Vårt bud"
    assert offered.price == 4900


def test_the_carrier_product_is_one_the_chosen_carrier_declares(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _own_courier(staff, merchant.pk, kind="home", carrier="postnord")
    page = staff.get(f"{ADD}?merchant={merchant.pk}").content.decode()

    # when
    other_carriers = staff.post(ADD, {**data, "carrier_product": "DLVBOX"})
    undeclared = staff.post(ADD, {**data, "carrier_product": "999"})
    declared = staff.post(ADD, {**data, "carrier_product": "17"})

    # then
    assert '<optgroup label="PostNord">' in page
    assert '<option value="17">17 · MyPack Home</option>' in page
    assert "merchants/option_forms.js" in page
    assert _errors(other_carriers)["carrier_product"] == [
        "PostNord has no product DLVBOX; it declares 17 (MyPack Home), 19 (MyPack Collect), "
        "30 (MyPack Home Small), 11 (Varubrev Ekonomi)."
    ]
    assert (
        "Select a valid choice. 999 is not one of the available choices."
        in _errors(undeclared)["carrier_product"]
    )
    assert declared.status_code == 302, _errors(declared)
    assert DeliveryOption.objects.get(merchant=merchant).carrier_product == "17"


def test_the_model_refuses_unknown_languages_and_countries_too() -> None:
    # given: a change made outside the admin form (the portal, a script)
    option = DeliveryOptionFactory.build(names={"sv": "Hem", "qq": "?"}, countries=["SE", "QQ"])

    # when
    with pytest.raises(ValidationError) as refused:
        option.full_clean(exclude=["merchant", "agreement"])

    # then
    assert refused.value.message_dict["names"] == ["Unknown language code: qq."]
    assert refused.value.message_dict["countries"] == ["Unknown country code: QQ."]


def test_a_new_shop_starts_with_its_countrys_language_and_currency(staff: Client) -> None:
    # given: no options yet, shipping from Norway
    merchant = MerchantFactory.create(default_locale="en", sender_country="NO")

    # when
    data = form_data(staff, f"{ADD}?merchant={merchant.pk}", "deliveryoption_form")

    # then
    assert [data["names_key_0"], data["names_key_1"]] == ["en", "nb"]
    assert data["prices_key_0"] == "NOK"


def test_the_carrier_product_serves_the_options_kind(staff: Client) -> None:
    # given: PostNord's MyPack Collect is a pickup-point product
    merchant = MerchantFactory.create()
    data = _own_courier(staff, merchant.pk, kind="home", carrier="postnord", carrier_product="19")

    # when
    response = staff.post(ADD, data)

    # then
    (error,) = _errors(response)["carrier_product"]
    assert error.startswith("PostNord 19 (MyPack Collect) is not a product for Home delivery; ")
    assert "17 (MyPack Home)" in error
    assert not DeliveryOption.objects.exists()
