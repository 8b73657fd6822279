"""One loader per sheet: typed columns, the rules of SPEC.md's "Data that is wrong"."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import LEAD_TYPES, Settings
from .cells import DAY_UNIT, FALSE_WORDS, MONTH_FIRST, TRUE_WORDS, clean_text, parse_numbers, read_days, shown
from .ids import CodedText, categorical, folded
from .problems import ProblemLog, checked_agent_ids, checked_dates, keep_last, required_ids
from .sheets import RawSheet, column_name

ACTIVE_WORDS = "TRUE, Yes, Y, 1, Active or blank (counts) and FALSE, No, N, 0, Inactive (never counts)"


def load_agents(sheet: RawSheet, log: ProblemLog, order: str = MONTH_FIRST) -> pd.DataFrame:
    """Left On: an unreadable day leaves the agent out (as SPEC's oracle does) until fixed."""
    frame = sheet.frame
    coded_ids = required_ids(sheet, log, "Agent ID")
    ids = coded_ids.per_row
    keep = keep_last(sheet, log, coded_ids, "Agent ID", ids) & ids.notna()
    names = clean_text(sheet.col("name"))
    log.add(sheet, keep & names.isna(), "Name", "missing Name (the Agent ID is shown instead)", ids)
    active_text = clean_text(sheet.col("active")).fillna("").str.casefold()
    unknown_active = ~active_text.isin(TRUE_WORDS | FALSE_WORDS)
    log.add(sheet, keep & unknown_active, "Active",
            lambda v: f"{shown(v)} is not a word Active takes ({ACTIVE_WORDS}); the agent is counted as active",
            ids)
    left_on, bad_left = load_left_on(sheet, log, keep, ids, order)
    goal, bad_goal = parse_numbers(sheet.col("annual_volume_goal"))
    log.add(sheet, keep & bad_goal, "Annual Volume Goal", lambda v: f"not an amount: {shown(v)}", ids)
    leader_text = clean_text(sheet.col("leader")).fillna("no").str.casefold()
    agents = pd.DataFrame({
        "agent_id": ids, "name": names.fillna(ids), "email": clean_text(sheet.col("email")),
        "team": clean_text(sheet.col("team")).fillna(""), "active": ~active_text.isin(FALSE_WORDS) & ~bad_left,
        "left_on": left_on, "annual_goal": goal, "leader": leader_text.isin(TRUE_WORDS - {""}), "row": frame.index,
    }, index=frame.index)[keep]
    return agents.set_index("agent_id", drop=False).rename_axis(None)


def load_left_on(sheet: RawSheet, log: ProblemLog, keep: pd.Series, ids: pd.Series,
                 order: str) -> tuple[pd.Series, pd.Series]:
    """The day each agent left (NaT: still here), and the rows whose Left On is unreadable."""
    if "left_on" not in sheet.present:
        return pd.Series(pd.NaT, index=sheet.frame.index, dtype=DAY_UNIT), pd.Series(False, index=sheet.frame.index)
    days, unreadable, why = read_days(sheet.col("left_on"), order)
    log.add(sheet, keep & unreadable, "Left On",
            why + "; the agent counts on no day until it is a date (or blank: still here)", ids)
    return days, unreadable


def load_activity(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str],
                   counts: tuple[str, ...], order: str = MONTH_FIRST) -> pd.DataFrame:
    """A missing count column is NaN throughout (unknown: never 0); a blank cell counts 0."""
    ids = checked_agent_ids(sheet, log, canonical)
    days, unusable = checked_dates(sheet, log, "Date", ids, required=True, order=order)
    activity = pd.DataFrame({"date": days, "agent_id": ids, "row": sheet.frame.index}, copy=False)
    for column in counts:
        key = column_name(column)
        if key not in sheet.present:
            activity[key] = np.nan
            continue
        numbers, unreadable = parse_numbers(sheet.col(key))
        negative = numbers < 0
        log.add(sheet, unreadable, column, lambda v: f"not a number: {shown(v)} (counted as blank)", ids)
        log.add(sheet, negative, column, lambda v: f"negative count {shown(v)} (counted as blank)", ids)
        activity[key] = numbers.where(~negative).fillna(0.0)
    return kept(activity, ids.notna() & ~unusable)


def missing_columns(sheets: dict[str, RawSheet | None]) -> dict[str, tuple[str, ...]]:
    """{table: optional columns (column_name()s) the sheet lacks}, for every sheet present."""
    return {table: tuple(c for c in sheet.frame.columns if c not in sheet.present)
            for table, sheet in sheets.items() if sheet is not None}


def report_missing_metric_columns(sheets: dict[str, RawSheet | None], settings: Settings, log: ProblemLog) -> None:
    """Once per missing column a metric needs, naming the metrics it leaves undefined."""
    needs: dict[tuple[str, str], list[str]] = {}
    for metric in settings.metrics:
        table, columns = {"activity": ("activity", (metric.numerator, metric.denominator)),
                          "cohort": ("leads", (metric.event,))}.get(metric.kind, ("", ()))
        sheet = sheets.get(table)         # settings give these kinds their columns; both sheets are required
        for column in dict.fromkeys(columns):
            if sheet is not None and column is not None and column_name(column) not in sheet.present:
                needs.setdefault((sheet.name, column), []).append(metric.label)
    for (sheet_name, column), labels in needs.items():
        log.sheet_level(sheet_name, column, f"column {column!r} not found: {' and '.join(labels)} undefined")


def load_leads(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str],
                events: tuple[str, ...], order: str = MONTH_FIRST) -> pd.DataFrame:
    frame = sheet.frame
    ids = checked_agent_ids(sheet, log, canonical)
    lead_ids = required_ids(sheet, log, "Lead ID", ids)
    keep = keep_last(sheet, log, lead_ids, "Lead ID", ids) & ids.notna()
    typed = CodedText.of(sheet.col("type"))
    at = typed.positions_in(pd.Index([t.casefold() for t in LEAD_TYPES]))
    types = categorical(at, pd.Index(LEAD_TYPES), frame.index)
    log.add(sheet, typed.blank, "Type", "missing Type", ids)
    log.add(sheet, ~typed.blank & types.isna(), "Type",
            lambda v: f"unknown Type {shown(v)} (use {', '.join(LEAD_TYPES)}); the lead counts in no lead metric", ids)
    matched, _ = checked_dates(sheet, log, "Matched", ids, required=True, order=order)
    leads = pd.DataFrame({"lead_id": lead_ids.per_row, "agent_id": ids, "type": types, "matched": matched,
                          "row": frame.index}, copy=False)
    for event in events:
        key = column_name(event)
        if key not in sheet.present:     # no lead counts for a metric on it (see missing_columns)
            leads[key], leads[f"{key}_bad"] = pd.Series(pd.NaT, index=frame.index, dtype=DAY_UNIT), True
            continue
        days, unreadable = checked_dates(sheet, log, event, ids, order=order)
        before = days < matched
        log.add(sheet, before, event, "before Matched", ids)
        leads[key], leads[f"{key}_bad"] = days, unreadable | before
    return kept(leads, keep)


def load_deals(sheet: RawSheet, log: ProblemLog, canonical: dict[str, str],
               order: str = MONTH_FIRST) -> tuple[pd.DataFrame, pd.Index]:
    """The usable deals, and every Deal ID on the sheet (casefolded), excluded rows too."""
    ids = checked_agent_ids(sheet, log, canonical)
    coded_deal_ids = required_ids(sheet, log, "Deal ID", ids)
    keep = keep_last(sheet, log, coded_deal_ids, "Deal ID", ids) & ids.notna()
    deal_ids = coded_deal_ids.per_row
    opened, bad_opened = checked_dates(sheet, log, "Opened", ids, required=True, order=order)
    closed, bad_closed = checked_dates(sheet, log, "Closed", ids, order=order)
    before = closed < opened
    log.add(sheet, before, "Closed", "before Opened", ids)
    updated, bad_updated = checked_dates(sheet, log, "Last Updated", ids, order=order)
    deals = pd.DataFrame({
        "deal_id": deal_ids, "agent_id": ids, "opened": opened, "closed": closed,
        "last_updated": updated,
        "usable": ~(bad_opened | bad_closed | before | bad_updated), "row": sheet.frame.index,
    }, copy=False)
    # a deal without an ID still counts: a placeholder no typed ID can equal stands in for it
    if coded_deal_ids.blank.any():
        blank = coded_deal_ids.blank
        deals.loc[blank, "deal_id"] = "\x00row " + deals.loc[blank, "row"].astype(str)
    return kept(deals, keep), pd.Index(coded_deal_ids.folded.dropna()).unique()


def kept(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """The rows to keep, numbered from 0; no copy of millions of rows when all are kept."""
    return (frame if keep.all() else frame[keep]).reset_index(drop=True)


def load_updates(sheet: RawSheet | None, log: ProblemLog, deals: pd.DataFrame,
                  listed: pd.Index, order: str = MONTH_FIRST) -> pd.DataFrame:
    """Every known update day: each deal's Last Updated plus the Deal Updates rows.

    An update of a deal whose own row was excluded (and reported) is left out silently;
    only a Deal ID that is nowhere on the Deals sheet is "unknown".
    """
    dated = np.flatnonzero(deals["last_updated"].notna().to_numpy())      # positions in deals
    from_deals = (dated, deals["last_updated"].to_numpy()[dated])
    if sheet is None:
        return update_days(deals, [from_deals])
    typed = CodedText.of(sheet.col("deal_id"))
    at = typed.positions_in(pd.Index(folded(deals["deal_id"])))             # the deal's position in deals
    agents = pd.Series(deals["agent_id"].array.take(at, allow_fill=True), index=typed.index)
    log.add(sheet, typed.blank, "Deal ID", "missing Deal ID")
    unlisted = listed.get_indexer(typed.folded) < 0                           # per distinct Deal ID
    log.add(sheet, typed.per_row_of(unlisted), "Deal ID",
            lambda v: f"unknown deal {shown(v)} (not on the Deals sheet)")
    days, unusable = checked_dates(sheet, log, "Updated", agents, required=True, order=order)
    usable = (agents.notna() & ~unusable).to_numpy()
    return update_days(deals, [from_deals, (at[usable], days.to_numpy()[usable])])


def update_days(deals: pd.DataFrame, parts: list[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """deal_updates from (positions in deals, days) parts: deal_id a categorical over deals.deal_id."""
    at = np.concatenate([p[0] for p in parts])
    deal_ids = pd.Categorical.from_codes(at, dtype=pd.CategoricalDtype(deals["deal_id"]))
    return pd.DataFrame({"deal_id": deal_ids, "updated": np.concatenate([p[1] for p in parts])})


def categorise(agents, activity, leads, deals, updates) -> None:
    """IDs and types become categoricals over their own tables, so the engine works on codes."""
    agent_ids = pd.CategoricalDtype(agents["agent_id"])
    for frame in (activity, leads, deals):
        frame["agent_id"] = frame["agent_id"].astype(agent_ids)
    updates["deal_id"] = updates["deal_id"].astype(pd.CategoricalDtype(deals["deal_id"]))
    leads["type"] = leads["type"].astype(pd.CategoricalDtype(list(LEAD_TYPES)))
