"""The plain data that flows from the loader to the engine to every face.

TeamData is what the workbook holds, typed and checked; KpiResult is what the engine
computed as of one day. Faces (CLI, Excel, scorecards, mail) format these and never
compute a number of their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .settings import MetricDef, Settings


@dataclass(frozen=True)
class Problem:
    """One data-quality problem, located as the spreadsheet shows it."""

    sheet: str
    row: int | None          # spreadsheet row number (1 = header row); None for a whole sheet
    column: str
    problem: str
    agent_id: str | None = None   # whose row it is, when known (for the agent's scorecard)

    def as_json(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "problem": self.problem}

    def __str__(self) -> str:
        where = f"{self.sheet}!row {self.row}" if self.row else self.sheet
        return f"{where}, {self.column}: {self.problem}"


@dataclass
class TeamData:
    """A team workbook, loaded: one DataFrame per sheet plus the problems found.

    Dates are datetime64 at midnight (NaT = blank or unusable). IDs are strings; agent IDs
    on every sheet are spelled as on the Agents sheet and are categoricals over its IDs
    (deal_updates.deal_id over deals.deal_id; leads.type over Buyer, Seller, Offers). `<event>_bad` columns mark leads
    whose event day was unreadable or impossible: they count in no metric using it.
    Columns (keys are normalised header names, e.g. "Agent ID" -> "agent_id"):
      agents:       agent_id, name, email, team, active, annual_goal, leader (leads their
                    team: gets its summary and, with --cc-leader, a copy of each scorecard), row
      activity:     date, agent_id, <count columns: calls, contacts, ...>, row
      leads:        lead_id, agent_id, type, matched, <events>, <event>_bad, row
      deals:        deal_id, agent_id, opened, closed, usable, row
      deal_updates: deal_id, updated  (every known update day: Last Updated + Deal Updates)
    """

    agents: pd.DataFrame
    activity: pd.DataFrame
    leads: pd.DataFrame
    deals: pd.DataFrame
    deal_updates: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    source: str = ""

    @property
    def active_agents(self) -> pd.DataFrame:
        return self.agents[self.agents["active"]]

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last day any lead, activity or deal date falls on."""
        days = pd.concat([
            self.activity["date"], self.leads["matched"], self.deals["opened"],
        ]).dropna()
        if days.empty:
            return None, None
        return days.min().date(), days.max().date()


@dataclass(frozen=True)
class KpiResult:
    """Every metric for every active agent as of one day, with the benchmarks.

    values:     one row per (agent_id, metric): numerator, denominator, value (NaN when
                undefined), rank (1 = best, among agents counted in the benchmark; NaN
                when not ranked) and ranked (how many agents were ranked).
    benchmarks: index = metric id; average, top10 (NaN when no agent), agents (count).
    agents:     index = agent_id; name, email, team, annual_goal, closed_volume_ytd and
                the activity window's sums (calls, contacts, ...).
    """

    as_of: dt.date
    settings: Settings
    agents: pd.DataFrame
    values: pd.DataFrame
    benchmarks: pd.DataFrame
    data_quality: list[Problem]
    activity_window: tuple[dt.date, dt.date]

    @property
    def metrics(self) -> tuple[MetricDef, ...]:
        return self.settings.metrics

    def value(self, agent_id: str, metric_id: str) -> pd.Series:
        """numerator, denominator, value, rank, ranked of one agent and metric."""
        return self.values.loc[(agent_id, metric_id)]

    def agent_values(self, agent_id: str) -> pd.DataFrame:
        """The agent's rows of `values`, indexed by metric id, in settings order."""
        return self.values.xs(agent_id, level="agent_id").reindex(self.settings.metric_ids)

    def to_json_dict(self) -> dict[str, Any]:
        """The document described in SPEC.md, "Machine-readable output"."""
        return {
            "as_of": self.as_of.isoformat(),
            "agents": [
                {
                    "agent_id": agent_id,
                    "name": self.agents.at[agent_id, "name"],
                    "metrics": {
                        metric_id: {
                            "numerator": _json_number(row.numerator),
                            "denominator": _json_number(row.denominator),
                            "value": None if pd.isna(row.value) else float(row.value),
                        }
                        for metric_id, row in self.agent_values(agent_id).iterrows()
                    },
                }
                for agent_id in self.agents.index
            ],
            "benchmarks": {
                metric_id: {
                    "average": None if pd.isna(row.average) else float(row.average),
                    "top10": None if pd.isna(row.top10) else float(row.top10),
                    "agents": int(row.agents),
                }
                for metric_id, row in self.benchmarks.iterrows()
            },
            "data_quality": [p.as_json() for p in self.data_quality],
        }


def _json_number(x: Any) -> int | float | None:
    if x is None or pd.isna(x):
        return None
    f = float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


__all__ = ["Problem", "TeamData", "KpiResult"]
