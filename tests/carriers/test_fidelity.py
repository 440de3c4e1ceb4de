"""carriers/FIDELITY.md and the carriers' declarations say the same thing.

The table is what partner staff and reviewers read; the declarations are what the admin and
"check connection" show. Each carrier has a section with one row per operation, its verdict
equal to the declared one, a source for every checked operation, and tests that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from carriers.declaration import CarrierDeclaration, Operation, Verdict
from carriers.registry import declarations

TABLE = Path(settings.BASE_DIR) / "carriers" / "FIDELITY.md"
SECTION = re.compile(r"^## .*\(`(?P<slug>[a-z0-9_-]+)`\)\s*$", re.MULTILINE)
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _rows(slug: str) -> list[list[str]]:
    text = TABLE.read_text(encoding="utf-8")
    sections = {m.group("slug"): m.end() for m in SECTION.finditer(text)}
    assert slug in sections, f"FIDELITY.md has no section for {slug}"
    body = text[sections[slug] :]
    following = SECTION.search(body)
    body = body[: following.start()] if following else body
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in body.splitlines()
        if line.startswith("|")
    ]
    assert rows and rows[0][0] == "operation", f"{slug}: the table must start with its header"
    return rows[2:]  # the header and its separator


def _declared() -> list[CarrierDeclaration]:
    return list(declarations().values())


@pytest.mark.parametrize("declaration", _declared(), ids=lambda d: d.slug)
def test_every_operation_has_a_row_with_the_declared_verdict(
    declaration: CarrierDeclaration,
) -> None:
    rows = _rows(declaration.slug)

    assert [row[0] for row in rows] == [op.label for op in Operation]
    verdicts = {row[0]: row[-1].strip("*_ ").lower() for row in rows}
    assert verdicts == {op.label: declaration.fidelity[op].value for op in Operation}


@pytest.mark.parametrize("declaration", _declared(), ids=lambda d: d.slug)
def test_every_checked_row_names_its_source_and_tests_that_exist(
    declaration: CarrierDeclaration,
) -> None:
    for row in _rows(declaration.slug):
        operation, _endpoint, source, tests, verdict = row[:5]
        if verdict.strip("*_ ").lower() in (Verdict.VERIFIED, Verdict.INFERRED):
            assert source and source != "-", f"{declaration.slug} {operation}: no source"
            references = TEST_REF.findall(tests)
            assert references, f"{declaration.slug} {operation}: no test named"
            for path, name in references:
                file = Path(settings.BASE_DIR) / path
                assert file.exists(), f"{declaration.slug} {operation}: {path} does not exist"
                assert re.search(rf"def {name}\b", file.read_text(encoding="utf-8")), (
                    f"{declaration.slug} {operation}: {path} has no {name}"
                )


def test_the_counts_are_those_of_the_declarations() -> None:
    text = TABLE.read_text(encoding="utf-8")
    counted = re.search(r"^## Counts\s*$(?P<body>.*?)^## ", text, re.MULTILINE | re.DOTALL)
    assert counted is not None
    rows = {
        cells[0]: [int(n) for n in cells[1:]]
        for line in counted.group("body").splitlines()
        if line.startswith("|")
        and (cells := [c.strip() for c in line.strip("|").split("|")])
        and cells[1].isdigit()
    }
    verdicts = [Verdict.VERIFIED, Verdict.INFERRED, Verdict.UNVERIFIED, Verdict.NOT_OFFERED]
    expected = {
        d.name: [sum(d.fidelity[op] is v for op in Operation) for v in verdicts]
        for d in _declared()
    }
    expected["all"] = [sum(column) for column in zip(*expected.values(), strict=True)]
    assert rows == expected
