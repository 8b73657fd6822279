"""A workbook that cannot be used stops with one clear message, never a traceback."""
import subprocess
import sys

import msoffcrypto
import pytest

from kpi_reports import WorkbookError, load_workbook
from conftest import team_tables


def test_missing_sheet_names_it_and_the_sheets_found(write_workbook):
    tables = team_tables()
    del tables["Deals"]
    with pytest.raises(WorkbookError) as err:
        load_workbook(write_workbook(tables))
    message = str(err.value)
    assert "no sheet named 'Deals'" in message and "Agents, Activity, Leads" in message
    assert "Deal ID, Agent ID, Opened" in message


def test_missing_columns_name_what_is_missing_and_what_was_found(write_workbook):
    tables = team_tables()
    tables["Leads"] = tables["Leads"].drop(columns=["Type", "Matched"])
    with pytest.raises(WorkbookError) as err:
        load_workbook(write_workbook(tables))
    message = str(err.value)
    assert "Sheet 'Leads' is missing the required column(s) Type, Matched" in message
    assert "columns found: Lead ID, Agent ID, Scheduled, Met, Signed" in message


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text")
    with pytest.raises(WorkbookError, match="is not an Excel workbook"):
        load_workbook(path)


def test_truncated_workbook(write_workbook, tmp_path):
    data = write_workbook().read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookError, match="truncated or damaged"):
        load_workbook(path)


def test_password_protected_workbook(write_workbook, tmp_path):
    plain = write_workbook()
    encrypted = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, encrypted.open("wb") as dst:
        office = msoffcrypto.OfficeFile(src)
        office.encrypt("secret", dst)
    with pytest.raises(WorkbookError, match="password protected"):
        load_workbook(encrypted)


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="Workbook not found"):
        load_workbook(tmp_path / "nope.xlsx")


def test_cli_reports_missing_column_without_traceback(write_workbook):
    tables = team_tables()
    tables["Agents"] = tables["Agents"].drop(columns=["Name"])
    path = write_workbook(tables)
    run = subprocess.run([sys.executable, "-m", "kpi_reports", "metrics", str(path), "--as-of", "2026-10-31"],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "missing the required column(s) Name" in run.stderr
