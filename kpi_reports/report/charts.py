"""Small SVG charts made from numbers: vector, so crisp in print, and no plotting engine.

Charts hold no text from the workbook (labels live in the HTML, escaped by Jinja2), so the
strings built here are safe to insert as markup. Colours come from the template folder's
theme (see render.Theme), so a team's own templates restyle the charts too.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from markupsafe import Markup


@dataclass(frozen=True)
class Palette:
    brand: str = "#1f4e79"
    accent: str = "#c8102e"
    good: str = "#2e7d32"
    track: str = "#e8edf3"
    muted: str = "#6b7785"


def _ok(x: float | None) -> TypeGuard[float]:
    """A number to draw: neither None nor NaN."""
    return x is not None and not math.isnan(x)


def _svg(width: float, height: float, body: str, stretch: bool = False) -> Markup:
    aspect = ' preserveAspectRatio="none"' if stretch else ""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}"{aspect}>{body}</svg>')


def rate_scale(*rates: float | None) -> float:
    """The axis end for rates: 100%, or more when a rate exceeds it (bad data, custom metric)."""
    return max([1.0] + [r for r in rates if _ok(r)])


def bullet(value: float | None, average: float | None, top: float | None, p: Palette,
           width: float = 160, height: float = 18) -> Markup:
    """The agent's value as a bar on a 0..100% track, ticks at the Average and the Top 10%."""
    scale = rate_scale(value, average, top)
    x = lambda v: round(width * v / scale, 1)  # noqa: E731 - tiny local scale
    mid = height / 2
    parts = [f'<rect x="0" y="{mid - 4}" width="{width}" height="8" rx="2" fill="{p.track}"/>']
    if _ok(value):
        parts.append(f'<rect x="0" y="{mid - 4}" width="{x(value)}" height="8" rx="2" fill="{p.brand}"/>')
    for v, colour in ((average, p.muted), (top, p.good)):
        if _ok(v):
            cx = min(max(x(v), 1.5), width - 1.5)
            parts.append(f'<rect x="{cx - 1.5}" y="0" width="3" height="{height}" fill="{colour}"/>')
    return _svg(width, height, "".join(parts))


def _polylines(values: Sequence[float | None], x_of, y_of) -> list[list[tuple[float, float]]]:
    """Runs of defined points (an undefined month breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if _ok(v):
            runs[-1].append((x_of(i), y_of(v)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def sparkline(values: Sequence[float | None], averages: Sequence[float | None], p: Palette,
              width: float = 160, height: float = 24) -> Markup:
    """Twelve month-end rates: the agent's line over the network Average's dashed line."""
    n = max(len(values), 2)
    scale = rate_scale(*values, *averages)
    pad = 3
    x_of = lambda i: round(pad + (width - 2 * pad) * i / (n - 1), 1)  # noqa: E731
    y_of = lambda v: round(height - pad - (height - 2 * pad) * v / scale, 1)  # noqa: E731
    parts = [f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
             f'stroke="{p.track}" stroke-width="1"/>']
    for run in _polylines(averages, x_of, y_of):
        pts = " ".join(f"{a},{b}" for a, b in run)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{p.muted}" stroke-width="1" '
                     f'stroke-dasharray="2,2"/>')
    for run in _polylines(values, x_of, y_of):
        if len(run) == 1:
            continue
        pts = " ".join(f"{a},{b}" for a, b in run)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{p.brand}" stroke-width="1.6" '
                     f'stroke-linejoin="round"/>')
    for a, b in (run[-1] for run in _polylines(values, x_of, y_of)[-1:]):
        parts.append(f'<circle cx="{a}" cy="{b}" r="2.2" fill="{p.brand}"/>')
    return _svg(width, height, "".join(parts))


def progress(done: float | None, goal: float | None, expected: float | None, p: Palette,
             width: float = 300, height: float = 16) -> Markup:
    """Year-to-date against the goal, with a tick where today's pace says it should be."""
    if not (_ok(done) and _ok(goal) and goal > 0):
        return _svg(width, height, f'<rect x="0" y="3" width="{width}" height="10" rx="3" fill="{p.track}"/>')
    share = min(done / goal, 1.0)
    colour = p.good if _ok(expected) and done >= expected else p.brand
    parts = [f'<rect x="0" y="3" width="{width}" height="10" rx="3" fill="{p.track}"/>',
             f'<rect x="0" y="3" width="{round(width * share, 1)}" height="10" rx="3" fill="{colour}"/>']
    if _ok(expected):
        cx = min(max(round(width * expected / goal, 1), 1), width - 1)
        parts.append(f'<rect x="{cx - 1}" y="0" width="2" height="{height}" fill="{p.accent}"/>')
    return _svg(width, height, "".join(parts))


def bar(count: float | None, largest: float | None, p: Palette, width: float = 150,
        height: float = 12) -> Markup:
    """One funnel step as a bar, relative to the first (largest) step."""
    share = count / largest if _ok(count) and _ok(largest) and largest > 0 else 0.0
    drawn = round(width * min(share, 1.0), 1)
    body = f'<rect x="0" y="1" width="{width}" height="{height - 2}" rx="2" fill="{p.track}"/>'
    if drawn > 0:
        body += f'<rect x="0" y="1" width="{max(drawn, 1.5)}" height="{height - 2}" rx="2" fill="{p.brand}"/>'
    return _svg(width, height, body)
