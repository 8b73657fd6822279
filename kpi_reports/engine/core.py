"""The metrics of SPEC.md, as of one day or many, for every active agent: one KpiHistory."""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..benchmarks import benchmark_arrays
from ..model import TeamData
from ..result import KpiHistory, KpiResult
from ..load import column_name
from ..settings import MetricDef, Settings, load_settings
from .deals import stale_deals
from .windows import ActivityWindow, WindowSums, cohort_ages, window_arrays

NOT_ATTRIBUTES = ["agent_id", "active", "leader", "row", "left_on"]     # Agents columns a result leaves out


def rate(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """numerator / denominator, NaN (undefined, never 0) where the denominator is not above 0."""
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def history(team: TeamData, days: Sequence[dt.date], settings: Settings | None = None,
            activity_window: ActivityWindow = "rolling") -> KpiHistory:
    """Every metric and benchmark as of each day, in one pass over the tables.

    activity_window="month" sums the funnel over each day's calendar month to date (a
    month's scorecard, as of its last day) instead of the rolling W days.
    """
    settings = settings or load_settings()
    days = tuple(days)
    agents = team.active_agents
    sums = window_arrays(team, days, pd.Index(agents["agent_id"]), settings, activity_window) if days \
        else _no_sums(len(settings.metrics), len(agents))
    missing = missing_inputs(team, settings)
    for j, m in enumerate(settings.metrics):
        if m.id in missing:            # nothing to count: undefined for every agent, never 0
            sums.numerator[:, j] = sums.denominator[:, j] = np.nan
    value = rate(sums.numerator, sums.denominator)
    counted = (sums.denominator > 0) & (sums.denominator >= settings.min_denominator)
    agents, sums, value, (average, top, ranked, rank) = _agents_who_count(agents, days, sums, value, counted,
                                                                           settings.top_percent)
    return KpiHistory(
        days=days, settings=settings, agents=agents.drop(columns=NOT_ATTRIBUTES),
        numerator=sums.numerator, denominator=sums.denominator, rate=value, rank=rank,
        average=average, top10=top, ranked=ranked, counts=sums.counts, closed_volume_ytd=sums.closed_volume_ytd,
        activity_windows=tuple(zip(sums.activity_starts, days)), data_quality=tuple(team.problems),
        trailing=sums.trailing, stale_deals=stale_deals(team, days, pd.Index(agents["agent_id"]), settings),
        missing_inputs=missing, data_span=team.date_range() or (None, None), activity_window_kind=activity_window)


INPUT_TABLES = {"cohort": "leads", "activity": "activity"}


def metric_inputs(m: MetricDef) -> tuple[str, ...]:
    """The optional columns (as the settings spell them) a metric counts: event or numerator/denominator."""
    columns = (m.event,) if m.kind == "cohort" else (m.numerator, m.denominator) if m.kind == "activity" else ()
    return tuple(dict.fromkeys(c for c in columns if c))


def missing_inputs(team: TeamData, settings: Settings) -> dict[str, tuple[str, ...]]:
    """metric id -> the columns it needs that the workbook lacks (the loader's record of them).

    Such a metric is undefined for every agent: no value, benchmark, rank, focus or mover.
    """
    found = {}
    for m in settings.metrics:
        table = INPUT_TABLES.get(m.kind)
        if table is None:
            continue
        lacking = set(team.missing_columns.get(table, ()))              # the loader's record
        frame = getattr(team, table)
        gone = tuple(c for c in metric_inputs(m) if column_name(c) in lacking or column_name(c) not in frame)
        if gone:
            found[m.id] = gone
    return found


def _agents_who_count(agents: pd.DataFrame, days: tuple[dt.date, ...], sums: WindowSums, value: np.ndarray,
                      counted: np.ndarray, top_percent: int):
    """SPEC: an active agent counts on day D when Left On is blank or after D.

    Each day's benchmarks are over the agents who count that day (days x agents mask); the
    result keeps the agents who count on its last day, so re-running an old month gives the
    figures it gave then, and an agent who left since is in no later day's list.
    Returns (agents, sums, value, benchmark_arrays(...)) for those agents.
    """
    left = agents["left_on"].to_numpy(dtype="datetime64[D]") if "left_on" in agents else \
        np.full(len(agents), np.datetime64("NaT"), dtype="datetime64[D]")
    counting = np.isnat(left)[None, :] | (left[None, :] > np.array(days, dtype="datetime64[D]")[:, None])
    benchmarks = benchmark_arrays(value, counted & counting[:, None, :], top_percent)
    if not days:
        return agents, sums, value, benchmarks
    keep = counting[-1]
    average, top, ranked, rank = benchmarks
    sums = WindowSums(sums.numerator[..., keep], sums.denominator[..., keep],
                      {c: v[..., keep] for c, v in sums.counts.items()}, sums.closed_volume_ytd[..., keep],
                      sums.activity_starts, {c: v[..., keep] for c, v in sums.trailing.items()})
    return agents[keep], sums, value[..., keep], (average, top, ranked, rank[..., keep])


def _no_sums(n_metrics: int, n_agents: int) -> WindowSums:
    """The sums of no day at all (history of an empty list of days)."""
    empty = np.zeros((0, n_metrics, n_agents))
    return WindowSums(empty, empty.copy(), {}, np.zeros((0, n_agents)), (), {})


def compute(team: TeamData, as_of: dt.date, settings: Settings | None = None,
            activity_window: ActivityWindow = "rolling") -> KpiResult:
    """Every metric for every active agent as of one day, with the network benchmarks."""
    return history(team, [as_of], settings, activity_window)[0]


def cohort_span(metric: MetricDef, settings: Settings, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last Matched day of a cohort metric's leads as of a day (windows.cohort_ages)."""
    youngest, oldest = cohort_ages(metric, settings)
    return as_of - dt.timedelta(days=oldest), as_of - dt.timedelta(days=youngest)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_ends(last_month: dt.date, count: int) -> list[dt.date]:
    """The last days of `count` months ending with last_month's, oldest first."""
    firsts = pd.period_range(end=pd.Period(last_month, freq="M"), periods=count, freq="M")
    return [p.end_time.date() for p in firsts]


def monthly_history(team: TeamData, month: dt.date, months: int = 12,
                    settings: Settings | None = None) -> KpiHistory:
    """Month-end results (funnel over each calendar month) for the `months` ending with `month`."""
    return history(team, month_ends(month, months), settings, activity_window="month")
