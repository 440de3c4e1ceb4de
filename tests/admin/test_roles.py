"""The two staff roles: "Support" sees everything and changes nothing (no actions, no
buttons, 403 on every change); "Admin" may do everything. ``staff_roles`` is idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from carriers.models import CarrierTrace
from merchants.models import CarrierAgreement, KlarnaCredential, Merchant
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    StoreFactory,
)

from .helpers import form_data, post_once

pytestmark = pytest.mark.django_db

APPS = ("merchants", "shipments", "carriers", "insights", "experiments")
LISTS = (
    "/admin/merchants/merchant/",
    "/admin/merchants/klarnacredential/",
    "/admin/merchants/carrieragreement/",
    "/admin/merchants/deliveryoption/",
    "/admin/merchants/store/",
    "/admin/merchants/auditlog/",
    "/admin/shipments/shipment/",
    "/admin/carriers/carriertrace/",
)


@pytest.fixture
def setup() -> dict[str, object]:
    option = DeliveryOptionFactory.create()
    merchant = option.merchant
    return {
        "merchant": merchant,
        "credential": KlarnaCredentialFactory.create(merchant=merchant),
        "agreement": option.agreement,
        "store": StoreFactory.create(merchant=merchant),
        "option": option,
    }


def _codenames(group: str) -> set[str]:
    return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))


def test_staff_roles_creates_both_groups_and_is_idempotent() -> None:
    # when
    out = io.StringIO()
    call_command("staff_roles", stdout=out)
    call_command("staff_roles", stdout=out)

    # then
    every = set(
        Permission.objects.filter(content_type__app_label__in=APPS).values_list(
            "codename", flat=True
        )
    )
    assert Group.objects.filter(name__in=["Support", "Admin"]).count() == 2
    assert _codenames("Admin") == every
    assert _codenames("Support") == {c for c in every if c.startswith("view_")}
    assert {"view_merchant", "view_shipment", "view_carriertrace", "view_auditlog"} <= (
        _codenames("Support")
    )
    assert "Support: " in out.getvalue()


def test_staff_roles_restores_a_changed_group() -> None:
    # given
    call_command("staff_roles", stdout=io.StringIO())
    Group.objects.get(name="Support").permissions.add(
        Permission.objects.get(codename="change_merchant")
    )

    # when
    call_command("staff_roles", stdout=io.StringIO())

    # then
    assert "change_merchant" not in _codenames("Support")


def test_support_sees_every_list_and_page(support: Client, setup: dict[str, object]) -> None:
    for url in LISTS:
        response = support.get(url)
        assert response.status_code == 200, url
        assert 'name="action"' not in response.content.decode(), url  # no actions at all
    for name in ("merchant", "credential", "agreement", "store", "option"):
        obj = setup[name]
        model = type(obj)._meta.model_name  # type: ignore[attr-defined]
        page = support.get(f"/admin/merchants/{model}/{obj.pk}/change/")  # type: ignore[attr-defined]
        assert page.status_code == 200, name
        assert 'name="_save"' not in page.content.decode(), name


def test_support_gets_no_buttons(support: Client, setup: dict[str, object]) -> None:
    merchant = setup["merchant"]
    assert isinstance(merchant, Merchant)
    page = support.get(f"/admin/merchants/merchant/{merchant.pk}/change/").content.decode()
    assert "Issue Klarna credential" not in page
    assert "Invite shop user" not in page
    assert "Rotate key" not in page
    assert "Preview checkout" in page
    agreement = setup["agreement"]
    assert isinstance(agreement, CarrierAgreement)
    page = support.get(f"/admin/merchants/carrieragreement/{agreement.pk}/change/").content.decode()
    assert "Check connection" not in page


def test_support_cannot_change_anything(support: Client, setup: dict[str, object]) -> None:
    merchant, credential, agreement = setup["merchant"], setup["credential"], setup["agreement"]
    assert isinstance(merchant, Merchant)
    assert isinstance(credential, KlarnaCredential)
    assert isinstance(agreement, CarrierAgreement)
    base = f"/admin/merchants/merchant/{merchant.pk}"
    posts = {
        f"{base}/change/": {"name": "Hacked"},
        f"{base}/credentials/issue/": {},
        f"{base}/credentials/{credential.pk}/rotate/": {},
        f"{base}/credentials/{credential.pk}/revoke/": {},
        f"{base}/invite/": {"email": "x@y.example"},
        "/admin/merchants/merchant/add/": {"name": "New", "slug": "new"},
        f"/admin/merchants/carrieragreement/{agreement.pk}/change/": {"customer_number": "1"},
        f"/admin/merchants/carrieragreement/{agreement.pk}/check/": {},
        f"/admin/merchants/deliveryoption/{setup['option'].pk}/change/": {"code": "x"},  # type: ignore[attr-defined]
        f"/admin/merchants/store/{setup['store'].pk}/change/": {"name": "x"},  # type: ignore[attr-defined]
        f"/admin/merchants/merchant/{merchant.pk}/delete/": {"post": "yes"},
    }
    for url, data in posts.items():
        assert support.post(url, data).status_code == 403, url
    for url in (f"{base}/credentials/issue/", f"{base}/invite/"):
        assert support.get(url).status_code == 403, url
    # and an action posted by hand does nothing
    support.post(
        "/admin/merchants/carrieragreement/",
        {"action": "check_connection", "_selected_action": [agreement.pk]},
    )
    merchant.refresh_from_db()
    credential.refresh_from_db()
    assert merchant.name != "Hacked"
    assert credential.revoked_at is None and credential.rotated_at is None
    assert KlarnaCredential.objects.count() == 1
    assert not CarrierTrace.objects.exists()


def test_the_admin_role_may_change_and_run_actions(
    admin_group: Client, setup: dict[str, object]
) -> None:
    merchant = setup["merchant"]
    assert isinstance(merchant, Merchant)
    url = f"/admin/merchants/merchant/{merchant.pk}/change/"
    data = form_data(admin_group, url, "merchant_form")
    data["name"] = "Renamed"

    response = admin_group.post(url, data)
    issued = post_once(admin_group, f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/")
    listing = admin_group.get("/admin/merchants/carrieragreement/")

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.name == "Renamed"
    assert issued.status_code == 302
    assert merchant.credentials.count() == 2
    assert 'value="check_connection"' in listing.content.decode()
    assert "Issue Klarna credential" in admin_group.get(url).content.decode()


def test_agreement_credentials_are_not_shown_to_support(
    support: Client, setup: dict[str, object]
) -> None:
    agreement = CarrierAgreementFactory.create(
        carrier="bring", credentials={"api_key": "bring-secret-55555"}
    )
    page = support.get(f"/admin/merchants/carrieragreement/{agreement.pk}/change/").content.decode()
    assert "bring-secret-55555" not in page
    assert "api_key set" in page
    assert "credential_api_key" not in page
