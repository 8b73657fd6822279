"""Typing cells: dates in every form SPEC.md allows, numbers and money, IDs and text.

Each parser runs once per distinct cell value (a 100,000-row column holds a few hundred
distinct days, agents or counts) and returns the typed column plus an "unreadable" mask.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EARLIEST, LATEST = pd.Timestamp("1970-01-01"), pd.Timestamp("2100-12-31")
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


def blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty. Cheap first: a row holding a number or a date is not
    blank, so only rows of text and empty cells are stripped and looked at closely."""
    values = frame.to_numpy(dtype=object)
    text = np.vectorize(lambda v: type(v) is str, otypes=[bool])(values) if values.size else values.astype(bool)
    empty = pd.isna(values) | (values == "")
    maybe = (empty | text).all(axis=1)
    blank = np.zeros(len(frame), dtype=bool)
    if maybe.any():
        blank[maybe] = is_blank(frame[maybe]).all(axis=1).to_numpy()
    return pd.Series(blank, index=frame.index)


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
        # only the calendar day shown counts: drop a time zone offset (mixed ones would fail)
        text = col[is_text].str.strip().str.replace(r"(?<=\d)(?:Z|[+-]\d\d:?\d\d)$", "", regex=True)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        for fmt in US_FORMATS:
            todo = parsed.isna() & (text != "")
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[is_text] = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    out = out.dt.normalize()
    out = out.where(out.between(EARLIEST, LATEST))
    unreadable = out.isna() & ~is_blank(col)
    return out, unreadable


@per_distinct_value
def parse_numbers(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Counts and money -> (float, unreadable mask). "$1,200" is 1200; blank is NaN."""
    is_text = (col.map(type) == str).to_numpy()
    cleaned = col.copy()
    if is_text.any():
        cleaned[is_text] = col[is_text].str.replace(r"[$,\s]", "", regex=True)
    numbers = pd.to_numeric(cleaned.mask(cleaned == ""), errors="coerce").astype(float)
    numbers = numbers.where(np.isfinite(numbers))        # "inf" is text, not a count
    return numbers, numbers.isna() & ~is_blank(col)


def shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")
