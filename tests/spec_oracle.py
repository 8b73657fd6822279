"""An independent, deliberately plain implementation of SPEC.md's numbers, for tests only.

It shares no code with kpi_reports (so a bug cannot hide in both): it reads the raw cells
with openpyxl and applies SPEC's reading rules row by row in ordinary Python. It computes
the numbers of `kpi-reports metrics WORKBOOK --as-of D --json` for the default settings:
per active agent numerator, denominator and value of the eight default metrics, and the
benchmarks. Data-quality lists are not modelled. Speed is no concern here; clarity is.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

from openpyxl import load_workbook

ROLLING_DAYS = 30            # W
UPDATE_MAX_AGE = 10          # portal updates: 0 <= D - U <= 10
MIN_DENOMINATOR = 1
TOP_PERCENT = 10
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9999, 12, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)   # serial 1 = 1900-01-01 after Excel's 1900 leap-year slip
LEAD_TYPES = ("buyer", "seller", "offers")

# (metric id, event column, play-out days, lead types) in SPEC's table order.
COHORT_METRICS = [
    ("schedule_rate_14d", "scheduled", 14, LEAD_TYPES),
    ("buyer_met_rate_28d", "met", 28, ("buyer",)),
    ("seller_sign_rate_28d", "signed", 28, ("seller",)),
    ("offers_sign_rate_28d", "signed", 28, ("offers",)),
]
# (metric id, numerator column, denominator column)
ACTIVITY_METRICS = [
    ("contact_rate", "contacts", "calls"),
    ("appointment_rate", "appointments", "contacts"),
    ("contract_rate", "contracts", "appointments"),
]
METRIC_IDS = ["portal_update_rate"] + [m[0] for m in COHORT_METRICS] + [m[0] for m in ACTIVITY_METRICS]

TRUE_WORDS = {"", "true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", "inactive"}

UNREADABLE = "unreadable"    # a cell that holds something, but not a date SPEC accepts


def key(header) -> str:
    """Header/sheet matching: case-, space- and underscore-insensitive."""
    return re.sub(r"[\s_]+", "", str(header or "")).lower()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def read_id(value):
    """An ID's comparison key and its JSON text; None when blank or unusable."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            text = repr(value)
        else:
            text = str(int(value))
        return text.lower(), text
    text = str(value).strip()
    return text.lower(), text


def in_range(day: dt.date):
    return day if FIRST_DAY <= day <= LAST_DAY else UNREADABLE


def read_date(value):
    """None when blank, a date when SPEC reads one, else UNREADABLE."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return UNREADABLE
    if isinstance(value, dt.datetime):
        return in_range(value.date())
    if isinstance(value, dt.date):
        return in_range(value)
    if isinstance(value, (int, float)):
        if value < 1 or value >= 2958466:        # before 1900-01-01 or after 9999-12-31
            return UNREADABLE
        serial = math.floor(value)
        if serial == 60:                          # Excel's 1900-02-29, a day that never was
            return UNREADABLE
        epoch = EXCEL_EPOCH if serial > 60 else EXCEL_EPOCH + dt.timedelta(days=1)
        return in_range(epoch + dt.timedelta(days=serial))
    text = str(value).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?", text)
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if iso:
            return in_range(dt.date(int(iso[1]), int(iso[2]), int(iso[3])))
        if us:
            return in_range(dt.date(int(us[3]), int(us[1]), int(us[2])))
    except ValueError:
        pass
    return UNREADABLE


def read_count(value) -> float:
    """An Activity count: blank is 0; negative, non-numeric, TRUE and FALSE are absent (0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return value if value >= 0 else 0


def read_active(value) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return True
    if isinstance(value, (int, float)):
        return value != 0
    word = str(value).strip().lower()
    if word in FALSE_WORDS:
        return False
    return True   # blank, TRUE words, and (SPEC is silent) anything else


def read_sheets(path: Path) -> dict[str, list[dict]]:
    """Every sheet as a list of {header key: raw value} rows, keyed by sheet name key."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    try:
        for ws in workbook.worksheets:
            rows = ws.iter_rows(values_only=True)
            headers = [key(h) for h in next(rows, ())]
            table = []
            for raw in rows:
                if all(is_blank(v) for v in raw):
                    continue
                row = {}
                for header, value in zip(headers, raw):
                    if header and header not in row:
                        row[header] = value
                table.append(row)
            sheets[key(ws.title)] = (headers, table)
    finally:
        workbook.close()
    return sheets


def last_wins(rows: list[dict], id_column: str) -> list[dict]:
    """Keep the last row of each ID (rows without a readable ID are dropped)."""
    latest = {}
    for row in rows:
        ident = read_id(row.get(id_column))
        if ident is not None:
            latest.pop(ident[0], None)       # re-insert so order follows the last row
            latest[ident[0]] = row
    return list(latest.values())


def benchmark(values: list[float]) -> dict:
    n = len(values)
    if n == 0:
        return {"average": None, "top10": None, "agents": 0}
    k = (TOP_PERCENT * n + 99) // 100           # ceil(10% x n) in integer arithmetic
    best = sorted(values, reverse=True)[:k]
    return {"average": sum(values) / n, "top10": sum(best) / k, "agents": n}


def ratio(numerator, denominator):
    return numerator / denominator if denominator >= MIN_DENOMINATOR else None


def compute(path: Path, as_of: dt.date) -> dict:
    """SPEC's machine-readable document (without data_quality) for the workbook as of a day."""
    sheets = read_sheets(path)
    _, agent_rows = sheets["agents"]
    agents = {}          # id key -> (json id, name) for agents on the sheet
    counting = []        # id keys of agents that count on as_of, in sheet order
    for row in agent_rows:
        ident = read_id(row.get("agentid"))
        if ident is None:
            continue
        agents[ident[0]] = (ident[1], "" if row.get("name") is None else str(row.get("name")).strip())
        left = read_date(row.get("lefton"))
        active = read_active(row.get("active"))
        still_there = left is None or (left != UNREADABLE and left > as_of)
        if active and still_there and ident[0] not in counting:
            counting.append(ident[0])

    sums = {agent: {} for agent in agents}
    for metric, *_ in COHORT_METRICS + ACTIVITY_METRICS:
        for agent in agents:
            sums[agent][metric] = [0, 0]
    for agent in agents:
        sums[agent]["portal_update_rate"] = [0, 0]

    undefined = set()    # metrics whose optional column is missing
    _portal_update_rate(sheets, agents, sums, as_of)
    undefined |= _cohorts(sheets, agents, sums, as_of)
    undefined |= _activity(sheets, agents, sums, as_of)

    out_agents = []
    values = {metric: [] for metric in METRIC_IDS}
    for agent in counting:
        json_id, name = agents[agent]
        metrics = {}
        for metric in METRIC_IDS:
            numerator, denominator = sums[agent][metric]
            value = None if metric in undefined else ratio(numerator, denominator)
            metrics[metric] = {"numerator": numerator, "denominator": denominator, "value": value}
            if value is not None:
                values[metric].append(value)
        out_agents.append({"agent_id": json_id, "name": name, "metrics": metrics})
    return {"as_of": as_of.isoformat(), "agents": out_agents,
            "benchmarks": {metric: benchmark(values[metric]) for metric in METRIC_IDS},
            "undefined": sorted(undefined)}


def _portal_update_rate(sheets, agents, sums, as_of) -> None:
    headers, deal_rows = sheets["deals"]
    updates = {}
    if "dealupdates" in sheets:
        for row in sheets["dealupdates"][1]:
            ident = read_id(row.get("dealid"))
            day = read_date(row.get("updated"))
            if ident is not None and day not in (None, UNREADABLE):
                updates.setdefault(ident[0], []).append(day)
    for row in last_wins(deal_rows, "dealid"):
        agent = read_id(row.get("agentid"))
        opened = read_date(row.get("opened"))
        closed = read_date(row.get("closed"))
        last_updated = read_date(row.get("lastupdated"))
        if agent is None or agent[0] not in agents or opened in (None, UNREADABLE):
            continue
        if closed == UNREADABLE or (closed is not None and closed < opened):
            continue
        if last_updated == UNREADABLE:
            continue
        if not (opened <= as_of and (closed is None or closed > as_of)):
            continue
        known = updates.get(read_id(row.get("dealid"))[0], []) + ([last_updated] if last_updated else [])
        tally = sums[agent[0]]["portal_update_rate"]
        tally[1] += 1
        if any(0 <= (as_of - day).days <= UPDATE_MAX_AGE for day in known):
            tally[0] += 1


def _cohorts(sheets, agents, sums, as_of) -> set[str]:
    headers, lead_rows = sheets["leads"]
    undefined = {metric for metric, column, *_ in COHORT_METRICS if column not in headers}
    for row in last_wins(lead_rows, "leadid"):
        agent = read_id(row.get("agentid"))
        matched = read_date(row.get("matched"))
        lead_type = str(row.get("type") or "").strip().lower()
        if agent is None or agent[0] not in agents or matched in (None, UNREADABLE):
            continue
        for metric, column, play_out, types in COHORT_METRICS:
            if metric in undefined or lead_type not in types:
                continue
            if not play_out <= (as_of - matched).days <= play_out + ROLLING_DAYS - 1:
                continue
            event = read_date(row.get(column))
            if event == UNREADABLE or (event is not None and event < matched):
                continue
            tally = sums[agent[0]][metric]
            tally[1] += 1
            if event is not None and (event - matched).days <= play_out:
                tally[0] += 1
    return undefined


def _activity(sheets, agents, sums, as_of) -> set[str]:
    headers, activity_rows = sheets["activity"]
    undefined = {metric for metric, num, den in ACTIVITY_METRICS
                 if num not in headers or den not in headers}
    for row in activity_rows:
        agent = read_id(row.get("agentid"))
        day = read_date(row.get("date"))
        if agent is None or agent[0] not in agents or day in (None, UNREADABLE):
            continue
        if not 0 <= (as_of - day).days <= ROLLING_DAYS - 1:
            continue
        for metric, num, den in ACTIVITY_METRICS:
            tally = sums[agent[0]][metric]
            tally[0] += read_count(row.get(num))
            tally[1] += read_count(row.get(den))
    return undefined
