"""Figures derived from the metrics, for the reader: what to work on and how the year goes.

Gap to the Average and whether it is clear of chance (Wilson interval), the focus items,
the biggest movers since the previous month-end, pace to the annual goal, the ranked
leaderboard with team totals, and the mail's headline figures are computed here once,
from a KpiHistory or one day of it, so that every face (scorecard, team summary, mail)
shows the same and only formats. Undefined stays undefined: NaN in, NaN (or nothing) out.
A small sample (a denominator below [report] small_sample) drives no focus item and no mover.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..bands import below_average
from ..benchmarks import benchmark_arrays
from ..result import KpiHistory, KpiResult
from ..settings import MetricDef

MOVERS_LIMIT = 5
FOCUS_LIMIT = 3
WILSON_Z = 1.959963984540054          # a 95% interval


# ------------------------------------------------------------------ gaps and focus

def gaps(result: KpiResult) -> np.ndarray:
    """Each agent's rate minus the metric's Average, shape (metrics, agents); NaN when either is."""
    return result.rate - result.average[:, None]


def wilson(numerator: np.ndarray, denominator: np.ndarray, z: float = WILSON_Z) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (low, high) of each rate; NaN where the rate is undefined or not
    a share (a ratio above 1, such as more contacts than calls, has no binomial interval)."""
    n = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(numerator, dtype=float) / n
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
    share = (n > 0) & (p >= 0) & (p <= 1)
    return np.where(share, centre - half, np.nan), np.where(share, centre + half, np.nan)


@dataclass(frozen=True)
class FocusItem:
    """A metric to work on: below the Average as shown (kpi_reports.bands) on a full sample.

    gap: rate - Average (< 0); worth: what closing it would bring, -gap x the agent's
    denominator (successes: meetings scheduled, contacts made, deals updated ...);
    clear: the Average lies outside the rate's Wilson 95% interval (the gap is not chance).
    """

    metric: MetricDef
    gap: float
    worth: float
    clear: bool

    @property
    def tip(self) -> str:
        return self.metric.tip


def focus_all(result: KpiResult, limit: int = FOCUS_LIMIT) -> list[list[FocusItem]]:
    """Every agent's focus items, in the agents' order (one vector pass; see focus_items)."""
    gap = gaps(result)                                                   # (metrics, agents)
    below = below_average(result.rate, result.average[:, None]) & ~result.small_sample   # as shown (bands)
    worth = -gap * result.denominator
    metric_index = np.broadcast_to(np.arange(len(result.metrics))[:, None], gap.shape)
    order = np.lexsort((metric_index, np.nan_to_num(gap), -np.nan_to_num(worth), ~below), axis=0)[:limit]
    low, high = result.interval
    clear = (result.average[:, None] < low) | (result.average[:, None] > high)
    return [[FocusItem(result.metrics[j], float(gap[j, i]), float(worth[j, i]), bool(clear[j, i]))
             for j in order[:, i] if below[j, i]]
            for i in range(len(result.agent_ids))]


def focus_items(result: KpiResult, agent_id: str) -> list[FocusItem]:
    """Metrics where the agent is below the Average on a full sample, most worth first, at most three.

    Equal worth: the bigger gap first, then the settings' order of the metrics.
    """
    return result.focus(agent_id)


def focus(result: KpiResult, agent_id: str) -> list[tuple[MetricDef, float]]:
    """(metric, gap) of the focus items: see focus_items."""
    return [(item.metric, item.gap) for item in focus_items(result, agent_id)]


# ------------------------------------------------------------------ the annual goal

@dataclass(frozen=True)
class GoalPace:
    """Closed volume to date against the annual goal, at an even pace through the year."""

    ytd: float
    goal: float
    share: float          # ytd / goal
    expected: float       # where an even pace would be by the day
    projected: float      # the year's volume if the pace so far holds

    @property
    def ahead(self) -> bool:
        return self.ytd >= self.expected


def year_elapsed(as_of: dt.date) -> float:
    """The share of the calendar year gone by the end of `as_of` (Dec 31 -> 1.0)."""
    first, next_first = dt.date(as_of.year, 1, 1), dt.date(as_of.year + 1, 1, 1)
    return ((as_of - first).days + 1) / (next_first - first).days


def goal_pace(ytd: float, goal: float, as_of: dt.date) -> GoalPace | None:
    """The pace to a goal; None when there is no goal (blank, 0 or negative)."""
    if math.isnan(goal) or goal <= 0:
        return None
    elapsed = year_elapsed(as_of)
    return GoalPace(ytd=ytd, goal=goal, share=ytd / goal, expected=goal * elapsed, projected=ytd / elapsed)


def agent_goal_pace(result: KpiResult, agent_id: str) -> GoalPace | None:
    goal = result.history.agents["annual_goal"].iat[result.position(agent_id)] \
        if "annual_goal" in result.history.agents else math.nan
    return goal_pace(float(result.closed_volume_ytd[result.position(agent_id)]), float(goal), result.as_of)


# ------------------------------------------------------------------ the team summary's movers

@dataclass(frozen=True)
class Move:
    """One agent's rate of one metric at the previous month-end and now."""

    agent_id: str
    metric: MetricDef
    before: float
    after: float
    change: float         # after - before


@dataclass(frozen=True)
class Movers:
    up: list[Move]
    down: list[Move]
    since: dt.date | None     # the previous day of the history (None: no previous day)


def movers(history: KpiHistory, agent_ids: Sequence[str], limit: int = MOVERS_LIMIT) -> Movers:
    """The largest rises and falls of any of the agents' rates since the history's previous day.

    A change counts only when both days' samples (denominators) reach the settings'
    movers_min_sample and are no small sample: "0 of 1 -> 1 of 1" is not a move. Equal
    changes keep the order of `agent_ids`, then of the metrics.
    """
    if len(history) < 2:
        return Movers([], [], None)
    agents = [history.position(a) for a in agent_ids]
    now, before = history.rate[-1][:, agents].T, history.rate[-2][:, agents].T       # (agents, metrics)
    enough = max(history.settings.report.movers_min_sample, history.settings.report.small_sample)
    sampled = (history.denominator[-1][:, agents].T >= enough) & (history.denominator[-2][:, agents].T >= enough)
    delta = np.where(sampled, now - before, np.nan)
    flat = np.argsort(np.where(np.isnan(delta), 0, delta), axis=None, kind="stable")

    def move(k: int) -> Move:
        a, j = np.unravel_index(k, delta.shape)
        return Move(agent_ids[int(a)], history.metrics[j], float(before[a, j]), float(now[a, j]), float(delta[a, j]))

    up = [move(k) for k in flat[::-1][:limit] if delta.flat[k] > 0]
    down = [move(k) for k in flat[:limit] if delta.flat[k] < 0]
    return Movers(up, down, history.days[-2])


# ------------------------------------------------------------------ the leaderboard and team rows

@dataclass(frozen=True)
class Leaderboard:
    """Agents in leaderboard order by [report] rank_by, with their rank and the value ranked on.

    by: "name" (alphabetical, no rank), "closed_volume_ytd" or a metric id. rank: 1 = best,
    ties share a rank ("1224"); NaN for an agent not counted (undefined rate, or a sample
    below [benchmarks] min_denominator), listed after the ranked ones by name.
    """

    by: str
    agent_ids: list[str]
    rank: np.ndarray
    value: np.ndarray

    def rank_of(self, agent_id: str) -> float:
        return float(self.rank[self.agent_ids.index(agent_id)])


def leaderboard(result: KpiResult, agent_ids: list[str] | None = None) -> Leaderboard:
    """The given agents (default: all) ranked among themselves by [report] rank_by."""
    ids = list(result.agent_ids if agent_ids is None else agent_ids)
    pos = np.array([result.position(a) for a in ids], dtype=np.int64)
    by = result.settings.report.rank_by
    if by == "name":
        value, counted = np.full(len(ids), np.nan), np.zeros(len(ids), dtype=bool)
    elif by == "closed_volume_ytd":
        value, counted = result.closed_volume_ytd[pos], np.ones(len(ids), dtype=bool)
    else:
        j = result.metric_position(by)
        value, counted = result.rate[j, pos], _counted(result)[j, pos]
    rank = benchmark_arrays(value[None], counted[None], result.settings.top_percent)[3][0] if len(ids) \
        else np.zeros(0)
    names = result.history.agents["name"].to_numpy()[pos].astype(str)
    order = np.lexsort((np.array(ids, dtype=str), np.char.lower(names), np.where(np.isnan(rank), np.inf, rank)))
    return Leaderboard(by, [ids[k] for k in order], rank[order], value[order])


def _counted(result: KpiResult) -> np.ndarray:
    """(metrics, agents): the agents SPEC's benchmarks count (a defined rate on enough sample)."""
    den = result.denominator
    return (den > 0) & (den >= result.settings.min_denominator)


@dataclass(frozen=True)
class TeamTotals:
    """A group of agents (the whole team, or one Team of the Agents sheet) as one row.

    counts: the activity window's sums (calls ... closed_volume); closed_volume_ytd and,
    per agent (in `agent_ids` order), share of it; average: each metric's Average over the
    group (SPEC's rule); pace: against [targets] team_goal (whole team only; None when no
    goal is set or for a part of the team).
    """

    agent_ids: list[str]
    counts: dict[str, float]
    closed_volume_ytd: float
    share: np.ndarray
    average: np.ndarray
    pace: GoalPace | None


def team_totals(result: KpiResult, agent_ids: list[str] | None = None) -> TeamTotals:
    """Totals and averages of the given agents (default: all, with the team goal's pace)."""
    ids = list(result.agent_ids if agent_ids is None else agent_ids)
    pos = np.array([result.position(a) for a in ids], dtype=np.int64)
    counts = {c: float(sums[result.t, pos].sum()) for c, sums in result.history.counts.items()}
    ytd_each = result.closed_volume_ytd[pos]
    ytd = float(ytd_each.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        share = ytd_each / ytd if ytd > 0 else np.full(len(ids), np.nan)
    average = benchmark_arrays(result.rate[:, pos], _counted(result)[:, pos], result.settings.top_percent)[0]
    pace = goal_pace(ytd, result.settings.targets.team_goal, result.as_of) if agent_ids is None else None
    return TeamTotals(ids, counts, ytd, share, average, pace)


def teams(result: KpiResult) -> dict[str, list[str]]:
    """Each Team of the Agents sheet (blank: "") and its active agents, in workbook order."""
    agents = result.history.agents
    names = agents["team"].fillna("").astype(str) if "team" in agents else pd.Series("", index=agents.index)
    return {team: list(members) for team, members in names.index.to_series().groupby(names.to_numpy(), sort=False)}


# ------------------------------------------------------------------ the mail's headline

@dataclass(frozen=True)
class Headline:
    """What an agent's email leads with: a few rates beside the Average, the year's volume, a tip."""

    rates: list[tuple[MetricDef, float, float]]      # (metric, the agent's rate, network Average)
    closed_volume_ytd: float
    annual_goal: float                               # NaN when the Agents sheet gives none
    tip: str | None                                  # the tip of the biggest gap to the Average


def headline(result: KpiResult, agent_id: str, metrics: int = 2) -> Headline:
    """The first `metrics` metrics of the settings, the closed volume to date and the top focus tip."""
    i = result.position(agent_id)
    rates = [(m, float(result.rate[j, i]), float(result.average[j]))
             for j, m in enumerate(result.metrics[:metrics])]
    goal = result.history.agents["annual_goal"].iat[i]
    tips = [item.tip for item in focus_items(result, agent_id) if item.tip]
    return Headline(rates, float(result.closed_volume_ytd[i]), math.nan if pd.isna(goal) else float(goal),
                    tips[0] if tips else None)


__all__ = ["FocusItem", "focus_all", "GoalPace", "Headline", "Leaderboard", "Move", "Movers", "TeamTotals", "agent_goal_pace",
           "focus", "focus_items", "gaps", "goal_pace", "headline", "leaderboard", "movers", "team_totals", "teams",
           "wilson", "year_elapsed"]
