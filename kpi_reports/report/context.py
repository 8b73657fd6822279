"""What a scorecard shows, prepared as plain strings and SVG for the templates.

Every number comes from the engine's month-end history: rates, ranks and benchmarks
(kpi_reports.result), gaps, focus order, goal pace and movers (engine.coaching). This
module only chooses and formats them (formatting.py) and draws them (charts.py).
"""
from __future__ import annotations

import math

import pandas as pd

from .. import formatting as f
from ..bands import at_average, band, legend
from ..engine.coaching import Move, agent_goal_pace, focus, movers
from ..explain import undefined_reason, window_text
from ..load import column_name
from ..result import AgentHistory, KpiHistory, KpiResult
from . import charts
from .charts import Palette

FUNNEL = ("calls", "contacts", "appointments", "contracts")
MAX_PROBLEMS_ON_SUMMARY = 300


# ------------------------------------------------------------------ one agent

def _status(value: float, average: float, top: float) -> str:
    """The rate's band (kpi_reports.bands, compared as shown); "at" when it shows the Average's figure."""
    found = band(value, average, top)
    if found is None:
        return "none"
    if found.key == "average":
        return "at" if at_average(value, average) else "above"
    return found.key


def _tiles(h: KpiHistory, a: AgentHistory, p: Palette) -> list[dict]:
    r = h[-1]
    tiles = []
    for j, m in enumerate(h.metrics):
        v, avg, top, rank = a.rate[-1, j], r.average[j], r.top10[j], a.rank[-1, j]
        if math.isnan(rank) and not math.isnan(v):
            rank_text = f"not ranked (needs {h.settings.min_denominator}+ {m.population})"
        else:
            rank_text = f.rank(rank, r.ranked[j])
        tiles.append({
            "id": m.id, "label": m.label, "short_label": m.brief_label, "value": f.percent(v),
            "fraction": f.fraction(a.numerator[-1, j], a.denominator[-1, j], m.population),
            "reason": undefined_reason(m, r) if math.isnan(v) else None,
            "average": f.percent(avg), "top": f.percent(top), "rank": rank_text,
            "status": _status(v, avg, top),
            "bullet": charts.bullet(v, avg, top, p),
            "spark": charts.sparkline(a.rate[:, j], h.average[:, j], p),
            "spark_from": f"{h.days[0]:%b %Y}", "spark_to": f"{r.as_of:%b %Y}",
        })
    return tiles


def _funnel(h: KpiHistory, a: AgentHistory, tiles: list[dict], p: Palette) -> dict:
    counts = [float(a.count(c)[-1]) for c in FUNNEL]
    ratio_of = {(column_name(m.denominator), column_name(m.numerator)): t
                for m, t in zip(h.metrics, tiles) if m.kind == "activity"}
    steps = []
    for k, (name, n) in enumerate(zip(FUNNEL, counts)):
        nxt = FUNNEL[k + 1] if k + 1 < len(FUNNEL) else None
        steps.append({"label": name.capitalize(), "count": f.count(n), "bar": charts.bar(n, counts[0], p),
                      "ratio": ratio_of.get((name, nxt)) if nxt else None})
    return {"steps": steps, "window": f.span(*h.activity_windows[-1])}


def _goal(h: KpiHistory, a: AgentHistory, p: Palette) -> dict:
    r = h[-1]
    pace = agent_goal_pace(r, a.agent_id)
    base = {"ytd": f.money(float(a.closed_volume_ytd[-1])), "month": f.money(float(a.count("closed_volume")[-1])),
            "year": r.as_of.year}
    if pace is None:
        return base | {"goal": None, "bar": charts.progress(None, None, None, p)}
    return base | {
        "goal": f.money(pace.goal, compact=True), "share": f.percent(pace.share),
        "expected": f.money(pace.expected, compact=True), "projected": f.money(pace.projected, compact=True),
        "ahead": pace.ahead, "bar": charts.progress(pace.ytd, pace.goal, pace.expected, p),
    }


def _portal_rule(a: AgentHistory) -> dict | None:
    for j, m in enumerate(a.history.metrics):
        v = a.rate[-1, j]
        if m.kind == "deal_updates" and not math.isnan(v) and v < 1:
            return {"value": f.percent(v), "max_age_days": m.max_age_days,
                    "fraction": f.fraction(a.numerator[-1, j], a.denominator[-1, j], m.population)}
    return None


def scorecard_context(h: KpiHistory, agent_id: str, palette: Palette = Palette()) -> dict:
    """Everything one agent's scorecard shows, as strings and SVG (no numbers left to format)."""
    r, a = h[-1], h.agent(agent_id)
    person = a.person
    tiles = _tiles(h, a, palette)
    return {
        "agent": {"id": agent_id, "name": f.display_name(person["name"]),
                  "team": f.display_name(person.get("team"))},
        "month": f.month(r.as_of), "as_of": f.day(r.as_of), "tiles": tiles,
        "funnel": _funnel(h, a, tiles, palette), "goal": _goal(h, a, palette),
        "focus": [{"label": m.label, "tip": m.tip, "gap": _gap_text(r, agent_id, m.id)} for m, _ in focus(r, agent_id)],
        "portal_rule": _portal_rule(a),
        "windows": [{"label": m.brief_label, "text": window_text(m, r)} for m in h.metrics],
        "problems": [str(p) for p in a.problems],
        "top_percent": h.settings.top_percent,
    }


def _gap_text(r: KpiResult, agent_id: str, metric_id: str) -> str:
    """The agent's gap to the Average as the two percentages on the page differ ("−13 pts")."""
    j = r.metric_position(metric_id)
    return f.points(r.rate[j, r.position(agent_id)], r.average[j])


def _text(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


# ------------------------------------------------------------------ the team summary

def _movers(h: KpiHistory, agent_ids: list[str]) -> dict:
    """The largest rises and falls since the previous month-end, as the page lists them."""
    found = movers(h, agent_ids)
    names = h.agents["name"]

    def item(move: Move) -> dict:
        return {"name": f.display_name(names.at[move.agent_id]), "metric": move.metric.label,
                "before": f.percent(move.before),
                "after": f.percent(move.after), "change": f.points(move.after, move.before)}

    return {"up": [item(m) for m in found.up], "down": [item(m) for m in found.down],
            "since": None if found.since is None else f.day(found.since)}


def _cell(v: float, avg: float, top: float) -> dict:
    return {"value": f.percent(v), "status": _status(v, avg, top)}


def summary_context(h: KpiHistory, team: str | None = None) -> dict:
    """The leader's page: leaderboard with benchmarks, biggest movers, data-quality list."""
    r = h[-1]
    people = h.agents
    teams = people["team"].map(_text) if "team" in people else pd.Series("", index=people.index)
    rows_idx = [k for k, t in enumerate(teams) if team is None or t == team]
    order = sorted(rows_idx, key=lambda k: (str(people["name"].iat[k]).casefold(), h.agent_ids[k]))
    avg, top = r.average, r.top10
    rows = [{"id": h.agent_ids[k], "name": f.display_name(people["name"].iat[k]),
             "team": f.display_name(teams.iat[k]),
             "ytd": f.money(float(r.closed_volume_ytd[k]), compact=True),
             "cells": [_cell(r.rate[j, k], avg[j], top[j]) for j in range(len(h.metrics))]}
            for k in order]
    problems = r.data_quality
    return {
        "team": f.display_name(team) or None, "month": f.month(r.as_of), "as_of": f.day(r.as_of),
        "metrics": [{"label": m.brief_label, "full": m.label} for m in h.metrics],
        "average": [f.percent(a) for a in avg], "top": [f.percent(t) for t in top],
        "counted": [int(n) for n in r.ranked], "rows": rows, "top_percent": h.settings.top_percent,
        "movers": _movers(h, [h.agent_ids[k] for k in order]),
        "problems": [{"sheet": p.sheet, "row": p.locator, "column": p.column, "problem": p.problem}
                     for p in problems[:MAX_PROBLEMS_ON_SUMMARY]],
        "problems_left": max(0, len(problems) - MAX_PROBLEMS_ON_SUMMARY),
        "windows": [{"label": m.label, "text": window_text(m, r)} for m in h.metrics],
        "legend": [{"word": word, "meaning": meaning} for word, meaning in legend(f"Top {h.settings.top_percent}%")],
    }
