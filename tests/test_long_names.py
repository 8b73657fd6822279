"""A name as long as Excel allows (32,767 characters) is shortened wherever it is laid out
(scorecard, team summary, Dashboard grid, terminal, mail), in little time and memory; the
full name stays in the data (--json)."""
from __future__ import annotations

import email
import json
import os
import resource
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from kpi_reports import compute, load_workbook
from kpi_reports.cli import main
from kpi_reports.excel.dashboard import metric_grid
from kpi_reports.formatting import display_name
from conftest import AS_OF, team_tables
from test_result_views import ACTIVITY, AGENTS

LONG = ("Dana Lee" + " Lee" * 9000)[:32_767]
SHOWN = "Dana Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Le…"     # 59 characters + "…"
KPI = Path(sys.executable).with_name("kpi-reports")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_display_name_is_one_short_line():
    assert display_name(LONG) == SHOWN and len(SHOWN) == 60
    assert display_name("Dana\r\nLee\x00 \u202eJr") == "Dana Lee Jr"
    assert display_name("Priya Dubois") == "Priya Dubois"
    assert display_name(None) == "" and display_name(float("nan")) == ""
    assert display_name("x" * 20_000_000, limit=10) == "xxxxxxxxx…"


@pytest.fixture(scope="module")
def long_name_month(tmp_path_factory):
    """The month's PDFs for a team whose first agent has a 32,767-character name, rendered by
    a real `kpi-reports scorecards` process: (folder, workbook, seconds, peak MB of the process tree)."""
    folder = tmp_path_factory.mktemp("long")
    agents = [dict(a) for a in AGENTS]
    agents[0]["Name"] = LONG
    from kpi_reports.team_workbook import write_team_workbook
    workbook = write_team_workbook(team_tables(agents=agents, activity=ACTIVITY), folder / "team.xlsx")
    start = time.monotonic()
    done = subprocess.run([str(KPI), "scorecards", str(workbook), "--month", "2026-10", "--out", str(folder / "out")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return folder, workbook, seconds, peak_mb


def test_the_scorecard_and_summary_stay_one_page_with_the_name_shortened(long_name_month):
    folder, _, seconds, peak_mb = long_name_month
    print(f"32,767-character name: the month's PDFs in {seconds:.1f} s, peak {peak_mb:.0f} MB")
    assert seconds < 240 and peak_mb < 1024                      # was: over 10 minutes
    (scorecard,) = (folder / "out" / "2026-10").glob("A01-*.pdf")
    assert len(scorecard.name) < 100
    for pdf in (scorecard, folder / "out" / "2026-10" / "team-summary.pdf"):
        pages = PdfReader(pdf).pages
        assert len(pages) == 1, pdf.name
        text = flat(pages[0].extract_text())
        assert SHOWN in text and "Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee Lee" not in text


def test_the_dashboard_terminal_and_mail_show_it_shortened_and_json_keeps_it(long_name_month, tmp_path):
    folder, workbook, _, _ = long_name_month
    grid = metric_grid(compute(load_workbook(workbook), AS_OF))
    assert grid[1][:3] == ["A01", SHOWN, "North"]

    wide = subprocess.run([str(KPI), "metrics", str(workbook), "--as-of", "2026-10-31"], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert wide.returncode == 0 and "Dana Lee Lee" in wide.stdout and len(wide.stdout) < 5000
    full = CliRunner().invoke(main, ["metrics", str(workbook), "--as-of", "2026-10-31", "--json"])
    assert json.loads(full.stdout)["agents"][0]["name"] == LONG

    out = CliRunner().invoke(main, ["email", str(workbook), "--month", "2026-10", "--out", str(folder / "out"),
                                    "--outbox", str(tmp_path / "ob")], env={"KPI_MAIL_FROM": "office@team.example"})
    assert out.exit_code == 0, out.output
    (eml,) = (tmp_path / "ob" / "2026-10").glob("scorecard-A01-*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    # Python's folding splits "Le…" into two encoded words and its parser keeps the space between them
    assert msg["To"].addresses[0].display_name.replace(" …", "…") == SHOWN
    assert f"Hello {SHOWN}," in msg.get_body(("plain",)).get_content()
