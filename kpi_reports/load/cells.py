"""Typing cells: dates in every form SPEC.md allows, numbers and money, IDs and text.

Each parser runs once per distinct cell value (a 100,000-row column holds a few hundred
distinct days, agents or counts) and returns the typed column plus an "unreadable" mask.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Every day a spreadsheet can hold is a date (SPEC.md): the loader and the formulas use these.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9999, 12, 31)
DAY_UNIT = "datetime64[s]"            # holds 9999-12-31; datetime64[ns] stops in 2262
LAST_SERIAL = (LAST_DAY - EXCEL_EPOCH.date()).days     # 2,958,465
FAKE_LEAP_DAY = 60                    # Excel's serial for 1900-02-29, a day that never was
TRUE_WORDS = {"", "true", "yes", "y", "1", "active"}
FALSE_WORDS = {"false", "no", "n", "0", "inactive"}
NUMBER_TYPES = (int, float, np.float64, np.int64)
DATE_TYPES = (dt.datetime, dt.date, pd.Timestamp)


def is_blank(values: pd.Series | pd.DataFrame):
    """Empty cells: None/NaN, or text that is only whitespace."""
    if isinstance(values, pd.DataFrame):
        return values.apply(is_blank) if len(values.columns) else values.isna()
    blank = values.isna().to_numpy(copy=True)
    is_text = (values.map(type) == str).to_numpy()
    if is_text.any():
        blank[is_text] = values[is_text].str.strip().eq("").to_numpy()
    return pd.Series(blank, index=values.index)


NO_BOOLEANS = {"string", "floating", "integer", "mixed-integer-float", "datetime", "datetime64", "date",
               "empty", "decimal", "bytes"}      # infer_dtype's answers for columns holding no TRUE/FALSE
BOOL_TYPES = (bool, np.bool_)


class _BoolKey:
    """Stands for TRUE or FALSE while factorizing: equal only to itself."""


BOOL_KEYS = {True: _BoolKey(), False: _BoolKey()}
KEY_BOOLS = {id(k): v for v, k in BOOL_KEYS.items()}


@dataclass
class Coded:
    """A column as codes into its distinct cell values (code -1 = empty cell).

    TRUE/FALSE stay apart from 1/0 (Python finds True == 1, so a plain factorize would
    read TRUE in a count as 1 wherever a 1 came first, and 1 as TRUE the other way round).
    """

    codes: np.ndarray
    distinct: np.ndarray        # object array
    index: pd.Index

    @classmethod
    def of(cls, col: pd.Series) -> Coded:
        if isinstance(col.dtype, pd.CategoricalDtype):      # its codes are the codes already
            return cls.of_categorical(col)
        if col.dtype != object:
            # a typed column (a table source's dates, numbers, text; one type, so TRUE cannot
            # meet 1) is factorized as it is: only its distinct values become Python objects
            codes, distinct = pd.factorize(col, use_na_sentinel=True)
            return cls(codes, np.asarray(distinct, dtype=object), col.index)
        values = col.to_numpy(dtype=object)
        kind = infer_dtype(values, skipna=True)
        if kind in ("floating", "datetime"):          # hashed as numbers, not Python objects
            typed = pd.Series(values, dtype=float if kind != "datetime" else None)
            if kind != "datetime" or pd.api.types.is_datetime64_any_dtype(typed):
                codes, distinct = pd.factorize(typed, use_na_sentinel=True)
                return cls(codes, np.asarray(distinct, dtype=object), col.index)
        is_bool = None
        if kind not in NO_BOOLEANS:
            is_bool = np.fromiter((type(v) in BOOL_TYPES for v in values), bool, len(values))
        if is_bool is not None and is_bool.any():
            values = values.copy()
            values[is_bool] = [BOOL_KEYS[bool(v)] for v in values[is_bool]]
            codes, distinct = pd.factorize(values, use_na_sentinel=True)
            distinct = [KEY_BOOLS.get(id(v), v) for v in distinct]
        else:
            codes, distinct = pd.factorize(values, use_na_sentinel=True)
        return cls(codes, np.array(list(distinct), dtype=object), col.index)

    @classmethod
    def of_categorical(cls, col: pd.Series) -> Coded:
        """Its codes as they are; a category no row holds is no cell, so it is dropped."""
        codes = col.cat.codes.to_numpy().astype(np.intp)
        used = np.bincount(codes + 1, minlength=len(col.cat.categories) + 1)[1:] > 0
        distinct = np.asarray(col.cat.categories, dtype=object)
        if not used.all():
            codes = np.where(codes >= 0, (np.cumsum(used) - 1)[codes], -1)
            distinct = distinct[used]
        return cls(codes, distinct, col.index)

    def take(self, keep: np.ndarray) -> Coded:
        return Coded(self.codes[keep], self.distinct, self.index[keep])


def per_distinct_value(parse):
    """Run a column parser once per distinct cell value, then spread the answers back.

    A 100,000-row column holds a few hundred distinct days, agents or counts, so this
    turns most of the work of typing a sheet into work on a few hundred values. Takes a
    Series, or a Coded column (each sheet column is coded once: RawSheet.coded).
    """
    def wrapper(col: pd.Series | Coded):
        coded = col if isinstance(col, Coded) else Coded.of(col)
        values = pd.Series([*coded.distinct, None], dtype=object)        # code -1 (blank) -> the None
        answers = parse(values)
        spread = [pd.Series(a.to_numpy()[coded.codes], index=coded.index, dtype=a.dtype)
                  for a in (answers if isinstance(answers, tuple) else (answers,))]
        return tuple(spread) if isinstance(answers, tuple) else spread[0]

    wrapper.__doc__ = parse.__doc__
    wrapper.__name__ = parse.__name__
    wrapper.parse = parse           # on the distinct values, for a caller that keeps the codes (ids.py)
    return wrapper


def blank_cells(coded: Coded) -> np.ndarray:
    """Mask of empty cells (None/NaN, or text that is only whitespace), decided per distinct value."""
    blank = np.append(is_blank(pd.Series(coded.distinct, dtype=object)).to_numpy(), True)
    return blank[coded.codes]


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


def serial_days(serial: pd.Series) -> pd.Series:
    """Excel serial numbers -> datetime64[s] days (NaT outside FIRST_DAY .. LAST_DAY).

    Excel counts 1900-02-29 (FAKE_LEAP_DAY): serials below it are one day later than the
    1899-12-30 epoch gives, and that serial itself is no date.
    """
    whole = np.floor(serial.to_numpy(dtype=float))
    ok = (whole >= 1) & (whole <= LAST_SERIAL) & (whole != FAKE_LEAP_DAY)
    offset = np.where(ok, whole + (whole < FAKE_LEAP_DAY), 0).astype(np.int64)
    days = np.datetime64(EXCEL_EPOCH.date(), "D") + offset.astype("timedelta64[D]")
    return pd.Series(np.where(ok, days, np.datetime64("NaT")).astype(DAY_UNIT), index=serial.index)


def serial_day(serial: float) -> dt.date | None:
    """One Excel serial (a formula's DATE() or TODAY()) -> its day, or None: serial_days'
    rule for one value, in plain Python (a formula pays for it on every call)."""
    whole = math.floor(serial) if math.isfinite(serial) else 0
    if not 1 <= whole <= LAST_SERIAL or whole == FAKE_LEAP_DAY:
        return None
    return EXCEL_EPOCH.date() + dt.timedelta(days=whole + (whole < FAKE_LEAP_DAY))


MONTH_FIRST, DAY_FIRST = "month-first", "day-first"
TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
SLASHED = rf"^(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}}){TIME}$"            # 10/3/2026, 13.10.26
MONTH_DAY_YEAR = rf"^([A-Za-z]{{3,9}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}|\d{{2}}){TIME}$"   # Oct 7, 2026
DAY_MONTH_YEAR = rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+([A-Za-z]{{3,9}})\.?,?[\s-]+(\d{{4}}|\d{{2}}){TIME}$"  # 3-Oct-26
MONTHS = {name.casefold(): i for i in range(1, 13)
          for name in (calendar.month_name[i], calendar.month_abbr[i])} | {"sept": 9}


def _days_of(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] of each (year, month, day); NaT where there is no such day. A two-digit
    year is 2000 + it (26 -> 2026)."""
    year = np.where(year < 100, year + 2000, year)
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1) & (year <= 9999)
    y, m, d = (np.where(ok, v, 1).astype(np.int64) for v in (year, month, day))
    first = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1)
    days = first.astype("datetime64[D]") + (d - 1)
    ok &= days.astype("datetime64[M]") == first
    return np.where(ok, days, np.datetime64("NaT"))


def _numbers(parts: pd.DataFrame, column: int) -> np.ndarray:
    return pd.to_numeric(parts[column], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _named_month_days(text: pd.Series) -> pd.Series:
    """Oct 7, 2026 / October 7 2026 / 7 Oct 2026 / 3-Oct-2026 / 3-Oct-26 -> datetime64[D]."""
    out = pd.Series(np.datetime64("NaT"), index=text.index, dtype="datetime64[s]")
    for pattern, month_at, day_at in ((MONTH_DAY_YEAR, 0, 1), (DAY_MONTH_YEAR, 1, 0)):
        parts = text.str.extract(pattern)
        month = parts[month_at].str.casefold().map(MONTHS).fillna(0).to_numpy(dtype=np.int64)
        days = _days_of(_numbers(parts, 2), month, _numbers(parts, day_at))
        out = out.where(out.notna(), pd.Series(days, index=text.index).astype("datetime64[s]"))
    return out


def _slashed_days(text: pd.Series, order: str) -> tuple[pd.Series, pd.Series]:
    """Numeric day/month/year text (10/3/2026, 13/10/26) -> (days, why not).

    Read in the team's order; a value only the other order can read is not guessed at; in
    a column holding both orders (10/13/2026 and 13/10/2026), a value either order reads
    differently (03/04/2026) is ambiguous and not read, and a value only one reads is read so.
    """
    parts = text.str.extract(SLASHED)
    a, b, year = _numbers(parts, 0), _numbers(parts, 1), _numbers(parts, 2)
    month_first = _days_of(year, a, b)
    day_first = _days_of(year, b, a)
    mf, df = ~np.isnat(month_first), ~np.isnat(day_first)
    mixed = (mf & ~df).any() and (df & ~mf).any()
    why = pd.Series("", index=text.index, dtype=object)
    if mixed:
        examples = f"{text[mf & ~df].iloc[0]} and {text[df & ~mf].iloc[0]}"
        days = np.where(mf & ~df, month_first, day_first)
        ambiguous = mf & df & (a != b)
        days = np.where(ambiguous, np.datetime64("NaT"), days)
        for i in np.flatnonzero(ambiguous):
            why.iat[i] = (f"ambiguous date {text.iat[i]!r}: {_shown_day(month_first[i])} or {_shown_day(day_first[i])}? "
                          f"The column mixes month-first and day-first dates (e.g. {examples}); type it as YYYY-MM-DD")
    else:
        ours, theirs = (month_first, day_first) if order == MONTH_FIRST else (day_first, month_first)
        other = DAY_FIRST if order == MONTH_FIRST else MONTH_FIRST
        days = ours
        for i in np.flatnonzero(np.isnat(ours) & ~np.isnat(theirs)):
            why.iat[i] = (f"not a {order} date: {text.iat[i]!r}; if your team writes dates {other}, set "
                          f"[dates] order = \"{other}\" in the settings")
    return pd.Series(days, index=text.index).astype("datetime64[s]"), why


def _shown_day(day: np.datetime64) -> str:
    d = day.astype(dt.date)
    return f"{calendar.month_abbr[d.month]} {d.day}, {d.year}"


def _parse_days(col: pd.Series, order: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    out = pd.Series(pd.NaT, index=col.index, dtype=DAY_UNIT)
    why = pd.Series("", index=col.index, dtype=object)
    kinds = col.map(type)
    is_date = kinds.isin([k for k in kinds.unique() if issubclass(k, DATE_TYPES)])   # COM's TimeType too
    is_number = kinds.isin(NUMBER_TYPES)
    is_text = kinds == str
    if is_date.any():   # the calendar day as the cell shows it, whatever time zone tag it carries
        out[is_date] = col[is_date].map(lambda d: dt.date(d.year, d.month, d.day)).astype(DAY_UNIT)
    if is_number.any():
        out[is_number] = serial_days(pd.to_numeric(col[is_number]))
    if is_text.any():
        # only the calendar day shown counts: drop a time zone offset (mixed ones would fail)
        text = col[is_text].str.strip().str.replace(r"(?<=\d)(?:Z|[+-]\d\d:?\d\d)$", "", regex=True)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        parsed = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
        days = parsed.dt.normalize().astype(DAY_UNIT)
        todo = days.isna() & (text != "")
        if todo.any():
            slashed, reasons = _slashed_days(text[todo], order)
            days[todo] = slashed
            why[reasons.index] = reasons
        todo = days.isna() & (text != "") & (why[text.index] == "")
        if todo.any():
            days[todo] = _named_month_days(text[todo])
        out[is_text] = days
    out = out.where(out.between(pd.Timestamp(FIRST_DAY), pd.Timestamp(LAST_DAY)))
    unreadable = out.isna() & ~is_blank(col)
    plain = unreadable & (why == "")
    if plain.any():
        why[plain] = [f"not a date: {shown(v)}" for v in col[plain]]
    return out, unreadable, why


DAY_READERS = {order: per_distinct_value(lambda col, order=order: _parse_days(col, order))
               for order in (MONTH_FIRST, DAY_FIRST)}


def read_days(col: pd.Series | Coded, order: str = MONTH_FIRST) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Date cells of any form the README lists -> (datetime64 at midnight, unreadable mask, why).

    Real dates, Excel serial numbers, ISO text, slashed text (10/3/2026, 10/3/26: two-digit
    years are 2000-2099) in the team's `order` ("month-first" or "day-first"), and named
    months (Oct 7, 2026; 7 Oct 2026; 3-Oct-2026; October 7, 2026) are read; a datetime counts
    by its calendar date. Blank cells are NaT and not unreadable. `why` says why a cell was
    not read ("" where it was). Runs once per distinct value.
    """
    return DAY_READERS[order](col)


def parse_days(col: pd.Series | Coded, order: str = MONTH_FIRST) -> tuple[pd.Series, pd.Series]:
    """read_days without the reasons: (days, unreadable mask)."""
    days, unreadable, _ = read_days(col, order)
    return days, unreadable


def day_from_text(text: str) -> dt.date:
    """One day typed on the command line, in any form the workbook takes; a slashed day that
    reads differently month-first and day-first (03/04/2026) is refused as ambiguous (the
    settings' order is not known yet when options are read). ValueError says why."""
    col = pd.Series([text.strip()], dtype=object)
    readings = {order: read_days(col, order) for order in (MONTH_FIRST, DAY_FIRST)}
    days = {order: r[0].iloc[0] for order, r in readings.items() if not r[1].iloc[0] and pd.notna(r[0].iloc[0])}
    if len(set(days.values())) > 1:
        mf, df = days[MONTH_FIRST].date(), days[DAY_FIRST].date()
        raise ValueError(f"{text!r} could be {mf:%B} {mf.day} or {df.day} {df:%B}; write {mf:%Y-%m-%d} or {df:%Y-%m-%d}")
    if not days:
        raise ValueError(f"{text!r} is not a date")
    return next(iter(days.values())).date()


MONTH_ONLY = (r"^(\d{4})-(\d{1,2})$", r"^(\d{1,2})/(\d{4})$", r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")


def month_from_text(text: str) -> dt.date:
    """The first day of a month typed as 2026-10, 10/2026, Oct 2026, October 2026, or any day of it."""
    import re
    value = text.strip()
    for i, pattern in enumerate(MONTH_ONLY):
        found = re.match(pattern, value)
        if found:
            year, month = (found.group(1), found.group(2)) if i == 0 else (found.group(2), found.group(1))
            number = MONTHS.get(month.casefold()) if i == 2 else int(month)
            if number and 1 <= number <= 12 and 1 <= int(year) <= 9999:
                return dt.date(int(year), number, 1)
            raise ValueError(f"{text!r} is not a month")
    return day_from_text(value).replace(day=1)


@per_distinct_value
def parse_numbers(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Counts and money -> (float, unreadable mask). "$1,200" is 1200; blank is NaN.

    TRUE and FALSE are not numbers (Excel's SUM skips them too): unreadable.
    """
    kinds = col.map(type)
    is_text = (kinds == str).to_numpy()
    cleaned = col.copy()
    if is_text.any():
        cleaned[is_text] = col[is_text].str.replace(r"[$,\s]", "", regex=True)
    numbers = pd.to_numeric(cleaned.mask(cleaned == ""), errors="coerce").astype(float)
    numbers = numbers.where(np.isfinite(numbers) & ~kinds.isin([bool, np.bool_]))   # "inf" is text, not a count
    return numbers, numbers.isna() & ~is_blank(col)


def shown(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"      # as the spreadsheet shows it
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")
