"""Typing cells: dates in every form SPEC.md allows, numbers and money, IDs and text.

Each parser runs once per distinct cell value (a 100,000-row column holds a few hundred
distinct days, agents or counts) and returns the typed column plus an "unreadable" mask.
"""
from __future__ import annotations

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
US_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p")
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


@per_distinct_value
def parse_days(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Date cells of any form SPEC.md allows -> (datetime64 at midnight, unreadable mask).

    Real dates, Excel serial numbers, ISO text and US text (mm/dd/yyyy) are read; a
    datetime counts by its calendar date. Blank cells are NaT and not unreadable.
    """
    out = pd.Series(pd.NaT, index=col.index, dtype=DAY_UNIT)
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
        for fmt in US_FORMATS:
            todo = parsed.isna() & (text != "")
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
        out[is_text] = parsed.dt.normalize().astype(DAY_UNIT)
    out = out.where(out.between(pd.Timestamp(FIRST_DAY), pd.Timestamp(LAST_DAY)))
    unreadable = out.isna() & ~is_blank(col)
    return out, unreadable


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
