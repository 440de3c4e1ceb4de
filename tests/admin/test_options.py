"""Delivery options and stores: fieldsets, JSON per language, validation errors shown on the
form, add-ons inline (with their option's merchant), stores only of the same merchant, and
every change audited."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import DeliveryOption, DeliveryOptionAddon, Store
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    MerchantFactory,
    StoreFactory,
)

from .form_rows import set_rows
from .helpers import audit_rows, form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/merchants/deliveryoption/add/"


def _option_data(staff: Client, merchant_id: int, **values: object) -> dict[str, object]:
    data = form_data(staff, f"{ADD}?merchant={merchant_id}", "deliveryoption_form")
    data.update(
        code="home-se",
        kind="home",
        carrier="postnord",
        carrier_product="17",
        countries=["SE"],
    )
    set_rows(data, "names", {"sv": "Hemleverans", "en": "Home delivery"})
    set_rows(data, "prices", {"SEK": "49"})
    for field in ("names", "prices"):
        if field in values:
            set_rows(data, field, values.pop(field))  # type: ignore[arg-type]
    data.update(values)
    return data


def test_the_option_list_filters_and_searches(staff: Client) -> None:
    # given
    option = DeliveryOptionFactory.create(code="findable-home", countries=["SE", "NO"])
    DeliveryOptionFactory.create(code="other-option")

    # when
    found = staff.get("/admin/merchants/deliveryoption/?q=findable")
    filtered = staff.get(
        f"/admin/merchants/deliveryoption/?merchant__id__exact={option.merchant_id}"
        "&kind__exact=home&is_active__exact=1"
    )

    # then
    assert found.status_code == filtered.status_code == 200
    assert "findable-home" in found.content.decode()
    assert "other-option" not in found.content.decode()
    assert "SE, NO" in found.content.decode()
    assert "findable-home" in filtered.content.decode()
    assert "other-option" not in filtered.content.decode()


def test_the_change_form_groups_the_fields(staff: Client) -> None:
    # given
    option = DeliveryOptionFactory.create()

    # when
    page = staff.get(f"/admin/merchants/deliveryoption/{option.pk}/change/").content.decode()

    # then
    for legend in (
        "Identity",
        "Texts per language",
        "Prices",
        "Conditions (an empty one always holds)",
        "Delivery time",
        "Presentation",
        "Delivery option addons",
    ):
        assert legend in page, legend


def test_an_option_with_addons_is_created_and_audited(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    agreement = CarrierAgreementFactory.create(merchant=merchant, carrier="postnord")
    store = StoreFactory.create(merchant=merchant, code="city")
    data = _option_data(staff, merchant.pk, agreement=str(agreement.pk), stores=[str(store.pk)])
    data.update(
        {
            "addons-TOTAL_FORMS": "1",
            "addons-0-code": "sms",
            "addons-0-type": "sms",
            "addons-0-names_key_0": "en",
            "addons-0-names_value_0": "SMS",
            "addons-0-prices_key_0": "SEK",
            "addons-0-prices_value_0": "5,00",
            "addons-0-sort_order": "0",
        }
    )

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 302, response.content.decode()
    option = DeliveryOption.objects.get(merchant=merchant, code="home-se")
    assert option.names == {"sv": "Hemleverans", "en": "Home delivery"}
    assert list(option.stores.all()) == [store]
    addon = DeliveryOptionAddon.objects.get(option=option)
    assert addon.merchant == merchant
    assert addon.prices == {"SEK": 500}
    rows = audit_rows(merchant=merchant)
    assert [(action, kind) for action, kind, _ in rows] == [
        ("create", "DeliveryOption"),
        ("create", "DeliveryOptionAddon"),
    ]
    assert rows[0][2]["code"] == [None, "home-se"]
    assert rows[0][2]["stores"] == [None, [str(store)]]
    assert rows[1][2]["prices"] == [None, {"SEK": 500}]


def test_validation_errors_are_shown_on_the_form_and_nothing_is_saved(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _option_data(
        staff,
        merchant.pk,
        carrier="generic",
        kind="home",
        prices={"XXX": "49"},
        names={"swedish": "Hem"},
        countries=["XX"],
        earliest_days="3",
        latest_days="1",
    )

    # when
    response = staff.post(ADD, data)

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below." in page
    assert "&#x27;XXX&#x27; is not an ISO 4217 currency code." in page
    assert "&#x27;swedish&#x27; is not a known language code" in page
    assert "Select a valid choice. XX is not one of the available choices." in page
    assert not DeliveryOption.objects.exists()


def test_rules_of_the_model_are_shown_on_their_fields(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    data = _option_data(
        staff, merchant.pk, carrier="generic", kind="home", earliest_days="3", latest_days="1"
    )

    # when
    response = staff.post(ADD, data)

    # then
    page = response.content.decode()
    assert "Only store pickup, own courier and letters can be the shop&#x27;s own." in page
    assert "Latest must not be before earliest." in page
    assert not DeliveryOption.objects.exists()


def test_another_merchants_store_and_agreement_are_refused(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    foreign_store = StoreFactory.create(code="elsewhere")
    foreign_agreement = CarrierAgreementFactory.create(carrier="postnord")
    data = _option_data(
        staff,
        merchant.pk,
        stores=[str(foreign_store.pk)],
        agreement=str(foreign_agreement.pk),
    )

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice." in page
    assert not DeliveryOption.objects.exists()


def test_a_duplicate_code_is_refused(staff: Client) -> None:
    # given
    existing = DeliveryOptionFactory.create(code="taken")
    data = _option_data(staff, existing.merchant_id, code="taken")

    # when
    response = staff.post(ADD, data)

    # then
    assert response.status_code == 200
    assert (
        "Delivery option with this Merchant and Code already exists." in response.content.decode()
    )


def test_changing_and_deleting_an_option_and_its_addons_is_audited(staff: Client) -> None:
    # given
    addon = DeliveryOptionAddonFactory.create(code="door")
    option = addon.option
    url = f"/admin/merchants/deliveryoption/{option.pk}/change/"
    data = form_data(staff, url, "deliveryoption_form")
    data.update({"sort_order": "7", "addons-0-required": "on"})

    # when
    changed = staff.post(url, data)
    data = form_data(staff, url, "deliveryoption_form")
    data["addons-0-DELETE"] = "on"
    removed = staff.post(url, data)
    deleted = staff.post(f"/admin/merchants/deliveryoption/{option.pk}/delete/", {"post": "yes"})

    # then
    assert changed.status_code == removed.status_code == deleted.status_code == 302
    assert not DeliveryOption.objects.exists()
    rows = audit_rows(merchant=option.merchant)
    assert rows[:3] == [
        ("update", "DeliveryOption", {"sort_order": [0, 7]}),
        ("update", "DeliveryOptionAddon", {"required": [False, True]}),
        ("delete", "DeliveryOptionAddon", rows[2][2]),
    ]
    assert rows[2][2]["code"] == ["door", None]
    assert rows[3][:2] == ("delete", "DeliveryOption")


def test_stores_are_listed_edited_and_audited(staff: Client) -> None:
    # given
    store = StoreFactory.create(code="city", name="City Store")
    url = f"/admin/merchants/store/{store.pk}/change/"

    # when
    listing = staff.get("/admin/merchants/store/?q=City")
    data = form_data(staff, url, "store_form")
    data.update(name="City Store North", opening_hours_0_0_opens="18:00")
    data["opening_hours_0_0_closes"] = "09:00"
    refused = staff.post(url, data)
    data.update(opening_hours_0_0_opens="09:00", opening_hours_0_0_closes="18:00")
    saved = staff.post(url, data)

    # then
    assert listing.status_code == 200
    assert "City Store" in listing.content.decode()
    assert refused.status_code == 200
    assert "Monday: closes (09:00) must be after it opens (18:00)." in refused.content.decode()
    assert saved.status_code == 302
    store.refresh_from_db()
    assert store.name == "City Store North"
    (row,) = audit_rows(merchant=store.merchant)
    assert row[0:2] == ("update", "Store")
    assert row[2]["name"] == ["City Store", "City Store North"]
    assert row[2]["opening_hours"][1][0] == {"weekday": 0, "opens": "09:00", "closes": "18:00"}
    assert len(store.opening_hours) == 6
    assert Store.objects.count() == 1


def test_a_duplicate_code_is_refused_on_change_too(staff: Client) -> None:
    # given: the merchant is fixed once created, so the form checks the code itself
    existing = DeliveryOptionFactory.create(code="taken")
    option = DeliveryOptionFactory.create(merchant=existing.merchant, code="free")
    url = f"/admin/merchants/deliveryoption/{option.pk}/change/"
    data = form_data(staff, url, "deliveryoption_form")
    data["code"] = "taken"

    # when
    response = staff.post(url, data)

    # then
    assert response.status_code == 200
    assert "This merchant already has a delivery option taken." in response.content.decode()
    option.refresh_from_db()
    assert option.code == "free"
    assert "merchant" not in data
