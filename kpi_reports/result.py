"""What the engine computed: one set of labelled arrays, and the views every face reads.

KpiHistory keeps the numbers as the engine made them, on three axes: days (as-of days,
oldest first) x metrics (settings order) x agents (active agents, workbook order). The
views pick from them without reshaping anything:

    history[-1]              KpiResult: one day (what `compute` returns)
    history.agent("A01")     AgentHistory: one agent, days x metrics
    history.metric("contact_rate")   MetricHistory: one metric, days x agents
    history.frame()          a long pandas frame (as_of, agent_id, metric) for Python users

Faces choose from these and format; nothing downstream of the engine re-pivots them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from .formatting import day as _day
from .settings import MetricDef, Settings

if TYPE_CHECKING:
    from .engine.coaching import FocusItem, Leaderboard, TeamTotals
    from .engine.deals import Eligibility
    from .engine.plan import Plan
    from .model import Problem

FIELDS = ("numerator", "denominator", "rate", "rank")      # arrays per (day, metric, agent)
COLUMNS = ("numerator", "denominator", "value", "rank")    # their names in frames and JSON


@dataclass(frozen=True, eq=False)
class KpiHistory(Sequence["KpiResult"]):
    """Every metric for every active agent as of each of `days`, with the benchmarks.

    numerator, denominator, rate (the metric's value; NaN = undefined), rank (1 = best among
    agents counted in the benchmark; NaN = not ranked): shape (days, metrics, agents).
    average, top10 (NaN when no agent is counted), ranked (agents counted): (days, metrics).
    counts: the activity window's sum of each count column (calls, contacts, ...,
    closed_volume), and closed_volume_ytd: shape (days, agents); trailing: each count
    column over the plan's trailing days, shape (days, agents).
    stale_deals: per day, the active deals without a fresh update (engine.deals.stale_deals).
    agents: index agent_id; the Agents sheet's name, email, team, annual_goal, ...
    missing_inputs: metric id -> the columns the metric needs that the workbook lacks (that
    metric is undefined for every agent and day: NaN numerator, denominator and rate).
    data_span: the first and last day any activity, lead or deal date falls on (None: no data).
    activity_windows, activity_window_kind: each day's funnel window (first, last day) and
    whether it is the "rolling" W days or the calendar "month" to the day.
    A sequence of day views: history[-1] is the last day's KpiResult.
    """

    days: tuple[dt.date, ...]
    settings: Settings
    agents: pd.DataFrame
    numerator: np.ndarray
    denominator: np.ndarray
    rate: np.ndarray
    rank: np.ndarray
    average: np.ndarray
    top10: np.ndarray
    ranked: np.ndarray
    counts: dict[str, np.ndarray]
    closed_volume_ytd: np.ndarray
    activity_windows: tuple[tuple[dt.date, dt.date], ...]
    data_quality: tuple[Problem, ...]
    trailing: dict[str, np.ndarray]
    stale_deals: tuple[pd.DataFrame, ...]
    missing_inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    data_span: tuple[dt.date | None, dt.date | None] = (None, None)
    activity_window_kind: str = "rolling"

    @property
    def metrics(self) -> tuple[MetricDef, ...]:
        return self.settings.metrics

    @cached_property
    def small_sample(self) -> np.ndarray:
        """(days, metrics, agents): a defined rate on fewer than [report] small_sample leads/deals/calls."""
        return (self.denominator > 0) & (self.denominator < self.settings.report.small_sample)

    @cached_property
    def target(self) -> np.ndarray:
        """(metrics,): the team's target rate of each metric ([targets]); NaN where none is set."""
        targets = dict(self.settings.targets.rates)
        return np.array([targets.get(m.id, np.nan) for m in self.metrics], dtype=float)

    @cached_property
    def agent_ids(self) -> list[str]:
        return list(self.agents.index)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.agent_ids)}

    def position(self, agent_id: str) -> int:
        """The agent's index on the agents axis (KeyError for an agent not active)."""
        return self._positions[agent_id]

    def __len__(self) -> int:
        return len(self.days)

    @overload
    def __getitem__(self, t: int) -> KpiResult: ...
    @overload
    def __getitem__(self, t: slice) -> list[KpiResult]: ...

    def __getitem__(self, t: int | slice) -> KpiResult | list[KpiResult]:
        if isinstance(t, slice):
            return [self[k] for k in range(len(self))[t]]
        k = range(len(self))[t]                       # IndexError like a list
        return KpiResult(self, k)

    def __iter__(self) -> Iterator[KpiResult]:
        return (KpiResult(self, k) for k in range(len(self)))

    def agent(self, agent_id: str) -> AgentHistory:
        return AgentHistory(self, self.position(agent_id))

    def metric(self, metric_id: str) -> MetricHistory:
        return MetricHistory(self, self.settings.metric_ids.index(metric_id))

    def frame(self) -> pd.DataFrame:
        """One row per (as_of, agent_id, metric): numerator, denominator, value, rank, ranked."""
        index = pd.MultiIndex.from_product([list(self.days), self.agents.index, list(self.settings.metric_ids)],
                                           names=["as_of", "agent_id", "metric"])
        columns = {c: getattr(self, f).transpose(0, 2, 1).ravel() for c, f in zip(COLUMNS, FIELDS)}
        columns["ranked"] = np.repeat(self.ranked[:, None, :], len(self.agent_ids), axis=1).ravel()
        return pd.DataFrame(columns, index=index)


@dataclass(frozen=True, eq=False)
class KpiResult:
    """Every metric for every active agent as of one day: a view of one day of a KpiHistory.

    numerator, denominator, rate, rank: shape (metrics, agents); average, top10, ranked:
    shape (metrics,). For Python users also as pandas: `values` (one row per (agent_id,
    metric)), `benchmarks` (per metric: average, top10, agents) and `agents` (the Agents
    sheet's columns plus the day's activity sums and closed_volume_ytd).
    """

    history: KpiHistory
    t: int

    @property
    def as_of(self) -> dt.date:
        return self.history.days[self.t]

    @property
    def settings(self) -> Settings:
        return self.history.settings

    @property
    def metrics(self) -> tuple[MetricDef, ...]:
        return self.history.metrics

    @property
    def agent_ids(self) -> list[str]:
        return self.history.agent_ids

    @property
    def activity_window(self) -> tuple[dt.date, dt.date]:
        return self.history.activity_windows[self.t]

    @property
    def activity_window_kind(self) -> str:
        """ "rolling" (the W days ending on D) or "month" (the calendar month to D)."""
        return self.history.activity_window_kind

    @property
    def data_quality(self) -> list[Problem]:
        return list(self.history.data_quality)

    @property
    def data_end(self) -> dt.date | None:
        """The last day of data (any activity, lead or deal date); None when there is none."""
        return self.history.data_span[1]

    @property
    def days_past_data(self) -> int | None:
        """How many days the as-of day lies past the last day of data (None when it does not).

        Windows that reach past the data count nothing there: every deal looks stale (portal
        updates read 0%) and the funnel is short.
        """
        end = self.data_end
        return (self.as_of - end).days if end is not None and self.as_of > end else None

    @property
    def past_data_note(self) -> str | None:
        """The plain sentence every face shows when the as-of day lies past the data, else None."""
        past = self.days_past_data
        if past is None:
            return None
        end = self.data_end
        return (f"As of {_day(self.as_of)} is {past} day{'s' if past != 1 else ''} past the last day of data "
                f"({_day(end)}): the windows miss {'those days' if past != 1 else 'that day'}, so portal updates "
                f"and the funnel read low. Pick the day with --as-of {end:%Y-%m-%d} (or the month with "
                f"--month {end:%Y-%m}).")

    numerator = property(lambda self: self.history.numerator[self.t])
    denominator = property(lambda self: self.history.denominator[self.t])
    rate = property(lambda self: self.history.rate[self.t])
    rank = property(lambda self: self.history.rank[self.t])
    average = property(lambda self: self.history.average[self.t])
    top10 = property(lambda self: self.history.top10[self.t])
    ranked = property(lambda self: self.history.ranked[self.t])

    def count(self, column: str) -> np.ndarray:
        """The activity window's sum of a count column (calls, closed_volume, ...) per agent."""
        return self.history.counts[column][self.t]

    @property
    def closed_volume_ytd(self) -> np.ndarray:
        return self.history.closed_volume_ytd[self.t]

    small_sample = property(lambda self: self.history.small_sample[self.t])
    target = property(lambda self: self.history.target)

    # What the engine's coaching modules make of the day (computed once per view, on demand;
    # imported here, not at the top, because the engine imports this module).

    @cached_property
    def interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Wilson 95% interval (low, high) of each rate, shape (metrics, agents); NaN where undefined."""
        from .engine.coaching import wilson
        return wilson(self.numerator, self.denominator)

    @cached_property
    def plan(self) -> Plan:
        """What the rest of the year needs to reach each agent's goal (engine.plan)."""
        from .engine.plan import plan
        return plan(self)

    @cached_property
    def eligibility(self) -> Eligibility:
        """Each agent's lead eligibility under [eligibility], with its reason (engine.deals)."""
        from .engine.deals import eligibility
        return eligibility(self)

    @property
    def stale_deals(self) -> pd.DataFrame:
        """Active deals without a fresh update, oldest first (engine.deals.stale_deals)."""
        return self.history.stale_deals[self.t]

    @cached_property
    def _stale_by_agent(self) -> dict[str, pd.DataFrame]:
        frame = self.stale_deals
        return {str(a): part for a, part in frame.groupby("agent_id", sort=False)}

    def agent_stale_deals(self, agent_id: str) -> pd.DataFrame:
        """The agent's stale deals, oldest first (an empty frame when none)."""
        return self._stale_by_agent.get(agent_id, self.stale_deals.iloc[:0])

    @cached_property
    def _focus(self) -> list[list[FocusItem]]:
        from .engine.coaching import focus_all
        return focus_all(self)

    def focus(self, agent_id: str) -> list[FocusItem]:
        """At most three metrics to work on, by what closing the gap is worth (engine.coaching)."""
        return self._focus[self.position(agent_id)]

    def leaderboard(self, agent_ids: list[str] | None = None) -> Leaderboard:
        """The agents ordered and ranked by [report] rank_by (engine.coaching)."""
        from .engine.coaching import leaderboard
        return leaderboard(self, agent_ids)

    def team_totals(self, agent_ids: list[str] | None = None) -> TeamTotals:
        """Totals, averages and goal pace of a group of agents (all: the team's goal; engine.coaching)."""
        from .engine.coaching import team_totals
        return team_totals(self, agent_ids)

    def position(self, agent_id: str) -> int:
        """The agent's index on the agents axis (KeyError for an agent not active)."""
        return self.history.position(agent_id)

    def metric_position(self, metric_id: str) -> int:
        """The metric's index on the metrics axis (ValueError for a metric not in the settings)."""
        return self.settings.metric_ids.index(metric_id)

    @cached_property
    def agents(self) -> pd.DataFrame:
        """Index agent_id: name, email, team, annual_goal, the activity sums, closed_volume_ytd."""
        people = self.history.agents.copy()
        for column, sums in self.history.counts.items():
            people[column] = sums[self.t]
        people["closed_volume_ytd"] = self.closed_volume_ytd
        return people

    @cached_property
    def values(self) -> pd.DataFrame:
        """One row per (agent_id, metric): numerator, denominator, value, rank, ranked."""
        index = pd.MultiIndex.from_product([self.history.agents.index, list(self.settings.metric_ids)],
                                           names=["agent_id", "metric"])
        columns = {c: getattr(self, f).T.ravel() for c, f in zip(COLUMNS, FIELDS)}
        columns["ranked"] = np.repeat(self.ranked[None, :], len(self.agent_ids), axis=0).ravel()
        return pd.DataFrame(columns, index=index)

    @cached_property
    def benchmarks(self) -> pd.DataFrame:
        """Index metric id: average, top10 (NaN when no agent), agents (how many counted)."""
        return pd.DataFrame({"average": self.average, "top10": self.top10, "agents": self.ranked.astype(int)},
                            index=pd.Index(self.settings.metric_ids, name="metric"))

    def value(self, agent_id: str, metric_id: str) -> pd.Series:
        """numerator, denominator, value, rank, ranked of one agent and metric."""
        i, j = self.position(agent_id), self.metric_position(metric_id)
        return pd.Series({"numerator": self.numerator[j, i], "denominator": self.denominator[j, i],
                          "value": self.rate[j, i], "rank": self.rank[j, i], "ranked": self.ranked[j]},
                         name=(agent_id, metric_id))

    def agent_values(self, agent_id: str) -> pd.DataFrame:
        """The agent's numerator, denominator, value, rank and ranked, indexed by metric id."""
        i = self.position(agent_id)
        return pd.DataFrame({"numerator": self.numerator[:, i], "denominator": self.denominator[:, i],
                             "value": self.rate[:, i], "rank": self.rank[:, i], "ranked": self.ranked},
                            index=pd.Index(self.settings.metric_ids, name="metric"))

    def to_json_dict(self) -> dict[str, Any]:
        """The document described in SPEC.md, "Machine-readable output", with the coaching
        figures added beside SPEC's keys (engine.document; README, "The JSON document")."""
        from .engine.document import agent_extras, document_extras, metric_extras, ranks, shares, stale_json
        ids, names = self.settings.metric_ids, self.history.agents["name"]
        rank_of, share_of, stale = ranks(self), shares(self), stale_json(self)
        return {
            "as_of": self.as_of.isoformat(),
            "activity_window": {"from": self.activity_window[0].isoformat(), "to": self.activity_window[1].isoformat(),
                                "kind": self.activity_window_kind},
            "agents": [
                {
                    "agent_id": agent_id,
                    "name": names.iat[i],
                    "metrics": {
                        metric_id: {
                            "numerator": _json_number(self.numerator[j, i]),
                            "denominator": _json_number(self.denominator[j, i]),
                            "value": _json_float(self.rate[j, i]),
                        } | metric_extras(self, i, j)
                        for j, metric_id in enumerate(ids)
                    },
                } | agent_extras(self, i, rank_of, share_of, stale)
                for i, agent_id in enumerate(self.agent_ids)
            ],
            "benchmarks": {
                metric_id: {"average": _json_float(self.average[j]), "top10": _json_float(self.top10[j]),
                            "agents": int(self.ranked[j]), "target": _json_float(self.target[j])}
                for j, metric_id in enumerate(ids)
            },
            "data_quality": self._timing_problems() + [p.as_json() for p in self.history.data_quality],
        } | document_extras(self)

    def _timing_problems(self) -> list[dict[str, Any]]:
        note, end = self.past_data_note, self.data_end
        if note is None or end is None:
            return []
        return [{"sheet": None, "row": None, "column": None, "problem": note,
                 "days_past_data": self.days_past_data, "data_end": end.isoformat()}]


@dataclass(frozen=True, eq=False)
class AgentHistory:
    """One agent's numbers over the days: numerator, denominator, rate, rank (days, metrics)."""

    history: KpiHistory
    i: int

    @property
    def agent_id(self) -> str:
        return self.history.agent_ids[self.i]

    @property
    def person(self) -> pd.Series:
        """The Agents sheet's columns for the agent: name, email, team, annual_goal, ..."""
        return self.history.agents.iloc[self.i]

    numerator = property(lambda self: self.history.numerator[:, :, self.i])
    denominator = property(lambda self: self.history.denominator[:, :, self.i])
    rate = property(lambda self: self.history.rate[:, :, self.i])
    rank = property(lambda self: self.history.rank[:, :, self.i])

    def count(self, column: str) -> np.ndarray:
        """The activity window's sum of a count column, per day (NaN when the sheet lacks it)."""
        sums = self.history.counts.get(column)
        return np.full(len(self.history), np.nan) if sums is None else sums[:, self.i]

    @property
    def closed_volume_ytd(self) -> np.ndarray:
        return self.history.closed_volume_ytd[:, self.i]

    @property
    def problems(self) -> list[Problem]:
        return [p for p in self.history.data_quality if p.agent_id == self.agent_id]


@dataclass(frozen=True, eq=False)
class MetricHistory:
    """One metric over the days: numerator, denominator, rate, rank (days, agents); benchmarks (days,)."""

    history: KpiHistory
    j: int

    @property
    def metric(self) -> MetricDef:
        return self.history.metrics[self.j]

    numerator = property(lambda self: self.history.numerator[:, self.j])
    denominator = property(lambda self: self.history.denominator[:, self.j])
    rate = property(lambda self: self.history.rate[:, self.j])
    rank = property(lambda self: self.history.rank[:, self.j])
    average = property(lambda self: self.history.average[:, self.j])
    top10 = property(lambda self: self.history.top10[:, self.j])
    ranked = property(lambda self: self.history.ranked[:, self.j])

    def frame(self) -> pd.DataFrame:
        """Rates as a table: one row per as-of day, one column per agent, then Average and Top."""
        table = pd.DataFrame(self.rate, index=pd.Index(self.history.days, name="as_of"),
                             columns=pd.Index(self.history.agent_ids, name="agent_id"))
        return table.assign(average=self.average, top10=self.top10)


def _json_float(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _json_number(x: Any) -> int | float | None:
    if x is None or pd.isna(x):
        return None
    f = float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


__all__ = ["KpiHistory", "KpiResult", "AgentHistory", "MetricHistory"]
