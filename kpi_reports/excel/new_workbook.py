"""A ready team workbook (.xlsm) made from the installed xlwings' standalone quickstart.

Like `xlwings quickstart --standalone`, the macro workbook is not shipped by us: xlwings'
own quickstart_standalone.xlsm (its RunPython VBA module and the SampleCall macro) is the
starting point, so it always matches the installed xlwings. We add the five team tables
as Excel tables, a Dashboard sheet and an active xlwings.conf sheet that names our UDF
module, and write `<name>.py` beside it, whose main() SampleCall and the ribbon's
"Run main" call (both import the module named like the workbook).
"""
from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import xlwings
from openpyxl.styles import Font
from openpyxl.worksheet.table import Table, TableStyleInfo

from kpi_reports.engine import compute
from kpi_reports.atomic import replacing, write_bytes
from kpi_reports.errors import UserError
from kpi_reports.sample import sample_tables
from kpi_reports.settings import load_settings
from kpi_reports.team_workbook import SHEET_ORDER, column_format, column_width

from .dashboard import SHEET, build_layout
from .dashboard_xlsx import write_layout
from .ranges import SPECS, frame_rows, team_from_tables

TEMPLATE = Path(xlwings.__file__).with_name("quickstart_standalone.xlsm")
UDF_MODULE = "kpi_reports.excel.udfs"
EMPTY_COLUMNS = {name: [*spec.required, *spec.optional] for name, spec in SPECS.items()}

MAIN_PY = '''"""Refresh the Dashboard of {workbook}.

Excel calls main() from the xlwings ribbon ("Run main") or from the SampleCall macro
(Developer > Macros, or put it behind a button). Both import this file by the workbook's
name, so keep the two names equal.
"""
import xlwings as xw

from kpi_reports.errors import UserError
from kpi_reports.excel.refresh import refresh_caller


def main():
    book = xw.Book.caller()
    try:
        result = refresh_caller(book)
    except UserError as exc:
        book.app.alert(str(exc), title="KPI Reports")
        return
    book.app.status_bar = f"KPI Reports: refreshed as of {{result.as_of}}"


if __name__ == "__main__":
    xw.Book({workbook!r}).set_mock_caller()
    main()
'''


def _check_target(path: Path, overwrite: bool) -> None:
    if path.suffix.lower() != ".xlsm":
        raise UserError(f"{path.name}: a team workbook with macros must end in .xlsm.")
    if not path.stem.isidentifier() or keyword.iskeyword(path.stem):
        raise UserError(f"{path.name}: Excel's macros import the workbook's name as a Python module, "
                        "so use letters, digits and underscores only, not starting with a digit "
                        "(e.g. north_shore_team.xlsm).")
    for existing in (path, path.with_suffix(".py")):
        if existing.exists() and not overwrite:
            raise UserError(f"{existing} already exists; pick another name, move it away "
                            "or pass --force to replace it.")
    if not TEMPLATE.is_file():
        raise UserError(f"The installed xlwings has no {TEMPLATE.name}; reinstall xlwings.")


def _tables(sample: bool) -> dict[str, pd.DataFrame]:
    if sample:
        return sample_tables()
    return {name: pd.DataFrame(columns=EMPTY_COLUMNS[name]) for name in SHEET_ORDER}


def _write_table(ws, name: str, frame: pd.DataFrame) -> None:
    """Header + rows as an Excel table named like the sheet (Leads[#All] works)."""
    rows = frame_rows(frame)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for c, header in enumerate(frame.columns, start=1):
        fmt = column_format(header, frame[header])
        ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width = column_width(header)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c):
                if not isinstance(cell.value, str):
                    cell.number_format = fmt
        for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c):
            if isinstance(cell.value, str):
                cell.data_type = "s"         # text stays text, whatever it starts with
    last = openpyxl.utils.get_column_letter(len(frame.columns))
    ref = f"A1:{last}{max(len(rows), 2)}"     # an empty table keeps one blank row
    table = Table(displayName=re.sub(r"\W", "", name), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"


def _configure(conf, module: str) -> None:
    """Activate the template's settings sheet and point it at our UDF module."""
    conf.title = "xlwings.conf"
    settings = {"UDF Modules": UDF_MODULE}
    if sys.platform.startswith("win"):
        settings["Interpreter_Win"] = sys.executable
    elif sys.platform == "darwin":
        settings["Interpreter_Mac"] = sys.executable
    for row in conf.iter_rows(min_col=1, max_col=2):
        key, value = row
        if key.value in settings:
            value.value = settings[key.value]
            value.data_type = "s"


def _dashboard(ws, tables: dict[str, pd.DataFrame], sample: bool) -> None:
    ws.title = SHEET
    if not sample:
        ws["A1"], ws["A1"].font = "KPI Dashboard", Font(bold=True, size=16)
        ws["A3"] = "Fill in the Agents, Activity, Leads and Deals tables, then press Run main."
        return
    settings = load_settings()
    team = team_from_tables({k: frame_rows(v) for k, v in tables.items()}, settings, source="sample data")
    span = team.date_range()
    assert span is not None, "the sample tables hold dated rows"
    write_layout(ws, build_layout(compute(team, span.last, settings)))


def new_workbook(path: str | Path, sample: bool = False, overwrite: bool = False) -> Path:
    """Create `path` (.xlsm) and `<stem>.py` beside it; returns the workbook path."""
    path = Path(path)
    _check_target(path, overwrite)
    book = openpyxl.load_workbook(TEMPLATE, keep_vba=True)
    dashboard, conf = book.worksheets[0], book.worksheets[1]
    tables = _tables(sample)
    _dashboard(dashboard, tables, sample)
    _configure(conf, path.stem)
    for n, name in enumerate(SHEET_ORDER, start=3):
        ws = book.create_sheet(name, index=n - 2)
        ws.sheet_properties.codeName = f"Sheet{n}"   # VBA needs a code name per sheet
        _write_table(ws, name, tables.get(name, pd.DataFrame(columns=EMPTY_COLUMNS[name])))
    book.active = 0
    _save_atomically(book, path)
    write_bytes(path.with_suffix(".py"), MAIN_PY.format(workbook=path.name).encode("utf-8"))
    return path


def _save_atomically(book, path: Path) -> None:
    with replacing(path) as tmp:
        book.save(tmp)
