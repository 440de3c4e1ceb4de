"""Budbee's declaration: its FIDELITY.md rows say what its ``fidelity`` says, and what the
adapter does not offer it refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carriers.budbee import BudbeeAdapter
from carriers.budbee.declaration import DECLARATION
from carriers.declaration import Operation, Verdict
from carriers.exceptions import OperationNotSupported
from carriers.registry import klarna_carrier, shipping_company
from carriers.types import AgreementCredentials

ROOT = Path(__file__).resolve().parents[3]
FIDELITY = ROOT / "carriers" / "budbee" / "FIDELITY.md"
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _rows() -> list[list[str]]:
    lines = [
        line for line in FIDELITY.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    assert rows[0] == [
        "operation",
        "endpoint and version we call",
        "published source checked against",
        "tests",
        "verdict",
    ]
    return rows[2:]


def test_fidelity_rows_equal_the_declaration() -> None:
    rows = _rows()

    assert [row[0] for row in rows] == [op.label for op in Operation]
    assert {row[0]: row[-1] for row in rows} == {
        op.label: DECLARATION.fidelity[op].value for op in Operation
    }
    for row in rows:
        for path, name in TEST_REF.findall(row[3]):
            assert re.search(rf"def {name}\b", (ROOT / path).read_text(encoding="utf-8")), name


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
