"""new-workbook: a macro workbook from xlwings' own standalone quickstart, with the team tables."""
from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings
from python_calamine import CalamineWorkbook

from kpi_reports import UserError, compute, load_workbook
from kpi_reports.excel.new_workbook import new_workbook

TABLES = {"Agents": "Agents", "Activity": "Activity", "Leads": "Leads", "Deals": "Deals",
          "Deal Updates": "DealUpdates"}


@pytest.fixture(scope="module")
def sample_book(demo_folder) -> Path:
    """new_workbook(..., sample=True), as `kpi-reports demo` calls it (built once per run in conftest)."""
    return demo_folder / "team.xlsm"


def test_workbook_carries_xlwings_vba_project_and_is_macro_enabled(sample_book):
    package = zipfile.ZipFile(sample_book)
    template = zipfile.ZipFile(Path(xlwings.__file__).with_name("quickstart_standalone.xlsm"))
    assert package.read("xl/vbaProject.bin") == template.read("xl/vbaProject.bin")
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in package.read("[Content_Types].xml")
    assert b'codeName="ThisWorkbook"' in package.read("xl/workbook.xml")


def test_team_sheets_are_excel_tables_and_the_conf_sheet_names_the_udfs(sample_book):
    book = openpyxl.load_workbook(sample_book, keep_vba=True)
    assert book.sheetnames == ["Dashboard", *TABLES, "xlwings.conf"]
    for sheet, table in TABLES.items():
        assert list(book[sheet].tables) == [table]
    conf = {r[0]: r[1] for r in book["xlwings.conf"].iter_rows(values_only=True) if r[0]}
    assert conf["UDF Modules"] == "kpi_reports.excel.udfs"
    code_names = [ws.sheet_properties.codeName for ws in book]
    assert len(set(code_names)) == len(code_names) and None not in code_names


def test_sample_workbook_loads_and_its_dashboard_matches_the_engine(sample_book):
    team = load_workbook(sample_book)
    result = compute(team, team.date_range()[1])
    rows = CalamineWorkbook.from_path(str(sample_book)).get_sheet_by_name("Dashboard").to_python()
    a01 = next(r for r in rows if r[0] == "A01")
    assert a01[3] == pytest.approx(result.value("A01", "portal_update_rate")["value"])
    main_py = sample_book.with_suffix(".py").read_text()
    assert "def main():" in main_py and "refresh_caller(book)" in main_py
    compile(main_py, "team.py", "exec")


def test_empty_workbook_has_headers_only_and_libreoffice_opens_it(tmp_path):
    path = new_workbook(tmp_path / "empty_team.xlsm")
    team = load_workbook(path)
    assert team.agents.empty and team.leads.empty and not team.problems
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(path)],
                   check=True, capture_output=True, timeout=120)
    converted = CalamineWorkbook.from_path(str(tmp_path / "lo" / "empty_team.xlsx"))
    assert converted.sheet_names == ["Dashboard", *TABLES, "xlwings.conf"]
    assert converted.get_sheet_by_name("Leads").to_python()[0][:4] == ["Lead ID", "Agent ID", "Type", "Matched"]


@pytest.mark.parametrize("name, text", [("team.xlsx", ".xlsm"), ("my team.xlsm", "letters, digits"),
                                        ("2026.xlsm", "letters, digits")])
def test_bad_names_are_refused_with_a_reason(tmp_path, name, text):
    with pytest.raises(UserError, match=text):
        new_workbook(tmp_path / name)


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "team.xlsm"
    path.write_bytes(b"mine")
    with pytest.raises(UserError, match="already exists"):
        new_workbook(path)
    assert path.read_bytes() == b"mine"
