"""carriers/dhl/FIDELITY.md says what the declaration says, with sources and tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from carriers.declaration import Operation, Verdict
from carriers.dhl import DhlAdapter
from carriers.dhl.declaration import DECLARATION
from carriers.exceptions import OperationNotSupported
from carriers.types import AgreementCredentials, Booking

TABLE = Path(settings.BASE_DIR) / "carriers" / "dhl" / "FIDELITY.md"
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _rows() -> list[list[str]]:
    text = TABLE.read_text(encoding="utf-8")
    assert re.search(r"^## .*\(`dhl`\)\s*$", text, re.MULTILINE)
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    assert rows[0] == [
        "operation",
        "endpoint and version we call",
        "published source checked against",
        "tests",
        "verdict",
    ]
    return rows[2:]


def test_every_operation_has_a_row_with_the_declared_verdict() -> None:
    rows = _rows()

    assert [row[0] for row in rows] == [op.label for op in Operation]
    assert {row[0]: row[-1] for row in rows} == {
        op.label: DECLARATION.fidelity[op].value for op in Operation
    }


def test_every_checked_row_names_its_source_and_tests_that_exist() -> None:
    for operation, _endpoint, source, tests, verdict in _rows():
        if verdict in (Verdict.VERIFIED, Verdict.INFERRED):
            assert source and source != "-", operation
            references = TEST_REF.findall(tests)
            assert references, operation
            for path, name in references:
                file = Path(settings.BASE_DIR) / path
                assert re.search(rf"def {name}\b", file.read_text(encoding="utf-8")), (path, name)


@pytest.mark.parametrize("operation", [Operation.CANCEL, Operation.FIND_BOOKING])
def test_what_is_not_offered_is_refused(operation: Operation) -> None:
    adapter = DhlAdapter()
    agreement = AgreementCredentials(agreement_id=1, customer_number="116768")

    assert not DECLARATION.supports(operation)
    with pytest.raises(OperationNotSupported):
        if operation is Operation.CANCEL:
            adapter.cancel(agreement=agreement, booking=Booking("1", ("1",)))
        else:
            adapter.find_booking(agreement=agreement, reference="shp_1")
