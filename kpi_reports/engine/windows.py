"""Window sums: every metric's numerator and denominator as of many days in one pass.

Each metric reduces to "sum a per-row weight over rows whose day falls in a window that
ends a fixed number of days before D", so every window sum is a 2-D histogram (agent x
day) and a cumulative sum: any number of as-of days costs one pass over the rows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..load import ACTIVITY_COUNTS, activity_columns, column_name
from ..model import TeamData
from ..settings import MetricDef, Settings

ActivityWindow = Literal["rolling", "month"]
NO_DAY = np.iinfo(np.int64).min // 2     # a day number outside every window
EPOCH = dt.date(1970, 1, 1)


def day_numbers(dates: pd.Series) -> np.ndarray:
    """datetime64 of any unit -> whole days since 1970 (NO_DAY where NaT)."""
    values = dates.to_numpy().astype("datetime64[D]")
    days = values.astype(np.int64)
    return np.where(np.isnat(values), NO_DAY, days)


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


def cohort_ages(metric: MetricDef, settings: Settings) -> tuple[int, int]:
    """The ages (days before D) of the Matched days a cohort metric counts: P to P + W - 1."""
    return metric.play_out_days, metric.play_out_days + settings.rolling_days - 1


def window_sums(codes: np.ndarray, days: np.ndarray, weights: np.ndarray | None, n_agents: int,
                as_of: np.ndarray, min_age: np.ndarray, max_age: np.ndarray) -> np.ndarray:
    """Sum of weights per agent over rows with min_age <= D - day <= max_age, for each D.

    codes: agent index per row (-1 = not counted); returns shape (len(as_of), n_agents).
    """
    start, end = int((as_of - max_age).min()), int((as_of - min_age).max())
    width = end - start + 1
    keep = (codes >= 0) & (days >= start) & (days <= end)
    if weights is not None:
        keep &= weights != 0
    flat = codes[keep].astype(np.int64) * width + (days[keep] - start)
    hist = np.bincount(flat, weights=None if weights is None else weights[keep],
                       minlength=n_agents * width).reshape(n_agents, width)
    cum = np.zeros((n_agents, width + 1))
    np.cumsum(hist, axis=1, out=cum[:, 1:])
    hi = as_of - min_age - start + 1          # exclusive end column in cum
    lo = as_of - max_age - start
    return (cum[:, hi] - cum[:, lo]).T


@dataclass(frozen=True)
class _Windows:
    """The as-of days and, per day, the activity window's first age (W-1 or month)."""

    as_of: np.ndarray
    activity_max_age: np.ndarray
    ytd_max_age: np.ndarray


def _windows(days: Sequence[dt.date], settings: Settings, activity: ActivityWindow) -> _Windows:
    as_of = np.array([_day(d) for d in days], dtype=np.int64)
    if activity == "month":
        act = np.array([d.day - 1 for d in days], dtype=np.int64)
    else:
        act = np.full(len(days), settings.rolling_days - 1, dtype=np.int64)
    ytd = np.array([(d - dt.date(d.year, 1, 1)).days for d in days], dtype=np.int64)
    return _Windows(as_of, act, ytd)


def _codes(ids: pd.Series, wanted: pd.Index) -> np.ndarray:
    """Position of each row's ID (a categorical) in `wanted`; -1 when it is not there."""
    lookup = np.append(wanted.get_indexer(ids.cat.categories), -1)   # code -1 (NaN) -> -1
    return lookup[ids.cat.codes.to_numpy()].astype(np.int64)


class _DayCache(dict):
    """Day numbers of each date column, converted once per call."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__()
        self.frame = frame

    def __missing__(self, column: str) -> np.ndarray:
        self[column] = day_numbers(self.frame[column])
        return self[column]


def _activity_columns(m: MetricDef) -> tuple[str, str]:
    """An activity metric's numerator and denominator columns (settings require both)."""
    assert m.numerator is not None and m.denominator is not None, m.id
    return column_name(m.numerator), column_name(m.denominator)


def _cohort(leads: pd.DataFrame, days: _DayCache, m: MetricDef, settings: Settings, codes: np.ndarray,
            n: int, w: _Windows) -> tuple[np.ndarray, np.ndarray]:
    assert m.event is not None, f"settings require cohort metric {m.id!r}'s event"
    event = column_name(m.event)
    matched = days["matched"]
    happened = days[event]
    eligible = leads["type"].isin(m.lead_types).to_numpy() & ~leads[f"{event}_bad"].to_numpy(dtype=bool)
    lag = happened - matched
    success = (happened != NO_DAY) & (lag >= 0) & (lag <= m.play_out_days)
    rows = np.where(eligible, codes, -1)
    youngest, oldest = cohort_ages(m, settings)
    lo, hi = np.full(len(w.as_of), youngest), np.full(len(w.as_of), oldest)
    den = window_sums(rows, matched, None, n, w.as_of, lo, hi)
    num = window_sums(rows, matched, success.astype(float), n, w.as_of, lo, hi)
    return num, den


def _activity_sums(team: TeamData, days: np.ndarray, columns: Sequence[str], codes: np.ndarray, n: int,
                   w: _Windows, *max_ages: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Each column summed over ages 0 .. max_age, for each set of max_ages: one pass per column.

    A column the sheet lacks (NaN throughout) sums to NaN, never 0.
    """
    as_of = np.tile(w.as_of, len(max_ages))
    ages = np.concatenate(max_ages)
    zero = np.zeros(len(as_of), dtype=np.int64)
    sums = {}
    for c in columns:
        weights = team.activity[c].to_numpy(dtype=float) if c in team.activity else np.full(len(days), np.nan)
        if len(weights) and np.isnan(weights).all():
            sums[c] = np.full((len(as_of), n), np.nan)
        else:
            sums[c] = window_sums(codes, days, weights, n, as_of, zero, ages)
    k = len(w.as_of)
    return [{c: s[g * k:(g + 1) * k] for c, s in sums.items()} for g in range(len(max_ages))]


def _portal_updates(team: TeamData, m: MetricDef, codes: np.ndarray, n: int,
                    w: _Windows) -> tuple[np.ndarray, np.ndarray]:
    deals = team.deals
    opened, closed = day_numbers(deals["opened"]), day_numbers(deals["closed"])
    still_open = deals["closed"].isna().to_numpy()
    usable = deals["usable"].to_numpy(dtype=bool) & (codes >= 0)
    update_deal = team.deal_updates["deal_id"].cat.codes.to_numpy()    # position in deals
    update_day = day_numbers(team.deal_updates["updated"])
    num = np.zeros((len(w.as_of), n))
    den = np.zeros((len(w.as_of), n))
    for t, d in enumerate(w.as_of):           # a handful of as-of days, each one vector pass
        active = usable & (opened <= d) & (still_open | (closed > d))
        age = d - update_day
        fresh = np.zeros(len(deals), dtype=bool)
        fresh[update_deal[(update_deal >= 0) & (age >= 0) & (age <= m.max_age_days)]] = True
        den[t] = np.bincount(codes[active], minlength=n)
        num[t] = np.bincount(codes[active & fresh], minlength=n)
    return num, den


def _metric_arrays(team: TeamData, settings: Settings, w: _Windows, active: pd.Index,
                   activity_sums: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    n = len(active)
    lead_codes = _codes(team.leads["agent_id"], active)
    deal_codes = _codes(team.deals["agent_id"], active)
    lead_days = _DayCache(team.leads)
    nums, dens = [], []
    for m in settings.metrics:
        if m.kind == "cohort":
            num, den = _cohort(team.leads, lead_days, m, settings, lead_codes, n, w)
        elif m.kind == "activity":
            numerator, denominator = _activity_columns(m)
            num, den = activity_sums[numerator], activity_sums[denominator]
        else:
            num, den = _portal_updates(team, m, deal_codes, n, w)
        nums.append(num)
        dens.append(den)
    return np.stack(nums, axis=1), np.stack(dens, axis=1)   # (days, metrics, agents)


@dataclass(frozen=True)
class WindowSums:
    """Every window sum as of each day: the raw counts the rates and benchmarks are made of.

    numerator, denominator: (days, metrics, agents); counts: the activity window's sum of
    each count column, and closed_volume_ytd: (days, agents); activity_starts: the first
    day of each day's activity window; trailing: each count column summed over the plan's
    trailing_days ending on the day (days, agents).
    """

    numerator: np.ndarray
    denominator: np.ndarray
    counts: dict[str, np.ndarray]
    closed_volume_ytd: np.ndarray
    activity_starts: tuple[dt.date, ...]
    trailing: dict[str, np.ndarray]


def window_arrays(team: TeamData, days: Sequence[dt.date], active: pd.Index, settings: Settings,
                  activity_window: ActivityWindow) -> WindowSums:
    """The sums of every metric and count column for the `active` agents as of each day."""
    w = _windows(days, settings, activity_window)
    n = len(active)
    activity_codes = _codes(team.activity["agent_id"], active)
    count_columns = [column_name(c) for c in activity_columns(settings)]
    activity_days = day_numbers(team.activity["date"])
    trailing_age = np.full(len(days), settings.plan.trailing_days - 1, dtype=np.int64)
    sums, trailing, ytd_sums = _activity_sums(team, activity_days, count_columns, activity_codes, n, w,
                                              w.activity_max_age, trailing_age, w.ytd_max_age)
    ytd = ytd_sums["closed_volume"]
    trailing = {column_name(c): trailing[column_name(c)] for c in ACTIVITY_COUNTS}
    num, den = _metric_arrays(team, settings, w, active, sums)
    starts = tuple(d - dt.timedelta(days=int(age)) for d, age in zip(days, w.activity_max_age))
    return WindowSums(num, den, sums, ytd, starts, trailing)
