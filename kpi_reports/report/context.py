"""What a scorecard shows, prepared as plain strings and SVG for the templates.

Every number comes from the engine's month-end results; this module only chooses and
formats them (formatting.py) and draws them (charts.py). The few derived figures a page
needs (gap to the Average, change since last month, pace to the annual goal) are simple
differences of engine numbers, made here once so every face shows the same.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import formatting as f
from ..explain import undefined_reason, window_text
from ..load import column_name
from ..model import KpiResult
from ..settings import MetricDef
from . import charts
from .charts import Palette

FUNNEL = ("calls", "contacts", "appointments", "contracts")
MAX_PROBLEMS_ON_SUMMARY = 300


@dataclass(frozen=True)
class MonthHistory:
    """The engine's month-end results as arrays, so 1,000 scorecards cost no per-agent pandas.

    value/numerator/denominator/rank: (months, agents, metrics); average/top/ranked: (months, metrics).
    """

    results: list[KpiResult]
    agent_ids: list[str]
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    rank: np.ndarray
    average: np.ndarray
    top: np.ndarray
    ranked: np.ndarray

    @classmethod
    def from_results(cls, results: list[KpiResult]) -> "MonthHistory":
        last = results[-1]
        agents, metrics = list(last.agents.index), last.settings.metric_ids

        def grid(column: str) -> np.ndarray:
            return np.stack([r.values[column].unstack("metric").reindex(index=agents, columns=metrics)
                             .to_numpy(dtype=float) for r in results])

        bench = [r.benchmarks.reindex(metrics) for r in results]
        return cls(results, agents, grid("value"), grid("numerator"), grid("denominator"), grid("rank"),
                   np.stack([b["average"].to_numpy(float) for b in bench]),
                   np.stack([b["top10"].to_numpy(float) for b in bench]),
                   np.stack([b["agents"].to_numpy(float) for b in bench]))

    @property
    def current(self) -> KpiResult:
        return self.results[-1]

    @property
    def metrics(self) -> tuple[MetricDef, ...]:
        return self.current.metrics


# ------------------------------------------------------------------ one agent

def focus_gaps(metrics: Sequence[MetricDef], values: Sequence[float], averages: Sequence[float]
               ) -> list[tuple[MetricDef, float]]:
    """Metrics where the agent is below the Average, biggest gap first (gap < 0)."""
    gaps = [(m, v - a) for m, v, a in zip(metrics, values, averages)
            if not (math.isnan(v) or math.isnan(a)) and v < a]
    return sorted(gaps, key=lambda pair: pair[1])


def _status(value: float, average: float, top: float) -> str:
    """Compared as shown on the page, so "62%" is never called above an Average of "62%"."""
    if math.isnan(value) or math.isnan(average):
        return "none"
    if value >= top:
        return "top"
    if f.percent(value) == f.percent(average):
        return "at"
    return "above" if value > average else "below"


def _tiles(h: MonthHistory, i: int, p: Palette) -> list[dict]:
    r = h.current
    tiles = []
    for j, m in enumerate(h.metrics):
        v, avg, top = h.value[-1, i, j], h.average[-1, j], h.top[-1, j]
        rank = h.rank[-1, i, j]
        if math.isnan(rank) and not math.isnan(v):
            rank_text = f"not ranked (needs {r.settings.min_denominator}+ {m.population})"
        else:
            rank_text = f.rank(rank, h.ranked[-1, j])
        tiles.append({
            "id": m.id, "label": m.label, "short_label": m.brief_label, "value": f.percent(v),
            "fraction": f.fraction(h.numerator[-1, i, j], h.denominator[-1, i, j], m.population),
            "reason": undefined_reason(m, r) if math.isnan(v) else None,
            "average": f.percent(avg), "top": f.percent(top), "rank": rank_text,
            "status": _status(v, avg, top),
            "bullet": charts.bullet(v, avg, top, p),
            "spark": charts.sparkline(h.value[:, i, j], h.average[:, j], p),
            "spark_from": f"{h.results[0].as_of:%b %Y}", "spark_to": f"{r.as_of:%b %Y}",
        })
    return tiles


def _funnel(h: MonthHistory, i: int, tiles: list[dict], p: Palette) -> dict:
    people = h.current.agents
    counts = [float(people[c].iat[i]) if c in people else math.nan for c in FUNNEL]
    ratio_of = {(column_name(m.denominator), column_name(m.numerator)): t
                for m, t in zip(h.metrics, tiles) if m.kind == "activity"}
    steps = []
    for k, (name, n) in enumerate(zip(FUNNEL, counts)):
        nxt = FUNNEL[k + 1] if k + 1 < len(FUNNEL) else None
        steps.append({"label": name.capitalize(), "count": f.count(n), "bar": charts.bar(n, counts[0], p),
                      "ratio": ratio_of.get((name, nxt)) if nxt else None})
    return {"steps": steps, "window": f.span(*h.current.activity_window)}


def goal_pace(ytd: float, goal: float, as_of: dt.date) -> tuple[float, float]:
    """(expected by as_of, projected for the year) at an even pace through the calendar year."""
    year_days = 366 if as_of.year % 4 == 0 and (as_of.year % 100 or as_of.year % 400 == 0) else 365
    elapsed = ((as_of - dt.date(as_of.year, 1, 1)).days + 1) / year_days
    return goal * elapsed, ytd / elapsed


def _goal(h: MonthHistory, i: int, p: Palette) -> dict:
    people, as_of = h.current.agents, h.current.as_of
    ytd = float(people["closed_volume_ytd"].iat[i])
    goal = float(people["annual_goal"].iat[i]) if "annual_goal" in people else math.nan
    month_volume = float(people["closed_volume"].iat[i]) if "closed_volume" in people else math.nan
    base = {"ytd": f.money(ytd), "month": f.money(month_volume), "year": as_of.year}
    if math.isnan(goal) or goal <= 0:
        return base | {"goal": None, "bar": charts.progress(None, None, None, p)}
    expected, projected = goal_pace(ytd, goal, as_of)
    return base | {
        "goal": f.money(goal, compact=True), "share": f.percent(ytd / goal),
        "expected": f.money(expected, compact=True), "projected": f.money(projected, compact=True), "ahead": ytd >= expected,
        "bar": charts.progress(ytd, goal, expected, p),
    }


def _portal_rule(h: MonthHistory, i: int) -> dict | None:
    for j, m in enumerate(h.metrics):
        v = h.value[-1, i, j]
        if m.kind == "deal_updates" and not math.isnan(v) and v < 1:
            return {"value": f.percent(v), "max_age_days": m.max_age_days,
                    "fraction": f.fraction(h.numerator[-1, i, j], h.denominator[-1, i, j], m.population)}
    return None


def scorecard_context(h: MonthHistory, agent_id: str, palette: Palette = Palette()) -> dict:
    """Everything one agent's scorecard shows, as strings and SVG (no numbers left to format)."""
    i = h.agent_ids.index(agent_id)
    r = h.current
    person = r.agents.iloc[i]
    tiles = _tiles(h, i, palette)
    gaps = focus_gaps(h.metrics, h.value[-1, i], h.average[-1])
    return {
        "agent": {"id": agent_id, "name": person["name"], "team": _text(person.get("team"))},
        "month": f.month(r.as_of), "as_of": f.day(r.as_of), "tiles": tiles,
        "funnel": _funnel(h, i, tiles, palette), "goal": _goal(h, i, palette),
        "focus": [{"label": m.label, "tip": m.tip, "gap": f.points(gap)} for m, gap in gaps],
        "portal_rule": _portal_rule(h, i),
        "windows": [{"label": m.brief_label, "text": window_text(m, r)} for m in h.metrics],
        "problems": [str(p) for p in r.data_quality if p.agent_id == agent_id],
        "top_percent": r.settings.top_percent,
    }


def _text(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


# ------------------------------------------------------------------ the team summary

def _movers(h: MonthHistory, agents: list[int], limit: int = 5) -> dict[str, list[dict]]:
    """The largest rises and falls of any agent's rate since the previous month-end."""
    if len(h.results) < 2:
        return {"up": [], "down": [], "since": None}
    now, before = h.value[-1, agents], h.value[-2, agents]
    enough = h.current.settings.report.movers_min_sample
    sampled = (h.denominator[-1, agents] >= enough) & (h.denominator[-2, agents] >= enough)
    delta = np.where(sampled, now - before, np.nan)          # "0 of 1 -> 1 of 1" is not a move
    flat = np.argsort(np.where(np.isnan(delta), 0, delta), axis=None, kind="stable")
    names = h.current.agents["name"].to_numpy()

    def item(k: int) -> dict:
        a, j = np.unravel_index(k, delta.shape)
        return {"name": names[agents[a]], "metric": h.metrics[j].label, "before": f.percent(before[a, j]),
                "after": f.percent(now[a, j]), "change": f.points(delta[a, j])}

    up = [item(k) for k in flat[::-1][:limit] if delta.flat[k] > 0]
    down = [item(k) for k in flat[:limit] if delta.flat[k] < 0]
    return {"up": up, "down": down, "since": f.day(h.results[-2].as_of)}


def _cell(v: float, avg: float, top: float) -> dict:
    return {"value": f.percent(v), "status": _status(v, avg, top)}


def summary_context(h: MonthHistory, team: str | None = None) -> dict:
    """The leader's page: leaderboard with benchmarks, biggest movers, data-quality list."""
    r = h.current
    teams = r.agents["team"].map(_text) if "team" in r.agents else pd.Series("", index=r.agents.index)
    rows_idx = [k for k, t in enumerate(teams) if team is None or t == team]
    order = sorted(rows_idx, key=lambda k: (str(r.agents["name"].iat[k]).casefold(), h.agent_ids[k]))
    avg, top = h.average[-1], h.top[-1]
    rows = [{"id": h.agent_ids[k], "name": r.agents["name"].iat[k], "team": teams.iat[k],
             "ytd": f.money(float(r.agents["closed_volume_ytd"].iat[k]), compact=True),
             "cells": [_cell(h.value[-1, k, j], avg[j], top[j]) for j in range(len(h.metrics))]}
            for k in order]
    problems = r.data_quality
    return {
        "team": team, "month": f.month(r.as_of), "as_of": f.day(r.as_of),
        "metrics": [{"label": m.brief_label, "full": m.label} for m in h.metrics],
        "average": [f.percent(a) for a in avg], "top": [f.percent(t) for t in top],
        "counted": [int(n) for n in h.ranked[-1]], "rows": rows, "top_percent": r.settings.top_percent,
        "movers": _movers(h, order),
        "problems": [{"sheet": p.sheet, "row": p.row or "", "column": p.column, "problem": p.problem}
                     for p in problems[:MAX_PROBLEMS_ON_SUMMARY]],
        "problems_left": max(0, len(problems) - MAX_PROBLEMS_ON_SUMMARY),
        "windows": [{"label": m.label, "text": window_text(m, r)} for m in h.metrics],
    }


# ------------------------------------------------------------------ the mail's face

def mail_summary(result: KpiResult, agent_id: str,
                 headline_metrics: int = 2) -> tuple[list[tuple[str, str]], str | None]:
    """Three headline numbers (label, text) and the top focus tip for one agent's email.

    The first `headline_metrics` metrics of the settings, each beside the network Average,
    then the closed volume to date against the annual goal.
    """
    rows = result.agent_values(agent_id)
    bench = result.benchmarks.reindex(result.settings.metric_ids)
    headline = [(m.label, f"{f.percent(v)} (network average {f.percent(avg)})")
                for m, v, avg in list(zip(result.metrics, rows["value"], bench["average"]))[:headline_metrics]]
    volume = f.money(float(result.agents.at[agent_id, "closed_volume_ytd"]))
    goal = result.agents.at[agent_id, "annual_goal"]
    headline.append((f"Closed volume {result.as_of.year} to date",
                     volume if pd.isna(goal) else f"{volume} of your {f.money(float(goal))} goal"))
    gaps = focus_gaps(result.metrics, rows["value"].to_numpy(float), bench["average"].to_numpy(float))
    tips = [m.tip for m, _ in gaps if m.tip]
    return headline, (tips[0] if tips else None)
