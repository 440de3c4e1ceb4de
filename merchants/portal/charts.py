"""Bar charts as plain geometry for server-rendered inline SVG (no JavaScript).

The templates ``portal/_chart_columns.html`` (vertical bars, e.g. one per day) and
``portal/_chart_bars.html`` (horizontal bars, e.g. one per carrier) draw what these return.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    #: The label drawn under a column (every few columns only) or beside a bar.
    caption: str = ""
    #: Where the value or caption is written.
    text_x: float = 0.0
    text_y: float = 0.0
    #: SVG text-anchor of the caption: the first and last stay inside the chart.
    anchor: str = "middle"


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    maximum: int
    #: The baseline (columns) or the left edge of the bars.
    axis: float = 0.0


def column_chart(
    points: list[tuple[str, int]],
    *,
    width: int = 720,
    height: int = 180,
    caption_every: int = 5,
) -> Chart:
    """One column per point, left to right; every ``caption_every``-th and the last named."""
    top, bottom = 16, 20
    plot = height - top - bottom
    maximum = max((v for _, v in points), default=0)
    slot = width / max(len(points), 1)
    bars = []
    for index, (name, value) in enumerate(points):
        bar_height = plot * value / maximum if maximum else 0.0
        named = index % caption_every == 0 or index == len(points) - 1
        anchor = _anchor(index, len(points))
        # A caption starts at its column's left edge, ends at the right one, or is centred.
        offset = {"start": 0.15, "end": 0.85}.get(anchor, 0.5)
        bars.append(
            Bar(
                label=name,
                value=value,
                x=round(index * slot + slot * 0.15, 2),
                y=round(top + plot - bar_height, 2),
                width=round(slot * 0.7, 2),
                height=round(bar_height, 2),
                caption=name if named else "",
                text_x=round(index * slot + slot * offset, 2),
                text_y=height - 6,
                anchor=anchor,
            )
        )
    return Chart(width=width, height=height, bars=tuple(bars), maximum=maximum, axis=top + plot)


def _anchor(index: int, count: int) -> str:
    if index == 0:
        return "start"
    return "end" if index == count - 1 else "middle"


def bar_chart(
    points: list[tuple[str, int]],
    *,
    width: int = 460,
    row_height: int = 24,
    label_width: int = 190,
) -> Chart:
    """One horizontal bar per point, top to bottom, its name left and its value right."""
    value_room = 40
    plot = width - label_width - value_room
    maximum = max((v for _, v in points), default=0)
    bars = []
    for index, (name, value) in enumerate(points):
        bar_width = plot * value / maximum if maximum else 0.0
        y = index * row_height
        bars.append(
            Bar(
                label=name,
                value=value,
                x=label_width,
                y=y + 4,
                width=round(bar_width, 2),
                height=row_height - 8,
                caption=name,
                text_x=round(label_width + bar_width + 6, 2),
                text_y=y + row_height / 2 + 4,
            )
        )
    return Chart(
        width=width,
        height=max(len(points), 1) * row_height,
        bars=tuple(bars),
        maximum=maximum,
        axis=label_width,
    )
