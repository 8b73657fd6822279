"""One matcher for an agent ID a person types, the loader's own rule, on every face.

`scorecards --agent a04`, `email --resend a04` and =KPI_...("a04") all find A04; an ID
typed as a number (7.0) finds the agent whose ID cell holds 7.
"""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from kpi_reports import load_workbook
from kpi_reports.agent_ids import AgentIds, id_key
from kpi_reports.cli import main
from kpi_reports.errors import UserError
from kpi_reports.excel.ranges import frame_rows
from kpi_reports.excel.udfs import metric_value
from kpi_reports.mail import check_resend
from kpi_reports.report.render import select_agents

from conftest import days_before, team_tables

AGENTS = [{"Agent ID": "A04", "Name": "Four", "Team": "North", "Active": "Yes"},
          {"Agent ID": 7, "Name": "Seven", "Team": "North", "Active": "Yes"},
          {"Agent ID": "A09", "Name": "Nine", "Team": "South", "Active": "No"}]
ACTIVITY = [{"Date": days_before(2), "Agent ID": a, "Calls": 10, "Contacts": 4} for a in ("A04", 7)]


@pytest.fixture
def tables():
    return team_tables(agents=AGENTS, activity=ACTIVITY)


@pytest.fixture
def team(write_workbook, tables):
    return load_workbook(write_workbook(tables))


@pytest.mark.parametrize("typed, key", [(" a04 ", "a04"), ("A04", "a04"), (7, "7"), (7.0, "7"), ("7", "7"),
                                        ("007", "007"), ("", None), (None, None)])
def test_the_rule(typed, key):
    assert id_key(typed) == key


def test_scorecards_agent_and_email_resend_take_the_same_ids(team):
    active = ["A04", "7"]
    assert select_agents(team, ["a04", " 7 "], active) == ["A04", "7"]
    assert check_resend(team, ["a04", "7", "team:north"]) == ["A04", "7", "team:North"]
    with pytest.raises(UserError, match="inactive"):
        select_agents(team, ["a09"], active)
    with pytest.raises(UserError, match=r"--resend a09, A99: not an active agent's ID"):
        check_resend(team, ["a09", "A99"])
    assert AgentIds.of(team.agents).find("a09") == ("A09", "inactive")


def test_formulas_take_the_same_ids(tables):
    rows = {"Activity": frame_rows(tables["Activity"]), "Agents": frame_rows(tables["Agents"])}
    for typed in ("a04", " A04", 7.0, "7"):
        assert metric_value("contact_rate", rows, typed, dt.date(2026, 10, 31)) == 0.4


def test_email_resend_in_lower_case_is_accepted_before_any_work(write_workbook, tables, tmp_path):
    path = write_workbook(tables)
    out = CliRunner().invoke(main, ["email", str(path), "--month", "2026-10", "--resend", "a99",
                                    "--out", str(tmp_path / "pdf"), "--outbox", str(tmp_path / "ob")])
    assert out.exit_code == 2 and "--resend a99: not an active agent's ID" in out.output
    assert not (tmp_path / "pdf").exists()
