"""Workbook -> TeamData: find sheets and columns, type every cell, list what is wrong.

Reads with python-calamine (the fastest exact reader; see benchmarks/). Every check is
a vectorised pass over a column; only the rows that have a problem are visited one by
one, to describe them.

    sheets.py    finding sheets, headers and required columns
    cells.py     typing cells (dates, numbers, IDs)
    problems.py  reporting bad cells with sheet, row and column
    tables.py    one loader per sheet, with SPEC.md's rules for bad data
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..model import TeamData
from ..settings import Settings, load_settings
from .cells import EXCEL_EPOCH, FIRST_DAY, LAST_DAY, clean_text, parse_days, parse_numbers, serial_day
from .problems import ProblemLog
from .sheets import (ACTIVITY, ACTIVITY_COUNTS, AGENTS, DEAL_UPDATES, DEALS, LEADS, STANDARD_EVENTS, RowsOf,
                     SheetSpec, column_name, header_key, open_workbook, read_sheet)
from .xlsx import Workbook
from .tables import (categorise, load_activity, load_agents, load_deals, load_leads, load_updates,
                     missing_columns, report_missing_metric_columns)

__all__ = ["load_workbook", "load_rows", "clean_text", "parse_days", "parse_numbers", "column_name",
           "header_key", "SheetSpec", "EXCEL_EPOCH", "FIRST_DAY", "LAST_DAY", "serial_day", "ACTIVITY_COUNTS", "AGENTS", "ACTIVITY", "LEADS",
           "DEALS", "DEAL_UPDATES"]


def load_workbook(path: str | Path, settings: Settings | None = None) -> TeamData:
    """Read a team workbook. Raises WorkbookError (a UserError) when it cannot be used."""
    path = Path(path)
    with Workbook(str(path), open_workbook(path)) as book:
        return _load(book.sheet_names, book.rows, settings or load_settings(), str(path))


def load_rows(sheets: Mapping[str, Sequence[Sequence[object]]], settings: Settings | None = None,
              source: str = "ranges") -> TeamData:
    """The same as load_workbook, from {sheet name: rows with a header row} (Excel ranges, tables)."""
    return _load(list(sheets), lambda name, wanted: sheets[name], settings or load_settings(), source)


def _load(names: Sequence[str], rows_of: RowsOf, settings: Settings, source: str) -> TeamData:
    events = tuple(dict.fromkeys((*STANDARD_EVENTS, *(m.event for m in settings.metrics if m.kind == "cohort"))))
    counts = tuple(dict.fromkeys((*ACTIVITY_COUNTS, *(c for m in settings.metrics if m.kind == "activity"
                                                     for c in (m.numerator, m.denominator)))))
    sheets = {
        "agents": read_sheet(names, rows_of, AGENTS),
        "activity": read_sheet(names, rows_of, ACTIVITY, counts),
        "leads": read_sheet(names, rows_of, LEADS, events),
        "deals": read_sheet(names, rows_of, DEALS),
        "updates": read_sheet(names, rows_of, DEAL_UPDATES, optional_sheet=True),
    }
    log = ProblemLog()
    agents = load_agents(sheets["agents"], log)
    canonical = dict(zip(agents["agent_id"].str.casefold(), agents["agent_id"]))
    activity = load_activity(sheets["activity"], log, canonical, counts)
    report_missing_metric_columns(sheets, settings, log)
    leads = load_leads(sheets["leads"], log, canonical, events)
    deals, listed_deals = load_deals(sheets["deals"], log, canonical)
    updates = load_updates(sheets["updates"], log, deals, listed_deals)
    categorise(agents, activity, leads, deals, updates)
    order = {name: i for i, name in enumerate(s.name for s in sheets.values() if s is not None)}
    problems = sorted(log.problems, key=lambda p: (order.get(p.sheet, 99), p.row or 0, p.column))
    return TeamData(agents=agents, activity=activity, leads=leads, deals=deals,
                    deal_updates=updates, problems=problems, source=source,
                    missing_columns=missing_columns(sheets))
