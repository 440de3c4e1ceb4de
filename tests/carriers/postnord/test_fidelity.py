"""carriers/postnord/FIDELITY.md says what the declaration says, and names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from carriers.declaration import Operation, Verdict
from carriers.postnord.declaration import DECLARATION

TABLE = Path(settings.BASE_DIR) / "carriers" / "postnord" / "FIDELITY.md"
HEADER = ["operation", "endpoint and version we call", "published source checked against"]
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _rows() -> list[list[str]]:
    lines = [
        line for line in TABLE.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]
    rows = [[cell.strip() for cell in line.strip().split("|")[1:-1]] for line in lines]
    assert rows[0] == [*HEADER, "tests", "verdict"]
    return rows[2:]


def test_one_row_per_operation_with_the_declared_verdict() -> None:
    rows = _rows()

    assert [row[0] for row in rows] == [op.label for op in Operation]
    assert {row[0]: row[4] for row in rows} == {
        op.label: DECLARATION.fidelity[op].value for op in Operation
    }


def test_every_checked_row_names_a_source_and_tests_that_exist() -> None:
    for operation, _endpoint, source, tests, verdict in _rows():
        if verdict == Verdict.NOT_OFFERED:
            continue
        assert source not in ("", "-"), operation
        references = TEST_REF.findall(tests)
        assert references, operation
        for path, name in references:
            text = (Path(settings.BASE_DIR) / path).read_text(encoding="utf-8")
            assert re.search(rf"def {name}\b", text), f"{operation}: {path} has no {name}"
