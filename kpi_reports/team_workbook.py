"""Write team tables as a fresh team workbook (the demo, benchmarks and new workbooks).

XlsxWriter writes each sheet as an Excel table (Agents, Activity, Leads, Deals,
DealUpdates) so formulas can say `Leads[#All]`. Only for new files: an existing user
workbook is never rewritten this way (see kpi_reports/excel/_splice/).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from .atomic import replacing

SHEET_ORDER = ("Agents", "Activity", "Leads", "Deals", "Deal Updates")
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = '"$"#,##0'
DATE_HEADERS = {"Date", "Matched", "Scheduled", "Met", "Signed", "Opened", "Closed", "Last Updated", "Updated"}
MONEY_HEADER = re.compile(r"volume|goal", re.IGNORECASE)


def holds_dates(series: pd.Series) -> bool:
    """A date column, typed as such or holding date cells among text (the sample's odd rows)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    return series.dtype == object and series.map(lambda v: isinstance(v, (dt.date, pd.Timestamp))).any()


def column_format(header: str, series: pd.Series) -> str | None:
    """The number format of a team table's column, for both writers (this one and new_workbook's)."""
    if header in DATE_HEADERS or holds_dates(series):
        return DATE_FORMAT
    return MONEY_FORMAT if MONEY_HEADER.search(header) else None


def column_width(header: str) -> int:
    return max(12, len(header) + 2)


def _cells(series: pd.Series) -> list:
    """Python values for XlsxWriter: NaN/NaT -> None, timestamps -> datetime."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v for v in series.dt.to_pydatetime()]
    values = series.astype(object).where(series.notna(), None)
    return values.tolist()


def write_team_workbook(tables: dict[str, pd.DataFrame], path: str | Path, *,
                        constant_memory: bool = False) -> Path:
    """Write {sheet name: DataFrame with display headers} to path, atomically."""
    path = Path(path)
    with replacing(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": constant_memory,
                                              "strings_to_formulas": False, "strings_to_urls": False})
        formats = {fmt: book.add_format({"num_format": fmt}) for fmt in (DATE_FORMAT, MONEY_FORMAT)}
        for name, frame in tables.items():
            _write_sheet(book, name, frame, formats, as_table=not constant_memory)
        book.close()
    return path


def _write_sheet(book, name: str, frame: pd.DataFrame, formats: dict, as_table: bool) -> None:
    sheet = book.add_worksheet(name)
    column_formats = []
    for col, header in enumerate(frame.columns):
        fmt = formats.get(column_format(header, frame[header]))
        column_formats.append(fmt)
        sheet.set_column(col, col, column_width(header), fmt)
    if not as_table:
        sheet.write_row(0, 0, list(frame.columns))
    columns = [_cells(frame[h]) for h in frame.columns]
    for row, values in enumerate(zip(*columns), start=1):     # row order: constant_memory needs it
        for col, value in enumerate(values):
            _write(sheet, row, col, value, column_formats[col])
    if as_table:
        sheet.add_table(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0),
                        {"name": re.sub(r"\W", "", name), "columns": [{"header": h} for h in frame.columns],
                         "style": "Table Style Light 9"})
    sheet.freeze_panes(1, 0)


def _write(sheet, row: int, col: int, value, fmt) -> None:
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value)       # never a formula, whatever it starts with
    elif isinstance(value, (bool, np.bool_)):
        sheet.write_boolean(row, col, bool(value))
    elif isinstance(value, (int, float, np.integer, np.floating)):
        sheet.write_number(row, col, float(value), fmt)
    else:
        sheet.write_datetime(row, col, value, fmt)
