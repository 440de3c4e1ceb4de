"""The sandbox's label PDFs: one A6 page whose text is drawn on it (issue 15 item 10).

No PDF library in the venv: the test reads the hand-built file itself, its xref table, its one
page and the text its content stream draws (``Td`` positions, ``Tj`` strings), and checks that
every line lies inside the page's MediaBox: the old labels drew theirs above an A6 page, blank.
"""

from __future__ import annotations

import re

from carriers.sandbox.core import LABEL_PAGE, label_pdf
from tests.carriers.labels import drawn_lines, drawn_text, pdf_objects


def _label() -> bytes:
    return label_pdf(
        "Bring",
        "70438101015432199",
        recipient="Tore Mottaker (c/o Tina)",
        address=["Mottakerveien 14", "0659 OSLO"],
        lines=["Pakke til hentested (5800)", "Package 370438101015432199"],
    )


def test_a_label_is_one_page_pdf_with_a_valid_xref_table() -> None:
    pdf = _label()

    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    objects = pdf_objects(pdf)
    assert b"/Type /Pages /Kids [3 0 R] /Count 1" in objects[2]
    assert b"/MediaBox [0 0 %d %d]" % LABEL_PAGE in objects[3]


def test_the_text_is_drawn_inside_the_page() -> None:
    drawn = drawn_text(_label())

    assert [text for _, _, text in drawn] == [
        "Bring",
        "TO",
        "Tore Mottaker (c/o Tina)",
        "Mottakerveien 14",
        "0659 OSLO",
        "Pakke til hentested (5800)",
        "Package 370438101015432199",
        "70438101015432199",
    ]
    width, height = LABEL_PAGE
    for x, y, text in drawn:
        assert 0 < x < width and 0 < y < height, text
    # top to bottom, the carrier first and the tracking number last, under the barcode
    assert [y for _, y, _ in drawn] == sorted((y for _, y, _ in drawn), reverse=True)


def test_the_label_has_a_barcode_of_bars_inside_the_page() -> None:
    stream = pdf_objects(_label())[4]
    bars = [
        tuple(map(float, bar))
        for bar in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f", stream)
    ]

    assert len(bars) > 40
    width, height = LABEL_PAGE
    assert all(x > 0 and x + w < width and y > 0 and y + h < height for x, y, w, h in bars)


def test_long_lines_are_cut_and_nordic_letters_kept_in_winansi() -> None:
    pdf = label_pdf(
        "PostNord", "00370712345678901234", recipient="Åsa Öberg " * 10, address=["Ærøgade 5"]
    )
    drawn = drawn_lines(pdf)

    assert drawn[2].startswith("Åsa Öberg Åsa") and drawn[2].endswith("...")
    assert drawn[3] == "Ærøgade 5"
    assert b"/Encoding /WinAnsiEncoding" in pdf
