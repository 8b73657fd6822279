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
from .cells import Coded, blank_cells, shown
from .names import Gap, Lookalike, Naming, Shortfall, header_key, lookalikes, match_columns, rank_columns, wanted_keys
from .xlsx import SheetRows

STANDARD_EVENTS = ("Scheduled", "Met", "Signed")
ACTIVITY_COUNTS = ("Calls", "Contacts", "Appointments", "Contracts", "Closed Volume")


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
    A table source's columns are typed as its source holds them (dates, numbers, text).
    """

    name: str
    frame: pd.DataFrame
    present: set[str]   # column_name()s found in the header row
    coded: dict[str, Coded] = field(default_factory=dict)
    lookalikes: list[Lookalike] = field(default_factory=list)   # unused columns like ones we read
    unmapped: dict[str, str] = field(default_factory=dict)      # optional columns mapped to absent headers
    keyed_by: tuple[str, ...] = ()   # a source without row numbers: rows are found by these columns

    def col(self, key: str) -> Coded:
        if key not in self.coded:
            self.coded[key] = Coded.of(self.frame[key])
        return self.coded[key]

    def locate(self, row: int) -> tuple[int | None, str | None]:
        """(row number, key) of a row for Problem: one of the two, as the source allows."""
        if not self.keyed_by:
            return int(row), None
        return None, ", ".join(f"{c} {key_text(self.frame.at[row, column_name(c)])}" for c in self.keyed_by)


def key_text(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "blank"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return shown(value)


AGENTS = SheetSpec("Agents", ("Agent ID", "Name"), ("Email", "Team", "Active", "Left On", "Annual Volume Goal",
                                                    "Leader"))
ACTIVITY = SheetSpec("Activity", ("Date", "Agent ID"), ACTIVITY_COUNTS)
LEADS = SheetSpec("Leads", ("Lead ID", "Agent ID", "Type", "Matched"), STANDARD_EVENTS)
DEALS = SheetSpec("Deals", ("Deal ID", "Agent ID", "Opened"), ("Closed", "Last Updated"))
DEAL_UPDATES = SheetSpec("Deal Updates", ("Deal ID", "Updated"))


def open_workbook(path: Path) -> CalamineWorkbook:
    if not path.exists():
        raise WorkbookError(f"Workbook not found: {path}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook, and holds no .csv files (a folder of "
                            "Agents.csv, Activity.csv, Leads.csv, Deals.csv is read as a workbook).")
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
# those columns (load/xlsx.py does for sheets whose grid would outgrow their data). A table
# source (kpi_reports/sources) hands over an object with raw_sheet() instead: named, typed columns.
RowsOf = Callable[[str, Sequence[str]], "SheetRows | Sequence[Sequence[object]]"]


def read_sheet(names: Sequence[str], rows_of: RowsOf, spec: SheetSpec,
               extra: tuple[str, ...] = (), optional_sheet: bool = False, naming: Naming | None = None,
               gaps: Shortfall | None = None) -> RawSheet | None:
    """The sheet as a RawSheet; None for a missing optional sheet. A missing required sheet
    or column raises WorkbookError, or, given `gaps`, is added there (None is returned)."""
    real_name = find_sheet(names, spec.name, naming)
    if real_name is None:
        if optional_sheet and not (naming and spec.name in naming.sheets):
            return None
        found = ", ".join(names) or "none"
        mapped = naming.sheets.get(spec.name) if naming else None
        if gaps is None:
            raise WorkbookError(f"The workbook has no sheet named {spec.name!r} (sheets found: {found}). "
                                f"Add it: {spec.how_to_fix()}")
        gaps.gaps.append(Gap(spec.name, None, mapped=mapped, seen=list(names), how_to_fix=spec.how_to_fix()))
        return None
    return read_named_sheet(real_name, rows_of, spec, extra, naming, gaps)


def find_sheet(names: Sequence[str], sheet: str, naming: Naming | None) -> str | None:
    """The workbook's name of one of our sheets: as the settings map it, else by its own name."""
    lookup = {header_key(name): name for name in reversed(names)}
    return lookup.get(header_key(naming.sheets.get(sheet, sheet) if naming else sheet))


def read_named_sheet(real_name: str, rows_of: RowsOf, spec: SheetSpec, extra: tuple[str, ...],
                     naming: Naming | None, gaps: Shortfall | None) -> RawSheet | None:
    mapped = naming.columns.get(spec.name, {}) if naming else {}
    wanted = wanted_keys(spec.name, (*spec.required, *spec.optional, *extra), mapped)
    try:
        rows = rows_of(real_name, wanted)
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(f"Sheet {real_name!r} could not be read ({exc}).") from None
    if hasattr(rows, "raw_sheet"):     # a table source (kpi_reports/sources): named, typed columns
        return rows.raw_sheet(real_name, spec, extra, mapped, gaps)
    if isinstance(rows, SheetRows):
        return rows_to_sheet(real_name, rows.rows, spec, extra, rows.numbers, mapped, gaps)
    return rows_to_sheet(real_name, rows, spec, extra, None, mapped, gaps)


def sheet_from_rows(real_name: str, rows: Sequence[Sequence[object]], spec: SheetSpec,
                    extra: tuple[str, ...], numbers: Sequence[int] | None = None,
                    mapped: dict[str, str] | None = None) -> RawSheet:
    """rows_to_sheet without gaps: a missing required column raises WorkbookError."""
    sheet = rows_to_sheet(real_name, rows, spec, extra, numbers, mapped, None)
    assert sheet is not None
    return sheet


def rows_to_sheet(real_name: str, rows: Sequence[Sequence[object]], spec: SheetSpec,
                  extra: tuple[str, ...], numbers: Sequence[int] | None = None,
                  mapped: dict[str, str] | None = None, gaps: Shortfall | None = None) -> RawSheet | None:
    """The first non-blank row holds the headers; row numbers are as the spreadsheet shows
    (numbers[i] is rows[i]'s; by default rows[0] is row 1). `mapped`: {our column: their
    header} from the settings. Missing required columns raise WorkbookError, or go to `gaps`."""
    header_at = next((i for i, r in enumerate(rows) if any(c not in (None, "") for c in r)), None)
    headers = list(rows[header_at]) if header_at is not None else []
    wanted = dict.fromkeys((*spec.required, *spec.optional, *extra))
    body = rows[header_at + 1:] if header_at is not None else []
    found, not_there = match_columns(headers, spec.name, list(wanted), mapped or {})
    missing = [c for c in spec.required if c not in found]
    if missing and gaps is None:
        seen = [str(h) for h in headers if h not in (None, "")]
        raise WorkbookError(
            f"Sheet {real_name!r} is missing the required column(s) {', '.join(missing)} "
            f"(columns found: {', '.join(seen) or 'none'}). {spec.how_to_fix()}")
    absent = [c for c in wanted if c not in found and c not in not_there and c not in missing]
    near = lookalikes(headers, body, spec.name, absent, extra, set(found.values())) if absent else []
    if missing and gaps is not None:
        taken = set(found.values()) | {headers.index(lk.header) for lk in near if lk.header in headers}
        gaps.gaps.extend(column_gaps(real_name, headers, body, spec, extra, missing, not_there, taken))
        gaps.lookalikes.extend(near)
        return None
    if numbers is None:
        index = pd.RangeIndex(header_at + 2, header_at + 2 + len(body), name="row") if body else pd.RangeIndex(0, name="row")
    else:
        index = pd.Index(numbers[header_at + 1:header_at + 1 + len(body)], dtype="int64", name="row")
    positions = {column_name(c): at for c, at in found.items()}
    cells = pick_columns(body, positions)
    coded = {key: Coded.of(pd.Series(values, index=index, dtype=object, copy=False)) for key, values in cells.items()}
    keep = ~np.logical_and.reduce([blank_cells(c) for c in coded.values()]) if coded else np.ones(len(index), bool)
    data = pd.DataFrame({key: values[keep] for key, values in cells.items()}, index=index[keep], dtype=object,
                        copy=False)
    data = data.reindex(columns=[column_name(c) for c in wanted])
    return RawSheet(real_name, data, set(cells), {key: c.take(keep) for key, c in coded.items()}, near, not_there)


def column_gaps(real_name: str, headers: Sequence[object], body: Sequence[Sequence[object]], spec: SheetSpec,
                extra: tuple[str, ...], missing: Sequence[str], not_there: dict[str, str],
                taken: set[int]) -> list[Gap]:
    """One Gap per missing required column, with the sheet's unused headers ranked for it."""
    seen = [str(h) for h in headers if h not in (None, "")]
    return [Gap(spec.name, column, real_name, not_there.get(column),
                [c for c, _ in rank_columns(headers, body, column, spec.name, extra, taken)], seen)
            for column in missing]


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


def activity_columns(settings) -> tuple[str, ...]:
    """The Activity count columns read and summed: the standard ones, then each activity
    metric's numerator and denominator (a team's own metric included), once each."""
    return tuple(dict.fromkeys((*ACTIVITY_COUNTS, *(c for m in settings.metrics if m.kind == "activity"
                                                   for c in (m.numerator, m.denominator)))))
