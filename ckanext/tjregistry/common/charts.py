"""Server-side SVG charts for the statistics and report pages.

The platform runs without internet access, so charts are drawn here as inline SVG
(no JavaScript, no CDN). The page gives each chart its heading; the chart's own
title is its ``<title>`` and ``aria-label``. Each chart is self-contained: sizes,
colours and fonts are presentation attributes, text is escaped, and every bar,
point and slice carries a ``<title>`` with its exact value (the browser shows it as
a tooltip).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
INK = "#333333"
GRID = "#dddddd"
MUTED = "#777777"
# Colour-blind-friendly palette (Okabe-Ito), used in order for series without a colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#999999")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


def palette(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _fmt(value: float) -> str:
    """Coordinates with two decimals at most, so the markup stays small and stable."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "start",
          color: str = INK, weight: str = "normal", baseline: str = "middle") -> str:
    return (f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" text-anchor="{anchor}" '
            f'dominant-baseline="{baseline}" fill="{color}" font-weight="{weight}">'
            f"{escape(content)}</text>")


def _svg(chart_id: str, title: str, width: float, height: float, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tjr-chart" id="{escape(chart_id)}" '
        f'data-chart="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" width="100%" '
        f'style="max-width:{_fmt(width)}px;height:auto" font-family="{FONT}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def _nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above ``value``, and at least 1 (counts)."""
    if value <= 1:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _ticks(maximum: float, count: int = 4) -> list[float]:
    """Whole-number ticks from 0 to a round value at or above ``maximum``."""
    step = _nice_step(maximum / count)
    top = step * max(1, math.ceil(maximum / step))
    return [step * i for i in range(int(round(top / step)) + 1)]


def _tick_label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Legend entries left to right, wrapping; returns the markup and the height used."""
    parts: list[str] = []
    cursor_x, cursor_y = x, y
    for item in series:
        entry_width = 22 + 13 * len(item.label)
        if cursor_x + entry_width > x + width and cursor_x > x:
            cursor_x, cursor_y = x, cursor_y + 20
        parts.append(f'<g class="tjr-legend-item" data-series="{escape(item.key)}">'
                     f'<rect x="{_fmt(cursor_x)}" y="{_fmt(cursor_y - 6)}" width="12" '
                     f'height="12" fill="{item.color}"/>'
                     + _text(cursor_x + 16, cursor_y, item.label) + "</g>")
        cursor_x += entry_width
    return parts, cursor_y - y + 20


def stacked_bars(chart_id: str, title: str, rows: Sequence[tuple[str, dict[str, float]]],
                 series: Sequence[Series], *, label_width: int = 150,
                 width: int = 760) -> Markup:
    """Horizontal bars, one per row, stacked by series, with the row total at the end."""
    bar_height, gap = 18, 8
    legend, legend_height = _legend(series, 10, 12, width - 20)
    top = 12 + legend_height
    plot_left = label_width + 10
    plot_width = width - plot_left - 60
    totals = [sum(values.get(s.key, 0) for s in series) for _, values in rows]
    ticks = _ticks(max(totals, default=0))
    scale = plot_width / ticks[-1]
    height = top + max(len(rows), 1) * (bar_height + gap) + 30
    body = list(legend)
    plot_bottom = top + len(rows) * (bar_height + gap)
    for tick in ticks:
        x = plot_left + tick * scale
        body.append(f'<line x1="{_fmt(x)}" y1="{_fmt(top - 4)}" x2="{_fmt(x)}" '
                    f'y2="{_fmt(plot_bottom)}" stroke="{GRID}" stroke-width="1"/>')
        body.append(_text(x, plot_bottom + 12, _tick_label(tick), size=10, anchor="middle",
                          color=MUTED))
    if not rows:
        body.append(_text(plot_left, top + 10, "—", color=MUTED))
    for index, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = top + index * (bar_height + gap)
        body.append(f'<g class="tjr-bar-row" data-row="{escape(label)}" '
                    f'data-total="{_fmt(total)}">')
        body.append(_text(plot_left - 8, y + bar_height / 2, label, anchor="end"))
        x = plot_left
        for item in series:
            value = values.get(item.key, 0)
            if not value:
                continue
            length = value * scale
            body.append(f'<rect class="tjr-bar" x="{_fmt(x)}" y="{_fmt(y)}" '
                        f'width="{_fmt(length)}" height="{bar_height}" fill="{item.color}" '
                        f'data-series="{escape(item.key)}" data-value="{_fmt(value)}">'
                        f"<title>{escape(label)} · {escape(item.label)}: "
                        f"{_tick_label(value)}</title></rect>")
            x += length
        body.append(_text(x + 6, y + bar_height / 2, _tick_label(total), size=11,
                          color=MUTED))
        body.append("</g>")
    return _svg(chart_id, title, width, height, body)


def line_chart(chart_id: str, title: str, labels: Sequence[str],
               series: Sequence[tuple[Series, Sequence[float]]], *,
               width: int = 760, height: int = 300) -> Markup:
    """Lines over ``labels`` (e.g. months), one per series, with a point per value."""
    legend, legend_height = _legend([s for s, _ in series], 10, 12, width - 20)
    top = 12 + legend_height
    left, right, bottom = 48, 16, 46
    plot_width = width - left - right
    plot_height = height - top - bottom
    maximum = max((max(values, default=0) for _, values in series), default=0)
    ticks = _ticks(maximum)
    y_scale = plot_height / ticks[-1]
    step = plot_width / max(len(labels) - 1, 1)
    body = list(legend)
    for tick in ticks:
        y = top + plot_height - tick * y_scale
        body.append(f'<line x1="{left}" y1="{_fmt(y)}" x2="{_fmt(width - right)}" '
                    f'y2="{_fmt(y)}" stroke="{GRID}" stroke-width="1"/>')
        body.append(_text(left - 6, y, _tick_label(tick), size=10, anchor="end", color=MUTED))
    # Label every n-th point so that month labels do not overlap.
    every = max(1, math.ceil(len(labels) * 58 / plot_width))
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            body.append(_text(left + index * step, top + plot_height + 16, label, size=10,
                              anchor="middle", color=MUTED))
    for item, values in series:
        points = [(left + index * step, top + plot_height - value * y_scale)
                  for index, value in enumerate(values)]
        body.append(f'<g class="tjr-line" data-series="{escape(item.key)}">')
        if len(points) > 1:
            path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{item.color}" '
                        f'stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, values, strict=True):
            body.append(f'<circle class="tjr-point" cx="{_fmt(x)}" cy="{_fmt(y)}" r="3.5" '
                        f'fill="{item.color}" data-value="{_fmt(value)}">'
                        f"<title>{escape(label)} · {escape(item.label)}: "
                        f"{_tick_label(value)}</title></circle>")
        body.append("</g>")
    return _svg(chart_id, title, width, height, body)


def donut(chart_id: str, title: str, items: Sequence[tuple[Series, float]], *,
          width: int = 420, centre_text: str | None = None) -> Markup:
    """A ring of slices proportional to the values, with a legend of values beside it."""
    total = sum(value for _, value in items)
    radius, thickness = 80.0, 30.0
    cx, cy = 110.0, 10.0 + radius
    visible = [(item, value) for item, value in items if value]
    height = max(cy + radius + 10, 16 + 22 * len(items))
    body: list[str] = []
    if total <= 0:
        body.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt(radius - thickness / 2)}" '
                    f'fill="none" stroke="{GRID}" stroke-width="{_fmt(thickness)}"/>')
    elif len(visible) == 1:
        item, value = visible[0]
        body.append(f'<circle class="tjr-slice" cx="{_fmt(cx)}" cy="{_fmt(cy)}" '
                    f'r="{_fmt(radius - thickness / 2)}" fill="none" stroke="{item.color}" '
                    f'stroke-width="{_fmt(thickness)}" data-series="{escape(item.key)}" '
                    f'data-value="{_fmt(value)}"><title>{escape(item.label)}: '
                    f"{_tick_label(value)}</title></circle>")
    else:
        angle = -math.pi / 2
        outer, inner = radius, radius - thickness
        for item, value in visible:
            sweep = 2 * math.pi * value / total
            end = angle + sweep
            large = 1 if sweep > math.pi else 0
            x1, y1 = cx + outer * math.cos(angle), cy + outer * math.sin(angle)
            x2, y2 = cx + outer * math.cos(end), cy + outer * math.sin(end)
            x3, y3 = cx + inner * math.cos(end), cy + inner * math.sin(end)
            x4, y4 = cx + inner * math.cos(angle), cy + inner * math.sin(angle)
            path = (f"M{_fmt(x1)},{_fmt(y1)} A{_fmt(outer)},{_fmt(outer)} 0 {large} 1 "
                    f"{_fmt(x2)},{_fmt(y2)} L{_fmt(x3)},{_fmt(y3)} "
                    f"A{_fmt(inner)},{_fmt(inner)} 0 {large} 0 {_fmt(x4)},{_fmt(y4)} Z")
            body.append(f'<path class="tjr-slice" d="{path}" fill="{item.color}" '
                        f'data-series="{escape(item.key)}" data-value="{_fmt(value)}">'
                        f"<title>{escape(item.label)}: {_tick_label(value)}</title></path>")
            angle = end
    body.append(_text(cx, cy, centre_text if centre_text is not None else _tick_label(total),
                      size=20, anchor="middle", weight="bold"))
    for index, (item, value) in enumerate(items):
        y = 16 + index * 22
        share = f" ({value / total:.0%})" if total else ""
        body.append(f'<g class="tjr-legend-item" data-series="{escape(item.key)}">'
                    f'<rect x="230" y="{_fmt(y - 6)}" width="12" height="12" '
                    f'fill="{item.color}"/>'
                    + _text(248, y, f"{item.label}: {_tick_label(value)}{share}") + "</g>")
    return _svg(chart_id, title, width, height, body)
