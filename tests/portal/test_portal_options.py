"""The shop edits its own delivery options in the portal: names, descriptions, prices and
free-shipping thresholds with the admin's form controls, order, on/off. Audited; only its own
options; nothing else of an option; and Klarna's next shipping-options call shows the change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from merchants.models import (
    AuditLog,
    Carrier,
    CarrierAgreement,
    DeliveryOption,
    Merchant,
    OptionKind,
)
from tests.factories import CarrierAgreementFactory, DeliveryOptionFactory, MerchantFactory
from tests.ksa.conftest import Klarna, session, shop_create
from tms_gateway.checkout.services import _configuration

from .conftest import shop_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(db: None) -> Merchant:
    merchant = MerchantFactory.create(
        name="Nordic Shoes", slug="nordic-shoes", default_locale="sv", sender_country="SE"
    )
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="pn-home",
        carrier="postnord",
        carrier_product="17",
        names={"sv": "Hemleverans", "en": "Home delivery"},
        prices={"SEK": 6900},
        sort_order=10,
    )
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="own-courier",
        kind=OptionKind.OWN,
        carrier=Carrier.GENERIC,
        carrier_product="",
        names={"sv": "Eget bud", "en": "Own courier"},
        prices={"SEK": 9900},
        sort_order=20,
    )
    budbee = CarrierAgreementFactory.create(merchant=merchant, carrier="budbee", is_active=False)
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="budbee-evening",
        carrier="budbee",
        carrier_product="home",
        agreement=budbee,
        names={"sv": "Kvällsleverans", "en": "Evening delivery"},
        prices={"SEK": 7900},
        sort_order=30,
        is_active=False,
    )
    return merchant


@pytest.fixture
def user(merchant: Merchant) -> User:
    return shop_user(merchant, "sara")


@pytest.fixture
def shop_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def option(code: str) -> DeliveryOption:
    return DeliveryOption.objects.get(code=code)


def csrf_post(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """A POST with the CSRF token a page of the portal gave the browser."""
    client.get(reverse("portal:options"))
    token = client.cookies["csrftoken"].value
    return client.post(url, {"csrfmiddlewaretoken": token, **data}, **extra)


def edit_data(
    opt: DeliveryOption,
    *,
    names: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    prices: dict[str, str] | None = None,
    thresholds: dict[str, str] | None = None,
    **raw: Any,
) -> dict[str, Any]:
    """The edit form as the page posts it: the option's values (a row per language or
    currency, sorted), with ``names`` … ``thresholds`` changed per key and ``raw`` fields set."""

    def amounts(stored: dict[str, int]) -> dict[str, str]:
        return {currency: f"{amount / 100:.2f}" for currency, amount in stored.items()}

    rows = {
        "names": {**opt.names, **(names or {})},
        "descriptions": {**(opt.descriptions or {}), **(descriptions or {})},
        "prices": {**amounts(opt.prices), **(prices or {})},
        "free_shipping_thresholds": {
            **amounts(opt.free_shipping_thresholds or {}),
            **(thresholds or {}),
        },
    }
    data: dict[str, Any] = {}
    for field, values in rows.items():
        pairs = [*sorted(values.items()), ("", "")]
        for i, (key, text) in enumerate(pairs):
            data[f"{field}_key_{i}"], data[f"{field}_value_{i}"] = key, text
    data["sort_order"] = str(opt.sort_order)
    if opt.is_active:
        data["is_active"] = "on"
    data.update(raw)
    return {k: v for k, v in data.items() if v is not None}


def edit_url(opt: DeliveryOption) -> str:
    return reverse("portal:option", kwargs={"option_id": opt.pk})


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_the_shops_options_in_order_with_prices_as_money(
    shop_client: Client, merchant: Merchant
) -> None:
    DeliveryOption.objects.filter(code="pn-home").update(free_shipping_thresholds={"SEK": 50000})
    response = shop_client.get(reverse("portal:options"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert response.status_code == 200
    assert "<title>Delivery options · Nordic Shoes · TMS portal</title>" in page
    assert page.index("Home delivery") < page.index("Own courier") < page.index("Evening delivery")
    assert "69.00 SEK" in page and "99.00 SEK" in page and "500.00 SEK" in page
    assert "The carrier agreement is not active." in page  # budbee-evening cannot be switched on
    assert 'href="/portal/options/"' in page and 'aria-current="page"' in page


def test_the_list_is_in_swedish_with_swedish_money(shop_client: Client) -> None:
    shop_client.cookies["django_language"] = "sv"
    page = shop_client.get(reverse("portal:options")).content.decode()

    assert "<title>Leveranssätt · Nordic Shoes · TMS-portal</title>" in page
    assert "Hemleverans" in page and "69,00 SEK" in page
    assert "Inställningar" in page  # the settings link of the navigation


def test_another_shops_options_are_not_listed_nor_found(
    shop_client: Client, merchant: Merchant
) -> None:
    other = MerchantFactory.create(name="Other", slug="other")
    foreign = DeliveryOptionFactory.create(
        merchant=other, code="foreign", names={"en": "Foreign option"}, prices={"SEK": 100}
    )
    assert "Foreign option" not in shop_client.get(reverse("portal:options")).content.decode()

    assert shop_client.get(edit_url(foreign)).status_code == 404
    posted = csrf_post(shop_client, edit_url(foreign), edit_data(foreign, names={"en": "Mine"}))
    moved = csrf_post(
        shop_client,
        reverse("portal:option_move", kwargs={"option_id": foreign.pk}),
        {"direction": "up"},
    )
    switched = csrf_post(
        shop_client,
        reverse("portal:option_active", kwargs={"option_id": foreign.pk}),
        {"active": "0"},
    )

    assert (posted.status_code, moved.status_code, switched.status_code) == (404, 404, 404)
    foreign.refresh_from_db()
    assert (foreign.names, foreign.sort_order, foreign.is_active) == (
        {"en": "Foreign option"},
        0,
        True,
    )
    assert not AuditLog.objects.filter(merchant=other).exists()


def test_a_partner_staff_user_without_a_shop_gets_403(db: None) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    assert client.get(reverse("portal:options")).status_code == 403


# --- editing ---------------------------------------------------------------------------------


def test_the_edit_page_has_the_admins_controls_and_nothing_the_shop_may_not_change(
    shop_client: Client,
) -> None:
    response = shop_client.get(edit_url(option("pn-home")), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert response.status_code == 200
    assert "<title>Home delivery · Delivery options · Nordic Shoes · TMS portal</title>" in page
    assert 'class="keyed-values"' in page  # the admin's row-per-language widget
    assert 'name="prices_value_0" id="id_prices_value_0" value="69.00"' in page
    assert "merchants/option_forms.js" in page and "merchants/option_forms.css" in page
    for field in ("names", "descriptions", "prices", "free_shipping_thresholds"):
        assert f'name="{field}_key_0"' in page
    assert 'name="sort_order"' in page and 'name="is_active"' in page
    for forbidden in ("carrier", "carrier_product", "agreement", "code", "countries", "kind"):
        assert f'name="{forbidden}"' not in page


def test_a_get_changes_nothing(shop_client: Client) -> None:
    before = list(DeliveryOption.objects.values_list("pk", "names", "sort_order", "is_active"))
    shop_client.get(edit_url(option("pn-home")))
    shop_client.get(reverse("portal:option_move", kwargs={"option_id": option("pn-home").pk}))
    shop_client.get(reverse("portal:option_active", kwargs={"option_id": option("pn-home").pk}))

    assert list(DeliveryOption.objects.values_list("pk", "names", "sort_order", "is_active")) == (
        before
    )
    assert not AuditLog.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(shop_client: Client) -> None:
    opt = option("pn-home")
    response = shop_client.post(edit_url(opt), edit_data(opt, names={"sv": "Utan token"}))

    assert response.status_code == 403
    assert option("pn-home").names["sv"] == "Hemleverans"


def test_names_prices_and_thresholds_are_saved_in_minor_units_and_audited(
    shop_client: Client, user: User, merchant: Merchant
) -> None:
    opt = option("pn-home")
    data = edit_data(
        opt,
        names={"sv": "Hem till dörren"},
        descriptions={"sv": "Vardagar 17-21"},
        prices={"SEK": "59,50", "EUR": "5.9"},
        thresholds={"SEK": "1 000"},
        sort_order="5",
    )
    response = csrf_post(shop_client, edit_url(opt), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:options")
    opt.refresh_from_db()
    assert opt.names == {"sv": "Hem till dörren", "en": "Home delivery"}
    assert opt.descriptions == {"sv": "Vardagar 17-21"}
    assert opt.prices == {"SEK": 5950, "EUR": 590}
    assert opt.free_shipping_thresholds == {"SEK": 100000}
    assert opt.sort_order == 5
    assert (opt.carrier, opt.carrier_product, opt.code) == ("postnord", "17", "pn-home")
    row = AuditLog.objects.get(merchant=merchant)
    assert (row.actor, row.action, row.object_type, row.object_id) == (
        user,
        "update",
        "DeliveryOption",
        str(opt.pk),
    )
    assert row.changes == {
        "names": [
            {"sv": "Hemleverans", "en": "Home delivery"},
            {"sv": "Hem till dörren", "en": "Home delivery"},
        ],
        "descriptions": [{}, {"sv": "Vardagar 17-21"}],
        "prices": [{"SEK": 6900}, {"SEK": 5950, "EUR": 590}],
        "free_shipping_thresholds": [{}, {"SEK": 100000}],
        "sort_order": [10, 5],
    }


def test_the_audit_row_is_in_the_admins_audit_log(shop_client: Client, merchant: Merchant) -> None:
    opt = option("pn-home")
    csrf_post(shop_client, edit_url(opt), edit_data(opt, prices={"SEK": "79"}))
    staff = Client()
    staff.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))

    page = staff.get(reverse("admin:merchants_auditlog_changelist")).content.decode()

    assert "sara" in page and "pn-home" in page


def test_fields_the_shop_may_not_change_are_ignored_when_posted(
    shop_client: Client, merchant: Merchant
) -> None:
    opt = option("pn-home")
    agreement = CarrierAgreement.objects.get(merchant=merchant, carrier="budbee")
    data = edit_data(
        opt,
        names={"sv": "Nytt namn"},
        code="stolen",
        carrier="budbee",
        carrier_product="home",
        agreement=str(agreement.pk),
        kind="locker",
        countries="NO",
        is_fallback="on",
        preselected="on",
        tax_rate="0",
        price_mode="carrier",
        merchant=str(MerchantFactory.create(slug="else").pk),
    )
    response = csrf_post(shop_client, edit_url(opt), data)

    assert response.status_code == 302
    after = option("pn-home")
    assert after.names["sv"] == "Nytt namn"
    assert (after.code, after.carrier, after.carrier_product, after.kind) == (
        "pn-home",
        "postnord",
        "17",
        "home",
    )
    assert after.agreement_id == opt.agreement_id and after.merchant_id == merchant.pk
    assert (after.countries, after.is_fallback, after.preselected, after.tax_rate) == (
        [],
        False,
        False,
        2500,
    )
    assert after.price_mode == "fixed"
    assert set(AuditLog.objects.get().changes) == {"names"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"prices_value_0": "12,345"}, "prices", "SEK has 2 decimals"),
        ({"prices_value_0": "gratis"}, "prices", "is not an amount"),
        ({"prices_key_0": "XXX"}, "prices", "is not an ISO 4217 currency code"),
        ({"prices_value_0": ""}, "prices", "This field is required."),
        (
            {"free_shipping_thresholds_key_0": "SEK", "free_shipping_thresholds_value_0": "-5"},
            "free_shipping_thresholds",
            "the amount must be zero or more",
        ),
        ({"names_key_0": "zz-top"}, "names", "is not a known language code"),
        ({"names_value_0": "", "names_value_1": ""}, "names", "This field is required."),
        ({"sort_order": "first"}, "sort_order", "Enter a whole number."),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(
    shop_client: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    opt = option("pn-home")
    response = csrf_post(
        shop_client,
        edit_url(opt),
        edit_data(opt, names={"sv": "Ska inte sparas"}, **overrides),
    )

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert option("pn-home").names["sv"] == "Hemleverans"
    assert option("pn-home").prices == {"SEK": 6900}
    assert not AuditLog.objects.exists()


def test_errors_and_the_rows_names_are_in_the_portals_language(shop_client: Client) -> None:
    shop_client.cookies["django_language"] = "sv"
    opt = option("pn-home")

    response = csrf_post(shop_client, edit_url(opt), edit_data(opt, prices={"SEK": "gratis"}))

    assert response.status_code == 400
    assert response.context["form"].errors["prices"] == [
        "SEK: 'gratis' är inget belopp, t.ex. 49 eller 49,00."
    ]
    page = response.content.decode()
    assert "svenska" in page and "svensk krona" in page  # the rows' language and currency
    assert 'aria-label="Valuta 1"' in page


def test_switching_off_and_on_in_the_form(shop_client: Client, merchant: Merchant) -> None:
    opt = option("pn-home")
    data = edit_data(opt)
    del data["is_active"]
    assert csrf_post(shop_client, edit_url(opt), data).status_code == 302
    assert option("pn-home").is_active is False

    assert csrf_post(shop_client, edit_url(opt), edit_data(opt)).status_code == 302
    assert option("pn-home").is_active is True
    assert [r.changes for r in AuditLog.objects.order_by("id")] == [
        {"is_active": [True, False]},
        {"is_active": [False, True]},
    ]


def test_an_option_is_not_switched_on_without_an_active_agreement(
    shop_client: Client, merchant: Merchant
) -> None:
    opt = option("budbee-evening")
    data = edit_data(opt, names={"sv": "Kväll"}, is_active="on")

    response = csrf_post(shop_client, edit_url(opt), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "the agreement with its carrier is not active" in str(
        response.context["form"].errors["is_active"]
    )
    after = option("budbee-evening")
    assert (after.is_active, after.names["sv"]) == (False, "Kvällsleverans")
    assert not AuditLog.objects.exists()


def test_the_on_button_is_refused_without_an_agreement(
    shop_client: Client, merchant: Merchant
) -> None:
    DeliveryOption.objects.filter(code="budbee-evening").update(agreement=None)
    url = reverse("portal:option_active", kwargs={"option_id": option("budbee-evening").pk})

    response = csrf_post(shop_client, url, {"active": "1"})
    page = shop_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert response.status_code == 302
    assert "there is no agreement with its carrier" in page
    assert option("budbee-evening").is_active is False
    assert not AuditLog.objects.exists()


def test_an_option_is_switched_on_once_its_agreement_is_active(
    shop_client: Client, merchant: Merchant
) -> None:
    CarrierAgreement.objects.filter(carrier="budbee").update(is_active=True)
    url = reverse("portal:option_active", kwargs={"option_id": option("budbee-evening").pk})

    assert csrf_post(shop_client, url, {"active": "1"}).status_code == 302
    assert option("budbee-evening").is_active is True
    # the same POST again changes nothing more
    assert csrf_post(shop_client, url, {"active": "1"}).status_code == 302
    assert [r.changes for r in AuditLog.objects.all()] == [{"is_active": [False, True]}]


def test_the_on_off_and_move_buttons_refuse_other_values(shop_client: Client) -> None:
    pk = option("pn-home").pk
    active = reverse("portal:option_active", kwargs={"option_id": pk})
    move = reverse("portal:option_move", kwargs={"option_id": pk})

    assert csrf_post(shop_client, active, {"active": "toggle"}).status_code == 400
    assert csrf_post(shop_client, move, {"direction": "sideways"}).status_code == 400
    assert option("pn-home").is_active is True and option("pn-home").sort_order == 10
    assert not AuditLog.objects.exists()


def test_moving_an_option_swaps_it_with_its_neighbour(
    shop_client: Client, merchant: Merchant
) -> None:
    DeliveryOption.objects.update(sort_order=0)  # equal orders: the id decides, as in checkout
    url = reverse("portal:option_move", kwargs={"option_id": option("budbee-evening").pk})

    response = csrf_post(shop_client, url, {"direction": "up"})

    assert response.status_code == 302
    order = list(
        DeliveryOption.objects.filter(merchant=merchant)
        .order_by("sort_order", "id")
        .values_list("code", "sort_order")
    )
    assert order == [("pn-home", 10), ("budbee-evening", 20), ("own-courier", 30)]
    assert AuditLog.objects.filter(action="update").count() == 3
    # the first cannot go further up: nothing changes
    first = reverse("portal:option_move", kwargs={"option_id": option("pn-home").pk})
    csrf_post(shop_client, first, {"direction": "up"})
    assert AuditLog.objects.count() == 3


# --- the checkout shows the change at once ---------------------------------------------------


@pytest.fixture
def caches_on(settings: Any) -> Iterator[None]:
    """The answer and configuration caches on, as in production (off in the other tests)."""
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 60
    settings.CHECKOUT_CONFIG_CACHE_SECONDS = 60
    _configuration.clear()
    yield
    _configuration.clear()


@pytest.fixture
def klarna_and_shop(db: None, caches_on: None) -> tuple[Klarna, Client]:
    shop = shop_create(identifier="portal-shop", key="portal-key")
    portal = Client()
    portal.force_login(shop_user(shop.merchant, "kim"))
    return Klarna(Client(), shop).login(), portal


def klarna_options(klarna: Klarna, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Klarna asks the same question again (a new session id: the kept answer applies)."""
    return {o["id"]: o for o in klarna.options(dict(body, session_id=str(uuid.uuid4())))}


def test_klarna_sees_a_renamed_and_repriced_option_at_once(
    klarna_and_shop: tuple[Klarna, Client], django_capture_on_commit_callbacks: Any
) -> None:
    klarna, portal = klarna_and_shop
    body = session()
    before = klarna_options(klarna, body)
    assert before["pn-pickup"]["name"] == "Ombud"
    assert before["pn-pickup"]["price"] == 4900
    opt = DeliveryOption.objects.get(merchant=klarna.shop.merchant, code="pn-pickup")
    # the answer is kept: a change behind the portal's back does not show (yet)
    DeliveryOption.objects.filter(pk=opt.pk).update(prices={"SEK": 100, "EUR": 10})
    assert klarna_options(klarna, body)["pn-pickup"]["price"] == 4900
    DeliveryOption.objects.filter(pk=opt.pk).update(prices=opt.prices)

    with django_capture_on_commit_callbacks(execute=True) as committed:  # as after a commit
        response = csrf_post(
            portal,
            edit_url(opt),
            edit_data(opt, names={"sv": "Hämta hos ombud"}, prices={"SEK": "39"}),
        )

    assert response.status_code == 302
    assert len(committed) == 1
    after = klarna_options(klarna, body)
    assert after["pn-pickup"]["name"] == "Hämta hos ombud"
    assert after["pn-pickup"]["price"] == 3900


def test_klarna_no_longer_sees_a_switched_off_option(
    klarna_and_shop: tuple[Klarna, Client], django_capture_on_commit_callbacks: Any
) -> None:
    klarna, portal = klarna_and_shop
    body = session()
    assert "pn-home" in klarna_options(klarna, body)
    opt = DeliveryOption.objects.get(merchant=klarna.shop.merchant, code="pn-home")

    url = reverse("portal:option_active", kwargs={"option_id": opt.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert csrf_post(portal, url, {"active": "0"}).status_code == 302

    assert "pn-home" not in klarna_options(klarna, body)


def test_klarna_sees_the_new_order_at_once(
    klarna_and_shop: tuple[Klarna, Client], django_capture_on_commit_callbacks: Any
) -> None:
    klarna, portal = klarna_and_shop
    body = session()
    first = list(klarna_options(klarna, body))
    opt = DeliveryOption.objects.get(merchant=klarna.shop.merchant, code=first[1])

    url = reverse("portal:option_move", kwargs={"option_id": opt.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert csrf_post(portal, url, {"direction": "up"}).status_code == 302

    assert list(klarna_options(klarna, body))[:2] == [first[1], first[0]]
