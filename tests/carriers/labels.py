"""Reading the sandbox's hand-built label PDFs in tests (no PDF library in the venv): the xref
table's objects, the one page, and the text its content stream draws (``Td`` positions, ``Tj``
strings)."""

from __future__ import annotations

import re


def pdf_objects(pdf: bytes) -> dict[int, bytes]:
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    lines = pdf[xref_at:].split(b"\n")
    count = int(lines[1].split()[1])
    objects = {}
    for number, entry in enumerate(lines[3 : 2 + count], start=1):
        offset = int(entry[:10])
        header = b"%d 0 obj\n" % number
        assert pdf[offset:].startswith(header)
        objects[number] = pdf[offset + len(header) : pdf.index(b"\nendobj\n", offset)]
    return objects


def _unescape(raw: bytes) -> str:
    return re.sub(rb"\\(.)", rb"\1", raw).decode("latin-1")


def drawn_text(pdf: bytes) -> list[tuple[float, float, str]]:
    """(x, y, text) of each ``BT /F n Tf x y Td (text) Tj ET`` on the one page."""
    objects = pdf_objects(pdf)
    pages = [body for body in objects.values() if re.search(rb"/Type /Page\b(?!s)", body)]
    assert len(pages) == 1
    contents = int(re.search(rb"/Contents (\d+) 0 R", pages[0]).group(1))  # type: ignore[union-attr]
    stream = objects[contents].split(b"stream\n", 1)[1].rsplit(b"endstream", 1)[0]
    length = int(re.search(rb"/Length (\d+)", objects[contents]).group(1))  # type: ignore[union-attr]
    assert len(stream) == length
    return [
        (float(x), float(y), _unescape(text))
        for x, y, text in re.findall(
            rb"BT /F\d [\d.]+ Tf ([\d.]+) ([\d.]+) Td \(((?:[^\\)]|\\.)*)\) Tj ET", stream
        )
    ]


def drawn_lines(pdf: bytes) -> list[str]:
    """The text drawn on the label's page, top to bottom."""
    return [text for _, _, text in drawn_text(pdf)]
