"""One band definition for the scorecards and the Dashboard, compared as the rates are shown.

An agent at 20.96% beside an Average of 21.00% shows "21%" beside "21%": at the Average
on paper and Blue on the Dashboard, never red. The Dashboard's conditional formats are
evaluated by LibreOffice itself (the rule formulas are put into cells of a copy and
recalculated), not by re-reading our own formula builder.
"""
from __future__ import annotations

import datetime as dt
import re
import subprocess

import openpyxl
import pytest
from openpyxl.formula.translate import Translator

from kpi_reports import load_workbook, monthly_history
from kpi_reports.bands import band
from kpi_reports.excel.dashboard import FIRST_METRIC_COL, GRID_TOP
from kpi_reports.excel.refresh import refresh_workbook
from kpi_reports.report.context import scorecard_context

from conftest import AS_OF, days_before, team_tables


@pytest.mark.parametrize("rate, average, top, word", [
    (0.2096, 0.21, 0.24, "Blue"),        # 21% beside 21%: at the Average
    (0.2049, 0.21, 0.24, "Red"),         # 20% below 21%
    (0.235, 0.21, 0.24, "Green"),        # 24% reaches a Top of 24%
    (0.2349, 0.21, 0.24, "Blue"),        # 23% below a Top of 24%
    (0.5, 0.5, 0.5, "Green"),
    (0.0, 0.0, 0.0, "Green"),
])
def test_bands_compare_the_shown_percentages(rate, average, top, word):
    assert band(rate, average, top).word == word


@pytest.mark.parametrize("rate, average", [(float("nan"), 0.5), (0.5, float("nan")), (None, 0.5)])
def test_no_band_without_a_rate_or_an_average(rate, average):
    assert band(rate, average, 0.9) is None


# contacts of 2,500 calls: 20.96%, 18.04%, 24.00%; the Average is 21.00%, the Top 10% 24.00%
CONTACTS = {"A01": 524, "A02": 451, "A03": 600}
EXPECTED = {"A01": "Blue", "A02": "Red", "A03": "Green"}


@pytest.fixture
def workbook(write_workbook):
    agents = [{"Agent ID": a, "Name": f"Agent {a}", "Active": "Yes"} for a in CONTACTS]
    activity = [{"Date": days_before(3), "Agent ID": a, "Calls": 2500, "Contacts": n} for a, n in CONTACTS.items()]
    return write_workbook(team_tables(agents=agents, activity=activity))


def evaluated_dashboard_bands(path, tmp_path) -> dict[str, str]:
    """The fill LibreOffice gives each agent's contact-rate cell, as the legend word beside that colour."""
    book = openpyxl.load_workbook(path)
    ws = book["Dashboard"]
    words = {ws.cell(r, 1).fill.start_color.rgb[-6:]: ws.cell(r, 1).value for r in range(1, ws.max_row + 1)
             if ws.cell(r, 1).value in ("Green", "Blue", "Red", "Amber")}
    rows = {ws.cell(r, 1).value: r for r in range(GRID_TOP + 2, ws.max_row + 1) if ws.cell(r, 1).value in CONTACTS}
    column = openpyxl.utils.get_column_letter(next(c for c in range(FIRST_METRIC_COL, ws.max_column + 1)
                                                   if ws.cell(GRID_TOP, c).value == "Contact rate"))
    probe = ws.max_column + 2
    (rules,) = [cf.rules for cf in ws.conditional_formatting if str(cf.sqref).startswith(column)]
    top_left = str(next(iter(ws.conditional_formatting)).sqref).split(":")[0]
    top_left = re.sub(r"^[A-Z]+", column, top_left)
    for r in rows.values():
        for k, rule in enumerate(rules):
            formula = Translator("=" + rule.formula[0], origin=top_left).translate_formula(f"{column}{r}")
            ws.cell(r, probe + k, formula)
    book.save(tmp_path / "probe.xlsx")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(tmp_path / "probe.xlsx")],
                   check=True, capture_output=True, timeout=180)
    done = openpyxl.load_workbook(tmp_path / "lo" / "probe.xlsx", data_only=True)["Dashboard"]
    found = {}
    for agent, r in rows.items():
        holds = [done.cell(r, probe + k).value for k in range(len(rules))]
        assert all(isinstance(v, bool) for v in holds), holds
        first = holds.index(True) if True in holds else None        # stopIfTrue: the first rule that holds
        found[agent] = None if first is None else words[rules[first].dxf.fill.bgColor.rgb[-6:]]
    return found


def test_the_dashboard_and_the_scorecard_put_every_agent_in_the_same_band(workbook, tmp_path):
    refresh_workbook(workbook, AS_OF)
    assert evaluated_dashboard_bands(workbook, tmp_path) == EXPECTED
    history = monthly_history(load_workbook(workbook), dt.date(2026, 10, 1), months=1)
    statuses = {a: next(t for t in scorecard_context(history, a)["tiles"] if t["id"] == "contact_rate")["status"]
                for a in CONTACTS}
    assert statuses == {"A01": "at", "A02": "below", "A03": "top"}
    card = scorecard_context(history, "A01")
    assert "Contact rate (calls to contacts)" not in [item["label"] for item in card["focus"]]   # not below
