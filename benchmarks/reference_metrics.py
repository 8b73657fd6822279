"""The yardstick for `kpi-reports metrics`: SPEC.md's metrics written the plain way.

    python benchmarks/reference_metrics.py WORKBOOK YYYY-MM-DD > out.json

openpyxl (read-only) and a Python loop over every row, as a team's analyst would first
write it: the eight default metrics for every active agent, Average and Top 10%, printed
as JSON in the shape of `metrics --json` (no data-quality list: a bad cell is skipped).
Not part of the package; benchmarks/bench_metrics.py times it beside the real command.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections import defaultdict

import openpyxl

EPOCH = dt.date(1899, 12, 30)
WINDOW, UPDATE_DAYS = 30, 10
COHORTS = [("schedule_rate_14d", None, "scheduled", 14), ("buyer_met_rate_28d", "buyer", "met", 28),
           ("seller_sign_rate_28d", "seller", "signed", 28), ("offers_sign_rate_28d", "offers", "signed", 28)]
FUNNEL = [("contact_rate", "contacts", "calls"), ("appointment_rate", "appointments", "contacts"),
          ("contract_rate", "contracts", "appointments")]
INACTIVE = {"false", "no", "n", "0", "inactive"}


def day(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EPOCH + dt.timedelta(days=int(value)) if 1 <= value < 2958466 else None
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            try:
                return dt.datetime.strptime(text, "%m/%d/%Y").date()
            except ValueError:
                return None
    return None


def text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def rows(book, name):
    sheet = book[name]
    it = sheet.iter_rows(values_only=True)
    header = [text(h).lower().replace(" ", "_") for h in next(it)]
    for row in it:
        yield dict(zip(header, row))


def main(path: str, as_of: str) -> None:
    today = dt.date.fromisoformat(as_of)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    agents = {}
    for r in rows(book, "Agents"):
        agent = text(r.get("agent_id"))
        if agent and text(r.get("active")).lower() not in INACTIVE:
            agents[agent] = text(r.get("name")) or agent

    tally = defaultdict(lambda: [0, 0])                 # (metric, agent) -> [numerator, denominator]
    for r in rows(book, "Leads"):
        agent, matched = text(r.get("agent_id")), day(r.get("matched"))
        if agent not in agents or matched is None:
            continue
        age = (today - matched).days
        kind = text(r.get("type")).lower()
        for metric, lead_type, event, play_out in COHORTS:
            if (lead_type is None or kind == lead_type) and play_out <= age < play_out + WINDOW:
                when = day(r.get(event))
                counts = tally[metric, agent]
                counts[1] += 1
                counts[0] += when is not None and 0 <= (when - matched).days <= play_out

    sums = defaultdict(float)
    for r in rows(book, "Activity"):
        agent, when = text(r.get("agent_id")), day(r.get("date"))
        if agent in agents and when is not None and 0 <= (today - when).days < WINDOW:
            for column in ("calls", "contacts", "appointments", "contracts"):
                value = r.get(column)
                if isinstance(value, (int, float)) and value >= 0:
                    sums[column, agent] += value
    for metric, numerator, denominator in FUNNEL:
        for agent in agents:
            tally[metric, agent] = [sums[numerator, agent], sums[denominator, agent]]

    updates = defaultdict(list)
    if "Deal Updates" in book.sheetnames:
        for r in rows(book, "Deal Updates"):
            when = day(r.get("updated"))
            if when is not None:
                updates[text(r.get("deal_id"))].append(when)
    for r in rows(book, "Deals"):
        agent, opened, closed = text(r.get("agent_id")), day(r.get("opened")), day(r.get("closed"))
        if agent not in agents or opened is None or opened > today or (closed is not None and closed <= today):
            continue
        known = updates[text(r.get("deal_id"))] + [d for d in [day(r.get("last_updated"))] if d]
        counts = tally["portal_update_rate", agent]
        counts[1] += 1
        counts[0] += any(0 <= (today - d).days <= UPDATE_DAYS for d in known)

    metrics = ["portal_update_rate", *(c[0] for c in COHORTS), *(f[0] for f in FUNNEL)]
    out = {"as_of": as_of, "agents": [], "benchmarks": {}}
    values = defaultdict(list)
    for agent, name in agents.items():
        shown = {}
        for metric in metrics:
            numerator, denominator = tally[metric, agent]
            value = numerator / denominator if denominator else None
            shown[metric] = {"numerator": numerator, "denominator": denominator, "value": value}
            if value is not None:
                values[metric].append(value)
        out["agents"].append({"agent_id": agent, "name": name, "metrics": shown})
    for metric in metrics:
        ranked = sorted(values[metric], reverse=True)
        k = math.ceil(len(ranked) / 10)
        out["benchmarks"][metric] = {"average": sum(ranked) / len(ranked) if ranked else None,
                                     "top10": sum(ranked[:k]) / k if ranked else None, "agents": len(ranked)}
    json.dump(out, sys.stdout, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:3])
