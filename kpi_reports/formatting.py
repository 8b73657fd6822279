"""Numbers for people, formatted in one place for every face (CLI, Dashboard, PDF, mail)."""
from __future__ import annotations

import datetime as dt
import math
import re

UNDEFINED = "—"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def percent(rate: float | None, digits: int = 0) -> str:
    """0.6 -> "60%"; 0.625 -> "63%" (halves round up, as Excel's 0% format does); undefined -> "—"."""
    if _missing(rate):
        return UNDEFINED
    scale = 10 ** digits
    shown = math.floor(round(rate * 100 * scale, 6) + 0.5) / scale
    return f"{shown:.{digits}f}%"


def count(x: float | None) -> str:
    """12.0 -> "12"; 1234 -> "1,234"; 2.5 -> "2.5"."""
    if _missing(x):
        return UNDEFINED
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def money(x: float | None, compact: bool = False) -> str:
    """1234567 -> "$1,234,567"; compact: "$1.2M", "$850K"."""
    if _missing(x):
        return UNDEFINED
    if compact:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(x) >= size:
                return f"${x / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${x:,.0f}"


def day(d: dt.date | None) -> str:
    """2026-10-31 -> "Oct 31, 2026"."""
    if d is None:
        return UNDEFINED
    return f"{d:%b} {d.day}, {d.year}"


def month(d: dt.date) -> str:
    """2026-10-01 -> "October 2026"."""
    return f"{d:%B %Y}"


def ordinal(n: int) -> str:
    """1 -> "1st", 12 -> "12th", 23 -> "23rd"."""
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


def points(delta: float | None) -> str:
    """A difference of two rates in percentage points: 0.123 -> "+12 pts", -0.05 -> "−5 pts"."""
    if _missing(delta):
        return UNDEFINED
    pts = round(delta * 100)
    sign = "+" if pts > 0 else "−" if pts < 0 else "±"
    return f"{sign}{abs(pts)} pts"


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
