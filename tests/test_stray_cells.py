"""A stray cell far out on a sheet: memory follows the data, not the sheet's grid.

Real workbooks carry notes typed at XFD2 or a value left at XFD1048576. Each load runs in
a child process under an address-space cap, and its peak memory is read with wait4's
rusage, so a regression fails cleanly here instead of taking the machine's memory.
"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from kpi_reports import compute, load_workbook
from kpi_reports.load.xlsx import column_index, column_letters, grid_fits
from kpi_reports.sample import write_sample_workbook
from conftest import AS_OF

CAP = 3 << 30                  # address space of the child: the bug asked for 6 GB and 550 GB
PEAK_LIMIT_MB = 400            # the plain sample loads in about 100 MB
CHILD = """
import json, sys
from kpi_reports import compute, load_workbook
import datetime as dt
team = load_workbook(sys.argv[1])
result = compute(team, dt.date.fromisoformat(sys.argv[2]))
print(json.dumps({"result": result.to_json_dict(), "rows": len(team.activity)}))
"""


def add_cell(path: Path, sheet_xml: str, ref: str, text: str) -> Path:
    """Type `text` at `ref` of a sheet, as Excel would store it (and widen <dimension>)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = parts[sheet_xml].decode()
    row = int(re.match(r"[A-Z]+(\d+)", ref).group(1))
    cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    if f'<row r="{row}"' in xml:
        xml = re.sub(rf'(<row r="{row}"[^>]*>.*?)(</row>)', lambda m: m.group(1) + cell + m.group(2), xml,
                     count=1, flags=re.S)
    else:
        xml = xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    parts[sheet_xml] = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{ref}"/>', xml).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def load_in_child(path: Path) -> tuple[dict, float]:
    """(the child's output, its own peak RSS in MB from wait4), the child capped at CAP bytes."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), AS_OF.isoformat()],
                                stdout=out, stderr=err, preexec_fn=cap)
        hang = threading.Timer(300, proc.kill)          # a guard against a hang, not a speed target
        hang.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            hang.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        assert proc.returncode == 0, err.read().decode()[-2000:]
        return json.loads(out.read()), usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return write_sample_workbook(tmp_path_factory.mktemp("stray") / "plain.xlsx")


@pytest.fixture(scope="module")
def plain_result(sample) -> dict:
    return compute(load_workbook(sample), AS_OF).to_json_dict()


@pytest.mark.parametrize("ref", ["XFD2", "XFD1048576", "XFD1"])
def test_a_note_far_out_costs_no_memory_and_changes_no_number(sample, plain_result, tmp_path, ref):
    path = tmp_path / f"stray_{ref}.xlsx"
    path.write_bytes(sample.read_bytes())
    add_cell(path, "xl/worksheets/sheet2.xml", ref, "call Dana back")       # sheet2 = Activity
    out, peak_mb = load_in_child(path)
    assert peak_mb < PEAK_LIMIT_MB
    assert out["result"] == plain_result
    assert out["rows"] == 9750


def test_a_value_at_the_last_row_of_a_named_column_is_a_row_of_its_own(sample, tmp_path):
    path = tmp_path / "last_row.xlsx"
    path.write_bytes(sample.read_bytes())
    add_cell(path, "xl/worksheets/sheet2.xml", "B1048576", "A01")      # Agent ID, no Date
    out, peak_mb = load_in_child(path)
    assert peak_mb < PEAK_LIMIT_MB
    problems = [(p["sheet"], p["row"], p["column"], p["problem"]) for p in out["result"]["data_quality"]]
    assert ("Activity", 1048576, "Date", "missing Date") in problems


def test_compacted_sheet_types_cells_as_calamine_does(tmp_path):
    """Dates, shared strings, numbers, booleans and row numbers through the compacting path."""
    import xlsxwriter
    path = tmp_path / "typed.xlsx"
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    import datetime as dt
    for name, rows in {
        "Agents": [["Agent ID", "Name"], ["A01", "Dana & Co <1>"], [7, "Seven"]],
        "Activity": [["Date", "Agent ID", "Calls", "Notes"], [dt.datetime(2026, 10, 30), "A01", 5, "x"],
                     [], [dt.datetime(9999, 12, 31), 7, True, None]],
        "Leads": [["Lead ID", "Agent ID", "Type", "Matched"]], "Deals": [["Deal ID", "Agent ID", "Opened"]],
    }.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date)
                elif value is not None:
                    sheet.write(r, c, value)
        if name in ("Agents", "Activity"):
            sheet.write(1, 16383, "stray")                       # XFD2
    book.close()
    team = load_workbook(path)
    assert list(team.agents["name"]) == ["Dana & Co <1>", "Seven"]
    assert [str(d.date()) for d in team.activity["date"]] == ["2026-10-30", "9999-12-31"]
    assert list(team.activity["agent_id"]) == ["A01", "7"]
    assert list(team.activity["calls"]) == [5.0, 0.0]
    assert [(p.sheet, p.row, p.column, p.problem) for p in team.problems if p.row] == [
        ("Activity", 4, "Calls", "not a number: TRUE (counted as blank)")]


def test_grid_check_on_sheet_xml():
    def sheet(cells: str) -> bytes:
        return f'<worksheet><sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()

    assert grid_fits(sheet('<c r="A1"><v>1</v></c><c r="G1"><v>2</v></c>'))
    assert grid_fits(sheet('<c r="AZ1"><v>1</v></c>'))                     # 52 columns: still small
    assert not grid_fits(sheet('<c r="XFD1"><v>1</v></c>'))
    assert not grid_fits(sheet('<c r="A1"><v>1</v></c><c r="A1048576"><v>1</v></c>'))   # out of order
    assert not grid_fits(sheet('<c><v>1</v></c>'))                          # no reference: positional
    assert not grid_fits(sheet('<c s="1" r="A1"><v>1</v></c>'))             # reference not first
    assert grid_fits(b"<worksheet><sheetData/></worksheet>")
    assert [column_index(x) for x in ("A", "Z", "AA", "XFD")] == [0, 25, 26, 16383]
    assert [column_letters(i) for i in (0, 25, 26, 16383)] == ["A", "Z", "AA", "XFD"]
