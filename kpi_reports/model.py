"""The plain data that flows from the loader to the engine to every face.

TeamData is what the workbook holds, typed and checked; KpiHistory (result.py) is what
the engine computed as of many days, KpiResult one day of it. Faces (CLI, Excel,
scorecards, mail) format these and never compute a number of their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One data-quality problem, located as the spreadsheet shows it.

    A Parquet file or a database table has no row numbers a person can go to: there the
    row is None and `key` finds the row by its ID columns ("Lead ID 'L0042'").
    """

    sheet: str               # the sheet, Parquet file or table, as the source names it
    row: int | None          # spreadsheet row number (1 = header row); None for a whole sheet
    column: str
    problem: str
    agent_id: str | None = None   # whose row it is, when known (for the agent's scorecard)
    key: str | None = None        # the row's ID columns where the source has no row numbers

    @property
    def locator(self) -> str:
        """The row as a person finds it: "12", "Lead ID 'L0042'" or "" (the whole sheet)."""
        return str(self.row) if self.row is not None else self.key or ""

    def as_json(self) -> dict[str, Any]:
        located = {"key": self.key} if self.key is not None else {}
        return {"sheet": self.sheet, "row": self.row, **located, "column": self.column, "problem": self.problem}

    def __str__(self) -> str:
        where = f"{self.sheet}!row {self.row}" if self.row else self.sheet
        where += f" ({self.key})" if self.key else ""
        return f"{where}, {self.column}: {self.problem}"


class DateRange(NamedTuple):
    """The first and last day a workbook has data for (both inclusive)."""

    first: dt.date
    last: dt.date


@dataclass
class TeamData:
    """A team workbook, loaded: one DataFrame per sheet plus the problems found.

    Dates are datetime64[s] at midnight, any day from 1900-01-01 to 9999-12-31 (NaT = blank
    or unusable). IDs are strings; agent IDs
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
    missing_columns: {table ("agents", "activity", "leads", "deals", "updates"): the optional
                    columns (normalised names, e.g. "contracts") its sheet lacks}. A metric
                    needing one is undefined; the loader reports each such column once. A
                    missing count column is NaN (unknown) in `activity`, never 0; a missing
                    event column is NaT with <event>_bad set.
    Agents also has left_on (the agent counts on day D when it is blank or after D).
    row_numbers: False when the source (Parquet files, a database) has no row numbers a
                    person can go to: `row` columns are then positions in the table, for
                    ordering only, and shown as null (problems give the row's key instead).
    """

    agents: pd.DataFrame
    activity: pd.DataFrame
    leads: pd.DataFrame
    deals: pd.DataFrame
    deal_updates: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    missing_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    suggested_mapping: str = ""     # settings lines reading unused lookalike columns (check --suggest-mapping)
    row_numbers: bool = True

    @property
    def active_agents(self) -> pd.DataFrame:
        return self.agents[self.agents["active"]]

    def date_range(self) -> DateRange | None:
        """First and last day any lead, activity or deal date falls on; None without dates."""
        days = pd.concat([
            self.activity["date"], self.leads["matched"], self.deals["opened"],
        ]).dropna()
        if days.empty:
            return None
        return DateRange(days.min().date(), days.max().date())


from .result import KpiHistory, KpiResult  # noqa: E402  (the engine's output, kept with the other plain data)

__all__ = ["DateRange", "Problem", "TeamData", "KpiHistory", "KpiResult"]
