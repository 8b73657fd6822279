"""Days no workbook can hold and folders that cannot be written: exit 2 with how to fix,
never exit 3 ("a bug") and never a traceback, before any work is done."""
from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from kpi_reports.cli import main
from conftest import team_tables
from test_result_views import ACTIVITY, AGENTS


@pytest.fixture
def workbook(write_workbook):
    return write_workbook(team_tables(agents=AGENTS, activity=ACTIVITY))


def run(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env={"KPI_MAIL_FROM": "office@team.example", **env})


def says(output: str, text: str) -> bool:
    """`text` is in the output, whatever Rich's line breaks (it breaks long paths at a slash, too)."""
    return "".join(text.split()) in "".join(output.split())


@pytest.mark.parametrize("args", [
    ["metrics", "{wb}", "--as-of", "0001-01-01"],
    ["metrics", "{wb}", "--as-of", "1899-12-31"],
    ["refresh", "{wb}", "--as-of", "0001-01-01"],
    ["scorecards", "{wb}", "--month", "0001-01", "--out", "{tmp}/out"],
    ["email", "{wb}", "--month", "1899-12", "--out", "{tmp}/out", "--outbox", "{tmp}/ob"],
])
def test_a_day_no_workbook_can_hold_is_exit_2_with_the_range(args, workbook, tmp_path):
    out = run(*[a.format(wb=workbook, tmp=tmp_path) for a in args])
    assert out.exit_code == 2, out.output
    assert says(out.output, "a workbook can hold (1900-01-01 to 9999-12-31)")
    assert not (tmp_path / "out").exists() and not (tmp_path / "ob").exists()


def test_the_first_and_last_days_are_accepted(workbook):
    for day in ("1900-01-01", "9999-12-31"):
        out = run("metrics", workbook, "--as-of", day, "--json")
        assert out.exit_code == 0, out.output


@pytest.mark.parametrize("command, option", [("scorecards", "--out"), ("email", "--out"), ("email", "--outbox")])
def test_a_folder_inside_a_file_is_exit_2_naming_it(command, option, workbook, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    places = {"--out": tmp_path / "out", "--outbox": tmp_path / "ob", option: tmp_path / "notes.txt" / "pdfs"}
    args = [command, workbook, "--month", "2026-10", "--out", places["--out"]]
    if command == "email":
        args += ["--outbox", places["--outbox"]]
    out = run(*args)
    assert out.exit_code == 2, out.output
    assert says(out.output, f"{option} {tmp_path / 'notes.txt' / 'pdfs'}: {tmp_path / 'notes.txt'} is a file, "
                            "not a folder")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("team")) == ["notes.txt"]


def test_a_folder_that_cannot_be_written_is_exit_2_naming_it(workbook, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here: cannot make a folder root may not write")
    try:
        out = run("email", workbook, "--month", "2026-10", "--out", tmp_path / "out", "--outbox", locked / "ob")
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert out.exit_code == 2, out.output
    assert says(out.output, f"--outbox {locked / 'ob'}: cannot write in {locked} (Operation not permitted)")
    assert not (tmp_path / "out").exists()
