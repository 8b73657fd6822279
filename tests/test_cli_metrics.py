"""The command line: metrics (table, JSON, CSV), check and demo."""
import csv
import io
import json

import pytest
from click.testing import CliRunner

from kpi_reports import compute, load_workbook
from kpi_reports.cli import main
from kpi_reports.sample import SAMPLE_END
from conftest import AS_OF, days_before, team_tables


@pytest.fixture(scope="module")
def sample(demo_folder):
    """The workbook `kpi-reports demo` wrote (conftest checks it wrote team.xlsm and team.py too)."""
    return demo_folder / "sample_team.xlsx"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_is_the_spec_document(sample):
    out = run("metrics", sample, "--as-of", "2026-10-31", "--json")
    assert out.exit_code == 0
    doc = json.loads(out.stdout)
    engine = compute(load_workbook(sample), SAMPLE_END)
    assert set(doc) == {"as_of", "activity_window", "agents", "benchmarks", "data_quality",   # SPEC's keys
                        "plan", "leaderboard", "team", "teams"}                           # added (README)
    assert doc["activity_window"] == {"from": "2026-10-02", "to": "2026-10-31", "kind": "rolling"}
    assert doc["as_of"] == "2026-10-31"
    metric_ids = list(engine.settings.metric_ids)
    assert [a["agent_id"] for a in doc["agents"]] == list(engine.agents.index)
    for agent in doc["agents"]:
        assert isinstance(agent["agent_id"], str) and list(agent["metrics"]) == metric_ids
        for metric_id, m in agent["metrics"].items():
            row = engine.value(agent["agent_id"], metric_id)
            assert (m["numerator"], m["denominator"]) == (row.numerator, row.denominator)
            assert m["value"] is None if row.denominator == 0 else m["value"] == pytest.approx(row.value)
    assert set(doc["benchmarks"]["schedule_rate_14d"]) == {"average", "top10", "agents", "target"}
    assert {"sheet": "Leads", "row": 12, "column": "Met", "problem": "before Matched"} in doc["data_quality"]


def test_csv_has_one_row_per_agent_and_metric(sample):
    out = run("metrics", sample, "--as-of", "2026-10-31", "--csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    engine = compute(load_workbook(sample), SAMPLE_END)
    assert list(rows[0]) == ["agent_id", "metric", "numerator", "denominator", "value"]
    assert len(rows) == len(engine.agents) * len(engine.metrics)
    undefined = [r for r in rows if r["denominator"] == "0"]
    assert undefined and all(r["value"] == "" for r in undefined)


def test_table_shows_agents_and_benchmark_rows(sample):
    out = run("metrics", sample, "--as-of", "2026-10-31")
    assert out.exit_code == 0
    assert "A01" in out.stdout and "Average" in out.stdout and "Top 10%" in out.stdout
    assert "funnel over Oct 2 – Oct 31, 2026 (rolling 30 days)" in " ".join(out.stdout.split())


def test_check_lists_problems_and_exits_1(sample):
    out = run("check", sample)
    assert out.exit_code == 1
    assert "before Matched" in out.output and "Leads" in out.output


def test_check_json_lists_the_same_problems(sample):
    out = run("check", sample, "--json")
    assert out.exit_code == 1
    problems = json.loads(out.stdout)
    assert {"sheet": "Leads", "row": 12, "column": "Met", "problem": "before Matched"} in problems
    assert len(problems) == len(load_workbook(sample).problems)


def test_check_exits_0_on_clean_data(write_workbook):
    tables = team_tables(activity=[{"Date": days_before(1), "Agent ID": "A01", "Calls": 3}])
    tables["Agents"]["Leader"] = ["Yes", ""]                     # team North's summary has someone to go to
    path = write_workbook(tables)
    out = run("check", path)
    assert out.exit_code == 0 and "No data-quality problems" in out.output


def test_without_as_of_it_uses_today(write_workbook):
    import datetime as dt
    out = run("metrics", write_workbook(), "--json")
    assert json.loads(out.stdout)["as_of"] == dt.date.today().isoformat()


def test_a_day_past_the_data_gets_a_note_on_stderr(write_workbook):
    path = write_workbook(activity=[{"Date": days_before(40), "Agent ID": "A01", "Calls": 3}])
    out = run("metrics", path, "--as-of", AS_OF.isoformat(), "--json")
    assert out.exit_code == 0
    assert "past the last day of data (Sep 21, 2026)" in out.stderr and "--as-of 2026-09-21" in out.stderr
    assert json.loads(out.stdout)["as_of"] == AS_OF.isoformat()


def test_a_workbook_without_dated_rows_gets_a_note_not_a_range(write_workbook):
    out = run("metrics", write_workbook(), "--as-of", AS_OF.isoformat(), "--json")
    assert out.exit_code == 0
    assert "the workbook has no dated rows yet; every value is undefined." in out.stderr
    assert "the data ends" not in out.stderr and "the data starts" not in out.stderr


def test_help_teaches_with_examples():
    out = run("metrics", "--help")
    assert "Examples:" in out.output and "--as-of" in out.output


def test_bad_date_is_a_usage_error(sample):
    out = run("metrics", sample, "--as-of", "31/31/2026")
    assert out.exit_code == 2 and "'31/31/2026' is not a date: use YYYY-MM-DD, a day a workbook can hold (1900-01-01 to 9999-12-31), e.g. 2026-10-31" in out.output


def test_settings_file_beside_the_workbook_is_used(write_workbook):
    path = write_workbook(activity=[{"Date": days_before(12), "Agent ID": "A01", "Calls": 10, "Contacts": 5}])
    (path.parent / "kpi-reports.toml").write_text("[windows]\nrolling_days = 7\n")
    doc = json.loads(run("metrics", path, "--as-of", AS_OF.isoformat(), "--json").stdout)
    assert doc["agents"][0]["metrics"]["contact_rate"]["denominator"] == 0


def test_workbook_text_prints_as_text_not_terminal_markup(write_workbook, monkeypatch):
    from kpi_reports.cli.common import console
    monkeypatch.setattr(console, "width", 120)                      # wide enough for the Name column
    path = write_workbook(agents=[{"Agent ID": "A01", "Name": "[red]Bob[/] [/]"}],
                          leads=[{"Lead ID": "L1", "Agent ID": "[/]", "Type": "Buyer", "Matched": days_before(20)}])
    out = run("check", path)
    assert out.exit_code == 1 and "unknown agent '[/]'" in out.stdout
    out = run("metrics", path, "--as-of", AS_OF.isoformat())
    assert out.exit_code == 0 and "[red]Bob[/] [/]" in out.stdout
