"""Shared fixtures: small team workbooks written for real and read back by the loader."""
from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pandas as pd
import pytest

from kpi_reports.team_workbook import write_team_workbook

AS_OF = dt.date(2026, 10, 31)


def days_before(n: int, as_of: dt.date = AS_OF) -> dt.datetime:
    """The day n days before as_of, as the datetime a date cell holds."""
    return dt.datetime.combine(as_of - dt.timedelta(days=n), dt.time())


def team_tables(agents=None, activity=None, leads=None, deals=None, updates=None) -> dict[str, pd.DataFrame]:
    """A valid team workbook's tables; pass rows (lists of dicts) to fill a sheet."""
    def frame(rows, columns):
        return pd.DataFrame(rows if rows is not None else [], columns=columns)

    tables = {
        "Agents": frame(agents if agents is not None else [
            {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@example.com", "Team": "North", "Active": "Yes"},
            {"Agent ID": "A02", "Name": "Miguel Alvarez", "Email": "miguel@example.com", "Team": "North", "Active": "Yes"},
        ], ["Agent ID", "Name", "Email", "Team", "Active", "Annual Volume Goal"]),
        "Activity": frame(activity, ["Date", "Agent ID", "Calls", "Contacts", "Appointments", "Contracts", "Closed Volume"]),
        "Leads": frame(leads, ["Lead ID", "Agent ID", "Type", "Matched", "Scheduled", "Met", "Signed"]),
        "Deals": frame(deals, ["Deal ID", "Agent ID", "Opened", "Closed", "Last Updated"]),
    }
    if updates is not None:
        tables["Deal Updates"] = frame(updates, ["Deal ID", "Updated"])
    return tables


@pytest.fixture
def write_workbook(tmp_path: Path):
    """write_workbook(tables or **rows) -> path of a real .xlsx written with XlsxWriter."""
    counter = iter(range(1000))

    def write(tables: dict[str, pd.DataFrame] | None = None, **rows) -> Path:
        tables = tables if tables is not None else team_tables(**rows)
        return write_team_workbook(tables, tmp_path / f"team{next(counter)}.xlsx")

    return write


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for the test SMTP servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
