"""Deals to update, and who stays eligible for leads.

Stale deals are the deals behind the portal-update rate's misses: active on D (SPEC:
Opened <= D and Closed blank or after D) with no known update 0 .. max_age_days old.
Eligibility applies the settings' rule ([eligibility]) to one metric's value as of D.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import formatting as fmt
from ..model import TeamData
from ..result import KpiResult
from ..settings import MetricDef, Settings
from .windows import EPOCH, NO_DAY, _codes, _day, day_numbers

STALE_COLUMNS = ["agent_id", "deal_id", "opened", "last_updated", "days_since", "row"]
ELIGIBLE, AT_RISK, NOT_ELIGIBLE = "eligible", "at risk", "not eligible"


def update_metric(settings: Settings) -> MetricDef | None:
    """The first enabled deal_updates metric: its max_age_days decides what is stale."""
    return next((m for m in settings.metrics if m.kind == "deal_updates"), None)


def stale_deals(team: TeamData, days: Sequence[dt.date], active: pd.Index,
                settings: Settings) -> tuple[pd.DataFrame, ...]:
    """Per as-of day: the active agents' active deals without a fresh update, oldest first.

    Columns: agent_id, deal_id (None for a row without one), opened, last_updated (the
    latest known update on or before D; NaT = never), days_since (D - last_updated; NaN
    = never), row (the Deals sheet's row). "Never" comes first, then the most days since.
    A deal of an agent not active, or with an unusable date (reported), is left out, as
    in the portal-update rate.
    """
    metric = update_metric(settings)
    if metric is None:
        return tuple(pd.DataFrame(columns=STALE_COLUMNS) for _ in days)
    deals = team.deals
    codes = _codes(deals["agent_id"], active)
    opened, closed = day_numbers(deals["opened"]), day_numbers(deals["closed"])
    still_open = deals["closed"].isna().to_numpy()
    usable = deals["usable"].to_numpy(dtype=bool) & (codes >= 0)
    update_deal = team.deal_updates["deal_id"].cat.codes.to_numpy()      # position in deals
    update_day = day_numbers(team.deal_updates["updated"])
    known = (update_deal >= 0) & (update_day != NO_DAY)
    update_deal, update_day = update_deal[known], update_day[known]
    frames = []
    for d in (_day(x) for x in days):          # a handful of as-of days, each one vector pass
        is_active = usable & (opened <= d) & (still_open | (closed > d))
        age = d - update_day
        fresh = np.zeros(len(deals), dtype=bool)
        fresh[update_deal[(age >= 0) & (age <= metric.max_age_days)]] = True
        stale = is_active & ~fresh
        last = _last_update_on_or_before(update_deal, update_day, d, stale)
        frames.append(_stale_frame(deals, codes, stale, last, d, team.row_numbers))
    return tuple(frames)


def _last_update_on_or_before(deal: np.ndarray, day: np.ndarray, d: int, wanted: np.ndarray) -> np.ndarray:
    """The latest update day <= d of each `wanted` deal (NO_DAY when none), by deal position.

    Only the updates of the wanted (stale) deals are looked at: a few among many.
    """
    keep = wanted[deal] & (day <= d)
    last = np.full(len(wanted), NO_DAY, dtype=np.int64)
    np.maximum.at(last, deal[keep], day[keep])
    return last


def _stale_frame(deals: pd.DataFrame, codes: np.ndarray, stale: np.ndarray, last: np.ndarray, d: int,
                 row_numbers: bool = True) -> pd.DataFrame:
    """row: the Deals sheet's row; None where the source has none (TeamData.row_numbers)."""
    rows = np.flatnonzero(stale)
    last_day = last[rows]
    never = last_day == NO_DAY
    age = np.where(never, np.nan, d - last_day)
    order = np.lexsort((deals["row"].to_numpy()[rows], codes[rows], -np.nan_to_num(age, nan=0), ~never))
    rows, last_day, never, age = rows[order], last_day[order], never[order], age[order]
    ids = deals["deal_id"].iloc[rows]
    updated = (np.datetime64(EPOCH, "D") + np.where(never, 0, last_day).astype("timedelta64[D]")).astype(object)
    updated[never] = None
    return pd.DataFrame({
        "agent_id": deals["agent_id"].iloc[rows].astype(str).to_numpy(),
        "deal_id": ids.where(~ids.str.startswith("\x00"), None).to_numpy(dtype=object),
        "opened": deals["opened"].iloc[rows].dt.date.to_numpy(),
        "last_updated": updated,
        "days_since": age,
        "row": deals["row"].iloc[rows].to_numpy() if row_numbers else np.full(len(rows), None, dtype=object),
    }, columns=STALE_COLUMNS)


# ------------------------------------------------------------------ eligibility

@dataclass(frozen=True)
class Eligibility:
    """Each agent's status as of D under the settings' rule, with the reason in words.

    status: "eligible", "at risk" or "not eligible" per agent (None for every agent when
    the settings set no rule); value, numerator, denominator: the rule's metric.
    """

    metric: MetricDef | None
    status: list[str | None]
    reason: list[str]
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray


def eligibility(result: KpiResult) -> Eligibility:
    """The [eligibility] rule applied to every agent as of the result's day.

    An undefined value (no active deal, say) breaks no rule: eligible, "no active deals".
    Small samples do not soften the rule: 0 of 1 active deals updated is below 100%.
    """
    rule = result.settings.eligibility
    n = len(result.agent_ids)
    if not rule.metric:
        nothing = np.full(n, np.nan)
        return Eligibility(None, [None] * n, [""] * n, nothing, nothing, nothing)
    metric = result.settings.metric(rule.metric)
    j = result.metric_position(rule.metric)
    value, num, den = result.rate[j], result.numerator[j], result.denominator[j]
    status = np.select([np.isnan(value) | (value >= rule.eligible_at), value < rule.not_eligible_below],
                       [ELIGIBLE, NOT_ELIGIBLE], AT_RISK).astype(object)
    reasons = [_reason(metric, s, v, a, b, rule.eligible_at, rule.not_eligible_below)
               for s, v, a, b in zip(status, value, num, den)]
    return Eligibility(metric, list(status), reasons, value, num, den)


def _reason(metric: MetricDef, status: str, value: float, num: float, den: float, needed: float,
            floor: float) -> str:
    """ "Portal updates 75% (3 of 4 active deals); 100% required to stay eligible"."""
    if np.isnan(value):
        return f"no {metric.population}"
    said = f"{metric.brief_label} {fmt.percent(value)} ({fmt.fraction(num, den, metric.population)})"
    if status == ELIGIBLE:
        return f"{said}; {fmt.percent(needed)} required"
    if status == NOT_ELIGIBLE:
        return f"{said}; below {fmt.percent(floor)}"
    return f"{said}; {fmt.percent(needed)} required to stay eligible"


__all__ = ["AT_RISK", "ELIGIBLE", "NOT_ELIGIBLE", "STALE_COLUMNS", "Eligibility", "eligibility", "stale_deals",
           "update_metric"]
