"""In a browser, the admin's option and agreement forms: tags as chips (and as a plain text field
without JavaScript), the carrier product select following the carrier and kind, the credential
fields following the carrier on the agreement's add page, prices typed in normal units saved in
minor units, and unknown codes or bad postal-code ranges refused on their own field."""

from __future__ import annotations

from typing import Any

import pytest

from merchants.models import CarrierAgreement, DeliveryOption
from tests.factories import MerchantFactory

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _option_add(page: Any, live_server: Any, merchant: Any, code: str) -> None:
    page.goto(f"{live_server.url}/admin/merchants/deliveryoption/add/?merchant={merchant.pk}")
    page.fill("#id_code", code)
    page.select_option("#id_kind", "own")
    page.select_option("#id_carrier", "generic")
    _set_row(page, "names", "sv", "Vårt bud")
    _set_row(page, "prices", "SEK", "49")


def _set_row(page: Any, field: str, key: str, value: str, *, new_key: str | None = None) -> None:
    """Type ``value`` in the row of ``key`` (or the first empty row), as staff would."""
    index = page.eval_on_selector_all(
        f"input[name^={field}_key_]",
        """(inputs, key) => {
            const mine = inputs.findIndex(i => i.value.trim() === key);
            return mine >= 0 ? mine : inputs.findIndex(i => !i.value.trim());
        }""",
        key,
    )
    page.fill(f"#id_{field}_key_{index}", key if new_key is None else new_key)
    page.fill(f"#id_{field}_value_{index}", value)


def _save(page: Any) -> None:
    with page.expect_navigation():
        page.click("#deliveryoption_form [name=_save]")


def _chips(page: Any, field: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#id_{field}_entry ~ *, .tag-chips:has(#id_{field}_entry) .tag-chip",
        "items => items.filter(i => i.dataset.tag).map(i => i.dataset.tag)",
    )


def test_tags_become_chips_and_post_the_comma_separated_list(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _option_add(page, live_server, merchant, "chips-se")

    # the text field became chips; its label now points to the entry
    assert page.get_attribute("#id_required_tags", "type") == "hidden"
    assert page.get_attribute("label[for=id_required_tags_entry]", "for")
    entry = page.locator("#id_required_tags_entry")
    entry.fill("bulky")
    entry.press("Enter")  # Enter adds a chip and does not submit the form
    entry.type("fragile,")
    entry.type("bulky")
    entry.press("Enter")  # already there: ignored
    assert _chips(page, "required_tags") == ["bulky", "fragile"]
    assert page.input_value("#id_required_tags") == "bulky, fragile"

    # a tag the rule refuses stays in the entry, marked, with why
    entry.type("a<b")
    entry.press("Enter")
    assert _chips(page, "required_tags") == ["bulky", "fragile"]
    assert entry.get_attribute("aria-invalid") == "true"
    assert "is not a tag" in page.inner_text("#id_required_tags_message")
    screenshot(page, "admin-option-tags-refused")

    # Backspace in the empty entry removes the last chip, its remove button removes one
    entry.fill("")
    entry.press("Backspace")
    assert _chips(page, "required_tags") == ["bulky"]
    entry.type("18+")
    entry.press("Enter")
    page.click(".tag-chip[data-tag=bulky] .tag-chip-remove")
    assert _chips(page, "required_tags") == ["18+"]
    excluded = page.locator("#id_excluded_tags_entry")
    excluded.type("cold, frozen")  # a pasted list: every part before the last comma is a tag
    assert _chips(page, "excluded_tags") == ["cold"]
    excluded.press("Tab")  # leaving the entry adds what is typed
    assert _chips(page, "excluded_tags") == ["cold", "frozen"]
    screenshot(page, "admin-option-tags")

    _save(page)
    option = DeliveryOption.objects.get(merchant=merchant, code="chips-se")
    assert option.required_tags == ["18+"]
    assert option.excluded_tags == ["cold", "frozen"]

    # the saved tags come back as chips
    page.goto(f"{live_server.url}/admin/merchants/deliveryoption/{option.pk}/change/")
    assert _chips(page, "excluded_tags") == ["cold", "frozen"]
    assert errors == []


def test_a_refused_tag_left_in_the_entry_is_refused_by_the_server_on_its_field(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    _option_add(page, live_server, merchant, "refused-se")
    page.locator("#id_required_tags_entry").type("bulky, a<b")

    _save(page)

    box = page.locator(".fieldBox.field-required_tags")
    assert "errors" in (box.get_attribute("class") or "")
    assert "'a<b' is not a tag" in box.locator("xpath=..").inner_text()
    # the refused value comes back: a valid chip and a marked one
    assert _chips(page, "required_tags") == ["bulky", "a<b"]
    assert page.locator(".tag-chip-invalid[data-tag='a<b']").count() == 1
    assert page.locator(".tag-chips.tag-chips-invalid").count() == 1
    screenshot(page, "admin-option-tags-server-refused")
    assert not DeliveryOption.objects.filter(merchant=merchant, code="refused-se").exists()


def test_without_javascript_tags_are_a_comma_separated_text_field(
    browser: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "ops")
        page.fill("#id_password", "pw-ops-123456")
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        _option_add(page, live_server, merchant, "plain-se")
        assert page.get_attribute("#id_required_tags", "type") == "text"
        assert page.locator(".tag-chips").count() == 0
        page.fill("#id_required_tags", "bulky, fragile, bulky")
        screenshot(page, "admin-option-tags-no-js")
        _save(page)
    finally:
        context.close()
    option = DeliveryOption.objects.get(merchant=merchant, code="plain-se")
    assert option.required_tags == ["bulky", "fragile"]


def _visible_products(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#id_carrier_product option",
        "options => options.filter(o => !o.disabled && !o.hidden && o.value"
        " && !(o.parentElement.tagName === 'OPTGROUP' && o.parentElement.disabled))"
        ".map(o => o.value)",
    )


def test_the_carrier_product_select_follows_the_carrier_and_the_kind(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    page.goto(f"{live_server.url}/admin/merchants/deliveryoption/add/?merchant={merchant.pk}")

    page.select_option("#id_carrier", "postnord")
    page.select_option("#id_kind", "pickup_point")
    assert _visible_products(page) == ["19"]
    page.select_option("#id_carrier_product", "19")
    page.select_option("#id_kind", "home")
    assert _visible_products(page) == ["17"]
    assert page.input_value("#id_carrier_product") == ""  # 19 is no home delivery: unchosen
    page.select_option("#id_kind", "mailbox")
    assert _visible_products(page) == ["30", "11"]

    page.select_option("#id_carrier", "bring")
    assert _visible_products(page) == ["3584", "3570"]
    page.select_option("#id_kind", "locker")
    assert _visible_products(page) == ["5800", "PICKUP_PARCEL"]
    page.select_option("#id_carrier", "budbee")
    assert _visible_products(page) == ["DLVBOX"]
    screenshot(page, "admin-option-carrier-product")


def test_prices_in_normal_units_are_saved_in_minor_units_and_bad_codes_are_refused_on_their_field(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    merchant = staff_signed_in
    _option_add(page, live_server, merchant, "prices-se")
    _set_row(page, "names", "xx", "Unknown")
    _set_row(page, "prices", "SEK", "49,50")
    _set_row(page, "prices", "ABC", "10")
    page.fill("#id_postal_codes", "29999-20000")
    # a country code no select offers, as a tampered post would send it
    page.eval_on_selector(
        "#id_countries",
        "s => { const o = new Option('Nowhere', 'QQ', true, true); s.add(o); }",
    )
    _save(page)

    for field, says in [
        ("names", "'xx' is not a known language code"),
        ("prices", "'ABC' is not an ISO 4217 currency code"),
        ("postal_codes", "the range starts after it ends"),
        ("countries", "Select a valid choice. QQ is not one of the available choices."),
    ]:
        row = page.locator(f".form-row.field-{field}")
        assert says in row.inner_text(), field
        assert "errors" in (row.get_attribute("class") or ""), field
    screenshot(page, "admin-option-refused-codes")
    assert not DeliveryOption.objects.filter(merchant=merchant, code="prices-se").exists()

    # corrected: the amounts typed in kronor are stored in öre
    _set_row(page, "names", "xx", "", new_key="")
    _set_row(page, "prices", "ABC", "1 234,5", new_key="EUR")
    page.fill("#id_postal_codes", "20000-29999")
    page.select_option("#id_countries", ["SE"])
    _save(page)
    assert page.locator(".errorlist").count() == 0, page.locator(".errorlist").all_inner_texts()
    option = DeliveryOption.objects.get(merchant=merchant, code="prices-se")
    assert option.prices == {"SEK": 4950, "EUR": 123450}
    assert option.postal_codes == ["20000-29999"]
    assert option.countries == ["SE"]


def test_the_credential_fields_follow_the_carrier_chosen_on_the_add_page(
    page: Any, live_server: Any, staff_signed_in: Any
) -> None:
    assert staff_signed_in
    merchant = MerchantFactory.create()  # with no agreement yet
    page.goto(f"{live_server.url}/admin/merchants/carrieragreement/add/?merchant={merchant.pk}")

    def shown() -> list[str]:
        return page.eval_on_selector_all(
            "[class*='field-credential_']",
            "rows => rows.filter(r => !r.hidden && r.offsetParent !== null)"
            ".map(r => /field-credential_(\\S+)/.exec(r.className)[1])",
        )

    page.select_option("#id_carrier", "budbee")
    assert sorted(shown()) == ["api_key", "api_secret"]
    page.select_option("#id_carrier", "instabox")
    assert shown() == ["api_key"]
    page.select_option("#id_carrier", "dhl")
    assert sorted(shown()) == ["api_key", "client_key", "sent_carkey", "sent_ref"]
    screenshot(page, "admin-agreement-add-dhl")

    # an unknown origin country is refused on its field; PostNord's fields still shown
    page.select_option("#id_carrier", "postnord")
    page.fill("#id_customer_number", "1234567")
    page.fill("#id_credential_api_key", "pn-key")
    page.fill("#id_credential_origin_country", "XX")
    with page.expect_navigation():
        page.click("#carrieragreement_form [name=_save]")
    row = page.locator(".form-row.field-credential_origin_country")
    assert "errors" in (row.get_attribute("class") or "")
    assert "'XX' is not a country code" in row.inner_text()
    assert sorted(shown()) == sorted(
        ["api_key", "application_id", "issuer_code", "origin_postal_code", "origin_country"]
    )
    screenshot(page, "admin-agreement-refused-country")
    assert not CarrierAgreement.objects.filter(merchant=merchant).exists()


def test_the_rows_per_language_and_currency_fit_a_phone(
    browser: Any, live_server: Any, staff_signed_in: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-ops-123456")
    page.click("input[type=submit]")
    page.goto(
        f"{live_server.url}/admin/merchants/deliveryoption/add/?merchant={staff_signed_in.pk}"
    )

    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.keyed-values input')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "admin-option-add-390")
    context.close()
