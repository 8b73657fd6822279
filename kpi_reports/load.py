"""Workbook -> TeamData: find sheets and columns, type every cell, list what is wrong.

Reads with python-calamine (the fastest exact reader; see benchmarks/). Every check is
a vectorised pass over a column; only the rows that have a problem are visited one by
one, to describe them.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from .errors import WorkbookError
from .model import Problem, TeamData
from .settings import LEAD_TYPES, Settings, load_settings

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EARLIEST, LATEST = pd.Timestamp("1970-01-01"), pd.Timestamp("2100-12-31")
US_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p")
TRUE_WORDS = {"", "true", "yes", "y", "1", "active"}
FALSE_WORDS = {"false", "no", "n", "0", "inactive"}
STANDARD_EVENTS = ("Scheduled", "Met", "Signed")
NUMBER_TYPES = (int, float, np.float64, np.int64)
DATE_TYPES = (dt.datetime, dt.date, pd.Timestamp)
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
    """A sheet's cells as read (objects), columns named by column_name(), index = row number."""

    name: str
    frame: pd.DataFrame
    present: set[str]   # column_name()s found in the header row


# ---------------------------------------------------------------- opening the file

def _open(path: Path) -> CalamineWorkbook:
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


RowsOf = Callable[[str], Sequence[Sequence[object]]]


def _read_sheet(names: Sequence[str], rows_of: RowsOf, spec: SheetSpec,
                extra: tuple[str, ...] = (), optional_sheet: bool = False) -> RawSheet | None:
    lookup = {header_key(name): name for name in reversed(names)}
    real_name = lookup.get(header_key(spec.name))
    if real_name is None:
        if optional_sheet:
            return None
        found = ", ".join(names) or "none"
        raise WorkbookError(f"The workbook has no sheet named {spec.name!r} (sheets found: {found}). "
                            f"Add it: {spec.how_to_fix()}")
    try:
        rows = rows_of(real_name)
    except Exception as exc:
        raise WorkbookError(f"Sheet {real_name!r} could not be read ({exc}).") from None
    return _sheet_from_rows(real_name, rows, spec, extra)


def _sheet_from_rows(real_name: str, rows: Sequence[Sequence[object]], spec: SheetSpec,
                     extra: tuple[str, ...]) -> RawSheet:
    """The first non-blank row holds the headers; row numbers are as the spreadsheet shows."""
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
    body = list(rows[header_at + 1:])
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(len(headers)))
    frame.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(body), name="row")
    columns = {column_name(c): frame[found[header_key(c)]] for c in wanted
               if header_key(c) in found and found[header_key(c)] in frame.columns}
    data = pd.DataFrame(columns, index=frame.index, dtype=object)
    data = data.reindex(columns=[column_name(c) for c in wanted])
    blank = pd.Series(True, index=data.index)
    for column in data.columns:
        blank &= _blank_cells(data[column])
    return RawSheet(real_name, data[~blank], set(columns))


# ---------------------------------------------------------------- typing cells

def _blank(values: pd.Series | pd.DataFrame):
    """Empty cells: None/NaN, or text that is only whitespace."""
    if isinstance(values, pd.DataFrame):
        return values.apply(_blank) if len(values.columns) else values.isna()
    blank = values.isna().to_numpy(copy=True)
    is_text = (values.map(type) == str).to_numpy()
    if is_text.any():
        blank[is_text] = values[is_text].str.strip().eq("").to_numpy()
    return pd.Series(blank, index=values.index)


def per_distinct_value(parse):
    """Run a column parser once per distinct cell value, then spread the answers back.

    A 100,000-row column holds a few hundred distinct days, agents or counts, so this
    turns most of the work of typing a sheet into work on a few hundred values.
    """
    def wrapper(col: pd.Series):
        codes, distinct = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
        values = pd.Series([*distinct, None], dtype=object)        # code -1 (blank) -> the None
        answers = parse(values)
        spread = [pd.Series(a.to_numpy()[codes], index=col.index, dtype=a.dtype)
                  for a in (answers if isinstance(answers, tuple) else (answers,))]
        return tuple(spread) if isinstance(answers, tuple) else spread[0]

    wrapper.__doc__ = parse.__doc__
    wrapper.__name__ = parse.__name__
    return wrapper


@per_distinct_value
def _blank_cells(col: pd.Series) -> pd.Series:
    return _blank(col)


@per_distinct_value
def clean_text(col: pd.Series) -> pd.Series:
    """Trimmed text; whole numbers lose their ".0" (7, 7.0 and "7" are one ID). Blank -> NA."""
    text = col.astype("string").str.strip()
    is_number = col.map(type).isin(NUMBER_TYPES)
    if is_number.any():
        number = pd.to_numeric(col[is_number]).astype(float)
        whole = number == np.floor(number)
        text[is_number[is_number].index[whole]] = number[whole].astype(np.int64).astype(str)
    return text.mask(text == "")


@per_distinct_value
def parse_days(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Date cells of any form SPEC.md allows -> (datetime64 at midnight, unreadable mask).

    Real dates, Excel serial numbers, ISO text and US text (mm/dd/yyyy) are read; a
    datetime counts by its calendar date. Blank cells are NaT and not unreadable.
    """
    out = pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    kinds = col.map(type)
    is_date = kinds.isin([k for k in kinds.unique() if issubclass(k, DATE_TYPES)])   # COM's TimeType too
    is_number = kinds.isin(NUMBER_TYPES)
    is_text = kinds == str
    if is_date.any():   # the calendar day as the cell shows it, whatever time zone tag it carries
        out[is_date] = col[is_date].map(lambda d: pd.Timestamp(d.year, d.month, d.day)).astype("datetime64[ns]")
    if is_number.any():
        serial = pd.to_numeric(col[is_number]).astype(float)
        ok = serial.between(1, 2_958_465)
        out[is_number & ok.reindex(col.index, fill_value=False)] = (
            EXCEL_EPOCH + pd.to_timedelta(np.floor(serial[ok]), unit="D"))
    if is_text.any():
        text = col[is_text].str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        for fmt in US_FORMATS:
            todo = parsed.isna() & (text != "")
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[is_text] = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    out = out.dt.normalize()
    out = out.where(out.between(EARLIEST, LATEST))
    unreadable = out.isna() & ~_blank(col)
    return out, unreadable


@per_distinct_value
def parse_numbers(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Counts and money -> (float, unreadable mask). "$1,200" is 1200; blank is NaN."""
    is_text = (col.map(type) == str).to_numpy()
    cleaned = col.copy()
    if is_text.any():
        cleaned[is_text] = col[is_text].str.replace(r"[$,\s]", "", regex=True)
    numbers = pd.to_numeric(cleaned.mask(cleaned == ""), errors="coerce").astype(float)
    return numbers, numbers.isna() & ~_blank(col)


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


# ---------------------------------------------------------------- problems

class ProblemLog:
    """Collects problems; `add` takes a mask so callers stay vectorised."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, sheet: RawSheet, mask: pd.Series, column: str, reason,
            agent_ids: pd.Series | None = None) -> None:
        """Report every row where mask holds. reason: text, or f(raw value) -> text."""
        if not mask.any():
            return
        rows = mask[mask].index
        raw = sheet.frame.get(column_name(column))
        for row in rows:
            text = reason(raw.at[row]) if callable(reason) else reason
            agent = agent_ids.at[row] if agent_ids is not None else None
            self.problems.append(Problem(sheet.name, int(row), column, text,
                                         None if pd.isna(agent) else str(agent)))

    def sheet_level(self, sheet_name: str, column: str, text: str) -> None:
        self.problems.append(Problem(sheet_name, None, column, text))


def _required_text(sheet: RawSheet, log: ProblemLog, column: str,
                   agent_ids: pd.Series | None = None) -> pd.Series:
    values = clean_text(sheet.frame[column_name(column)])
    log.add(sheet, values.isna(), column, f"missing {column}", agent_ids)
    return values


def _agent_ids(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str]) -> pd.Series:
    """Map a sheet's Agent IDs to the Agents sheet's spelling; report unknown/missing."""
    typed = clean_text(sheet.frame["agent_id"])
    ids = typed.str.casefold().map(canonical)
    log.add(sheet, typed.isna(), "Agent ID", "missing Agent ID")
    log.add(sheet, typed.notna() & ids.isna(), "Agent ID",
            lambda v: f"unknown agent {_shown(v)} (not on the Agents sheet)")
    return ids


def _dedupe(sheet: RawSheet, log: ProblemLog, keys: pd.Series, column: str,
            agent_ids: pd.Series) -> pd.Series:
    """Mask of rows to keep: the last row of each ID wins, earlier ones are reported."""
    folded = keys.str.casefold()
    earlier = folded.notna() & folded.duplicated(keep="last")
    if earlier.any():
        last_row = pd.Series(folded.index, index=folded.index).groupby(folded).transform("max")
        for row in earlier[earlier].index:
            agent = agent_ids.at[row]
            log.problems.append(Problem(sheet.name, int(row), column,
                                        f"duplicate {column} {_shown(keys.at[row])}: row {last_row.at[row]} replaces it",
                                        None if pd.isna(agent) else agent))
    return folded.notna() & ~earlier


def _dates(sheet: RawSheet, log: ProblemLog, column: str, agent_ids: pd.Series,
           required: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parsed column and its 'unusable' mask (unreadable, or blank when required)."""
    key = column_name(column)
    if key not in sheet.present:
        return pd.Series(pd.NaT, index=sheet.frame.index, dtype="datetime64[ns]"), pd.Series(False, index=sheet.frame.index)
    days, unreadable = parse_days(sheet.frame[key])
    log.add(sheet, unreadable, column, lambda v: f"not a date: {_shown(v)}", agent_ids)
    if required:
        log.add(sheet, days.isna() & ~unreadable, column, f"missing {column}", agent_ids)
        return days, days.isna()
    return days, unreadable


# ---------------------------------------------------------------- sheets

AGENTS = SheetSpec("Agents", ("Agent ID", "Name"), ("Email", "Team", "Active", "Annual Volume Goal", "Leader"))
ACTIVITY = SheetSpec("Activity", ("Date", "Agent ID"), ACTIVITY_COUNTS)
LEADS = SheetSpec("Leads", ("Lead ID", "Agent ID", "Type", "Matched"), STANDARD_EVENTS)
DEALS = SheetSpec("Deals", ("Deal ID", "Agent ID", "Opened"), ("Closed", "Last Updated"))
DEAL_UPDATES = SheetSpec("Deal Updates", ("Deal ID", "Updated"))


def _load_agents(sheet: RawSheet, log: ProblemLog) -> pd.DataFrame:
    frame = sheet.frame
    ids = _required_text(sheet, log, "Agent ID")
    keep = _dedupe(sheet, log, ids, "Agent ID", ids)
    names = clean_text(frame["name"])
    log.add(sheet, keep & names.isna(), "Name", "missing Name (the Agent ID is shown instead)", ids)
    active_text = clean_text(frame["active"]).fillna("").str.casefold()
    unknown_active = ~active_text.isin(TRUE_WORDS | FALSE_WORDS)
    log.add(sheet, keep & unknown_active, "Active",
            lambda v: f"{_shown(v)} is not TRUE/FALSE; the agent is counted as active", ids)
    goal, bad_goal = parse_numbers(frame["annual_volume_goal"])
    log.add(sheet, keep & bad_goal, "Annual Volume Goal", lambda v: f"not an amount: {_shown(v)}", ids)
    leader_text = clean_text(frame["leader"]).fillna("no").str.casefold()
    agents = pd.DataFrame({
        "agent_id": ids, "name": names.fillna(ids), "email": clean_text(frame["email"]),
        "team": clean_text(frame["team"]).fillna(""), "active": ~active_text.isin(FALSE_WORDS),
        "annual_goal": goal, "leader": leader_text.isin(TRUE_WORDS - {""}), "row": frame.index,
    }, index=frame.index)[keep]
    return agents.set_index("agent_id", drop=False).rename_axis(None)


def _load_activity(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str],
                   counts: tuple[str, ...]) -> pd.DataFrame:
    ids = _agent_ids(sheet, log, canonical)
    days, unusable = _dates(sheet, log, "Date", ids, required=True)
    activity = pd.DataFrame({"date": days, "agent_id": ids, "row": sheet.frame.index})
    for column in counts:
        key = column_name(column)
        if key not in sheet.present:
            activity[key] = 0.0
            continue
        numbers, unreadable = parse_numbers(sheet.frame[key])
        negative = numbers < 0
        log.add(sheet, unreadable, column, lambda v: f"not a number: {_shown(v)} (counted as blank)", ids)
        log.add(sheet, negative, column, lambda v: f"negative count {_shown(v)} (counted as blank)", ids)
        activity[key] = numbers.where(~negative).fillna(0.0)
    return activity[ids.notna() & ~unusable].reset_index(drop=True)


def _report_missing_activity_columns(sheet: RawSheet, settings: Settings, log: ProblemLog) -> None:
    needs: dict[str, list[str]] = {}
    for metric in settings.metrics:
        if metric.kind == "activity":
            for column in (metric.numerator, metric.denominator):
                if column_name(column) not in sheet.present:
                    needs.setdefault(column, []).append(metric.label)
    for column, labels in needs.items():
        log.sheet_level(sheet.name, column, f"column {column!r} not found: {' and '.join(labels)} undefined")


def _load_leads(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str],
                events: tuple[str, ...]) -> pd.DataFrame:
    frame = sheet.frame
    ids = _agent_ids(sheet, log, canonical)
    lead_ids = _required_text(sheet, log, "Lead ID", ids)
    keep = _dedupe(sheet, log, lead_ids, "Lead ID", ids) & ids.notna()
    typed = clean_text(frame["type"])
    types = typed.str.casefold().map({t.casefold(): t for t in LEAD_TYPES})
    log.add(sheet, typed.isna(), "Type", "missing Type", ids)
    log.add(sheet, typed.notna() & types.isna(), "Type",
            lambda v: f"unknown Type {_shown(v)} (use {', '.join(LEAD_TYPES)}); the lead counts in no lead metric", ids)
    matched, _ = _dates(sheet, log, "Matched", ids, required=True)
    leads = pd.DataFrame({"lead_id": lead_ids, "agent_id": ids, "type": types, "matched": matched,
                          "row": frame.index})
    for event in events:
        key = column_name(event)
        if key not in sheet.present:
            log.sheet_level(sheet.name, event, f"column {event!r} not found: the metrics on it are undefined")
            leads[key], leads[f"{key}_bad"] = pd.NaT, True
            continue
        days, unreadable = _dates(sheet, log, event, ids)
        before = days < matched
        log.add(sheet, before, event, "before Matched", ids)
        leads[key], leads[f"{key}_bad"] = days, unreadable | before
    return leads[keep].reset_index(drop=True)


def _load_deals(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str]) -> tuple[pd.DataFrame, set[str]]:
    """The usable deals, and every Deal ID on the sheet (casefolded), excluded rows too."""
    ids = _agent_ids(sheet, log, canonical)
    deal_ids = _required_text(sheet, log, "Deal ID", ids)
    keep = _dedupe(sheet, log, deal_ids, "Deal ID", ids) & ids.notna()
    opened, bad_opened = _dates(sheet, log, "Opened", ids, required=True)
    closed, bad_closed = _dates(sheet, log, "Closed", ids)
    before = closed < opened
    log.add(sheet, before, "Closed", "before Opened", ids)
    updated, bad_updated = _dates(sheet, log, "Last Updated", ids)
    deals = pd.DataFrame({
        "deal_id": deal_ids, "agent_id": ids, "opened": opened, "closed": closed,
        "last_updated": updated,
        "usable": ~(bad_opened | bad_closed | before | bad_updated), "row": sheet.frame.index,
    })
    return deals[keep].reset_index(drop=True), set(deal_ids.dropna().str.casefold())


def _load_updates(sheet: RawSheet | None, log: ProblemLog, deals: pd.DataFrame,
                  listed: set[str]) -> pd.DataFrame:
    """Every known update day: each deal's Last Updated plus the Deal Updates rows.

    An update of a deal whose own row was excluded (and reported) is left out silently;
    only a Deal ID that is nowhere on the Deals sheet is "unknown".
    """
    from_deals = deals.loc[deals["last_updated"].notna(), ["deal_id", "last_updated"]]
    from_deals = from_deals.rename(columns={"last_updated": "updated"})
    if sheet is None:
        return from_deals.reset_index(drop=True)
    owner = pd.Series(deals["agent_id"].values, index=deals["deal_id"].str.casefold())
    spelled = pd.Series(deals["deal_id"].values, index=deals["deal_id"].str.casefold())
    typed = clean_text(sheet.frame["deal_id"])
    key = typed.str.casefold()
    agents = key.map(owner)
    log.add(sheet, typed.isna(), "Deal ID", "missing Deal ID")
    log.add(sheet, typed.notna() & ~key.isin(listed), "Deal ID",
            lambda v: f"unknown deal {_shown(v)} (not on the Deals sheet)")
    days, unusable = _dates(sheet, log, "Updated", agents, required=True)
    rows = pd.DataFrame({"deal_id": key.map(spelled), "updated": days})[agents.notna() & ~unusable]
    return pd.concat([from_deals, rows], ignore_index=True)


def _categorise(agents, activity, leads, deals, updates) -> None:
    """IDs and types become categoricals over their own tables, so the engine works on codes."""
    agent_ids = pd.CategoricalDtype(agents["agent_id"])
    for frame in (activity, leads, deals):
        frame["agent_id"] = frame["agent_id"].astype(agent_ids)
    updates["deal_id"] = updates["deal_id"].astype(pd.CategoricalDtype(deals["deal_id"]))
    leads["type"] = leads["type"].astype(pd.CategoricalDtype(list(LEAD_TYPES)))


def load_workbook(path: str | Path, settings: Settings | None = None) -> TeamData:
    """Read a team workbook. Raises WorkbookError (a UserError) when it cannot be used."""
    path = Path(path)
    book = _open(path)
    return _load(book.sheet_names, lambda name: book.get_sheet_by_name(name).to_python(skip_empty_area=False),
                 settings or load_settings(), str(path))


def load_rows(sheets: Mapping[str, Sequence[Sequence[object]]], settings: Settings | None = None,
              source: str = "ranges") -> TeamData:
    """The same as load_workbook, from {sheet name: rows with a header row} (Excel ranges, tables)."""
    return _load(list(sheets), lambda name: sheets[name], settings or load_settings(), source)


def _load(names: Sequence[str], rows_of: RowsOf, settings: Settings, source: str) -> TeamData:
    events = tuple(dict.fromkeys((*STANDARD_EVENTS, *(m.event for m in settings.metrics if m.kind == "cohort"))))
    counts = tuple(dict.fromkeys((*ACTIVITY_COUNTS, *(c for m in settings.metrics if m.kind == "activity"
                                                     for c in (m.numerator, m.denominator)))))
    sheets = {
        "agents": _read_sheet(names, rows_of, AGENTS),
        "activity": _read_sheet(names, rows_of, ACTIVITY, counts),
        "leads": _read_sheet(names, rows_of, LEADS, events),
        "deals": _read_sheet(names, rows_of, DEALS),
        "updates": _read_sheet(names, rows_of, DEAL_UPDATES, optional_sheet=True),
    }
    log = ProblemLog()
    agents = _load_agents(sheets["agents"], log)
    canonical = dict(zip(agents["agent_id"].str.casefold(), agents["agent_id"]))
    activity = _load_activity(sheets["activity"], log, canonical, counts)
    _report_missing_activity_columns(sheets["activity"], settings, log)
    leads = _load_leads(sheets["leads"], log, canonical, events)
    deals, listed_deals = _load_deals(sheets["deals"], log, canonical)
    updates = _load_updates(sheets["updates"], log, deals, listed_deals)
    _categorise(agents, activity, leads, deals, updates)
    order = {name: i for i, name in enumerate(s.name for s in sheets.values() if s is not None)}
    problems = sorted(log.problems, key=lambda p: (order.get(p.sheet, 99), p.row or 0, p.column))
    return TeamData(agents=agents, activity=activity, leads=leads, deals=deals,
                    deal_updates=updates, problems=problems, source=source)
