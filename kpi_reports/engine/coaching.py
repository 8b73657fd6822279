"""Figures derived from the metrics, for the reader: what to work on and how the year goes.

Gap to the Average, the focus order, the biggest movers since the previous month-end,
pace to the annual goal and the mail's headline figures are computed here once, from a
KpiHistory or one day of it, so that every face (scorecard, team summary, mail) shows
the same and only formats. Undefined stays undefined: NaN in, NaN (or nothing) out.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..result import KpiHistory, KpiResult
from ..settings import MetricDef

MOVERS_LIMIT = 5


# ------------------------------------------------------------------ gaps and focus

def gaps(result: KpiResult) -> np.ndarray:
    """Each agent's rate minus the metric's Average, shape (metrics, agents); NaN when either is."""
    return result.rate - result.average[:, None]


def focus(result: KpiResult, agent_id: str) -> list[tuple[MetricDef, float]]:
    """The metrics where the agent is below the Average, biggest gap first (gap < 0).

    Ties keep the settings' order of the metrics.
    """
    gap = gaps(result)[:, result.position(agent_id)]
    below = np.flatnonzero(gap < 0)                     # NaN compares False: undefined is no gap
    order = below[np.argsort(gap[below], kind="stable")]
    return [(result.metrics[j], float(gap[j])) for j in order]


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
    movers_min_sample: "0 of 1 -> 1 of 1" is not a move. Equal changes keep the order of
    `agent_ids`, then of the metrics.
    """
    if len(history) < 2:
        return Movers([], [], None)
    agents = [history.position(a) for a in agent_ids]
    now, before = history.rate[-1][:, agents].T, history.rate[-2][:, agents].T       # (agents, metrics)
    enough = history.settings.report.movers_min_sample
    sampled = (history.denominator[-1][:, agents].T >= enough) & (history.denominator[-2][:, agents].T >= enough)
    delta = np.where(sampled, now - before, np.nan)
    flat = np.argsort(np.where(np.isnan(delta), 0, delta), axis=None, kind="stable")

    def move(k: int) -> Move:
        a, j = np.unravel_index(k, delta.shape)
        return Move(agent_ids[a], history.metrics[j], float(before[a, j]), float(now[a, j]), float(delta[a, j]))

    up = [move(k) for k in flat[::-1][:limit] if delta.flat[k] > 0]
    down = [move(k) for k in flat[:limit] if delta.flat[k] < 0]
    return Movers(up, down, history.days[-2])


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
    tips = [m.tip for m, _ in focus(result, agent_id) if m.tip]
    return Headline(rates, float(result.closed_volume_ytd[i]), math.nan if pd.isna(goal) else float(goal),
                    tips[0] if tips else None)


__all__ = ["GoalPace", "Headline", "Move", "Movers", "agent_goal_pace", "focus", "gaps", "goal_pace",
           "headline", "movers", "year_elapsed"]
