"""Reporting problems row by row (sheet, row, column, reason) while staying vectorised."""
from __future__ import annotations

import pandas as pd

from ..model import Problem
from .cells import DAY_UNIT, clean_text, parse_days, shown
from .sheets import RawSheet, column_name

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


def required_text(sheet: RawSheet, log: ProblemLog, column: str,
                   agent_ids: pd.Series | None = None) -> pd.Series:
    values = clean_text(sheet.col(column_name(column)))
    log.add(sheet, values.isna(), column, f"missing {column}", agent_ids)
    return values


def checked_agent_ids(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str]) -> pd.Series:
    """Map a sheet's Agent IDs to the Agents sheet's spelling; report unknown/missing."""
    typed = clean_text(sheet.col("agent_id"))
    ids = typed.str.casefold().map(canonical)
    log.add(sheet, typed.isna(), "Agent ID", "missing Agent ID")
    log.add(sheet, typed.notna() & ids.isna(), "Agent ID",
            lambda v: f"unknown agent {shown(v)} (not on the Agents sheet)")
    return ids


def keep_last(sheet: RawSheet, log: ProblemLog, keys: pd.Series, column: str,
            agent_ids: pd.Series) -> pd.Series:
    """Mask of rows to keep: the last row of each ID wins, earlier ones are reported.

    A row without an ID is kept (and reported as missing elsewhere): it still counts
    where it can; it just cannot be told apart from a duplicate.
    """
    folded = keys.str.casefold()
    earlier = folded.notna() & folded.duplicated(keep="last")
    if earlier.any():
        last_row = pd.Series(folded.index, index=folded.index).groupby(folded).transform("max")
        for row in earlier[earlier].index:
            agent = agent_ids.at[row]
            log.problems.append(Problem(sheet.name, int(row), column,
                                        f"duplicate {column} {shown(keys.at[row])}: row {last_row.at[row]} replaces it",
                                        None if pd.isna(agent) else agent))
    return ~earlier


def checked_dates(sheet: RawSheet, log: ProblemLog, column: str, agent_ids: pd.Series,
           required: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parsed column and its 'unusable' mask (unreadable, or blank when required)."""
    key = column_name(column)
    if key not in sheet.present:
        return pd.Series(pd.NaT, index=sheet.frame.index, dtype=DAY_UNIT), pd.Series(False, index=sheet.frame.index)
    days, unreadable = parse_days(sheet.col(key))
    log.add(sheet, unreadable, column, lambda v: f"not a date: {shown(v)}", agent_ids)
    if required:
        log.add(sheet, days.isna() & ~unreadable, column, f"missing {column}", agent_ids)
        return days, days.isna()
    return days, unreadable
