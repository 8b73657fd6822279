"""A realistic synthetic team (or network), made from a fixed seed.

`sample_tables()` is the demo team: 25 agents on 3 teams, 18 months of daily activity,
leads of all three types, deals with update logs and a few deliberate data problems
(listed in SAMPLE_PROBLEMS) so `kpi-reports check` has something to show.
`network_tables()` scales the same generator for benchmarks.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .team_workbook import write_team_workbook

SAMPLE_END = dt.date(2026, 10, 31)
SAMPLE_START = dt.date(2025, 5, 1)
FIRST = ["Dana", "Miguel", "Priya", "Jordan", "Aisha", "Tom", "Grace", "Luis", "Hannah", "Kenji",
         "Sofia", "Marcus", "Elena", "Ravi", "Chloe", "Andre", "Maya", "Owen", "Fatima", "Ben",
         "Lucia", "Noah", "Zoe", "Samir", "Ines"]
LAST = ["Lee", "Alvarez", "Shah", "Brooks", "Khan", "O'Brien", "Kim", "Moreno", "Schmidt", "Sato",
        "Rossi", "Johnson", "Petrova", "Iyer", "Dubois", "Silva", "Cohen", "Walsh", "Haddad", "Okafor",
        "Garcia", "Nguyen", "Müller", "Farouk", "Costa"]
TEAMS = ["North Shore", "Downtown", "Coastal"]

# (sheet, what was done) — the deliberate problems the demo workbook carries
SAMPLE_INACTIVE = "A25"   # Active = No: no metrics, no scorecard (not a data problem)
SAMPLE_PROBLEMS = [
    ("Leads", "a Met day before Matched"), ("Leads", "Type 'Renter'"),
    ("Leads", "Scheduled typed as 'call back'"), ("Leads", "a duplicate Lead ID"),
    ("Activity", "a negative Calls count"), ("Activity", "a row for unknown agent A99"),
    ("Deals", "Closed before Opened"),
]


def _days(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> np.ndarray:
    span = (end - start).days + 1
    return np.datetime64(start) + rng.integers(0, span, n).astype("timedelta64[D]")


def _lagged(rng, base: np.ndarray, happens: np.ndarray, mean_lag: float, end: dt.date) -> np.ndarray:
    """An event `mean_lag`-ish days after base where `happens`; NaT if not (yet) happened."""
    lag = rng.geometric(1 / (mean_lag + 1), len(base)) - 1
    day = base + lag.astype("timedelta64[D]")
    return np.where(happens & (day <= np.datetime64(end)), day, np.datetime64("NaT"))


def network_tables(n_agents: int, n_leads: int, n_activity: int, n_deals: int, *, seed: int = 7,
                   start: dt.date = SAMPLE_START, end: dt.date = SAMPLE_END) -> dict[str, pd.DataFrame]:
    """Synthetic team tables with SPEC.md's sheets and headers."""
    rng = np.random.default_rng(seed)
    width = max(2, len(str(n_agents)))
    ids = np.array([f"A{i:0{width}d}" for i in range(1, n_agents + 1)])
    skill = rng.uniform(0.3, 1.0, n_agents)           # one knob per agent drives every rate
    names = [f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}" for i in range(n_agents)]
    agents = pd.DataFrame({
        "Agent ID": ids, "Name": names,
        "Email": [f"{n.split()[0].lower()}.{i + 1}@example.com" for i, n in enumerate(names)],
        "Team": [TEAMS[i % len(TEAMS)] for i in range(n_agents)], "Active": "Yes",
        "Annual Volume Goal": (rng.integers(6, 25, n_agents) * 500_000).astype(float),
        "Leader": ["Yes" if i < len(TEAMS) else "" for i in range(n_agents)],   # one per team
    })
    return {"Agents": agents, "Activity": _activity(rng, ids, skill, n_activity, start, end),
            "Leads": _leads(rng, ids, skill, n_leads, start, end),
            **_deals(rng, ids, skill, n_deals, start, end)}


def _activity(rng, ids, skill, n, start, end) -> pd.DataFrame:
    who = rng.integers(0, len(ids), n)
    s = skill[who]
    calls = rng.poisson(28, n)
    contacts = rng.binomial(calls, 0.08 + 0.2 * s)
    appointments = rng.binomial(contacts, 0.08 + 0.3 * s)
    contracts = rng.binomial(appointments, 0.1 + 0.35 * s)
    closings = rng.random(n) < 0.02 + 0.03 * s            # a closing every few weeks
    volume = closings * (rng.integers(300, 1200, n) * 1000)
    frame = pd.DataFrame({"Date": _days(rng, start, end, n), "Agent ID": ids[who], "Calls": calls,
                          "Contacts": contacts, "Appointments": appointments, "Contracts": contracts,
                          "Closed Volume": volume.astype(float)})
    return frame.sort_values(["Date", "Agent ID"], kind="stable").reset_index(drop=True)


def _leads(rng, ids, skill, n, start, end) -> pd.DataFrame:
    who = rng.integers(0, len(ids), n)
    s = skill[who]
    matched = np.sort(_days(rng, start, end, n))
    lead_type = rng.choice(["Buyer", "Seller", "Offers"], n, p=[0.5, 0.35, 0.15])
    scheduled = _lagged(rng, matched, rng.random(n) < 0.35 + 0.55 * s, 4 + 8 * (1 - s.mean()), end)
    met = _lagged(rng, np.where(np.isnat(scheduled), matched, scheduled),
                  ~np.isnat(scheduled) & (rng.random(n) < 0.5 + 0.45 * s), 5, end)
    signed = _lagged(rng, np.where(np.isnat(met), matched, met),
                     ~np.isnat(met) & (rng.random(n) < 0.3 + 0.5 * s), 6, end)
    return pd.DataFrame({"Lead ID": [f"L{i:06d}" for i in range(1, n + 1)], "Agent ID": ids[who],
                         "Type": lead_type, "Matched": matched, "Scheduled": scheduled, "Met": met,
                         "Signed": signed})


def _deals(rng, ids, skill, n, start, end) -> dict[str, pd.DataFrame]:
    who = rng.integers(0, len(ids), n)
    opened = _days(rng, start, end, n)
    length = rng.integers(20, 120, n).astype("timedelta64[D]")
    closed = np.where(opened + length <= np.datetime64(end), opened + length, np.datetime64("NaT"))
    last_day = np.where(np.isnat(closed), np.datetime64(end), closed)
    gap = np.clip(np.round(5 / skill[who]), 3, 30).astype(int)     # diligent agents update weekly
    count = ((last_day - opened).astype(int) // gap) + 1
    neglected = rng.random(n) < 0.6 * (1 - skill[who])               # updates stop part-way
    count = np.where(neglected, rng.integers(1, count + 1), count)
    deal_of = np.repeat(np.arange(n), count)
    step = np.arange(len(deal_of)) - np.repeat(np.cumsum(count) - count, count)
    jitter = rng.integers(0, 3, len(deal_of))
    day = opened[deal_of] + (step * gap[deal_of] + jitter).astype("timedelta64[D]")
    day = np.minimum(day, last_day[deal_of])
    deal_ids = np.array([f"D{i:06d}" for i in range(1, n + 1)])
    updates = pd.DataFrame({"Deal ID": deal_ids[deal_of], "Updated": day})
    last_updated = updates.groupby("Deal ID")["Updated"].max().reindex(deal_ids).to_numpy()
    deals = pd.DataFrame({"Deal ID": deal_ids, "Agent ID": ids[who], "Opened": opened, "Closed": closed,
                          "Last Updated": last_updated})
    return {"Deals": deals, "Deal Updates": updates.sort_values("Updated", kind="stable").reset_index(drop=True)}


def _with_problems(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The deliberate problems of SAMPLE_PROBLEMS, and every date form SPEC.md allows."""
    t = {k: v.copy() for k, v in tables.items()}
    agents, leads, activity, deals = t["Agents"], t["Leads"], t["Activity"], t["Deals"]
    agents.loc[len(agents) - 1, "Active"] = "No"
    for col in ("Matched", "Scheduled", "Met", "Signed"):
        leads[col] = leads[col].astype(object)
    leads.loc[10, "Met"] = leads.loc[10, "Matched"] - pd.Timedelta(days=3)
    leads.loc[20, "Type"] = "Renter"
    leads.loc[30, "Scheduled"] = "call back"
    leads.loc[40, "Lead ID"] = leads.loc[41, "Lead ID"]
    leads.loc[50, "Matched"] = pd.Timestamp(leads.loc[50, "Matched"]).strftime("%Y-%m-%d")   # ISO text
    leads.loc[60, "Matched"] = pd.Timestamp(leads.loc[60, "Matched"]).strftime("%m/%d/%Y")   # US text
    leads.loc[70, "Type"] = " seller "
    activity["Calls"] = activity["Calls"].astype(object)
    activity.loc[100, "Calls"] = -5
    extra = activity.iloc[[0]].assign(**{"Agent ID": "A99"})
    t["Activity"] = pd.concat([activity, extra], ignore_index=True)
    open_deal = deals.index[deals["Closed"].isna()][0]
    deals["Closed"] = deals["Closed"].astype(object)
    deals.loc[open_deal, "Closed"] = deals.loc[open_deal, "Opened"] - pd.Timedelta(days=10)
    return t


def sample_tables(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The demo team: 25 agents, 18 months to 2026-10-31."""
    return _with_problems(network_tables(25, 2_700, 25 * 390, 650, seed=seed))


def write_sample_workbook(path: str | Path = "workbooks/sample_team.xlsx", seed: int = 7) -> Path:
    return write_team_workbook(sample_tables(seed), path)
