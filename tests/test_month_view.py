"""The scorecard's month on every face: the PDF's tiles, the mail's body and `metrics --month`.

A scorecard is as of the month's last day with the funnel over the calendar month;
`metrics --month` and `refresh --month` show that view, and every face says which window
a funnel figure covers. Percentages are rounded here by an independent rule (Decimal,
halves up), not by the product's formatter.
"""
from __future__ import annotations

import datetime as dt
import email
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from email import policy

import openpyxl
import pdfplumber
import pytest
from click.testing import CliRunner

from kpi_reports.cli import main

from conftest import team_tables

OCT = dt.date(2026, 10, 1)
AGENTS = ("A01", "A02", "A03")


def on(day: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day)


def tables():
    agents = [{"Agent ID": a, "Name": f"Agent {a}", "Email": f"{a.lower()}@team.example", "Team": "North",
               "Active": "Yes", "Annual Volume Goal": 1_000_000} for a in AGENTS]
    activity, leads, deals = [], [], []
    for k, a in enumerate(AGENTS, start=1):
        # Oct 1 is in the calendar month but 30 days before Oct 31: outside the rolling window
        activity += [{"Date": on(1), "Agent ID": a, "Calls": 40, "Contacts": 30, "Appointments": 20, "Contracts": 10},
                     {"Date": on(15), "Agent ID": a, "Calls": 20 * k, "Contacts": 3 * k + 2, "Appointments": k,
                      "Contracts": k // 2, "Closed Volume": 100_000 * k}]
        leads += [{"Lead ID": f"{a}-{n}", "Agent ID": a, "Type": ("Buyer", "Seller", "Offers")[n % 3],
                   "Matched": on(20 + n, 9), "Scheduled": on(21 + n, 9) if n < k + 2 else None,
                   "Met": on(25 + n, 9) if n < k else None, "Signed": None} for n in range(8)]
        deals += [{"Deal ID": f"{a}-D{n}", "Agent ID": a, "Opened": on(1, 9),
                   "Last Updated": on(25) if n < k else on(5)} for n in range(4)]
    return team_tables(agents=agents, activity=activity, leads=leads, deals=deals)


def shown(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{(Decimal(repr(rate)) * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"


def run(*args):
    out = CliRunner().invoke(main, [str(a) for a in args], env={"KPI_REPORTS_SETTINGS": None})
    assert out.exit_code == 0, out.output + repr(out.exception)
    return out


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    from kpi_reports.team_workbook import write_team_workbook
    folder = tmp_path_factory.mktemp("month")
    path = write_team_workbook(tables(), folder / "team.xlsx")
    (folder / "kpi-reports.toml").write_text('[mail]\nfrom = "Office <office@team.example>"\n', encoding="utf-8")
    run("email", path, "--month", "2026-10", "--out", folder / "pdf", "--outbox", folder / "outbox")
    doc = json.loads(run("metrics", path, "--month", "2026-10", "--json").stdout)
    rolling = json.loads(run("metrics", path, "--as-of", "2026-10-31", "--json").stdout)
    return folder, path, doc, rolling


def pdf_tile_values(pdf) -> list[str]:
    """The tiles' big figures, row by row: the lines holding only percentages or dashes."""
    text = "\n".join(page.extract_text() for page in pdfplumber.open(pdf).pages)
    lines = [line.split() for line in text.splitlines()]
    return [v for words in lines if words and all(re.fullmatch(r"\d+%|—", w) for w in words) for v in words]


def test_the_pdf_the_mail_and_metrics_month_show_the_same_figures(month):
    folder, _, doc, rolling = month
    assert doc["as_of"] == "2026-10-31"
    assert doc["activity_window"] == {"from": "2026-10-01", "to": "2026-10-31", "kind": "month"}
    assert rolling["activity_window"] == {"from": "2026-10-02", "to": "2026-10-31", "kind": "rolling"}
    for agent in doc["agents"]:
        aid, metrics = agent["agent_id"], agent["metrics"]
        (pdf,) = (folder / "pdf" / "2026-10").glob(f"{aid}-*.pdf")
        assert pdf_tile_values(pdf) == [shown(m["value"]) for m in metrics.values()], aid
        (eml,) = (folder / "outbox" / "2026-10").glob(f"scorecard-{aid}-*.eml")
        body = email.message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        for metric_id, label in (("portal_update_rate", "Portal updates"), ("schedule_rate_14d", "14-day schedule rate")):
            average = doc["benchmarks"][metric_id]["average"]
            assert f"{label}: {shown(metrics[metric_id]['value'])} (network average {shown(average)})" in body
    # the funnel differs between the two windows, which is why each face names its window
    a01 = {a["agent_id"]: a["metrics"] for a in doc["agents"]}["A01"]["contact_rate"]
    assert (a01["numerator"], a01["denominator"]) == (35, 60)
    r01 = {a["agent_id"]: a["metrics"] for a in rolling["agents"]}["A01"]["contact_rate"]
    assert (r01["numerator"], r01["denominator"]) == (5, 20)


def test_the_terminal_and_the_dashboard_name_the_window(month):
    _, path, _, _ = month
    table = " ".join(run("metrics", path, "--month", "2026-10").stdout.split())
    assert "KPIs as of Oct 31, 2026; funnel over Oct 1 – Oct 31, 2026 (calendar month)" in table
    run("refresh", path, "--month", "2026-10")
    header = openpyxl.load_workbook(path)["Dashboard"]
    assert (header["A4"].value, header["B4"].value) == ("Activity window", "Oct 1 – Oct 31, 2026 (calendar month)")
    run("refresh", path, "--as-of", "2026-10-31")
    assert openpyxl.load_workbook(path)["Dashboard"]["B4"].value == "Oct 2 – Oct 31, 2026 (rolling 30 days)"


def test_as_of_and_month_together_are_refused(month):
    _, path, _, _ = month
    out = CliRunner().invoke(main, ["metrics", str(path), "--month", "2026-10", "--as-of", "2026-10-31"])
    assert out.exit_code == 2 and "Choose one of --as-of and --month." in out.output
