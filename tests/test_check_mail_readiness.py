"""`kpi-reports check` also says what the month's mail will trip on, cell by cell."""
from __future__ import annotations

import json
from importlib.resources import files

from click.testing import CliRunner

from kpi_reports.cli import main
from conftest import team_tables

AGENTS = [   # row 2 onwards
    {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@example.com", "Team": "West side", "Active": "Yes"},
    {"Agent ID": "A02", "Name": "Becky Ray", "Email": "becky@westsidehomes", "Team": "Westside", "Active": "Yes"},
    {"Agent ID": "A03", "Name": "Sam Roe", "Email": "sam@example.com; sam@home.example", "Team": "West Side",
     "Active": "Yes"},
    {"Agent ID": "A04", "Name": "Old Hand", "Email": "old@example.com", "Team": "East", "Active": "No"},
    {"Agent ID": "A05", "Name": "Kim Park", "Email": "kim@example.com", "Team": "East", "Active": "Yes"},
    {"Agent ID": "A06", "Name": "Lee Moss", "Email": "lee@example.com", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A07", "Name": "Ana Ruiz", "Email": "ana@example.com", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A08", "Name": "Bo Chen", "Email": "", "Team": "South", "Active": "Yes"},
]
LEADER = ["Yes", "", "", "Yes", "", "Yes", "Yes", ""]


def check_json(workbook, *extra):
    out = CliRunner().invoke(main, ["check", str(workbook), "--json", *map(str, extra)])
    return out.exit_code, json.loads(out.stdout)


def test_check_names_each_cell_the_mail_would_trip_on(write_workbook):
    tables = team_tables(agents=AGENTS)
    tables["Agents"]["Leader"] = LEADER
    status, problems = check_json(write_workbook(tables))
    assert status == 1
    found = [(p["row"], p["column"], p["problem"]) for p in problems if p["sheet"] == "Agents"]
    assert found == [
        (3, "Email", "not one valid address: 'becky@westsidehomes': this agent gets no scorecard mail"),
        (4, "Email", "not one valid address: 'sam@example.com; sam@home.example' holds a comma or semicolon "
                     "(more than one address?): this agent gets no scorecard mail"),
        (9, "Email", "no email address: this agent gets no scorecard mail"),
        (3, "Team", "'West side' and 'Westside' and 'West Side' look like one team typed two ways; they count "
                    "as two teams with two summaries. Type 'Westside' as 'West side' if they are one"),
        (4, "Team", "'West side' and 'Westside' and 'West Side' look like one team typed two ways; they count "
                    "as two teams with two summaries. Type 'West Side' as 'West side' if they are one"),
        (5, "Leader", "marked Leader of 'East' but not Active: a leader who left gets no team summary and no "
                      "copies"),
        (8, "Leader", "team 'North' has 2 leaders (rows 7, 8): the summary goes to row 8 only"),
        (None, "Leader", "team 'Westside' has no leader: its team summary is mailed to nobody. Mark its leader "
                         "Leader = Yes, or set [mail.leaders] in the settings"),
        (None, "Leader", "team 'East' has no leader: its team summary is mailed to nobody. Mark its leader "
                         "Leader = Yes, or set [mail.leaders] in the settings"),
        (None, "Leader", "team 'South' has no leader: its team summary is mailed to nobody. Mark its leader "
                         "Leader = Yes, or set [mail.leaders] in the settings"),
    ]


def test_a_leader_set_in_the_settings_counts(write_workbook, tmp_path):
    agents = [a for a in AGENTS if a["Team"] == "South"]
    settings = tmp_path / "kpi.toml"
    settings.write_text('[mail.leaders]\nsouth = "lead@example.com"\n')
    status, problems = check_json(write_workbook(agents=agents), "--settings", settings)
    assert [p["problem"] for p in problems] == ["no email address: this agent gets no scorecard mail"]
    assert status == 1


def test_an_empty_agents_sheet_is_a_problem(write_workbook):
    status, problems = check_json(write_workbook(agents=[]))
    assert status == 1
    assert problems == [{"sheet": "Agents", "row": None, "column": "Agent ID",
                         "problem": "no agents: add one row per agent (Agent ID, Name, Email, Team, Active); "
                                    "nobody gets a scorecard or a mail"}]


def test_the_default_settings_mention_no_leader_email_column():
    """There is no such column; leaders are Leader = Yes on Agents or [mail.leaders]."""
    default = files("kpi_reports").joinpath("default_settings.toml").read_text()
    assert "Leader Email" not in default and "mark an active agent Leader = Yes on Agents" in default
