"""The plan to the annual goal: the team's ratios run backwards, for every agent at once.

    remaining    = annual goal - closed volume this year (never below 0)
    contracts    = ceil(remaining / average price)
    appointments = ceil(contracts / contract ratio)        (appointments -> contracts)
    contacts     = ceil(appointments / appointment ratio)  (contacts -> appointments)
    calls        = ceil(contacts / contact ratio)          (calls -> contacts)
    per week     = need / (days left in the year / 7); per workday = need / Mon-Fri days left

The average price and the ratios are the agent's own over the trailing [plan]
trailing_days ending on D (Activity sums). A "closed deal" here is a contract: the
Activity sheet counts Contracts and Closed Volume but no closings, so the average price
is closed volume / contracts. A step whose own sample (its denominator) is below
[report] small_sample, or whose own ratio is 0 (which would ask for infinite calls),
uses the team's average instead: the mean of the agents' own values that rest on a
full sample, each agent once (as SPEC's Average). The step says which it used and why.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from typing import Any

import numpy as np
import pandas as pd

from ..result import KpiResult

# (step, numerator column, denominator column): the price, then the funnel from the end back
STEPS = (("price", "closed_volume", "contracts"),
         ("contract_ratio", "contracts", "appointments"),
         ("appointment_ratio", "appointments", "contacts"),
         ("contact_ratio", "contacts", "calls"))
NEEDS = ("contracts", "appointments", "contacts", "calls")   # what each step's division gives
OWN, TEAM = "own", "team"
NO_DATA, SMALL_SAMPLE, ZERO = "no data", "small sample", "zero"
ROUNDING_SLACK = 1e-9          # 3.0000000001 contracts (float noise) is 3, not 4


@dataclass(frozen=True)
class Step:
    """One ratio (or the price) of the plan, per agent: the value used and where it came from.

    source: "own" or "team" (None: neither is defined); why (for "team"): "no data",
    "small sample" or "zero"; own, sample: the agent's own value and its denominator.
    """

    name: str
    value: np.ndarray
    source: list[str | None]
    why: list[str | None]
    own: np.ndarray
    sample: np.ndarray
    team: float


@dataclass(frozen=True)
class Plan:
    """What the rest of the year needs, per agent (arrays over the result's agents).

    goal (NaN: none), ytd, remaining; steps: price and the three ratios; need: whole
    contracts, appointments, contacts, calls for the rest of the year (NaN when there is
    no goal or a step is undefined); per_week, per_workday: need spread over the time left.
    """

    goal: np.ndarray
    ytd: np.ndarray
    remaining: np.ndarray
    steps: dict[str, Step]
    need: dict[str, np.ndarray]
    per_week: dict[str, np.ndarray]
    per_workday: dict[str, np.ndarray]
    days_left: int
    weeks_left: float
    workdays_left: int
    trailing: tuple[dt.date, dt.date]


def time_left(as_of: dt.date) -> tuple[int, int]:
    """Calendar days and Monday-to-Friday days after `as_of` to the end of its year."""
    day = np.datetime64(as_of, "D")                    # numpy days go past 9999-12-31; dt.date does not
    next_year = np.datetime64(f"{as_of.year:04d}-12-31", "D") + 1
    return int((next_year - day).astype(int)) - 1, int(np.busday_count(day + 1, next_year))


def plan(result: KpiResult) -> Plan:
    """The plan to each agent's Annual Volume Goal as of the result's day."""
    history, t = result.history, result.t
    sums = {c: history.trailing[c][t] for c in ("closed_volume", "contracts", "appointments", "contacts", "calls")}
    small = result.settings.report.small_sample
    steps = {name: _step(name, sums[num], sums[den], small) for name, num, den in STEPS}
    goal = _goals(result)
    ytd = result.closed_volume_ytd
    remaining = np.where(np.isnan(goal), np.nan, np.maximum(goal - ytd, 0.0))
    need, carried = {}, remaining
    for (name, *_), what in zip(STEPS, NEEDS):
        with np.errstate(invalid="ignore", divide="ignore"):
            carried = np.where(carried == 0, 0.0, _whole(carried / steps[name].value))   # goal met: nothing
        need[what] = carried
    days_left, workdays_left = time_left(result.as_of)
    weeks_left = days_left / 7
    trailing_start = result.as_of - dt.timedelta(days=result.settings.plan.trailing_days - 1)
    return Plan(goal=goal, ytd=ytd, remaining=remaining, steps=steps, need=need,
                per_week={k: _spread(v, weeks_left) for k, v in need.items()},
                per_workday={k: _spread(v, workdays_left) for k, v in need.items()},
                days_left=days_left, weeks_left=weeks_left, workdays_left=workdays_left,
                trailing=(trailing_start, result.as_of))


def _goals(result: KpiResult) -> np.ndarray:
    agents = result.history.agents
    goal = agents["annual_goal"].to_numpy(dtype=float) if "annual_goal" in agents \
        else np.full(len(agents), np.nan)
    return np.where(goal > 0, goal, np.nan)          # blank, 0 or negative: no goal


def _step(name: str, numerator: np.ndarray, denominator: np.ndarray, small: int) -> Step:
    """The agent's own ratio where it rests on a full sample and is above 0, else the team's."""
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(denominator > 0, numerator / denominator, np.nan)
    full = denominator >= small
    team = float(own[full].mean()) if full.any() else math.nan
    use_own = full & (own > 0)
    team_ok = not math.isnan(team) and team > 0
    value = np.where(use_own, own, team if team_ok else np.nan)
    why = np.full(len(denominator), ZERO, dtype=object)      # the first reason that holds wins:
    why[~full] = SMALL_SAMPLE
    why[~(denominator > 0)] = NO_DATA
    why[use_own] = None
    source = np.full(len(denominator), TEAM if team_ok else None, dtype=object)
    source[use_own] = OWN
    return Step(name, value, list(source), list(why), own, denominator, team)


def _whole(x: np.ndarray) -> np.ndarray:
    """Round up to whole units (a plan of 3.2 contracts asks for 4), NaN stays NaN."""
    return np.ceil(np.asarray(x, dtype=float) - ROUNDING_SLACK) + 0.0       # + 0.0: no "-0"


def _spread(need: np.ndarray, periods: float) -> np.ndarray:
    return need / periods if periods > 0 else np.full(need.shape, np.nan)


def plan_frame(p: Plan, agent_ids: list[str]) -> pd.DataFrame:
    """The plan as a table for Python users: one row per agent."""
    columns: dict[str, Any] = {"goal": p.goal, "ytd": p.ytd, "remaining": p.remaining}
    for name, step in p.steps.items():
        columns[name] = step.value
        columns[f"{name}_source"] = step.source
    for what in NEEDS:
        columns[what] = p.need[what]
        columns[f"{what}_per_week"] = p.per_week[what]
        columns[f"{what}_per_workday"] = p.per_workday[what]
    return pd.DataFrame(columns, index=pd.Index(agent_ids, name="agent_id"))


__all__ = ["NEEDS", "Plan", "STEPS", "Step", "plan", "plan_frame", "time_left"]
