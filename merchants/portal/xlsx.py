"""A one-sheet Excel workbook (.xlsx) written as it streams: the first bytes leave at once, and
a month of a big shop (some 45,000 rows of 25 cells) takes a second or two, not the twenty
openpyxl needs to build the whole file first.

An .xlsx is a zip of XML parts; here every part but the sheet is fixed text, and the sheet's
rows are written into the zip entry as they come (Python's zipfile writes to a stream that
cannot seek, with data descriptors). Three kinds of cells: text (an inline string with the
text format ``@``: never a formula, a number or a date, whatever the shopper typed), a number
with two decimals (``0.00``) and a local date and time (``yyyy-mm-dd hh:mm``, Excel's serial
day number). The header row is frozen; columns may be given widths.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"
    DATETIME = "datetime"


#: The cell styles of styles.xml, by kind (cellXfs index).
_STYLE = {Kind.TEXT: 1, Kind.DATETIME: 2, Kind.NUMBER: 3}
_EPOCH = dt.datetime(1899, 12, 30)
#: XML 1.0 allows no control characters but tab, line feed and carriage return.
_ILLEGAL = dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32)))

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
# cellXfs: 0 the default, 1 text (@, built-in 49), 2 the local date and time, 3 0.00 (built-in 2).
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>\
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>"""
_SHEET_END = "</sheetData></worksheet>"


class _Pipe:
    """What the zip writes into: the bytes wait here until the generator hands them on. It has
    no tell(), so zipfile writes as to a stream (no seeking back)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _text_cell(ref: str, value: object) -> str:
    text = escape(str(value).translate(_ILLEGAL))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr" s="1"><is><t{space}>{text}</t></is></c>'


def _cell(ref: str, kind: Kind, value: object) -> str:
    if value is None or value == "":
        return ""
    if kind is Kind.NUMBER and isinstance(value, int | float | Decimal):
        return f'<c r="{ref}" s="3"><v>{value}</v></c>'
    if kind is Kind.DATETIME and isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="2"><v>{serial:.10f}</v></c>'
    return _text_cell(ref, value)


def xlsx_stream(
    *,
    sheet_name: str,
    header: Sequence[str],
    kinds: Mapping[str, Kind],
    rows: Iterable[Mapping[str, object]],
    widths: Mapping[str, float] | None = None,
    rows_per_chunk: int = 500,
) -> Iterator[bytes]:
    """The workbook's bytes, a few hundred rows at a time. ``rows`` give each column of
    ``header`` its value; a column's kind is TEXT unless ``kinds`` says otherwise."""
    letters = [get_column_letter(i + 1) for i in range(len(header))]
    column_kinds = [kinds.get(column, Kind.TEXT) for column in header]
    widths = widths or {}
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{widths[column]}" customWidth="1"/>'
        for i, column in enumerate(header)
        if column in widths
    )
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:  # type: ignore[call-overload]
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet_name, {'"': "&quot;"}))),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            book.writestr(name, text)
        # No zip64: a sheet of Excel's most rows (1,048,576) stays well below 2 GiB of XML.
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_START.format(cols=f"<cols>{cols}</cols>" if cols else "").encode())
            head = "".join(
                f'<c r="{letter}1" t="inlineStr"><is><t>{escape(column)}</t></is></c>'
                for letter, column in zip(letters, header, strict=True)
            )
            sheet.write(f'<row r="1">{head}</row>'.encode())
            yield pipe.take()
            lines: list[str] = []
            for number, row in enumerate(rows, start=2):
                cells = "".join(
                    _cell(f"{letter}{number}", kind, row[column])
                    for letter, kind, column in zip(letters, column_kinds, header, strict=True)
                )
                lines.append(f'<row r="{number}">{cells}</row>')
                if len(lines) >= rows_per_chunk:
                    sheet.write("".join(lines).encode())
                    lines.clear()
                    yield pipe.take()
            sheet.write(("".join(lines) + _SHEET_END).encode())
    yield pipe.take()
