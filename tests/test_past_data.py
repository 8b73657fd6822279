"""An as-of day past the last day of data is said plainly on every face, never a silent 0%.

Without --as-of a month after the data ends, every deal looks stale (portal updates 0%)
and the funnel is short. The terminal, the JSON's data-quality list, `refresh` and the
Dashboard's header all carry the engine's one sentence, naming the last data day and how
to pick the day.
"""
from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from kpi_reports import compute, load_workbook
from kpi_reports.cli import main

from conftest import AS_OF, days_before

NOTE = ("As of Oct 31, 2026 is 40 days past the last day of data (Sep 21, 2026): the windows miss those days, "
        "so portal updates and the funnel read low. Pick the day with --as-of 2026-09-21 (or the month with "
        "--month 2026-09).")


@pytest.fixture
def stale(write_workbook):
    return write_workbook(
        activity=[{"Date": days_before(40), "Agent ID": "A01", "Calls": 3, "Contacts": 1}],
        deals=[{"Deal ID": "D1", "Agent ID": "A01", "Opened": days_before(60), "Last Updated": days_before(41)}])


def flat(text: str) -> str:
    return " ".join(text.split())


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_engine_counts_the_days_past_the_data(stale):
    result = compute(load_workbook(stale), AS_OF)
    assert (result.data_end.isoformat(), result.days_past_data) == ("2026-09-21", 40)
    assert result.past_data_note == NOTE
    on_time = compute(load_workbook(stale), days_before(40).date())
    assert on_time.days_past_data is None and on_time.past_data_note is None


def test_metrics_json_lists_it_first_in_data_quality(stale):
    out = run("metrics", stale, "--as-of", AS_OF.isoformat(), "--json")
    assert out.exit_code == 0, out.output
    first = json.loads(out.stdout)["data_quality"][0]
    assert first == {"sheet": None, "row": None, "column": None, "problem": NOTE,
                     "days_past_data": 40, "data_end": "2026-09-21"}
    on_time = json.loads(run("metrics", stale, "--as-of", "2026-09-21", "--json").stdout)
    assert all(p["sheet"] is not None for p in on_time["data_quality"])


def test_the_terminal_table_and_refresh_say_it(stale, tmp_path):
    out = run("metrics", stale, "--as-of", AS_OF.isoformat())
    assert NOTE in flat(out.stderr)
    refreshed = run("refresh", stale, "--as-of", AS_OF.isoformat())
    assert refreshed.exit_code == 0, refreshed.output
    assert NOTE in flat(refreshed.stderr)
    header = openpyxl.load_workbook(stale)["Dashboard"]
    assert (header["A2"].value, header["C2"].value) == ("As of", NOTE)
    assert "past the last day" not in flat(run("refresh", stale, "--as-of", "2026-09-21").stderr)
    assert openpyxl.load_workbook(stale)["Dashboard"]["C2"].value is None
