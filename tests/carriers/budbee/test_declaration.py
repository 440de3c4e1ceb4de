"""Budbee's declaration: what it says, and what the adapter does not offer it refuses (the
FIDELITY.md rows are checked in tests/carriers/test_fidelity.py)."""

from __future__ import annotations

import pytest

from carriers.budbee import BudbeeAdapter
from carriers.budbee.declaration import DECLARATION
from carriers.declaration import Operation, Verdict
from carriers.exceptions import OperationNotSupported
from carriers.registry import klarna_carrier, shipping_company
from carriers.types import AgreementCredentials


def test_the_adapter_is_declared_once() -> None:
    assert (BudbeeAdapter.slug, BudbeeAdapter.name) == ("budbee", "Budbee")
    assert BudbeeAdapter.products == {"home": "Budbee Home", "DLVBOX": "Budbee Box"}
    assert DECLARATION.secret_credential_keys == {"api_secret"}
    assert DECLARATION.unverified == ()


@pytest.mark.django_db
def test_klarna_gets_budbee_box_for_lockers_and_budbee_for_home() -> None:
    assert klarna_carrier("budbee", "DLVBOX") == "budbee-box"
    assert klarna_carrier("budbee", "home") == "budbee"
    assert shipping_company("budbee") == "Budbee"


def test_what_is_not_offered_is_refused() -> None:
    assert DECLARATION.fidelity[Operation.TRACKING] is Verdict.NOT_OFFERED
    with pytest.raises(OperationNotSupported):
        BudbeeAdapter().track(
            agreement=AgreementCredentials(agreement_id=1, customer_number="1"),
            tracking_number="1",
        )
