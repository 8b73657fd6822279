"""The month's messages built from a scorecard run (kpi_reports.mail.month), as a Python
user builds them without the CLI: one mail per scorecard, one summary per led team."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kpi_reports import load_settings, load_workbook, monthly_history
from kpi_reports.errors import UserError
from kpi_reports.mail import MailConfig, check_resend, leaders_from_agents, month_mails
from kpi_reports.report import ScorecardRun
from conftest import team_tables
from test_result_views import ACTIVITY, AGENTS



@pytest.fixture
def team(write_workbook):
    tables = team_tables(agents=AGENTS, activity=ACTIVITY)
    tables["Agents"]["Leader"] = ["", "", "Yes", ""]             # Priya leads South
    return load_workbook(write_workbook(tables))


def run_of(team, folder: Path) -> ScorecardRun:
    """A run as render_scorecards leaves it (the PDFs themselves are not needed to address mail)."""
    result = monthly_history(team, dt.date(2026, 10, 1), 2)[-1]
    return ScorecardRun(month=dt.date(2026, 10, 1), folder=folder, result=result,
                        scorecards={a: folder / f"{a}.pdf" for a in ("A01", "A03")},
                        summary=folder / "team-summary.pdf")


def test_one_mail_per_scorecard_and_one_summary_per_led_team(team, tmp_path):
    leaders = leaders_from_agents(team)
    assert leaders == {"South": "priya@example.com"}
    config = MailConfig.from_settings(load_settings(), env={"KPI_MAIL_FROM": "kpi@example.com"}, leaders=leaders)
    mails = month_mails(run_of(team, tmp_path), config, cc_leader=True)
    assert [(m.kind, m.agent_id, m.email, m.cc) for m in mails] == [
        ("scorecard", "A01", "dana@example.com", []),             # North has no leader to copy
        ("scorecard", "A03", "priya@example.com", ["priya@example.com"]),
        ("summary", "team:South", "priya@example.com", [])]
    assert mails[0].headline[-1] == ("Closed volume 2026 to date", "$400,000 of your $1,200,000 goal")
    assert mails[2].pdf_path == tmp_path / "team-summary.pdf"     # one summary for the whole team


def test_resend_must_name_an_active_agent_or_a_team(team):
    check_resend(team, ("A01", "team:South"))
    with pytest.raises(UserError, match=r"--resend A04, team:West: not an active agent's ID"):
        check_resend(team, ("A04", "team:West"))
