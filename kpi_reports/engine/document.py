"""The coaching parts of the JSON document (`metrics --json`): added keys only.

SPEC.md's keys (as_of, agents[].agent_id/name/metrics{numerator, denominator, value},
benchmarks{average, top10, agents}, data_quality) are made in KpiResult.to_json_dict;
this module adds, beside them, what engine.coaching, engine.plan and engine.deals
computed. Undefined is null, never 0.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..result import KpiResult
from .coaching import GoalPace, TeamTotals, teams
from .deals import update_metric
from .plan import NEEDS, Plan


def number(x: Any) -> int | float | None:
    """A JSON number: whole floats as ints, NaN/None as null."""
    if x is None or pd.isna(x):
        return None
    f = float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _day(d: dt.date | None) -> str | None:
    return None if d is None or pd.isna(d) else d.isoformat()


def metric_extras(result: KpiResult, i: int, j: int) -> dict[str, Any]:
    """Beside a metric's numerator/denominator/value: its small-sample mark and Wilson interval."""
    low, high = result.interval
    interval = None if np.isnan(low[j, i]) else [float(low[j, i]), float(high[j, i])]
    return {"small_sample": bool(result.small_sample[j, i]), "interval": interval}


def agent_extras(result: KpiResult, i: int, ranks: dict[str, float], share: dict[str, float],
                 stale: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Beside an agent's metrics: volume, rank, plan, eligibility, stale deals and focus items."""
    agent_id = result.agent_ids[i]
    return {
        "closed_volume_ytd": number(result.closed_volume_ytd[i]),
        "annual_goal": number(result.plan.goal[i]),
        "rank": number(ranks.get(agent_id)),
        "share_of_team_volume": number(share.get(agent_id)),
        "plan": _agent_plan(result.plan, i),
        "eligibility": eligibility_json(result, i),
        "stale_deals": stale.get(agent_id, []),
        "focus": [{"metric": f.metric.id, "gap": f.gap, "worth": f.worth, "clear": f.clear}
                  for f in result.focus(agent_id)],
    }


def eligibility_json(result: KpiResult, i: int) -> dict[str, Any] | None:
    """{status, reason, metric} of the agent at position i; None when the settings set no rule."""
    e = result.eligibility
    if e.metric is None:
        return None
    return {"status": e.status[i], "reason": e.reason[i], "metric": e.metric.id}


def stale_json(result: KpiResult) -> dict[str, list[dict[str, Any]]]:
    """Each agent's stale deals, oldest first: deal_id, opened, last_updated, days_since (null = never), row."""
    d = result.stale_deals
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for agent, deal, opened, updated, days, row in zip(d["agent_id"], d["deal_id"], d["opened"], d["last_updated"],
                                                       d["days_since"], d["row"]):
        by_agent.setdefault(agent, []).append({"deal_id": deal, "opened": _day(opened), "last_updated": _day(updated),
                                               "days_since": number(days), "row": None if row is None else int(row)})
    return by_agent


def deals_document(result: KpiResult, agent_ids: list[str]) -> dict[str, Any]:
    """`kpi-reports deals --json`: per agent, the active deals, eligibility and stale deals."""
    metric = update_metric(result.settings)
    j = None if metric is None else result.metric_position(metric.id)
    names = result.history.agents["name"]
    stale = stale_json(result)
    agents = []
    for agent_id in agent_ids:
        i = result.position(agent_id)
        agents.append({"agent_id": agent_id, "name": names.iat[i],
                       "active_deals": None if j is None else number(result.denominator[j, i]),
                       "eligibility": eligibility_json(result, i), "stale_deals": stale.get(agent_id, [])})
    return {"as_of": result.as_of.isoformat(), "max_age_days": None if metric is None else metric.max_age_days,
            "agents": agents}


def _agent_plan(p: Plan, i: int) -> dict[str, Any]:
    return {
        "goal": number(p.goal[i]), "remaining": number(p.remaining[i]),
        "steps": {name: {"value": number(s.value[i]), "source": s.source[i], "why": s.why[i],
                         "own": number(s.own[i]), "sample": number(s.sample[i])}
                  for name, s in p.steps.items()},
        "need": {what: {"total": number(p.need[what][i]), "per_week": number(p.per_week[what][i]),
                        "per_workday": number(p.per_workday[what][i])}
                 for what in NEEDS},
    }


def document_extras(result: KpiResult) -> dict[str, Any]:
    """Top-level additions: the plan's time left, the leaderboard, the team and each Team."""
    p = result.plan
    board = result.leaderboard()
    whole = result.team_totals()
    return {
        "plan": {"trailing_from": _day(p.trailing[0]), "trailing_to": _day(p.trailing[1]),
                 "days_left": p.days_left, "weeks_left": p.weeks_left, "workdays_left": p.workdays_left},
        "leaderboard": {"by": board.by, "agents": [{"agent_id": a, "rank": number(r), "value": number(v)}
                                                   for a, r, v in zip(board.agent_ids, board.rank, board.value)]},
        "team": _totals(result, whole) | {"goal": _pace(whole.pace)},
        "teams": [{"team": name} | _totals(result, result.team_totals(members))
                  for name, members in teams(result).items()],
    }


def _totals(result: KpiResult, totals: TeamTotals) -> dict[str, Any]:
    return {"agents": totals.agent_ids, "closed_volume_ytd": number(totals.closed_volume_ytd),
            "counts": {c: number(v) for c, v in totals.counts.items()},
            "average": {m.id: number(a) for m, a in zip(result.metrics, totals.average)}}


def _pace(pace: GoalPace | None) -> dict[str, Any] | None:
    if pace is None:
        return None
    return {"goal": number(pace.goal), "share": pace.share, "expected": pace.expected,
            "projected": pace.projected, "ahead": pace.ahead}


def shares(result: KpiResult) -> dict[str, float]:
    whole = result.team_totals()
    return dict(zip(whole.agent_ids, whole.share))


def ranks(result: KpiResult) -> dict[str, float]:
    board = result.leaderboard()
    return dict(zip(board.agent_ids, board.rank))


__all__ = ["agent_extras", "deals_document", "document_extras", "eligibility_json", "metric_extras", "number",
           "ranks", "shares", "stale_json"]
