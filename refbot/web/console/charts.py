"""Chart geometry for server-rendered SVG: the numbers here, the markup in ``templates/charts.html``.

No script and nothing fetched from elsewhere: a chart is a few rectangles and labels whose
positions are worked out here, so templates only place them (and escape every label).

Charts are drawn without a ``viewBox``: across the page they sit at percentages of the card's
width (``left``, ``span``, ``share``), upright in pixels. A chart that only scaled would shrink
its labels with the screen, to a few pixels on a phone; this way a label is 11 px everywhere and
a phone shows fewer of them (``phone_label``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40.0, 8.0, 10.0, 26.0
PHONE_LABELS = 6  # column labels a 360 px screen has room for


@dataclass(frozen=True)
class Column:
    """One vertical bar with its label under the axis (shown or not)."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    show_label: bool
    left: float = 0.0  # percent of the plot's width
    span: float = 0.0
    phone_label: bool = False  # the label is also shown on a narrow screen


@dataclass(frozen=True)
class Gridline:
    """A horizontal guide with the value it marks."""

    y: float
    value: float


@dataclass(frozen=True)
class ColumnChart:
    """A column chart ready to draw."""

    width: float
    height: float
    baseline: float
    columns: tuple[Column, ...]
    gridlines: tuple[Gridline, ...]
    total: float


def column_chart(
    values: Sequence[tuple[str, float]], *, width: float = 720, height: float = 200, max_labels: int = 16
) -> ColumnChart:
    """Columns for labelled values, on a scale of round steps, with at most ``max_labels`` labels."""
    largest = max((v for _l, v in values), default=0)
    tick = nice_step(largest)
    ticks = max(1, math.ceil(largest / tick))
    top = tick * ticks
    inner_w = width - PAD_LEFT - PAD_RIGHT
    inner_h = height - PAD_TOP - PAD_BOTTOM
    baseline = PAD_TOP + inner_h
    pitch = inner_w / max(len(values), 1)
    gap = min(pitch * 0.2, 6.0)
    every = max(1, math.ceil(len(values) / max_labels))
    every_on_phone = every * max(1, math.ceil(len(values) / every / PHONE_LABELS))
    columns = tuple(
        Column(
            x=PAD_LEFT + i * pitch + gap / 2,
            y=baseline - inner_h * value / top,
            width=max(pitch - gap, 1.0),
            height=inner_h * value / top,
            label=label,
            value=value,
            show_label=i % every == 0,
            left=100 * (i * pitch + gap / 2) / inner_w,
            span=100 * max(pitch - gap, 1.0) / inner_w,
            phone_label=i % every_on_phone == 0,
        )
        for i, (label, value) in enumerate(values)
    )
    gridlines = tuple(Gridline(baseline - inner_h * k / ticks, tick * k) for k in range(ticks + 1))
    return ColumnChart(width, height, baseline, columns, gridlines, sum(v for _l, v in values))


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a value, and the bar's length in pixels."""

    label: str
    value: float
    length: float
    second: float = 0.0
    second_length: float = 0.0
    share: float = 0.0  # percent of the largest value
    second_share: float = 0.0


def bar_rows(rows: Sequence[tuple[str, float]], *, length: float = 200, second: Sequence[float] = ()) -> tuple[Bar, ...]:
    """Bars scaled to the largest value; ``second`` draws a paler bar behind each (e.g. proposed vs kept)."""
    seconds = list(second) or [0.0] * len(rows)
    top = max([v for _l, v in rows] + seconds + [1])
    return tuple(
        Bar(label, value, length * value / top, extra, length * extra / top, 100 * value / top, 100 * extra / top)
        for (label, value), extra in zip(rows, seconds, strict=True)
    )


@dataclass(frozen=True)
class Segment:
    """One part of a 100 % bar."""

    key: str
    value: int
    x: float
    width: float
    percent: float
    left: float = 0.0  # percent of the whole bar, unrounded
    span: float = 0.0


def share_bar(parts: Sequence[tuple[str, int]], *, width: float = 720) -> tuple[Segment, ...]:
    """A stacked bar whose segments are each part's share of the whole."""
    total = sum(v for _k, v in parts)
    segments, x = [], 0.0
    for key, value in parts:
        share = value / total if total else 0.0
        segments.append(Segment(key, value, x, width * share, round(100 * share, 1), 100 * x / width, 100 * share))
        x += width * share
    return tuple(segments)


def nice_step(largest: float, max_steps: int = 5) -> float:
    """The gridline step for a scale up to ``largest``: 1, 2 or 5 × 10ⁿ, at most ``max_steps`` of them."""
    magnitude = 1.0
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if math.ceil(largest / step) <= max_steps:
                return step
        magnitude *= 10
