"""The streamed .xlsx writer (merchants/portal/xlsx.py): a workbook openpyxl (and so Excel)
reads back cell for cell, written a piece at a time."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import load_workbook

from merchants.portal.xlsx import Kind, xlsx_stream

HEADER = ("name", "price", "at", "code")


def test_cells_come_back_as_written_text_stays_text() -> None:
    rows: list[dict[str, object]] = [
        {
            "name": 'Åsa & <Bo> "Ö"',
            "price": Decimal("89"),
            "at": dt.datetime(2026, 2, 1, 0, 30),
            "code": "0150",
        },
        {"name": "=HYPERLINK(1)", "price": Decimal("12.5"), "at": None, "code": " +46 "},
        {"name": "bell\x07 and tab\t", "price": None, "at": dt.datetime(1999, 12, 31), "code": ""},
    ]

    pieces = list(
        xlsx_stream(
            sheet_name="Bookings",
            header=HEADER,
            kinds={"price": Kind.NUMBER, "at": Kind.DATETIME},
            rows=rows,
            widths={"name": 24},
            rows_per_chunk=1,
        )
    )

    # The header leaves before any row is read, then a piece per row.
    assert len(pieces) >= 4
    workbook = load_workbook(io.BytesIO(b"".join(pieces)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "Bookings"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 24
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == list(HEADER)
    assert values[1] == ['Åsa & <Bo> "Ö"', 89, dt.datetime(2026, 2, 1, 0, 30), "0150"]
    assert values[2] == ["=HYPERLINK(1)", 12.5, None, " +46 "]
    # A control character XML cannot hold is left out, not a broken file.
    assert values[3] == ["bell and tab\t", None, dt.datetime(1999, 12, 31), None]
    name, price, at, code = sheet[2]
    assert name.data_type == "s" and name.number_format == "@"
    assert code.data_type == "s" and code.number_format == "@"
    assert price.number_format == "0.00"
    assert at.is_date and at.number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A3"].data_type == "s"  # a formula typed by a shopper is only text


def test_the_rows_are_read_only_as_the_workbook_is_read() -> None:
    read: list[int] = []

    def rows() -> Iterator[dict[str, object]]:
        for n in range(3):
            read.append(n)
            yield {"name": f"n{n}", "price": n, "at": None, "code": ""}

    stream = xlsx_stream(sheet_name="S", header=HEADER, kinds={}, rows=rows(), rows_per_chunk=1)

    first = next(stream)
    assert first.startswith(b"PK")
    assert read == []
    rest = list(stream)
    assert read == [0, 1, 2]
    sheet = load_workbook(io.BytesIO(first + b"".join(rest))).active
    assert sheet is not None
    assert sheet.max_row == 4
