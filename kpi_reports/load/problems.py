"""Reporting problems row by row (sheet, row, column, reason) while staying vectorised."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..model import Problem
from .cells import DAY_UNIT, MONTH_FIRST, read_days, shown
from .ids import CodedText, categorical
from .sheets import RawSheet, column_name

class ProblemLog:
    """Collects problems; `add` takes a mask so callers stay vectorised."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, sheet: RawSheet, mask: pd.Series, column: str, reason,
            agent_ids: pd.Series | None = None) -> None:
        """Report every row where mask holds. reason: text, f(raw value) -> text, or a Series of texts by row."""
        if not mask.any():
            return
        rows = mask[mask].index
        raw = sheet.frame.get(column_name(column))
        for row in rows:
            text = reason.at[row] if isinstance(reason, pd.Series) else reason(raw.at[row]) if callable(reason) \
                else reason
            agent = agent_ids.at[row] if agent_ids is not None else None
            number, key = sheet.locate(row)
            self.problems.append(Problem(sheet.name, number, column, text,
                                         None if pd.isna(agent) else str(agent), key=key))

    def sheet_level(self, sheet_name: str, column: str, text: str) -> None:
        self.problems.append(Problem(sheet_name, None, column, text))


def required_ids(sheet: RawSheet, log: ProblemLog, column: str,
                 agent_ids: pd.Series | None = None) -> CodedText:
    ids = CodedText.of_keys(sheet, column_name(column))
    log.add(sheet, ids.blank, column, f"missing {column}", agent_ids)
    return ids


def checked_agent_ids(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str]) -> pd.Series:
    """A sheet's Agent IDs as a categorical over the Agents sheet's spellings (canonical:
    casefolded ID -> spelling); unknown and missing ones are reported and NA."""
    typed = CodedText.of(sheet.col("agent_id"))
    at = typed.positions_in(pd.Index(list(canonical), dtype=object))
    log.add(sheet, typed.blank, "Agent ID", "missing Agent ID")
    unknown = (~typed.blank & (at < 0)).to_numpy()
    if unknown.any():       # their text, for the few rows that need a reason
        texts = pd.Series(typed.text.array.take(typed.codes[unknown]), index=typed.index[unknown])
        log.add(sheet, pd.Series(unknown, index=typed.index), "Agent ID", unknown_agent_reasons(texts, canonical))
    return categorical(at, pd.Index(list(canonical.values()), dtype=object), typed.index)


def id_shape(text: str) -> str:
    """An ID without its spaces and leading zeros: "007", " 7" and "0 7" are all "7"."""
    return re.sub(r"\s+", "", text).casefold().lstrip("0") or "0"


def unknown_agent_reasons(typed: pd.Series, canonical: dict[str, str]) -> pd.Series:
    """Why each unknown ID is unknown; an ID that differs from one on Agents only by leading
    zeros or spacing ("007" and "7") says so and how to make them the same."""
    near: dict[str, list[str]] = {}
    for agent in canonical.values():
        near.setdefault(id_shape(agent), []).append(agent)

    def reason(text: str) -> str:
        close = near.get(id_shape(text), [])
        if len(close) != 1:
            return f"unknown agent {shown(text)} (not on the Agents sheet)"
        return (f"unknown agent {shown(text)}: the Agents sheet has {shown(close[0])}, which differs only by "
                f"leading zeros or spaces. Type the ID the same way on both sheets (a column formatted as "
                f"Text keeps leading zeros; one formatted as a number drops them)")

    reasons = {text: reason(text) for text in typed.unique()}        # once per distinct ID
    return typed.map(reasons)


def keep_last(sheet: RawSheet, log: ProblemLog, ids: CodedText, column: str,
              agent_ids: pd.Series) -> pd.Series:
    """Mask of rows to keep: the last row of each ID (ignoring case) wins, earlier ones are reported.

    A row without an ID is kept (and reported as missing elsewhere): it still counts
    where it can; it just cannot be told apart from a duplicate.
    """
    keys = pd.Series(ids.keys, index=ids.index)
    repeated = np.bincount(ids.keys + 1)[ids.keys + 1] > 1     # counting codes: no second hash of the IDs
    repeated &= ids.keys >= 0
    earlier = pd.Series(False, index=ids.index)
    if repeated.any():
        earlier[repeated] = keys[repeated].duplicated(keep="last")
        last_row = pd.Series(keys.index, index=keys.index)[repeated].groupby(keys[repeated]).transform("max")
        for row in earlier[earlier].index:
            agent = agent_ids.at[row]
            number, key = sheet.locate(row)
            later = "a later row" if number is None else f"row {last_row.at[row]}"
            log.problems.append(Problem(sheet.name, number, column,
                                        f"duplicate {column} {shown(ids.per_row.at[row])}: {later} replaces it",
                                        None if pd.isna(agent) else agent, key=key))
    return ~earlier


def checked_dates(sheet: RawSheet, log: ProblemLog, column: str, agent_ids: pd.Series,
           required: bool = False, order: str = MONTH_FIRST) -> tuple[pd.Series, pd.Series]:
    """Parsed column and its 'unusable' mask (unreadable, or blank when required)."""
    key = column_name(column)
    if key not in sheet.present:
        return pd.Series(pd.NaT, index=sheet.frame.index, dtype=DAY_UNIT), pd.Series(False, index=sheet.frame.index)
    days, unreadable, why = read_days(sheet.col(key), order)
    log.add(sheet, unreadable, column, why, agent_ids)
    if required:
        log.add(sheet, days.isna() & ~unreadable, column, f"missing {column}", agent_ids)
        return days, days.isna()
    return days, unreadable
