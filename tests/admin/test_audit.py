"""The audit log: changes as {field: [old, new]} with secrets masked, and its read-only admin."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.audit import audit_changes, audit_record, audit_snapshot
from merchants.models import AuditLog, CarrierAgreement
from tests.factories import (
    CarrierAgreementFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def test_changes_are_old_and_new_values_and_secrets_are_masked() -> None:
    # given
    agreement = CarrierAgreementFactory.create(
        carrier="bring",
        customer_number="100",
        credentials={"api_uid": "a@b.example", "api_key": "bring-key-1"},
    )
    before = audit_snapshot(agreement)

    # when
    agreement.customer_number = "200"
    agreement.credentials = {"api_uid": "a@b.example", "client_url": "https://shop.example"}
    changes = audit_changes(before=before, after=agreement)

    # then
    assert changes == {
        "customer_number": ["100", "200"],
        "credentials.api_key": "(changed)",
        "credentials.client_url": "(changed)",
    }
    assert "bring-key-1" not in repr(before)


def test_a_new_and_a_deleted_object_have_every_field() -> None:
    # given
    credential = KlarnaCredentialFactory.create(identifier="id-1", key="plain-key-1")

    # when
    created = audit_changes(before=None, after=credential)
    deleted = audit_changes(before=credential, after=None)

    # then
    assert created["identifier"] == [None, "id-1"]
    assert created["key"] == "(changed)"
    assert "previous_key" not in created  # empty before and after
    assert deleted["identifier"] == ["id-1", None]
    assert "plain-key-1" not in repr(created) + repr(deleted)
    assert "created_at" not in created and "id" not in created


def test_many_to_many_and_related_rows_are_named() -> None:
    # given
    option = DeliveryOptionFactory.create()
    before = audit_snapshot(option)
    store = StoreFactory.create(merchant=option.merchant, name="Kungsgatan")

    # when
    option.stores.add(store)
    changes = audit_changes(before=before, after=option)

    # then
    assert changes == {"stores": [[], ["Kungsgatan"]]}
    assert before["agreement"] == str(option.agreement)


def test_the_audit_log_admin_lists_filters_searches_and_changes_nothing(
    staff: Client, superuser: object
) -> None:
    # given
    merchant = MerchantFactory.create(name="Logged AB")
    agreement = CarrierAgreementFactory.create(merchant=merchant)
    row = audit_record(
        merchant=merchant,
        actor=superuser,  # type: ignore[arg-type]
        action="update",
        obj=agreement,
        changes={"customer_number": ["1", "2"], "credentials.api_key": "(changed)"},
    )
    audit_record(
        merchant=MerchantFactory.create(),
        actor=None,
        action="create",
        obj=MerchantFactory.create(name="Unrelated AB"),
        changes={},
    )

    # when
    listing = staff.get(
        f"/admin/merchants/auditlog/?merchant__id__exact={merchant.pk}"
        "&action=update&object_type=CarrierAgreement"
    )
    searched = staff.get("/admin/merchants/auditlog/?q=Logged")
    detail = staff.get(f"/admin/merchants/auditlog/{row.pk}/change/")
    changed = staff.post(f"/admin/merchants/auditlog/{row.pk}/change/", {"action": "x"})
    deleted = staff.post(f"/admin/merchants/auditlog/{row.pk}/delete/", {"post": "yes"})

    # then
    assert listing.status_code == searched.status_code == detail.status_code == 200
    assert f'<td class="field-object_repr">{agreement}</td>' in listing.content.decode()
    assert '<td class="field-object_repr">Unrelated AB</td>' not in listing.content.decode()
    assert str(agreement) in searched.content.decode()
    assert "(changed)" in detail.content.decode()
    assert "customer_number" in detail.content.decode()
    assert changed.status_code == deleted.status_code == 403
    assert staff.get("/admin/merchants/auditlog/add/").status_code == 403
    assert AuditLog.objects.count() == 2
    assert CarrierAgreement.objects.count() == 1
