"""Refresh the Dashboard: headless on a file, or live in the workbook Excel has open.

Both run load -> compute -> dashboard.build_layout; the file path splices the sheet into
the user's package (_splice.splice_sheet: atomic, with a backup, refused while Excel has
the file open), the live path writes it through xlwings into the open book, whose unsaved
edits are what it reads.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_reports.engine import compute
from kpi_reports.engine.windows import ActivityWindow
from kpi_reports.errors import WorkbookError
from kpi_reports.load import header_key, load_workbook
from kpi_reports.model import KpiResult
from kpi_reports.settings import Settings, settings_for

from .dashboard import SHEET, build_layout
from .dashboard_xlsx import layout_bytes
from .ranges import SPECS, team_from_tables

if TYPE_CHECKING:
    from ._splice import SpliceResult


def refresh_workbook(path: str | Path, as_of: dt.date | None = None,
                     settings: Settings | None = None,
                     tell: Callable[[str], None] | None = None,
                     activity_window: ActivityWindow = "rolling") -> KpiResult:
    """Recompute the workbook at `path` and replace its Dashboard sheet in place;
    `tell` gets what the user should know about their file (where the backup is, an
    owner that could not be kept, ...); activity_window="month": the funnel over the
    calendar month, as the scorecards."""
    from ._splice import splice_sheet      # the workbook surgery, imported when used

    path = Path(path)
    settings = settings or settings_for(path)
    result = compute(load_workbook(path, settings), as_of or dt.date.today(), settings, activity_window)
    done = splice_sheet(path, io.BytesIO(layout_bytes(build_layout(result))), SHEET, backup=True)
    if tell is not None:
        for line in _file_notes(done):
            tell(line)
    return result


def _file_notes(done: SpliceResult) -> list[str]:
    """What to tell the user about their file after a refresh."""
    if not done.changed:
        return ["The Dashboard was already up to date: the workbook was left as it was.",
                *done.notes]
    if done.backup is None:         # spliced without a backup: nothing to say about one
        return list(done.notes)
    backup = done.backup.name
    line = (f"Backup: {backup}, the workbook as you last had it, is kept as it was (only "
            "refreshes have changed the workbook since)." if done.backup_kept else
            f"Backup: {backup} holds the workbook as it was before this refresh.")
    return [line, *done.notes]


def read_open_tables(book) -> dict[str, list]:
    """The team tables of an open xlwings Book, read from A1 (so row numbers match)."""
    sheets = {header_key(s.name): s for s in book.sheets}
    tables = {}
    for name in SPECS:
        sheet = sheets.get(header_key(name))
        if sheet is None:
            if name == "Deal Updates":
                continue
            raise WorkbookError(f"The workbook has no sheet named {name!r}. Add it with its "
                                f"header row ({', '.join(SPECS[name].required)}) and run main again.")
        last = sheet.used_range.last_cell
        tables[name] = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return tables


def refresh_caller(book, as_of: dt.date | None = None, settings: Settings | None = None) -> KpiResult:
    """The xlwings "Run main" entry: recompute the open book and redraw its Dashboard."""
    from .dashboard_live import write_layout_live

    settings = settings or settings_for(Path(book.fullname))
    team = team_from_tables(read_open_tables(book), settings, source=book.fullname)
    result = compute(team, as_of or dt.date.today(), settings)
    names = {header_key(s.name): s for s in book.sheets}
    sheet = names.get(header_key(SHEET)) or book.sheets.add(SHEET, after=book.sheets[-1])
    write_layout_live(sheet, build_layout(result))
    return result
