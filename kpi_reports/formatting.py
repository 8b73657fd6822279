"""Numbers for people, formatted in one place for every face (CLI, Dashboard, PDF, mail).

One rounding rule everywhere: halves round away from zero, as Excel's number formats and
ROUND() do (62.5% shows as 63%, $1.25M as $1.3M), never Python's round-half-to-even. A
difference of two rates is the difference of the two percentages as shown, so "50% → 63%"
always reads "+13 pts". Undefined (None or NaN) is "—" everywhere.
"""
from __future__ import annotations

import datetime as dt
import math
import re

UNDEFINED = "—"
PERCENT_DIGITS = 0            # percentages are shown as whole percents ("63%", Excel's "0%")
MINUS = "−"                   # U+2212, the sign of a negative difference in points


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def half_up(x: float, digits: int = 0) -> float:
    """x rounded to `digits` decimals, halves away from zero (Excel's rule).

    The product is first rounded to 6 decimals so float noise does not decide a half:
    0.285 * 100 is 28.499999999999996 in binary and must still show as 29.
    """
    scale = 10 ** digits
    scaled = round(abs(x) * scale, 6)
    return math.copysign(math.floor(scaled + 0.5) / scale, x)


def shown_percent(rate: float | None, digits: int = PERCENT_DIGITS) -> float | None:
    """The number a rate shows as a percentage: 0.625 -> 63.0; undefined -> None."""
    if _missing(rate):
        return None
    return half_up(float(rate) * 100, digits)


def percent(rate: float | None, digits: int = PERCENT_DIGITS) -> str:
    """0.6 -> "60%"; 0.625 -> "63%" (halves round up, as Excel's 0% format does); undefined -> "—"."""
    shown = shown_percent(rate, digits)
    if shown is None:
        return UNDEFINED
    return f"{shown + 0.0:.{digits}f}%"          # + 0.0: never "-0%"


def _number(x: float, digits: int) -> str:
    """x with thousands separators and `digits` decimals, halves up."""
    return f"{half_up(x, digits) + 0.0:,.{digits}f}"


def count(x: float | None) -> str:
    """12.0 -> "12"; 1234 -> "1,234"; 2.5 -> "2.5"; 2.25 -> "2.3"."""
    if _missing(x):
        return UNDEFINED
    return _number(float(x), 0 if float(x).is_integer() else 1)


COMPACT_UNITS = (("K", 1e3), ("M", 1e6), ("B", 1e9))


def money(x: float | None, compact: bool = False) -> str:
    """1234567 -> "$1,234,567"; compact: "$1.3M" (1,250,000), "$850K", and 999,950 -> "$1M" (not
    "$1,000K"): a unit is used once the smaller one would show 1,000; negative: "-$1,500"."""
    if _missing(x):
        return UNDEFINED
    size = abs(float(x))
    shown, text, suffix = half_up(size), _number(size, 0), ""
    if compact:
        for unit, scale in COMPACT_UNITS:
            if shown < 1000:
                break
            shown = half_up(size / scale, 1)
            text, suffix = _number(size / scale, 1).removesuffix(".0"), unit
    sign = "-" if x < 0 and text != "0" else ""
    return f"{sign}${text}{suffix}"


def day(d: dt.date | None) -> str:
    """2026-10-31 -> "Oct 31, 2026"."""
    if d is None:
        return UNDEFINED
    return f"{d:%b} {d.day}, {d.year}"


def month(d: dt.date) -> str:
    """2026-10-01 -> "October 2026"."""
    return f"{d:%B %Y}"


def ordinal(n: int) -> str:
    """1 -> "1st", 12 -> "12th", 23 -> "23rd", 111 -> "111th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fraction(numerator: float | None, denominator: float | None, population: str) -> str:
    """ "9 of 12 leads"."""
    if _missing(denominator):
        return UNDEFINED
    return f"{count(numerator)} of {count(denominator)} {population}"


def rank(position: float | None, ranked: float | None) -> str:
    """(4, 24) -> "4th of 24"; unranked -> "—"."""
    if _missing(position) or _missing(ranked):
        return UNDEFINED
    return f"{ordinal(int(position))} of {int(ranked)}"


def points(after: float | None, before: float | None) -> str:
    """How far `after` is from `before` in percentage points, as the two percentages show:
    (0.625, 0.5) -> "+13 pts" (63% - 50%), (0.45, 0.5) -> "−5 pts"; undefined -> "—"."""
    shown_after, shown_before = shown_percent(after), shown_percent(before)
    if shown_after is None or shown_before is None:
        return UNDEFINED
    pts = round(shown_after - shown_before, PERCENT_DIGITS)
    sign = "+" if pts > 0 else MINUS if pts < 0 else "±"
    return f"{sign}{abs(pts):.{PERCENT_DIGITS}f} pts"


WINDOW_KINDS = {"rolling": "rolling {days} days", "month": "calendar month"}


def window(start: dt.date, end: dt.date, kind: str) -> str:
    """The funnel's window with what kind it is, for every face that labels a funnel figure:
    "Oct 2 – Oct 31, 2026 (rolling 30 days)", "Oct 1 – Oct 31, 2026 (calendar month)"."""
    return f"{span(start, end)} ({WINDOW_KINDS[kind].format(days=(end - start).days + 1)})"


def span(start: dt.date, end: dt.date) -> str:
    """Two days as a range: "Sep 3 – Oct 2, 2026" (years shown once when equal)."""
    if start.year == end.year:
        return f"{start:%b} {start.day} – {day(end)}"
    return f"{day(start)} – {day(end)}"


NAME_LIMIT = 60
ELLIPSIS = "…"
# C0/C1 controls, line and paragraph separators, and the bidi overrides and isolates that
# would make a name print reversed or swallow what follows it.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def display_name(text: object, limit: int = NAME_LIMIT) -> str:
    """A name (agent, team) as every face lays it out: one line, at most `limit` characters.

    "Dana\\nLee" -> "Dana Lee"; a 32,767-character name -> its first 59 characters + "…".
    Only the head of the text is looked at, so a 20 MB cell costs no more than a short one.
    The full name stays in the data (JSON, CSV, the engine's tables); this is for display.
    """
    if _missing(text):
        return ""
    raw = str(text)
    head = " ".join(_UNPRINTABLE.sub(" ", raw[:limit * 4 + 1]).split())
    if len(head) <= limit and len(raw) <= limit * 4:
        return head
    return head[:limit - 1].rstrip() + ELLIPSIS
