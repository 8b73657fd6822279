"""Team leaders on a real SMTP server (aiosmtpd on 127.0.0.1), through the CLI.

A leader who left gets nothing; a leader whose Email cell is wrong costs that team its
summary and copies, reported with the cell, and everyone else still gets their mail.
"""
from __future__ import annotations

import email
from email import policy

import pytest
from click.testing import CliRunner

from kpi_reports import load_workbook
from kpi_reports.cli import main
from kpi_reports.mail import leader_problems, leaders_from_agents
from conftest import smtp_server, team_tables
from test_cli_email import Inbox
from test_result_views import ACTIVITY

AGENTS = [   # Old Hand led South and left; Miguel leads North with a typo in his Email cell
    {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@example.com", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A02", "Name": "Miguel Alvarez", "Email": "miguel@example", "Team": "North", "Active": "Yes",
     "Leader": "Yes"},
    {"Agent ID": "A03", "Name": "Priya Dubois", "Email": "priya@example.com", "Team": "South", "Active": "Yes"},
    {"Agent ID": "A04", "Name": "Old Hand", "Email": "old@example.com", "Team": "South", "Active": "No",
     "Leader": "Yes"},
]


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    with smtp_server(inbox, monkeypatch, KPI_MAIL_FROM="Office <office@team.example>"):
        yield inbox


@pytest.fixture
def workbook(write_workbook):
    tables = team_tables(agents=AGENTS, activity=ACTIVITY)
    tables["Agents"]["Leader"] = [a.get("Leader", "") for a in AGENTS]
    return write_workbook(tables)


def test_a_leader_who_left_leads_no_one_and_a_bad_leader_cell_is_reported(workbook):
    team = load_workbook(workbook)
    assert leaders_from_agents(team) == {}
    assert [(p.sheet, p.row, p.column) for p in leader_problems(team)] == [("Agents", 3, "Email")]
    assert "team 'North''s leader: not one valid address: 'miguel@example'" in leader_problems(team)[0].problem


def test_the_mailing_goes_on_without_the_leader_who_left_or_the_bad_leader_cell(workbook, tmp_path, smtp):
    out = CliRunner().invoke(main, ["email", str(workbook), "--month", "2026-10", "--send", "--cc-leader",
                                    "--out", str(tmp_path / "pdf"), "--outbox", str(tmp_path / "ob")])
    assert out.exit_code == 1, out.output
    assert "Not sent: Agents!row 3, Email: team 'North''s leader: not one valid address: 'miguel@example'" \
        in " ".join(out.output.split())
    delivered = []
    for rcpts, raw in smtp.received:
        msg = email.message_from_bytes(raw, policy=policy.default)
        delivered.append((tuple(rcpts), msg["Subject"]))
    # Dana and Priya get their own scorecard, copied to no one; nobody gets a team summary
    assert sorted(rcpts for rcpts, _ in delivered) == [("dana@example.com",), ("priya@example.com",)]
    assert all("summary" not in subject for _, subject in delivered)
    assert "old@example.com" not in out.output
