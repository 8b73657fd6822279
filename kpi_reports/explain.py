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


SHEET_OF_KIND = {"cohort": "Leads", "activity": "Activity", "deal_updates": "Deals"}


def missing_text(m: MetricDef, result: KpiResult) -> str | None:
    """ "No Contracts column on the Activity sheet" when the metric lacks a column, else None."""
    columns = result.history.missing_inputs.get(m.id)
    if not columns:
        return None
    names = " and ".join(columns)
    return f"No {names} column{'s' if len(columns) > 1 else ''} on the {SHEET_OF_KIND[m.kind]} sheet"


def undefined_reason(m: MetricDef, result: KpiResult) -> str:
    """Why a value is "—": a column the workbook lacks, or the population the window held none of."""
    missing = missing_text(m, result)
    if missing:
        return missing
    d = result.as_of
    if m.kind == "cohort":
        return f"No {m.population} matched {f.span(*cohort_span(m, result.settings, d))}"
    if m.kind == "activity":
        return f"No {m.population} logged {f.span(*result.activity_window)}"
    return f"No active deals on {f.day(d)}"
