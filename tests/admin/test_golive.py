"""The go-live checklist (merchants.golive): each step computed from the data, the checks and
previews recorded where they happen, shown on the merchant's page with the TMS endpoint URL;
saving a store, option or agreement started from a merchant returns to it; the admin is the
gateway's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from merchants.golive import (
    AGREEMENT_CHECK,
    PREVIEW_RUN,
    agreement_check_record,
    merchant_golive_checklist,
    preview_run_record,
    shop_sales_languages,
)
from merchants.models import AuditLog, CarrierAgreement, Merchant
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)

from .helpers import form_data

pytestmark = pytest.mark.django_db

ENDPOINT = "https://gateway.example/ksa/v1"


def _steps(merchant: Merchant) -> dict[str, tuple[bool, str]]:
    checklist = merchant_golive_checklist(merchant=merchant, endpoint_url=ENDPOINT)
    return {step.label: (step.done, step.detail) for step in checklist.steps}


def _ready_merchant() -> tuple[Merchant, CarrierAgreement]:
    merchant = MerchantFactory.create(default_locale="en")
    KlarnaCredentialFactory.create(merchant=merchant, identifier=f"ready-{merchant.slug}")
    agreement = CarrierAgreementFactory.create(
        merchant=merchant, carrier="postnord", test_mode=False
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="home", countries=["SE"], names={"en": "Home", "sv": "Hem"}
    )
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="letter",
        countries=["SE"],
        names={"en": "Letter", "sv-SE": "Brev"},
        is_fallback=True,
    )
    agreement_check_record(agreement=agreement, ok=True, message="Quote OK", actor=None)
    preview_run_record(merchant=merchant, offered=2, actor=None)
    return merchant, agreement


# --- The selector ---------------------------------------------------------------------------


def test_a_new_merchant_has_every_step_to_do() -> None:
    # given
    merchant = MerchantFactory.create()

    # when
    checklist = merchant_golive_checklist(merchant=merchant, endpoint_url=ENDPOINT)

    # then
    assert checklist.endpoint_url == ENDPOINT
    assert not checklist.ready
    assert [(s.key, s.done) for s in checklist.steps] == [
        ("credential", False),
        ("agreements", False),
        ("test_mode", False),
        ("options", False),
        ("names", False),
        ("fallback", False),
        ("preview", False),
    ]
    assert checklist.steps[-1].detail == "Never run."


def test_a_merchant_with_every_step_done_is_ready() -> None:
    # given
    merchant, agreement = _ready_merchant()

    # when
    checklist = merchant_golive_checklist(merchant=merchant, endpoint_url=ENDPOINT)

    # then
    assert checklist.ready, checklist.missing
    assert checklist.languages == ["en", "sv"]
    steps = {s.key: s for s in checklist.steps}
    assert steps["credential"].detail == f"ready-{merchant.slug}"
    assert steps["agreement"].object_id == agreement.pk
    assert steps["agreement"].detail.startswith("Connection OK, checked ")
    assert steps["fallback"].detail == "letter"
    assert steps["preview"].detail.endswith(": 2 option(s) offered.")


def test_a_revoked_credential_does_not_count() -> None:
    merchant, _ = _ready_merchant()
    merchant.credentials.update(revoked_at=timezone.now())

    assert _steps(merchant)["Klarna credential issued"] == (False, "No active credential yet.")


def test_each_agreement_needs_its_latest_check_to_have_passed() -> None:
    # given: PostNord failed then passed; Bring passed then failed; Budbee never checked
    merchant, postnord = _ready_merchant()
    bring = CarrierAgreementFactory.create(merchant=merchant, carrier="bring", test_mode=False)
    CarrierAgreementFactory.create(merchant=merchant, carrier="budbee", test_mode=False)
    agreement_check_record(agreement=postnord, ok=False, message="HTTP 401", actor=None)
    agreement_check_record(agreement=postnord, ok=True, message="OK", actor=None)
    agreement_check_record(agreement=bring, ok=True, message="OK", actor=None)
    agreement_check_record(agreement=bring, ok=False, message="Bring: HTTP 401", actor=None)
    CarrierAgreementFactory.create(merchant=merchant, carrier="dhl", is_active=False)

    # when
    steps = _steps(merchant)

    # then: one step per active agreement, with the date of its latest check
    assert steps["PostNord: connection checked"][0] is True
    done, detail = steps["Bring: connection checked"]
    assert not done and detail.startswith("Check failed 20") and "Bring: HTTP 401" in detail
    assert steps["Budbee: connection checked"] == (False, "Never checked.")
    assert not any(label.startswith("DHL") for label in steps)


def test_test_mode_on_is_a_step_to_do_naming_what_is_in_test_mode() -> None:
    merchant, agreement = _ready_merchant()
    agreement.test_mode = True
    agreement.save()

    steps = _steps(merchant)

    assert steps["Test mode off (live)"] == (False, "Test mode on: PostNord.")
    assert not merchant_golive_checklist(merchant=merchant, endpoint_url=ENDPOINT).ready


def test_option_names_are_needed_in_every_language_the_shop_sells_in() -> None:
    # given: an option to Finland, named in English and Swedish only
    merchant, _ = _ready_merchant()
    DeliveryOptionFactory.create(
        merchant=merchant, code="fi-home", countries=["FI", "NO"], names={"en": "Home", "sv": "Hem"}
    )
    DeliveryOptionFactory.create(
        merchant=merchant, code="off", countries=["DE"], names={"en": "x"}, is_active=False
    )

    # when
    checklist = merchant_golive_checklist(merchant=merchant, endpoint_url=ENDPOINT)

    # then: the inactive option's country adds no language
    assert checklist.languages == ["en", "sv", "fi", "nb"]
    names = next(s for s in checklist.steps if s.key == "names")
    assert not names.done
    assert names.detail == "Missing: home (fi, nb); letter (fi, nb); fi-home (fi, nb)."
    assert shop_sales_languages(merchant=merchant) == ["en", "sv", "fi", "nb"]


def test_without_a_fallback_option_or_with_an_empty_preview_it_is_not_ready() -> None:
    merchant, _ = _ready_merchant()
    merchant.options.update(is_fallback=False)
    preview_run_record(merchant=merchant, offered=0, actor=None)

    steps = _steps(merchant)

    assert steps["Fallback options (offered when carriers cannot be reached)"] == (
        False,
        "No active fallback option.",
    )
    assert steps["Checkout preview run"][0] is False
    assert steps["Checkout preview run"][1].endswith(": 0 option(s) offered.")


def test_another_merchants_checks_and_previews_do_not_count() -> None:
    merchant, _ = _ready_merchant()
    other, _ = _ready_merchant()
    AuditLog.objects.filter(merchant=merchant, action__in=[AGREEMENT_CHECK, PREVIEW_RUN]).delete()

    steps = _steps(merchant)

    assert steps["PostNord: connection checked"] == (False, "Never checked.")
    assert steps["Checkout preview run"] == (False, "Never run.")
    assert merchant_golive_checklist(merchant=other, endpoint_url=ENDPOINT).ready


# --- On the merchant's page -----------------------------------------------------------------


def test_the_merchant_page_shows_the_checklist_and_the_endpoint_of_this_gateway(
    staff: Client,
) -> None:
    # given
    merchant, agreement = _ready_merchant()
    not_ready = MerchantFactory.create()

    # when
    page = staff.get(f"/admin/merchants/merchant/{merchant.pk}/change/").content.decode()
    empty = staff.get(f"/admin/merchants/merchant/{not_ready.pk}/change/").content.decode()

    # then
    assert 'value="http://testserver/ksa/v1"' in page
    assert "Go-live checklist" in page
    assert 'class="golive-ready">ready<' in page
    assert "✗ to do" not in page
    assert (
        f"/admin/merchants/carrieragreement/{agreement.pk}/change/?merchant={merchant.pk}" in page
    )
    assert "not ready (7 steps to do)" in empty
    assert f"/admin/merchants/merchant/{not_ready.pk}/credentials/issue/" in empty


def test_a_connection_check_is_recorded_with_its_result(staff: Client, demo: Merchant) -> None:
    # given
    agreement = demo.agreements.get(carrier="postnord")

    # when
    response = staff.post(
        f"/admin/merchants/carrieragreement/{agreement.pk}/check/?merchant={demo.pk}"
    )

    # then: recorded, and the way back to the merchant is kept
    assert response.status_code == 302
    assert response["Location"] == (
        f"/admin/merchants/carrieragreement/{agreement.pk}/change/?merchant={demo.pk}"
    )
    row = AuditLog.objects.get(merchant=demo, action=AGREEMENT_CHECK)
    assert row.object_id == str(agreement.pk)
    assert row.changes["ok"] == [None, True]
    assert row.actor is not None
    assert _steps(demo)["PostNord: connection checked"][0] is True
    log = staff.get(f"/admin/merchants/auditlog/{row.pk}/change/").content.decode()
    assert "agreement_check" in log and "<td>ok</td><td>None</td><td>True</td>" in log


def test_a_preview_run_is_recorded_and_an_empty_form_is_not(staff: Client, demo: Merchant) -> None:
    # when
    staff.get(f"/admin/merchants/merchant/{demo.pk}/preview/")
    staff.get(
        f"/admin/merchants/merchant/{demo.pk}/preview/",
        {"country": "SE", "postal_code": "11151", "city": "Stockholm"},
    )

    # then
    row = AuditLog.objects.get(merchant=demo, action=PREVIEW_RUN)
    assert row.changes["offered"][1] > 0
    assert _steps(demo)["Checkout preview run"][0] is True


# --- Back to the merchant ---------------------------------------------------------------------


def _change_page(merchant: Merchant) -> str:
    return f"/admin/merchants/merchant/{merchant.pk}/change/"


def test_a_store_added_from_the_merchant_page_returns_to_it(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/store/add/?merchant={merchant.pk}"
    existing = StoreFactory.create(merchant=merchant)
    data = form_data(staff, f"/admin/merchants/store/{existing.pk}/change/", "store_form")
    data.update(code="second", name="Second store", merchant=str(merchant.pk))

    # when
    response = staff.post(url, data)

    # then
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )
    assert response["Location"] == _change_page(merchant)
    assert merchant.stores.filter(code="second").exists()


def test_an_option_changed_from_the_merchant_page_returns_to_it(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    option = DeliveryOptionFactory.create(merchant=merchant)
    url = f"/admin/merchants/deliveryoption/{option.pk}/change/?merchant={merchant.pk}"
    data = form_data(staff, url, "deliveryoption_form")

    # when
    saved = staff.post(url, data)
    continued = staff.post(url, {**data, "_continue": "1"})

    # then
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert saved["Location"] == _change_page(merchant)
    assert continued["Location"].endswith(f"merchant={merchant.pk}")
    assert continued["Location"].startswith(f"/admin/merchants/deliveryoption/{option.pk}/change/")


def test_an_agreement_from_the_merchant_page_returns_to_it_also_through_changelist_filters(
    staff: Client,
) -> None:
    # given
    merchant = MerchantFactory.create()
    agreement = CarrierAgreementFactory.create(merchant=merchant, carrier="budbee", is_active=False)
    base = f"/admin/merchants/carrieragreement/{agreement.pk}/change/"
    data = form_data(staff, base, "carrieragreement_form")

    # when
    saved = staff.post(f"{base}?_changelist_filters=merchant%3D{merchant.pk}", data)

    # then
    assert saved.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", saved.content.decode(), re.S
    )
    assert saved["Location"] == _change_page(merchant)


def test_without_the_merchant_or_with_another_one_the_usual_page_follows(
    staff: Client,
) -> None:
    # given
    merchant = MerchantFactory.create()
    other = MerchantFactory.create()
    option = DeliveryOptionFactory.create(merchant=merchant)
    base = f"/admin/merchants/deliveryoption/{option.pk}/change/"
    data: dict[str, Any] = form_data(staff, base, "deliveryoption_form")

    # when
    plain = staff.post(base, data)
    foreign = staff.post(f"{base}?merchant={other.pk}", data)

    # then: the option list, as before
    assert plain["Location"] == "/admin/merchants/deliveryoption/"
    assert foreign["Location"] == "/admin/merchants/deliveryoption/"


# --- Branding -------------------------------------------------------------------------------


def test_the_admin_is_branded_as_the_gateway_and_view_site_is_useful(staff: Client) -> None:
    page = staff.get("/admin/").content.decode()

    assert "TMS gateway · partner admin" in page
    assert "<title>Onboard and support shops | TMS gateway admin</title>" in page
    assert 'href="/api/docs/"' in page
    assert staff.get("/api/docs/").status_code == 200


def test_recording_a_check_needs_no_actor() -> None:
    # the check of a command or task has no user
    merchant, agreement = _ready_merchant()
    row = agreement_check_record(agreement=agreement, ok=True, message="x" * 900, actor=None)
    assert row.actor is None and len(row.changes["message"][1]) == 500
    assert row.at <= timezone.now() + dt.timedelta(seconds=1)
    assert row.merchant == merchant
