"""One team's data twice: in the sample's form, and shaped like a CRM export with a dozen
differences (issue 11's Done-when). Both are built from the same tables, so the right
numbers for the export are the sample form's."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from kpi_reports.sample import network_tables
from kpi_reports.team_workbook import write_team_workbook

START, END = dt.date(2026, 6, 1), dt.date(2026, 10, 31)
LEFT_ON = dt.date(2026, 10, 10)


def team() -> dict[str, pd.DataFrame]:
    """Sample-form tables: numeric IDs typed as text, one agent who left on LEFT_ON."""
    tables = network_tables(9, 500, 1200, 120, seed=11, start=START, end=END)
    ids = {f"A{i:02d}": str(4 + 3 * i) for i in range(1, 10)}           # A01 -> "7", A02 -> "10" ...
    for frame in tables.values():
        if "Agent ID" in frame:
            frame["Agent ID"] = frame["Agent ID"].map(ids)
    agents = tables["Agents"]
    agents.insert(5, "Left On", pd.NaT)
    agents.loc[3, "Left On"] = pd.Timestamp(LEFT_ON)
    agents.loc[5, "Active"] = "No"
    return tables


def write_sample_form(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    return write_team_workbook(tables, path)


def typed(render):
    """A date column as text typed one way (blank stays blank)."""
    return lambda day: None if pd.isna(day) else render(day)


us = typed(lambda d: f"{d.month}/{d.day}/{d.year}")                    # 10/7/2026
us_short = typed(lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}")   # 10/7/26
named = typed(lambda d: f"{d:%b} {d.day}, {d.year}")                   # Oct 7, 2026
day_month = typed(lambda d: f"{d.day} {d:%b} {d.year}")               # 7 Oct 2026
dashed = typed(lambda d: f"{d.day}-{d:%b}-{d.year}")                  # 7-Oct-2026
long_named = typed(lambda d: f"{d:%B} {d.day}, {d.year}")             # October 7, 2026


def cell(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def write_crm_export(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """The same data as a CRM export would give it (each difference is named)."""
    book = openpyxl.Workbook()
    book.remove(book.active)

    def sheet(name: str, frame: pd.DataFrame) -> None:
        ws = book.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([cell(v) for v in row])

    a = tables["Agents"]
    teams = a["Team"].where(~((a["Team"] == "Downtown") & (a.index % 2 == 1)), "DownTown")   # a team typed two ways
    sheet("Roster", pd.DataFrame({                                   # Agents is called Roster
        "ID": a["Agent ID"].astype(int),                             # IDs typed as numbers
        "Full Name": a["Name"], "E-mail": a["Email"], "Team": teams,
        "Status": a["Active"].map({"Yes": "Active", "No": "Inactive"}),   # a Status column
        "Left Date": a["Left On"].map(us_short),                     # Left On as "10/10/26"
        "Annual Goal": a["Annual Volume Goal"].map(lambda v: f"${v:,.0f}"),  # money typed as text
    }))
    act = tables["Activity"]
    date_forms = [us, named, day_month, us_short]
    sheet("Activity", pd.DataFrame({
        "Date": [date_forms[i % 4](d) for i, d in enumerate(act["Date"])],   # dates typed four ways
        "Agent": act["Agent ID"].astype(int), "Dials": act["Calls"], "Conversations": act["Contacts"],
        "Appts Set": act["Appointments"], "Contracts": act["Contracts"], "Closed Volume": act["Closed Volume"],
    }))
    leads = tables["Leads"]
    sheet("Leads", pd.DataFrame({
        "Lead ID": leads["Lead ID"], "Agent": leads["Agent ID"].astype(int),
        "Lead Type": leads["Type"].str.lower(),                      # buyer, seller, offers
        "Date Matched": leads["Matched"].map(us),                    # US dates typed as text
        "Appt Scheduled": leads["Scheduled"].map(long_named), "Met": leads["Met"].map(dashed),
        "Signed": leads["Signed"],
    }))
    deals = tables["Deals"]
    sheet("Deals", pd.DataFrame({"Deal ID": deals["Deal ID"], "Agent": deals["Agent ID"].astype(int),
                                 "Opened": deals["Opened"].map(us), "Closed": deals["Closed"],
                                 "Last Updated": deals["Last Updated"].map(us_short)}))
    sheet("Deal Updates", tables["Deal Updates"])
    book.create_sheet("Notes").append(["exported from the CRM on", "11/1/2026"])
    book.save(path)
    return path
