"""Workbook -> TeamData: find sheets and columns, type every cell, list what is wrong.

Reads with python-calamine (the fastest exact reader; see benchmarks/). Every check is
a vectorised pass over a column; only the rows that have a problem are visited one by
one, to describe them.

    sheets.py    finding sheets, headers and required columns
    cells.py     typing cells (dates, numbers, IDs)
    ids.py       ID and Type columns as codes: trimmed, casefolded, looked up per distinct value
    problems.py  reporting bad cells with sheet, row and column
    tables.py    one loader per sheet, with SPEC.md's rules for bad data
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..model import TeamData
from ..settings import DEFAULT_SETTINGS_NAME, Settings, load_settings
from .cells import EXCEL_EPOCH, FIRST_DAY, LAST_DAY, clean_text, parse_days, parse_numbers, serial_day
from .csv_folder import CsvFolder, is_csv_folder
from .names import MappingError, Naming, Shortfall, rank_sheets, toml_key
from .problems import ProblemLog
from .sheets import (ACTIVITY, ACTIVITY_COUNTS, AGENTS, DEAL_UPDATES, DEALS, LEADS, STANDARD_EVENTS, RawSheet,
                     RowsOf, SheetSpec, activity_columns, column_name, find_sheet, header_key, open_workbook, read_named_sheet,
                     read_sheet)
from .xlsx import SheetRows, Workbook
from .tables import (categorise, load_activity, load_agents, load_deals, load_leads, load_updates,
                     missing_columns, report_missing_metric_columns)

__all__ = ["MappingError", "is_csv_folder", "load_workbook", "load_rows", "activity_columns", "clean_text", "parse_days", "parse_numbers", "column_name",
           "header_key", "SheetSpec", "EXCEL_EPOCH", "FIRST_DAY", "LAST_DAY", "serial_day", "ACTIVITY_COUNTS", "AGENTS", "ACTIVITY", "LEADS",
           "DEALS", "DEAL_UPDATES"]


def load_workbook(path: str | Path, settings: Settings | None = None) -> TeamData:
    """Read a team workbook (.xlsx, .xlsm, .ods) or a folder of CSV files (csv_folder.py).
    Raises WorkbookError (a UserError) when it cannot be used."""
    path = Path(path)
    if is_csv_folder(path):
        with CsvFolder(path) as folder:
            return _load(folder.sheet_names, folder.rows, settings or load_settings(), str(path))
    with Workbook(str(path), open_workbook(path)) as book:
        return _load(book.sheet_names, book.rows, settings or load_settings(), str(path))


def load_rows(sheets: Mapping[str, Sequence[Sequence[object]]], settings: Settings | None = None,
              source: str = "ranges") -> TeamData:
    """The same as load_workbook, from {sheet name: rows with a header row} (Excel ranges, tables)."""
    return _load(list(sheets), lambda name, wanted: sheets[name], settings or load_settings(), source)


SPECS = {"agents": AGENTS, "activity": ACTIVITY, "leads": LEADS, "deals": DEALS, "updates": DEAL_UPDATES}


def reading_plan(settings: Settings) -> tuple[dict[str, tuple[str, ...]], Naming]:
    """The columns read beyond each sheet's own (the events and counts metrics name), and
    the settings' names for sheets and columns."""
    events = tuple(dict.fromkeys((*STANDARD_EVENTS, *(m.event for m in settings.metrics if m.kind == "cohort"))))
    counts = activity_columns(settings)
    extras = {"agents": (), "activity": counts, "leads": events, "deals": (), "updates": ()}
    naming = Naming.of(settings, {spec.name: (*spec.required, *spec.optional, *extras[table])
                                  for table, spec in SPECS.items()})
    return extras, naming


def _load(names: Sequence[str], rows_of: RowsOf, settings: Settings, source: str) -> TeamData:
    extras, naming = reading_plan(settings)
    events, counts = extras["leads"], extras["activity"]
    gaps = Shortfall()
    sheets = {table: read_sheet(names, rows_of, spec, extras[table], optional_sheet=table == "updates",
                                naming=naming, gaps=gaps) for table, spec in SPECS.items()}
    if gaps.gaps:
        raise mapping_error(gaps, sheets, names, rows_of, naming, extras, source)
    log = ProblemLog()
    report_names(sheets, log)
    agents = load_agents(sheets["agents"], log, settings.dates.order)
    canonical = dict(zip(agents["agent_id"].str.casefold(), agents["agent_id"]))
    activity = load_activity(sheets["activity"], log, canonical, counts, settings.dates.order)
    report_missing_metric_columns(sheets, settings, log)
    leads = load_leads(sheets["leads"], log, canonical, events, settings.dates.order)
    deals, listed_deals = load_deals(sheets["deals"], log, canonical, settings.dates.order)
    updates = load_updates(sheets["updates"], log, deals, listed_deals, settings.dates.order)
    categorise(agents, activity, leads, deals, updates)
    order = {name: i for i, name in enumerate(s.name for s in sheets.values() if s is not None)}
    problems = sorted(log.problems, key=lambda p: (order.get(p.sheet, 99), p.row or 0, p.key or "", p.column))
    lookalike_lines = {SPECS[t].name: {lk.column: (lk.header, f"looks like {lk.column}: {lk.why}")
                                       for lk in sheet.lookalikes} for t, sheet in sheets.items() if sheet}
    return TeamData(agents=agents, activity=activity, leads=leads, deals=deals,
                    deal_updates=updates, problems=problems, source=source,
                    missing_columns=missing_columns(sheets),
                    suggested_mapping=naming.snippet({}, lookalike_lines, [s.name for s in SPECS.values()]),
                    row_numbers=not any(s.keyed_by for s in sheets.values() if s is not None))


def report_names(sheets: dict[str, RawSheet | None], log: ProblemLog) -> None:
    """Nothing the user typed is ignored silently: a mapping that names no column, and a
    column used by nothing that looks like one we read, are listed (sheet-level)."""
    for sheet in sheets.values():
        if sheet is None:
            continue
        for lk in sheet.lookalikes:
            log.sheet_level(sheet.name, lk.header, f"not read; it looks like {lk.column} ({lk.why}). To read it, "
                            f"add to the settings: [columns.{toml_key(lk.sheet)}] {toml_key(lk.column)} = "
                            f"{json.dumps(lk.header, ensure_ascii=False)}")
        for column, header in sheet.unmapped.items():
            log.sheet_level(sheet.name, column, f"the settings map {column} to {header!r}, which is not a "
                            f"column of this sheet: {column} is not read")


def mapping_error(shortfall: Shortfall, sheets: dict[str, RawSheet | None], names: Sequence[str], rows_of: RowsOf,
                  naming: Naming, extras: dict[str, tuple[str, ...]], source: str) -> MappingError:
    """Every gap of the run, with candidates: a missing sheet's best match is read as that
    sheet so that its own missing columns are found in the same run."""
    claimed = {find_sheet(names, spec.name, naming) for spec in SPECS.values()}
    sheet_lines: dict[str, str] = {}
    gaps = shortfall.gaps
    headers = _header_reader(rows_of)
    for gap in [g for g in gaps if g.column is None]:
        spec = next(s for s in SPECS.values() if s.name == gap.sheet)
        free = [n for n in names if n not in claimed and n not in sheet_lines.values()]
        gap.candidates = rank_sheets(free, spec.name, spec.required, headers)
        if gap.candidates:
            best = gap.candidates[0].name
            sheet_lines[spec.name] = best
            table = next(t for t, s in SPECS.items() if s is spec)
            sheet = read_named_sheet(best, rows_of, spec, extras[table], naming, shortfall)
            shortfall.lookalikes += sheet.lookalikes if sheet is not None else []
    column_lines: dict[str, dict[str, tuple[str, str]]] = {}
    for sheet_name in dict.fromkeys(g.sheet for g in gaps if g.column):
        used: set[str] = set()
        for gap in sorted((g for g in gaps if g.sheet == sheet_name and g.column),
                          key=lambda g: -(g.candidates[0].score if g.candidates else 0)):
            best = next((c for c in gap.candidates if c.name not in used), None)
            if best is not None:
                used.add(best.name)
                column_lines.setdefault(sheet_name, {})[gap.column] = (best.name, best.why)
    found = [lk for s in sheets.values() if s is not None for lk in s.lookalikes] + shortfall.lookalikes
    for lk in found:
        column_lines.setdefault(lk.sheet, {}).setdefault(lk.column, (lk.header, f"optional, looks like {lk.column}: {lk.why}"))
    order = [s.name for s in SPECS.values()]
    return MappingError(gaps, found, naming.snippet(sheet_lines, column_lines, order), DEFAULT_SETTINGS_NAME, source,
                        naming.snippet(sheet_lines, column_lines, order, comments=False))


def _header_reader(rows_of: RowsOf):
    """name -> the sheet's header row (the first holding a value)."""
    def headers(name: str) -> list[object]:
        try:
            rows = rows_of(name, [])
        except Exception:               # a sheet that cannot be read is no candidate
            return []
        if hasattr(rows, "headers"):    # a table source (kpi_reports/sources): its column names
            return list(rows.headers())
        rows = rows.rows if isinstance(rows, SheetRows) else rows
        return list(next((r for r in rows if any(c not in (None, "") for c in r)), []))
    return headers
