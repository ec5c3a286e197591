"""Chart geometry for inline SVG: the templates draw it, the numbers stay `Figure`s.

No plotting library is installed, and a report must open offline as one file, so charts are
small hand-drawn SVG. A suppressed value draws nothing (a gap in a line, an empty bar with
the suppression symbol), so a chart never shows more than the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from p20_platform.report.figures import Figure

LABEL_WIDTH, PLOT_WIDTH, ROW_HEIGHT, MARGIN = 230.0, 340.0, 22.0, 30.0
LINE_WIDTH, LINE_HEIGHT = 560.0, 220.0
PALETTE = ("#1f5f99", "#c2571a", "#4b8b3b", "#7a4e9c")


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Bar:
    label: str
    figure: Figure
    y: float
    length: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars: one row per label, bar length proportional to the shown value."""

    title: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: float
    height: float
    label_width: float = LABEL_WIDTH


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    figure: Figure


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    segments: tuple[tuple[Point, ...], ...]  # runs of shown points; a suppressed year breaks the line


@dataclass(frozen=True)
class LineChart:
    title: str
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    width: float = LINE_WIDTH
    height: float = LINE_HEIGHT
    margin: float = MARGIN


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `maximum` (steps of 1, 2 or 5 x 10^k)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(maximum / step) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,g}"


def bar_chart(title: str, items: Sequence[tuple[str, Figure]]) -> BarChart:
    shown = [f.value for _, f in items if f.value is not None]
    ticks = nice_ticks(max(shown, default=0.0))
    scale = PLOT_WIDTH / ticks[-1]
    bars = tuple(Bar(label=label, figure=figure, y=MARGIN / 2 + i * ROW_HEIGHT,
                     length=(figure.value or 0.0) * scale) for i, (label, figure) in enumerate(items))
    return BarChart(title=title, bars=bars, ticks=tuple(Tick(LABEL_WIDTH + t * scale, _tick_text(t)) for t in ticks),
                    width=LABEL_WIDTH + PLOT_WIDTH + 60, height=MARGIN + len(items) * ROW_HEIGHT + 10)


def line_chart(title: str, x_labels: Sequence[str], series: Mapping[str, Sequence[Figure]]) -> LineChart:
    shown = [f.value for figures in series.values() for f in figures if f.value is not None]
    ticks = nice_ticks(max(shown, default=0.0))
    plot_width, plot_height = LINE_WIDTH - 2 * MARGIN, LINE_HEIGHT - 2 * MARGIN
    step = plot_width / max(len(x_labels) - 1, 1)

    def y_of(value: float) -> float:
        return LINE_HEIGHT - MARGIN - value / ticks[-1] * plot_height

    drawn = []
    for colour, (name, figures) in zip(PALETTE, series.items()):
        segments, run = [], []
        for i, figure in enumerate(figures):
            if figure.value is None:
                segments, run = segments + ([tuple(run)] if run else []), []
            else:
                run.append(Point(MARGIN + i * step, y_of(figure.value), figure))
        drawn.append(Series(name, colour, tuple(segments + ([tuple(run)] if run else []))))
    return LineChart(title=title, series=tuple(drawn),
                     x_ticks=tuple(Tick(MARGIN + i * step, label) for i, label in enumerate(x_labels)),
                     y_ticks=tuple(Tick(y_of(t), _tick_text(t)) for t in ticks))
