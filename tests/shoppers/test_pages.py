"""Remembered choices in the admin and the portal: the shop's switch, erasure of one shopper
(audited, the shop's own only) and the preview's reason for a preselection."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from merchants.audit import AuditAction
from merchants.models import AuditLog, Merchant
from tms_gateway.shoppers.models import RememberedChoice
from tms_gateway.shoppers.services import choice_remember

from .conftest import shop_client

pytestmark = pytest.mark.django_db

SHOPPER = {"email": "Kim@Example.com", "phone": "+46701234567", "country": "SE"}
OTHER = {"email": "lee@example.com", "phone": "+46709876543", "country": "SE"}


def _remember(merchant: Merchant, shopper: dict[str, str], option_id: str = "budbee-box") -> None:
    assert choice_remember(merchant=merchant, recipient=shopper, option_id=option_id) == 2


def _audit_rows(merchant: Merchant) -> list[AuditLog]:
    return list(AuditLog.objects.filter(merchant=merchant, action=AuditAction.SHOPPER_FORGET))


def _no_clear_identity(rows: list[AuditLog]) -> None:
    text = repr([(r.changes, r.object_repr, r.object_id) for r in rows]).casefold()
    for clear in ("kim@example.com", "701234567", "kim"):
        assert clear not in text


# --- admin ----------------------------------------------------------------------------------


def test_the_merchant_page_has_the_switch_and_the_erasure_link(
    staff: Client, demo: Merchant
) -> None:
    page = staff.get(f"/admin/merchants/merchant/{demo.pk}/change/").content.decode()

    assert 'name="remember_choices"' in page and 'name="remember_days"' in page
    assert f"/admin/merchants/merchant/{demo.pk}/forget-shopper/" in page


def test_staff_forget_a_shopper_by_email_audited_without_it(
    staff: Client, demo: Merchant, shop_b: Merchant
) -> None:
    shop_b.remember_choices = True
    _remember(demo, SHOPPER)
    _remember(demo, OTHER)
    _remember(shop_b, SHOPPER, option_id="b-courier")
    url = f"/admin/merchants/merchant/{demo.pk}/forget-shopper/"
    assert staff.get(url).status_code == 200

    response = staff.post(
        url, {"email": " KIM@example.COM", "phone": "", "country": "SE"}, follow=True
    )

    assert response.status_code == 200
    assert "Forgot 2 remembered choice(s)" in response.content.decode()
    assert RememberedChoice.objects.filter(merchant=demo).count() == 2  # the other shopper's
    assert RememberedChoice.objects.filter(merchant=shop_b).count() == 2  # another shop's
    rows = _audit_rows(demo)
    assert [
        (r.actor.username if r.actor else None, r.changes["remembered_choices"]) for r in rows
    ] == [("root", [2, 0])]
    _no_clear_identity(rows)


def test_staff_erasure_without_an_identity_is_refused(staff: Client, demo: Merchant) -> None:
    _remember(demo, SHOPPER)

    response = staff.post(
        f"/admin/merchants/merchant/{demo.pk}/forget-shopper/",
        {"email": "", "phone": "12", "country": "SE"},
    )

    assert response.status_code == 400
    assert RememberedChoice.objects.count() == 2
    assert not _audit_rows(demo)


# --- portal ---------------------------------------------------------------------------------


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    client.get(url)
    return client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **data})


def test_the_shop_switches_it_on_in_its_settings_audited(shop_b: Merchant) -> None:
    client = shop_client(shop_b, "bertil")
    page = client.get("/portal/settings/").content.decode()
    assert 'name="remember_choices"' in page and "/portal/settings/forget-shopper/" in page

    response = _post(
        client,
        "/portal/settings/",
        {"time_zone": "Europe/Stockholm", "remember_choices": "on", "remember_days": "90"},
    )

    assert response.status_code == 302
    shop_b.refresh_from_db()
    assert (shop_b.remember_choices, shop_b.remember_days) == (True, 90)
    log = AuditLog.objects.get(merchant=shop_b, action=AuditAction.UPDATE)
    assert log.changes["remember_choices"] == [False, True]
    assert log.changes["remember_days"] == [365, 90]


def test_the_shop_forgets_its_own_shopper_by_phone_never_another_shops(
    demo: Merchant, shop_b: Merchant
) -> None:
    shop_b.remember_choices = True
    _remember(demo, SHOPPER)
    _remember(shop_b, SHOPPER, option_id="b-courier")
    client_b = shop_client(shop_b, "bertil")

    # when: shop B erases the shopper
    response = _post(
        client_b,
        "/portal/settings/forget-shopper/",
        {"email": "", "phone": "070-123 45 67", "country": "SE", "merchant": str(demo.pk)},
    )

    # then: its own rows only
    assert response.status_code == 302
    assert not RememberedChoice.objects.filter(merchant=shop_b).exists()
    assert RememberedChoice.objects.filter(merchant=demo).count() == 2
    assert not _audit_rows(demo)
    rows = _audit_rows(shop_b)
    assert [r.changes for r in rows] == [
        {"identified_by": "Mobile number", "remembered_choices": [2, 0]}
    ]
    _no_clear_identity(rows)
    page = client_b.get("/portal/settings/forget-shopper/").content.decode()
    assert "Forgot 2 remembered choices of this shopper." in page


def test_the_portal_refuses_an_invalid_number_and_changes_nothing(demo: Merchant) -> None:
    _remember(demo, SHOPPER)
    client = shop_client(demo, "anna")

    response = _post(
        client, "/portal/settings/forget-shopper/", {"email": "", "phone": "abc", "country": "SE"}
    )

    assert response.status_code == 400
    assert RememberedChoice.objects.count() == 2
    assert not _audit_rows(demo)


# --- the preview ----------------------------------------------------------------------------


def test_the_preview_says_why_an_option_was_preselected(demo: Merchant) -> None:
    client = shop_client(demo, "anna")
    address = {"country": "SE", "postal_code": "11151", "city": "Stockholm"}
    plain = _post(client, "/portal/preview/", address)
    offered = [o for o in plain.context["options"] if not o["preselected"] and o["locations"]]
    option_id = offered[0]["id"]
    _remember(demo, SHOPPER, option_id=option_id)

    # when: the shop types the shopper's e-mail
    response = _post(client, "/portal/preview/", {**address, "email": "kim@example.com"})

    # then
    rows = {o["id"]: o for o in response.context["options"]}
    assert rows[option_id]["preselected"]
    assert rows[option_id]["remembered"].startswith("Preselected because this shopper chose it on ")
    assert "data-remembered" in response.content.decode()
    assert not [o for o in rows.values() if o["remembered"] and o["id"] != option_id]
    # a shopper the shop has not seen: no reason
    unknown = _post(client, "/portal/preview/", {**address, "email": "new@example.com"})
    assert not [o for o in unknown.context["options"] if o["remembered"]]


def test_the_erasure_page_speaks_swedish(demo: Merchant) -> None:
    client = shop_client(demo, "anna")
    client.cookies["django_language"] = "sv"

    page = client.get("/portal/settings/forget-shopper/").content.decode()
    settings_page = client.get("/portal/settings/").content.decode()

    assert "<h1>Glöm en kund</h1>" in page
    assert "Kundens e-postadress" in page and "När en kund ber att bli glömd" in page
    assert "Förvälj en återkommande kunds senaste val" in settings_page


def test_the_admin_preview_posts_the_shopper_and_says_why(staff: Client, demo: Merchant) -> None:
    url = f"/admin/merchants/merchant/{demo.pk}/preview/"
    address = {"country": "SE", "postal_code": "11151", "city": "Stockholm"}
    _remember(demo, SHOPPER, option_id="postnord-home")

    response = staff.post(url, {**address, "phone": "070 123 45 67"})

    assert response.status_code == 200
    rows = {o["id"]: o for o in response.context["options"]}
    assert rows["postnord-home"]["preselected"]
    assert "recognised by the mobile number" in rows["postnord-home"]["remembered"]
    assert '<form method="post"' in response.content.decode()


def test_read_only_staff_cannot_forget_a_shopper(demo: Merchant) -> None:
    import io

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("staff_roles", stdout=io.StringIO())
    user = User.objects.create_user("sam", "sam@partner.example", "pw-1234567890", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(user)
    _remember(demo, SHOPPER)

    response = client.post(
        f"/admin/merchants/merchant/{demo.pk}/forget-shopper/",
        {"email": "kim@example.com", "country": "SE"},
    )

    assert response.status_code == 403
    assert RememberedChoice.objects.count() == 2
    assert not _audit_rows(demo)
