"""Issue 11: a team's own workbook (or CRM export, or folder of CSV files) to a correct month
in at most two runs; mapping, dates, IDs and agents who left."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kpi_reports import compute, load_settings, load_workbook
from kpi_reports.errors import UserError
from kpi_reports.load import MappingError
from kpi_reports.load.cells import day_from_text, month_from_text, read_days
from conftest import AS_OF, days_before, team_tables
from own_workbook import team, write_crm_export, write_sample_form


def kpi(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi_reports", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def metrics_json(path: Path, day: str) -> dict:
    done = kpi("metrics", path, "--as-of", day, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# ------------------------------------------------------------------ the Done-when: two runs

def test_a_crm_export_reaches_the_right_month_in_two_runs(tmp_path):
    tables = team()
    (tmp_path / "crm").mkdir()
    (tmp_path / "sample").mkdir()
    crm = write_crm_export(tables, tmp_path / "crm" / "export.xlsx")
    sample = write_sample_form(tables, tmp_path / "sample" / "team.xlsx")

    first = kpi("metrics", crm, "--as-of", "2026-10-31")            # run 1: every gap at once, and the mapping
    assert first.returncode == 2 and "Traceback" not in first.stderr
    message = first.stderr
    for words in [
        "no sheet named 'Agents'", "closest 'Roster'",
        "Sheet 'Roster' is missing the required column(s) Agent ID, Name",
        "Agent ID: closest 'ID'", "Name: closest 'Full Name'",
        "Sheet 'Leads' is missing the required column(s) Agent ID, Type, Matched",
        "Type: closest 'Lead Type' (Buyer/Seller/Offers, e.g. 'seller')",
        "Matched: closest 'Date Matched' (dates, e.g. '6/2/2026')",
        "Sheet 'Activity' is missing the required column(s) Agent ID", "Agent ID: closest 'Agent'",
        "column 'Dials' is not read; it looks like Calls", "column 'Conversations' is not read; it looks like Contacts",
        "column 'Appts Set' is not read; it looks like Appointments", "column 'Status' is not read; it looks like Active",
        "column 'Left Date' is not read; it looks like Left On",
        "column 'Annual Goal' is not read; it looks like Annual Volume Goal",
        '[sheets]\nAgents = "Roster"', 'Matched = "Date Matched"', 'Calls = "Dials"',
    ]:
        assert words in message, words

    suggested = kpi("check", crm, "--suggest-mapping")
    assert suggested.returncode == 0, suggested.stderr
    (tmp_path / "crm" / "kpi-reports.toml").write_text(suggested.stdout)       # the user pastes it

    for day in ("2026-10-31", "2026-10-05"):                          # run 2: the right numbers
        got, want = metrics_json(crm, day), metrics_json(sample, day)
        assert got["agents"] == want["agents"] and got["benchmarks"] == want["benchmarks"]
        assert got["data_quality"] == want["data_quality"] == []
    assert len(metrics_json(crm, "2026-10-05")["agents"]) == len(metrics_json(crm, "2026-10-31")["agents"]) + 1
    checked = kpi("check", crm, "--json")
    mail_only = ("Leader", "Email", "Team")   # check's mail readiness: no leader marked, DownTown/Downtown
    assert [p for p in json.loads(checked.stdout) if p["column"] not in mail_only] == []


def test_the_suggested_mapping_is_the_snippet_the_error_shows(tmp_path):
    crm = write_crm_export(team(), tmp_path / "export.xlsx")
    with pytest.raises(MappingError) as err:
        load_workbook(crm)
    snippet = err.value.snippet
    assert snippet.startswith('[sheets]\nAgents = "Roster"\n\n[columns.Agents]\n"Agent ID" = "ID"')
    assert '\nActive = "Status"' in snippet and '\n"Annual Volume Goal" = "Annual Goal"' in snippet
    assert '[columns.Deals]\n"Agent ID" = "Agent"' in snippet


def test_a_mapping_that_names_no_column_is_reported_with_the_closest(write_workbook, tmp_path):
    path = write_workbook()
    (tmp_path / "kpi-reports.toml").write_text('[columns.Leads]\nMatched = "Date Matchd"\n')
    with pytest.raises(MappingError) as err:
        load_workbook(path, load_settings(tmp_path / "kpi-reports.toml"))
    assert ("Matched ([columns.Leads] Matched = \"Date Matchd\" names no column): closest 'Matched'"
            in str(err.value))


def test_an_optional_mapping_that_names_no_column_is_a_problem(write_workbook, tmp_path):
    (tmp_path / "kpi-reports.toml").write_text('[columns.Agents]\nTeam = "Squad"\n')
    team_data = load_workbook(write_workbook(), load_settings(tmp_path / "kpi-reports.toml"))
    assert [(p.sheet, p.row, p.column, p.problem) for p in team_data.problems] == [
        ("Agents", None, "Team", "the settings map Team to 'Squad', which is not a column of this sheet: "
                                 "Team is not read")]


@pytest.mark.parametrize("text, words", [
    ('[columns.Leads]\nMatchd = "Date Matched"\n', "[columns.Leads] Matchd is not a column of Leads; did you mean Matched?"),
    ('[columns.Lead]\nMatched = "Date Matched"\n', "[columns.Lead] names the sheet 'Lead', which kpi-reports does not read; "
                                                    "did you mean Leads?"),
    ('[sheets]\nAgent = "Roster"\n', "[sheets] names the sheet 'Agent', which kpi-reports does not read; "
                                     "did you mean Agents?"),
    ('[columns]\nLeads = "Date Matched"\n', "[columns] must be one table per sheet"),
])
def test_names_in_the_mapping_that_are_none_of_ours_are_errors(write_workbook, tmp_path, text, words):
    (tmp_path / "kpi-reports.toml").write_text(text)
    with pytest.raises(UserError) as err:
        load_workbook(write_workbook(), load_settings(tmp_path / "kpi-reports.toml"))
    assert words in str(err.value)


def test_unused_lookalike_columns_are_named_with_the_mapping_that_reads_them(write_workbook):
    tables = team_tables()
    agents = tables["Agents"].rename(columns={"Annual Volume Goal": "Annual Goal", "Active": "Status"})
    agents["Annual Goal"] = [3_000_000, 2_000_000]
    agents["Status"] = ["Active", "Inactive"]
    tables["Agents"] = agents
    team_data = load_workbook(write_workbook(tables))
    assert [(p.sheet, p.row, p.column, p.problem) for p in team_data.problems] == [
        ("Agents", None, "Annual Goal", "not read; it looks like Annual Volume Goal (numbers, e.g. '3000000'). "
                                        'To read it, add to the settings: [columns.Agents] "Annual Volume Goal" = '
                                        '"Annual Goal"'),
        ("Agents", None, "Status", "not read; it looks like Active (yes/no words, e.g. 'Active'). To read it, add "
                                   'to the settings: [columns.Agents] Active = "Status"'),
    ]
    assert team_data.active_agents.index.tolist() == ["A01", "A02"]        # not read until mapped


# ------------------------------------------------------------------ dates

DATE_FORMS = ["10/7/2026", "10/7/26", "Oct 7, 2026", "7 Oct 2026", "7-Oct-2026", "October 7, 2026",
              "2026-10-07", "10/07/2026 3:30 PM", "Oct 7 2026", "7-Oct-26"]


@pytest.mark.parametrize("text", DATE_FORMS)
def test_every_date_form_is_read(text):
    days, unreadable, why = read_days(pd.Series([text], dtype=object))
    assert days.iloc[0] == pd.Timestamp("2026-10-07") and not unreadable.iloc[0] and why.iloc[0] == ""


def _leads_with_matched(values) -> dict:
    return team_tables(leads=[{"Lead ID": f"L{i}", "Agent ID": "A01", "Type": "Buyer", "Matched": v}
                              for i, v in enumerate(values)])


def test_every_date_form_is_read_from_cells_and_from_csv(write_workbook, tmp_path):
    tables = _leads_with_matched(DATE_FORMS)
    from_cells = load_workbook(write_workbook(tables))
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    from_csv = load_workbook(folder)
    for team_data in (from_cells, from_csv):
        assert team_data.problems == []
        assert (team_data.leads["matched"] == pd.Timestamp("2026-10-07")).all() and len(team_data.leads) == 10


def test_day_first_teams_set_it_once(write_workbook, tmp_path):
    path = write_workbook(_leads_with_matched(["13/10/2026", "03/10/2026"]))
    month_first = load_workbook(path)
    assert [p.problem for p in month_first.problems] == [
        "not a month-first date: '13/10/2026'; if your team writes dates day-first, set [dates] order = "
        "\"day-first\" in the settings"]
    (tmp_path / "kpi-reports.toml").write_text('[dates]\norder = "day-first"\n')
    day_first = load_workbook(path, load_settings(tmp_path / "kpi-reports.toml"))
    assert day_first.problems == []
    assert day_first.leads["matched"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-13", "2026-10-03"]


def test_a_column_mixing_both_orders_names_its_ambiguous_rows(write_workbook):
    team_data = load_workbook(write_workbook(_leads_with_matched(
        ["10/13/2026", "13/10/2026", "03/04/2026", "05/05/2026", "11/02/2026"])))
    assert [(p.row, p.problem) for p in team_data.problems] == [
        (4, "ambiguous date '03/04/2026': Mar 4, 2026 or Apr 3, 2026? The column mixes month-first and day-first "
            "dates (e.g. 10/13/2026 and 13/10/2026); type it as YYYY-MM-DD"),
        (6, "ambiguous date '11/02/2026': Nov 2, 2026 or Feb 11, 2026? The column mixes month-first and day-first "
            "dates (e.g. 10/13/2026 and 13/10/2026); type it as YYYY-MM-DD"),
    ]
    assert team_data.leads["matched"].dt.strftime("%Y-%m-%d").fillna("unread").tolist() == [
        "2026-10-13", "2026-10-13", "unread", "2026-05-05", "unread"]


def test_as_of_and_month_take_what_the_workbook_takes(write_workbook):
    assert day_from_text("Oct 31, 2026") == day_from_text("10/31/26") == day_from_text("31/10/2026") == AS_OF
    assert month_from_text("Oct 2026") == month_from_text("10/2026") == month_from_text("2026-10") \
        == month_from_text("October 7, 2026") == dt.date(2026, 10, 1)
    with pytest.raises(ValueError, match="could be March 4 or 3 April; write 2026-03-04 or 2026-04-03"):
        day_from_text("03/04/2026")
    path = write_workbook()
    assert json.loads(kpi("metrics", path, "--as-of", "Oct 31, 2026", "--json").stdout)["as_of"] == "2026-10-31"
    refused = kpi("metrics", path, "--as-of", "03/04/2026")
    assert refused.returncode == 2 and "could be March 4 or 3 April" in refused.stderr


# ------------------------------------------------------------------ IDs and Active

def test_an_id_that_differs_only_by_leading_zeros_says_so(write_workbook):
    tables = team_tables(agents=[{"Agent ID": 7, "Name": "Seven"}, {"Agent ID": "A01", "Name": "Dana"}],
                         activity=[{"Date": days_before(1), "Agent ID": "007", "Calls": 3},
                                   {"Date": days_before(1), "Agent ID": "A 01", "Calls": 3},
                                   {"Date": days_before(1), "Agent ID": "8", "Calls": 3}])
    problems = [p.problem for p in load_workbook(write_workbook(tables)).problems]
    assert problems == [
        "unknown agent '007': the Agents sheet has '7', which differs only by leading zeros or spaces. Type the ID "
        "the same way on both sheets (a column formatted as Text keeps leading zeros; one formatted as a number "
        "drops them)",
        "unknown agent 'A 01': the Agents sheet has 'A01', which differs only by leading zeros or spaces. Type the "
        "ID the same way on both sheets (a column formatted as Text keeps leading zeros; one formatted as a number "
        "drops them)",
        "unknown agent '8' (not on the Agents sheet)",
    ]


def test_an_active_word_we_do_not_know_lists_the_ones_we_do(write_workbook):
    tables = team_tables(agents=[{"Agent ID": "A01", "Name": "Dana", "Active": "Left"}])
    assert [p.problem for p in load_workbook(write_workbook(tables)).problems] == [
        "'Left' is not a word Active takes (TRUE, Yes, Y, 1, Active or blank (counts) and FALSE, No, N, 0, "
        "Inactive (never counts)); the agent is counted as active"]


# ------------------------------------------------------------------ Left On

def _left_team(left_on) -> dict:
    agents = [{"Agent ID": f"A0{i}", "Name": f"Agent {i}"} for i in range(1, 4)]
    tables = team_tables(agents=agents, activity=[
        {"Date": days_before(40), "Agent ID": "A01", "Calls": 10, "Contacts": 9},
        {"Date": days_before(40), "Agent ID": "A02", "Calls": 10, "Contacts": 5},
        {"Date": days_before(40), "Agent ID": "A03", "Calls": 10, "Contacts": 1},
    ])
    tables["Agents"]["Left On"] = [None, left_on, None]
    return tables


def test_an_agent_who_left_counts_for_every_day_before_leaving(write_workbook):
    before = AS_OF - dt.timedelta(days=30)
    still_here = load_workbook(write_workbook(_left_team(None)))
    left = load_workbook(write_workbook(_left_team(days_before(20))))
    then = compute(left, before)                     # re-running the old month: the figures it gave then
    assert then.agent_ids == ["A01", "A02", "A03"]
    assert then.to_json_dict() == compute(still_here, before).to_json_dict()
    now = compute(left, AS_OF - dt.timedelta(days=15))
    assert now.agent_ids == ["A01", "A03"]
    assert now.benchmarks.loc["contact_rate"].tolist() == [0.5, 0.9, 2]
    on_the_day = compute(left, AS_OF - dt.timedelta(days=20))
    assert on_the_day.agent_ids == ["A01", "A03"]     # Left On is the first day the agent no longer counts


def test_an_unreadable_left_on_leaves_the_agent_out_and_says_so(write_workbook):
    team_data = load_workbook(write_workbook(_left_team("sometime")))
    assert [(p.row, p.column, p.problem) for p in team_data.problems] == [
        (3, "Left On", "not a date: 'sometime'; the agent counts on no day until it is a date (or blank: still here)")]
    assert compute(team_data, AS_OF - dt.timedelta(days=30)).agent_ids == ["A01", "A03"]


# ------------------------------------------------------------------ a folder of CSV files, and .ods

def write_csv_folder(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir()
    for name, frame in tables.items():
        frame = frame.copy()
        for column in frame:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_a_folder_of_csv_files_gives_the_same_metrics_json_as_the_workbook(tmp_path):
    from kpi_reports.sample import sample_tables
    tables = sample_tables()
    book = write_sample_form(tables, tmp_path / "team.xlsx")
    folder = write_csv_folder(tables, tmp_path / "team_csv")
    for day in ("2026-10-31", "2026-08-17"):
        from_book, from_csv = metrics_json(book, day), metrics_json(folder, day)
        assert from_csv == from_book
        assert len(from_csv["data_quality"]) >= 7        # the sample's deliberate problems, same rows
    assert kpi("check", folder).returncode == 1
    assert kpi("scorecards", folder, "--month", "2026-10", "--agent", "A01", "--out", tmp_path / "out").returncode == 0
    assert list((tmp_path / "out").rglob("*.pdf"))


def test_csv_rows_are_lines_and_quoted_values_may_span_lines(tmp_path):
    folder = write_csv_folder(team_tables(), tmp_path / "team")
    (folder / "Leads.csv").write_text(
        'Lead ID;Agent ID;Type;Matched;Notes\n'
        'L1;A01;Buyer;10/1/26;"two\nlines"\n'
        '\n'
        'L2;A01;Renter;2026-10-01;x\n', encoding="cp1252")
    team_data = load_workbook(folder)
    assert [(p.sheet, p.row, p.column, p.problem) for p in team_data.problems if p.row] == [
        ("Leads", 5, "Type", "unknown Type 'Renter' (use Buyer, Seller, Offers); the lead counts in no lead metric")]
    assert team_data.leads["matched"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-01", "2026-10-01"]


def test_a_folder_without_csv_files_is_named(tmp_path):
    done = kpi("metrics", tmp_path)
    assert done.returncode == 2 and "holds no .csv files" in done.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_ods_workbook_reads_as_the_xlsx_it_was_saved_from(tmp_path):
    tables = team()
    book = write_sample_form(tables, tmp_path / "team.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(book)],
                   check=True, capture_output=True, timeout=180)
    ods = tmp_path / "team.ods"
    assert metrics_json(ods, "2026-10-31") == metrics_json(book, "2026-10-31")
