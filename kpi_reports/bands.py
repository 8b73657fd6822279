"""The colour bands of a rate beside the network benchmarks: one definition for every face.

A rate is compared *as it is shown* (whole percents, formatting.py's rounding), so "21%"
beside an Average of "21%" is at the Average on the scorecard, on the team summary, on the
Dashboard (whose conditional formats are generated from BANDS by `excel_condition`, with
ROUND() on both sides) and in the focus list. The legend words are the same everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .formatting import PERCENT_DIGITS, shown_percent

Benchmark = Literal["average", "top"]


@dataclass(frozen=True)
class Band:
    """One band: its key, legend word, colours (RRGGBB) and the shown-value bounds that make it.

    A rate is in the band when its shown value reaches `lower` (a benchmark's shown value)
    and stays below `upper`; a missing bound does not limit, except that no rate has a
    band without an Average.
    """

    key: str
    word: str
    fill: str
    font: str
    meaning: str                      # legend text; {top} stands for "Top 10%"
    lower: Benchmark | None
    upper: Benchmark | None


BANDS = (
    Band("top", "Green", "C6EFCE", "006100", "at or above {top}", "top", None),
    Band("average", "Blue", "DDEBF7", "1F4E79", "at or above Average, below {top}", "average", "top"),
    Band("below", "Red", "FFC7CE", "9C0006", "below Average", None, "average"),
)
BY_KEY = {b.key: b for b in BANDS}
UNBANDED = "no rate: nothing to count in the window"


def band(rate: float | None, average: float | None, top: float | None) -> Band | None:
    """The band of a rate beside the Average and Top x%, compared as shown; None when either
    the rate or the Average is undefined."""
    shown = {"rate": shown_percent(rate), "average": shown_percent(average), "top": shown_percent(top)}
    if shown["rate"] is None or shown["average"] is None:
        return None
    for b in BANDS:
        low = shown[b.lower] if b.lower else None
        high = shown[b.upper] if b.upper else None
        if b.lower and (low is None or shown["rate"] < low):
            continue
        if high is not None and shown["rate"] >= high:
            continue
        return b
    return None


def at_average(rate: float | None, average: float | None) -> bool:
    """The rate shows the same percentage as the Average ("21%" and "21%")."""
    shown = shown_percent(rate)
    return shown is not None and shown == shown_percent(average)


_shown = np.frompyfunc(shown_percent, 1, 1)


def below_average(rates: np.ndarray, averages: np.ndarray) -> np.ndarray:
    """Elementwise (broadcasting): the rate shows a lower percentage than the Average, the
    "below" band; undefined is never below."""
    shown_rates = _shown(np.asarray(rates, dtype=float)).astype(float)       # None (undefined) -> NaN
    shown_averages = _shown(np.asarray(averages, dtype=float)).astype(float)
    return shown_rates < shown_averages


def legend(top_label: str) -> list[tuple[str, str]]:
    """(word, meaning) of each band, for a colour key: [("Green", "at or above Top 10%"), ...]."""
    return [(b.word, b.meaning.format(top=top_label)) for b in BANDS]


def excel_condition(b: Band, cell: str, average: str, top: str) -> str:
    """The band as an Excel conditional-format formula on `cell` (references as given).

    Whole percents are compared as shown: ROUND(x, 2) on both sides (Excel's ROUND, like
    formatting.half_up, rounds halves away from zero).
    """
    digits = PERCENT_DIGITS + 2
    refs = {"average": average, "top": top}

    def shown(ref: str) -> str:
        return f"ROUND({ref},{digits})"

    tests = [f"ISNUMBER({cell})", f"ISNUMBER({average})"]
    if b.lower:
        tests += [f"ISNUMBER({refs[b.lower]})", f"{shown(cell)}>={shown(refs[b.lower])}"]
    if b.upper:
        upper = refs[b.upper]
        below = f"{shown(cell)}<{shown(upper)}"
        tests.append(below if b.upper == "average" else f"OR(NOT(ISNUMBER({upper})),{below})")
    return f"AND({','.join(tests)})"


__all__ = ["BANDS", "BY_KEY", "Band", "UNBANDED", "at_average", "band", "below_average", "excel_condition", "legend"]
