"""Words about windows: which days a metric counted as of a day, and why a value is "—".

Shared by every face that explains a number (scorecards, Excel formulas).
"""
from __future__ import annotations

from . import formatting as f
from .engine import cohort_span
from .result import KpiResult
from .settings import MetricDef


def window_text(m: MetricDef, result: KpiResult) -> str:
    """Which days a metric covers as of the result's day, for the footnote."""
    d = result.as_of
    if m.kind == "cohort":
        span = f.span(*cohort_span(m, result.settings, d))
        return f"{m.population.capitalize()} matched {span}; {m.event} within {m.play_out_days} days."
    if m.kind == "activity":
        return f"{m.numerator} ÷ {(m.denominator or '').lower()} logged {f.span(*result.activity_window)}."
    return f"Deals active on {f.day(d)}; updated within {m.max_age_days} days."


def undefined_reason(m: MetricDef, result: KpiResult) -> str:
    """Why a value is "—": the population the window held none of."""
    d = result.as_of
    if m.kind == "cohort":
        return f"No {m.population} matched {f.span(*cohort_span(m, result.settings, d))}"
    if m.kind == "activity":
        return f"No {m.population} logged {f.span(*result.activity_window)}"
    return f"No active deals on {f.day(d)}"
