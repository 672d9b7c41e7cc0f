"""Framework-free SVG charts, rendered on the server and inlined in the page.

Why SVG from Python: the pages need no JavaScript charting library and no
outside host, the markup can be cached as a plain string, and it scales with
the layout. Colours and fonts come from ``.chart`` rules in site.css, so the
functions only lay out shapes. Every label is escaped here; callers may mark
the result safe.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from html import escape

#: (label, value) pairs, in display order.
Series = Sequence[tuple[str, float]]

_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 48, 12, 18, 28


def compact(value: float) -> str:
    """``1234`` -> ``"1.2k"``, ``3.456`` -> ``"3.46"``, ``0.0047`` -> ``"0.0047"``: labels that fit by a bar."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 10_000:
        return f"{value / 1_000:.0f}k"
    if magnitude >= 1_000:
        return f"{value / 1_000:.1f}k"
    if value == int(value):
        return f"{int(value)}"
    # Three significant digits keep small metrics readable (NDCG 0.0047) and means short (3.92).
    return f"{value:.3g}"


def _open(width: int, height: int, label: str, extra_class: str = "") -> list[str]:
    classes = " ".join(filter(None, ("chart", extra_class)))
    return [
        f'<svg class="{classes}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}"'
        f' preserveAspectRatio="xMidYMid meet"><title>{escape(label)}</title>'
    ]


def _axis(values: Sequence[float]) -> tuple[float, float]:
    """(top, step) of a linear axis: about four steps of 1, 2 or 5 times a power of ten, whole steps for counts."""
    highest = max(values, default=0) or 1
    rough = highest / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(factor * power for factor in (1, 2, 5, 10) if rough <= factor * power)
    if all(float(value).is_integer() for value in values):
        step = max(step, 1)
    return step * math.ceil(highest / step), step


def bar_chart(bars: Series, *, label: str, width: int = 640, height: int = 220) -> str:
    """Vertical bars with the value above each and the label below."""
    parts = _open(width, height, label)
    if not bars:
        return _empty(parts, width, height)
    top, step = _axis([value for _, value in bars])
    plot_w, plot_h = width - _PAD_LEFT - _PAD_RIGHT, height - _PAD_TOP - _PAD_BOTTOM
    parts.extend(_y_grid(top, step, plot_w, plot_h))
    slot = plot_w / len(bars)
    bar_w = max(slot * 0.72, 1)
    for index, (name, value) in enumerate(bars):
        x = _PAD_LEFT + index * slot + (slot - bar_w) / 2
        h = plot_h * min(value / top, 1)
        y = _PAD_TOP + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2">'
            f"<title>{escape(name)}: {value:,g}</title></rect>"
        )
        if len(bars) <= 24 and value:
            parts.append(f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}">{compact(value)}</text>')
        parts.append(f'<text class="label" x="{x + bar_w / 2:.1f}" y="{height - 10}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(bars: Series, *, label: str, width: int = 640, row: int = 22, max_value: float | None = None) -> str:
    """Horizontal bars, one row per label: reads well with many or long labels (genres, occupations)."""
    label_w = 120
    height = max(row * len(bars) + 8, 40)
    parts = _open(width, height, label, "chart-h")
    if not bars:
        return _empty(parts, width, height)
    top = max_value or max(value for _, value in bars) or 1
    plot_w = width - label_w - 56
    for index, (name, value) in enumerate(bars):
        y = 4 + index * row
        baseline = y + row * 0.68
        w = plot_w * min(value / top, 1)
        parts.append(
            f'<text class="label label-left" x="{label_w - 8}" y="{baseline:.1f}">{escape(name)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 6}" rx="2">'
            f"<title>{escape(name)}: {value:,g}</title></rect>"
            f'<text class="value value-right" x="{label_w + w + 6:.1f}" y="{baseline:.1f}">{compact(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: Series, *, label: str, width: int = 640, height: int = 220, log_scale: bool = False, ticks: int = 6
) -> str:
    """A line with a soft area under it; ``log_scale`` shows long-tailed counts (ratings per user) honestly.

    A single point (one month of ratings) is drawn as a dot in the middle.
    """
    parts = _open(width, height, label)
    if not points:
        return _empty(parts, width, height)

    def scale(value: float) -> float:
        return math.log10(max(value, 1)) if log_scale else value

    if log_scale:
        # A log axis tops out at the next power of ten, with a grid line at each power.
        top, step = max(math.ceil(max(scale(value) for _, value in points)), 1), 1.0
    else:
        top, step = _axis([value for _, value in points])
    plot_w, plot_h = width - _PAD_LEFT - _PAD_RIGHT, height - _PAD_TOP - _PAD_BOTTOM
    parts.extend(_y_grid(top, step, plot_w, plot_h, log_scale=log_scale))
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0
    start = _PAD_LEFT if len(points) > 1 else _PAD_LEFT + plot_w / 2
    coords = [
        (start + index * step, _PAD_TOP + plot_h - plot_h * min(scale(value) / top, 1))
        for index, (_, value) in enumerate(points)
    ]
    if len(coords) == 1:
        parts.append(f'<circle class="dot" cx="{coords[0][0]:.1f}" cy="{coords[0][1]:.1f}" r="4"/>')
    else:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        base = _PAD_TOP + plot_h
        parts.append(f'<polygon class="area" points="{_PAD_LEFT},{base} {path} {coords[-1][0]:.1f},{base}"/>')
        parts.append(f'<polyline class="line" points="{path}"/>')
    every = max(1, math.ceil(len(points) / ticks))
    for index in range(0, len(points), every):
        x, name = coords[index][0], points[index][0]
        parts.append(f'<text class="label" x="{x:.1f}" y="{height - 10}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


#: Months with no points between two that have some: up to this many are drawn as zeros on the line; a longer
#: stretch (an imported data set from 1998, then this site's own ratings) is a break in the axis, labelled.
MAX_FILLED_GAP_MONTHS = 12
_BREAK_W = 28


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _gap_text(months: int) -> str:
    years = round(months / 12)
    return f"{years} years later" if years >= 2 else f"{months} months later"


def monthly_chart(points: Sequence[tuple[date, float]], *, label: str, width: int = 640, height: int = 220) -> str:
    """Counts per calendar month on a real time axis.

    Each month is one step: a month missing among the points is a zero, not skipped. A stretch of more than
    ``MAX_FILLED_GAP_MONTHS`` empty months breaks the axis: the line stops, a marker says how long the gap
    is, and it starts again. Month labels stay inside the chart, the last one included.
    """
    parts = _open(width, height, label)
    if not points:
        return _empty(parts, width, height)
    counts: dict[int, float] = {}
    for day, value in points:
        counts[_month_index(day)] = counts.get(_month_index(day), 0) + value
    months = sorted(counts)
    runs: list[list[int]] = [[months[0]]]
    for previous, month in itertools.pairwise(months):
        if month - previous - 1 > MAX_FILLED_GAP_MONTHS:
            runs.append([month])
        else:
            runs[-1].extend(range(previous + 1, month + 1))
    top, step = _axis([counts.get(month, 0) for run in runs for month in run])
    plot_w, plot_h = width - _PAD_LEFT - _PAD_RIGHT, height - _PAD_TOP - _PAD_BOTTOM
    parts.extend(_y_grid(top, step, plot_w, plot_h))
    # Every month gets the same width; each break takes _BREAK_W.
    slots = sum(len(run) for run in runs)
    month_w = (plot_w - _BREAK_W * (len(runs) - 1)) / max(slots, 1)
    base = _PAD_TOP + plot_h
    x = _PAD_LEFT + month_w / 2
    labels: list[tuple[float, int]] = []
    for index, run in enumerate(runs):
        if index:
            gap = run[0] - runs[index - 1][-1] - 1
            middle = x - month_w / 2 + _BREAK_W / 2
            parts.append(
                f'<line class="axis-break" x1="{middle - 3:.1f}" x2="{middle - 3:.1f}" y1="{_PAD_TOP}" y2="{base}"/>'
                f'<line class="axis-break" x1="{middle + 3:.1f}" x2="{middle + 3:.1f}" y1="{_PAD_TOP}" y2="{base}"/>'
                f'<text class="label break-label" x="{middle:.1f}" y="{_PAD_TOP - 6}">{_gap_text(gap)}</text>'
            )
            x += _BREAK_W
        coords = []
        for month in run:
            coords.append((x, base - plot_h * min(counts.get(month, 0) / top, 1)))
            x += month_w
        if len(coords) == 1:
            parts.append(f'<circle class="dot" cx="{coords[0][0]:.1f}" cy="{coords[0][1]:.1f}" r="4"/>')
        else:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            first, last = coords[0][0], coords[-1][0]
            parts.append(f'<polygon class="area" points="{first:.1f},{base} {path} {last:.1f},{base}"/>')
            parts.append(f'<polyline class="line" points="{path}"/>')
        # Each run's first and last month, and about five evenly spaced ones over the whole axis.
        every = max(1, math.ceil(slots / 5))
        chosen = {0, len(run) - 1} | set(range(0, len(run), every))
        labels.extend((coords[i][0], run[i]) for i in sorted(chosen))
    drawn: list[float] = []
    for cx, month in labels:
        if any(abs(cx - other) < 52 for other in drawn):
            continue  # labels about 50 px wide would overlap
        drawn.append(cx)
        # A label near an edge is anchored at that edge, so it is never cut ("Dec 20" for "Dec 2026").
        if cx - 26 < _PAD_LEFT:
            anchor, text_x = " label-start", max(cx - month_w / 2, _PAD_LEFT)
        elif cx + 26 > width - _PAD_RIGHT:
            anchor, text_x = " label-end", min(cx + month_w / 2, width - _PAD_RIGHT)
        else:
            anchor, text_x = "", cx
        name = _month_of(month).strftime("%b %Y")
        parts.append(f'<text class="label{anchor}" x="{text_x:.1f}" y="{height - 10}">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _y_grid(top: float, step: float, plot_w: float, plot_h: float, *, log_scale: bool = False) -> list[str]:
    """A labelled grid line every ``step`` up to ``top``; on a log axis ``top`` and ``step`` are powers of ten."""
    lines = []
    for fraction in (index * step / top for index in range(round(top / step) + 1)):
        y = _PAD_TOP + plot_h - plot_h * fraction
        value = 10 ** (top * fraction) if log_scale else top * fraction
        lines.append(
            f'<line class="grid" x1="{_PAD_LEFT}" x2="{_PAD_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{_PAD_LEFT - 6}" y="{y + 4:.1f}">{compact(round(value, 2))}</text>'
        )
    return lines


def _empty(parts: list[str], width: int, height: int) -> str:
    parts.append(f'<text class="label" x="{width / 2}" y="{height / 2}">No data yet</text></svg>')
    return "".join(parts)
