"""Finding sheets and columns: header matching, required columns, spreadsheet row numbers."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from ..errors import WorkbookError
from .cells import Coded, blank_cells
from .xlsx import SheetRows

STANDARD_EVENTS = ("Scheduled", "Met", "Signed")
ACTIVITY_COUNTS = ("Calls", "Contacts", "Appointments", "Contracts", "Closed Volume")


def header_key(name: object) -> str:
    """Headers match case-, space- and underscore-insensitively."""
    return re.sub(r"[\s_]+", "", str(name)).casefold()


def column_name(display: str) -> str:
    """The DataFrame column for a header: "Agent ID" -> "agent_id"."""
    return re.sub(r"[\s_]+", "_", display.strip()).lower()


@dataclass(frozen=True)
class SheetSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def how_to_fix(self) -> str:
        optional = f" (optional: {', '.join(self.optional)})" if self.optional else ""
        return (f"Put the headers {', '.join(self.required)}{optional} in the first row of "
                f"the {self.name} sheet; case and spacing do not matter.")


@dataclass
class RawSheet:
    """A sheet's cells as read (objects), columns named by column_name(), index = row number.

    `coded` holds each column once factorized (cells.Coded): every parser works on it.
    """

    name: str
    frame: pd.DataFrame
    present: set[str]   # column_name()s found in the header row
    coded: dict[str, Coded] = field(default_factory=dict)

    def col(self, key: str) -> Coded:
        if key not in self.coded:
            self.coded[key] = Coded.of(self.frame[key])
        return self.coded[key]


AGENTS = SheetSpec("Agents", ("Agent ID", "Name"), ("Email", "Team", "Active", "Annual Volume Goal", "Leader"))
ACTIVITY = SheetSpec("Activity", ("Date", "Agent ID"), ACTIVITY_COUNTS)
LEADS = SheetSpec("Leads", ("Lead ID", "Agent ID", "Type", "Matched"), STANDARD_EVENTS)
DEALS = SheetSpec("Deals", ("Deal ID", "Agent ID", "Opened"), ("Closed", "Last Updated"))
DEAL_UPDATES = SheetSpec("Deal Updates", ("Deal ID", "Updated"))


def open_workbook(path: Path) -> CalamineWorkbook:
    if not path.exists():
        raise WorkbookError(f"Workbook not found: {path}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook.")
    head = path.read_bytes()[:1 << 20] if path.stat().st_size < 64 << 20 else path.open("rb").read(1 << 20)
    if head.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in head:
        raise WorkbookError(f"{path} is password protected. Save an unprotected copy "
                            "(File > Info > Protect Workbook > Encrypt with Password: clear it) and use that.")
    if not head.startswith(b"PK"):
        raise WorkbookError(f"{path} is not an Excel workbook (.xlsx or .xlsm). "
                            "Open it in Excel and save it as an Excel Workbook.")
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for damaged packages
        raise WorkbookError(f"{path} could not be read as an Excel workbook; it may be truncated "
                            f"or damaged ({exc}). Open it in Excel and save it again.") from None


# (sheet name, header keys the loader reads) -> the sheet's rows; a reader may keep only
# those columns (load/xlsx.py does for sheets whose grid would outgrow their data)
RowsOf = Callable[[str, Sequence[str]], "SheetRows | Sequence[Sequence[object]]"]


def read_sheet(names: Sequence[str], rows_of: RowsOf, spec: SheetSpec,
                extra: tuple[str, ...] = (), optional_sheet: bool = False) -> RawSheet | None:
    lookup = {header_key(name): name for name in reversed(names)}
    real_name = lookup.get(header_key(spec.name))
    if real_name is None:
        if optional_sheet:
            return None
        found = ", ".join(names) or "none"
        raise WorkbookError(f"The workbook has no sheet named {spec.name!r} (sheets found: {found}). "
                            f"Add it: {spec.how_to_fix()}")
    wanted = [header_key(c) for c in (*spec.required, *spec.optional, *extra)]
    try:
        rows = rows_of(real_name, wanted)
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(f"Sheet {real_name!r} could not be read ({exc}).") from None
    if isinstance(rows, SheetRows):
        return sheet_from_rows(real_name, rows.rows, spec, extra, rows.numbers)
    return sheet_from_rows(real_name, rows, spec, extra)


def sheet_from_rows(real_name: str, rows: Sequence[Sequence[object]], spec: SheetSpec,
                     extra: tuple[str, ...], numbers: Sequence[int] | None = None) -> RawSheet:
    """The first non-blank row holds the headers; row numbers are as the spreadsheet shows
    (numbers[i] is rows[i]'s; by default rows[0] is row 1)."""
    header_at = next((i for i, r in enumerate(rows) if any(c not in (None, "") for c in r)), None)
    headers = list(rows[header_at]) if header_at is not None else []
    found = {header_key(h): i for i, h in reversed(list(enumerate(headers))) if h not in (None, "")}
    missing = [c for c in spec.required if header_key(c) not in found]
    if missing:
        seen = ", ".join(str(h) for h in headers if h not in (None, "")) or "none"
        raise WorkbookError(
            f"Sheet {real_name!r} is missing the required column(s) {', '.join(missing)} "
            f"(columns found: {seen}). {spec.how_to_fix()}")
    wanted = dict.fromkeys((*spec.required, *spec.optional, *extra))
    body = rows[header_at + 1:] if header_at is not None else []
    if numbers is None:
        index = pd.RangeIndex(header_at + 2, header_at + 2 + len(body), name="row") if body else pd.RangeIndex(0, name="row")
    else:
        index = pd.Index(numbers[header_at + 1:header_at + 1 + len(body)], dtype="int64", name="row")
    positions = {column_name(c): found[header_key(c)] for c in wanted if header_key(c) in found}
    cells = pick_columns(body, positions)
    coded = {key: Coded.of(pd.Series(values, index=index, dtype=object, copy=False)) for key, values in cells.items()}
    keep = ~np.logical_and.reduce([blank_cells(c) for c in coded.values()]) if coded else np.ones(len(index), bool)
    data = pd.DataFrame({key: values[keep] for key, values in cells.items()}, index=index[keep], dtype=object,
                        copy=False)
    data = data.reindex(columns=[column_name(c) for c in wanted])
    return RawSheet(real_name, data, set(cells), {key: c.take(keep) for key, c in coded.items()})


def pick_columns(body: Sequence[Sequence[object]], positions: dict[str, int]) -> dict[str, np.ndarray]:
    """{name: object array of the cells at that position in each row}; short rows read None.

    pandas turns the rows into columns in C; only the wanted ones are kept.
    """
    if not positions:
        return {}
    lengths = set(map(len, body))
    if len(lengths) > 1:                        # hand-made ragged rows: pad them
        body = [list(r) + [None] * (max(lengths) - len(r)) for r in body]
    grid = pd.DataFrame(body, dtype=object) if len(body) else pd.DataFrame()
    empty = np.full(len(body), None, dtype=object)
    return {key: grid[at].to_numpy(dtype=object) if at in grid.columns else empty.copy()
            for key, at in positions.items()}
