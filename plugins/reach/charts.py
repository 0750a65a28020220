"""Charts drawn at build time, as SVG in the page: no script, no request to anyone.

Pure: figures in, markup out. Each chart is an image (``role="img"``) named by its
``<title>`` and described by its ``<desc>``; the figures themselves are the caller's to
give beside it as a table (the text equivalent). Series are told apart by more than
colour: bars by fill pattern, lines by dash and marker shape, each with a legend; every
bar carries its value in words. The SVG scales to its container by its viewBox (600
units wide), so text is sized to be read on a 320 px phone (about 12 px there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 600  # viewBox units
TEXT = 26  # viewBox units: about 12 px on a phone 320 px wide, 26 px at full width
CHAR_WIDTH = 0.55  # of the text size, per character (Arial, on average)
BAR = 30  # a bar's height
GAP = 8  # between bars of one group
GROUP_GAP = 18  # between groups
VALUE_SPACE = 150  # right of the longest bar: its value in words
INK = "#0b0c0c"
GRID = "#b1b4b6"
# Series colours, each at least 3:1 against white (WCAG 1.4.11), and a pattern each.
COLOURS = ("#1d70b8", "#00703c", "#912b88", "#6f3a00")
PATTERNS = ("solid", "stripes", "dots", "checks")
DASHES = ("", "10 6", "3 5", "14 5 3 5")
MARKERS = ("circle", "square", "triangle", "diamond")


@dataclass(frozen=True)
class Series:
    """One set of figures: its name (for the legend) and a value per group or day; None
    where it was not measured (no bar, no point)."""

    name: str
    values: Sequence[float | None]


def count_text(value: float) -> str:
    return f"{value:,.0f}"


def fitted(text: str, width: float) -> str:
    """``text`` (plain: an escaped label is read back to its words first) cut to fit
    ``width`` units, with an ellipsis (the table gives it whole). A last part in brackets
    (an item's channel: "Flood warning (Email)") is kept whole, the words before it cut."""
    text = Markup(text).unescape() if isinstance(text, Markup) else text
    fits = max(int(width / (TEXT * CHAR_WIDTH)), 2)
    if len(text) <= fits:
        return text
    head, bracket, tail = text.rpartition(" (")
    if bracket and tail.endswith(")") and len(tail) + 3 < fits:
        kept = bracket + tail
        return head[: fits - len(kept) - 1].rstrip() + "…" + kept
    return text[: fits - 1].rstrip() + "…"


def nice_ceiling(value: float) -> float:
    """The smallest multiple of TICKS times 1, 2 or 5 times a power of ten at or above
    ``value`` (TICKS for 0), so that each gridline is a round number: a count's gridlines
    are whole numbers, and a point of 4 sits on the line labelled 4."""
    if value <= 0:
        return TICKS
    step = value / TICKS
    power = 10.0 ** math.floor(math.log10(step))
    if step < 1:  # counts: whole steps; shares (0..1) pass their own maximum
        return TICKS * max(1.0, next(k * power for k in (1, 2, 5, 10) if k * power >= step))
    return TICKS * next(k * power for k in (1, 2, 5, 10) if k * power >= step)


def fill_patterns(chart_id: str) -> str:
    """The fills of the series: solid, stripes, dots, checks, each in its colour."""
    defs = []
    for index, (colour, kind) in enumerate(zip(COLOURS, PATTERNS, strict=True)):
        pattern_id = f"{chart_id}-fill-{index}"
        if kind == "solid":
            continue
        marks = {
            "stripes": f'<path d="M-2,2 l4,-4 M0,10 l10,-10 M8,12 l4,-4" stroke="{colour}" '
            'stroke-width="3"/>',
            "dots": f'<circle cx="5" cy="5" r="2.5" fill="{colour}"/>',
            "checks": f'<rect width="5" height="5" fill="{colour}"/>'
            f'<rect x="5" y="5" width="5" height="5" fill="{colour}"/>',
        }[kind]
        defs.append(
            f'<pattern id="{pattern_id}" width="10" height="10" patternUnits="userSpaceOnUse">'
            f'<rect width="10" height="10" fill="#fff"/>{marks}</pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def fill_of(chart_id: str, index: int) -> str:
    index %= len(COLOURS)
    if PATTERNS[index] == "solid":
        return COLOURS[index]
    return f"url(#{chart_id}-fill-{index})"


def svg(chart_id: str, height: float, title: str, description: str, body: str) -> str:
    return (
        f'<svg class="council-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {math.ceil(height)}" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" font-family="arial, sans-serif" '
        f'font-size="{TEXT}" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def legend(
    series: Sequence[Series], chart_id: str, top: float, swatch: Callable[[int], str]
) -> str:
    """One line per series: its swatch (``swatch(index)``, 36 by 24 units) and name."""
    lines = []
    for index, one in enumerate(series):
        y = top + index * (TEXT + 10)
        lines.append(
            f'<g transform="translate(0 {y:g})">{swatch(index)}'
            f'<text x="46" y="{TEXT * 0.8:g}">{escape(fitted(one.name, WIDTH - 46))}</text></g>'
        )
    return f'<g class="council-chart__legend">{"".join(lines)}</g>'


def legend_height(series: Sequence[Series]) -> float:
    return 0 if len(series) < 2 else len(series) * (TEXT + 10) + GROUP_GAP


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    description: str,
    chart_id: str,
    *,
    maximum: float | None = None,
    value_text: Callable[[float], str] = count_text,
    missing: str = "",
) -> str:
    """Horizontal bars: for each label (above its bars, so long names have the width), a
    bar per series, each with its value in words (``value_text``; ``missing`` where it
    is None). Bars are scaled to ``maximum``, else to the largest value. '' without labels.
    """
    if not labels or not series:
        return ""
    values = [v for one in series for v in one.values if v is not None]
    top_value = maximum if maximum is not None else max(values, default=0)
    scale = (WIDTH - VALUE_SPACE) / (top_value or 1)
    y = legend_height(series)
    parts = []
    for row, label in enumerate(labels):
        parts.append(f'<text x="0" y="{y + TEXT * 0.8:g}">{escape(fitted(label, WIDTH))}</text>')
        y += TEXT + 6
        for index, one in enumerate(series):
            value = one.values[row] if row < len(one.values) else None
            width = 0.0 if value is None else max(value, 0) * scale
            if width:
                colour = COLOURS[index % len(COLOURS)]
                parts.append(
                    f'<rect x="0" y="{y:g}" width="{width:.1f}" height="{BAR}" '
                    f'fill="{fill_of(chart_id, index)}" stroke="{colour}" stroke-width="2"/>'
                )
            words = missing if value is None else value_text(value)
            parts.append(f'<text x="{width + 8:.1f}" y="{y + BAR * 0.75:g}">{escape(words)}</text>')
            y += BAR + GAP
        y += GROUP_GAP - GAP
    swatches = legend(
        series,
        chart_id,
        0,
        lambda i: (
            f'<rect width="36" height="24" fill="{fill_of(chart_id, i)}" '
            f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2"/>'
        ),
    )
    shown = fill_patterns(chart_id) + swatches if len(series) > 1 else ""
    return svg(chart_id, y, title, description, shown + "".join(parts))


def marker(kind: str, x: float, y: float, colour: str) -> str:
    """A point's mark, shaped by series, so lines differ in more than colour."""
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="{colour}"/>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 8:.1f} {x + 7:.1f},{y + 5:.1f} {x - 7:.1f},{y + 5:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    points = f"{x:.1f},{y - 8:.1f} {x + 8:.1f},{y:.1f} {x:.1f},{y + 8:.1f} {x - 8:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{colour}"/>'


PLOT_HEIGHT = 260
AXIS_SPACE = 90  # left of the plot: the scale's figures
TICKS = 4


def line_chart(
    days: Sequence[str],
    series: Sequence[Series],
    title: str,
    description: str,
    chart_id: str,
    *,
    value_text: Callable[[float], str] = count_text,
) -> str:
    """Figures over days: a line per series (its own dash and marker) on a scale from 0,
    the first and last days named below it (``days``, already in words). '' without days.
    """
    if not days or not series:
        return ""
    values = [v for one in series for v in one.values if v is not None]
    top_value = nice_ceiling(max(values, default=0))
    top = legend_height(series) + TEXT / 2
    bottom = top + PLOT_HEIGHT
    left, right = AXIS_SPACE, WIDTH - 12
    step = (right - left) / (len(days) - 1) if len(days) > 1 else 0

    def x_of(index: int) -> float:
        return left + index * step if len(days) > 1 else (left + right) / 2

    def y_of(value: float) -> float:
        return bottom - max(value, 0) / top_value * PLOT_HEIGHT

    parts = []
    for tick in range(TICKS + 1):
        value = top_value * tick / TICKS
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="1"/><text x="{left - 10}" y="{y + TEXT * 0.35:.1f}" '
            f'text-anchor="end">{escape(value_text(value))}</text>'
        )
    for index, one in enumerate(series):
        colour, shape = COLOURS[index % len(COLOURS)], MARKERS[index % len(MARKERS)]
        dash = DASHES[index % len(DASHES)]
        points = [
            (x_of(i), y_of(v)) for i, v in enumerate(one.values[: len(days)]) if v is not None
        ]
        if len(points) > 1:
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="3"'
                f"{dashes}/>"
            )
        parts.extend(marker(shape, x, y, colour) for x, y in points)
    below = bottom + TEXT + 8
    parts.append(f'<text x="{left}" y="{below:g}">{escape(days[0])}</text>')
    if len(days) > 1:
        parts.append(f'<text x="{right}" y="{below:g}" text-anchor="end">{escape(days[-1])}</text>')

    def swatch(index: int) -> str:
        colour = COLOURS[index % len(COLOURS)]
        dash = DASHES[index % len(DASHES)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<line x1="0" y1="12" x2="36" y2="12" stroke="{colour}" stroke-width="3"{dashes}/>'
            + marker(MARKERS[index % len(MARKERS)], 18, 12, colour)
        )

    shown = legend(series, chart_id, 0, swatch) if len(series) > 1 else ""
    return svg(chart_id, below + 10, title, description, shown + "".join(parts))
