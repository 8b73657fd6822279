"""Tables as Excel hands them over (2-D lists with a header row) -> TeamData.

UDFs receive ranges such as `Leads[#All]` and a live refresh reads the open book through
xlwings; both go through kpi_reports.load.load_rows, so a formula sees exactly what
`kpi-reports metrics` sees. A formula passes only the tables its metric needs: a table
left out is empty, and a missing Agents table is made from the Agent IDs the other tables
use (each such agent active), so `=KPI_SCHEDULE_RATE(Leads[#All], ...)` needs nothing else.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from kpi_reports.errors import WorkbookError
from kpi_reports.load import (ACTIVITY, AGENTS, DEAL_UPDATES, DEALS, LEADS, SheetSpec, clean_text,
                              header_key, load_rows)
from kpi_reports.load.sheets import sheet_from_rows
from kpi_reports.model import TeamData
from kpi_reports.settings import Settings

Rows = Sequence[Sequence[object]]
SPECS: dict[str, SheetSpec] = {spec.name: spec for spec in (AGENTS, ACTIVITY, LEADS, DEALS, DEAL_UPDATES)}


def agents_from_ids(tables: Mapping[str, Rows]) -> list[list[object]]:
    """An Agents table listing every Agent ID the tables use, first spelling first."""
    cells: list[object] = []
    for name, rows in tables.items():          # headers found exactly as the loader finds them
        sheet = sheet_from_rows(name, rows, SheetSpec(name, (), ("Agent ID",)), ())
        if "agent_id" in sheet.present:
            cells += sheet.frame["agent_id"].tolist()
    ids = clean_text(pd.Series(cells, dtype=object)).dropna()
    ids = ids[~ids.str.casefold().duplicated()]
    return [["Agent ID", "Name"], *([i, i] for i in ids)]


# Error cells (#N/A, #REF! ...) come over COM as these integers (VT_ERROR codes).
COM_ERRORS = {-2146826288: "#NULL!", -2146826281: "#DIV/0!", -2146826273: "#VALUE!", -2146826265: "#REF!",
              -2146826259: "#NAME?", -2146826252: "#NUM!", -2146826246: "#N/A"}


def _with_error_text(rows: Rows) -> Rows:
    """Rows with COM error codes as the error's text, so they are reported as such."""
    def cell(value: object) -> object:
        return COM_ERRORS.get(value, value) if type(value) is int else value
    return [[cell(v) for v in row] for row in rows]


def team_from_tables(tables: Mapping[str, Rows | None], settings: Settings,
                     source: str = "Excel ranges") -> TeamData:
    """Type and check tables given as rows, exactly as load_workbook types a file's sheets.

    tables: {"Agents"|"Activity"|"Leads"|"Deals"|"Deal Updates": rows incl. header, or None},
    as Excel passes ranges (date cells may be tz-tagged COM datetimes, errors COM codes).
    """
    by_key = {header_key(name): _with_error_text(rows) for name, rows in tables.items() if rows is not None}
    unknown = set(by_key) - {header_key(n) for n in SPECS}
    if unknown:
        raise WorkbookError(f"Unknown table name(s) {sorted(unknown)}; use {', '.join(SPECS)}.")
    sheets = {name: by_key[header_key(name)] for name in SPECS if header_key(name) in by_key}
    for name in ("Activity", "Leads", "Deals"):
        sheets.setdefault(name, [[*SPECS[name].required, *SPECS[name].optional]])
    if "Agents" not in sheets:
        sheets["Agents"] = agents_from_ids(sheets)
    return load_rows(sheets, settings, source)


def frame_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A DataFrame with display headers -> rows as Excel would pass them (NaN/NaT -> None)."""
    body = frame.astype(object).where(frame.notna(), None)
    cells = [[v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row]
             for row in body.itertuples(index=False, name=None)]
    return [list(frame.columns), *cells]
