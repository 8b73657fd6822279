"""The Dashboard sheet: built once as a layout, written headless, read back, opened by LibreOffice."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kpi_reports import compute, load_settings, load_workbook
from kpi_reports.bands import BANDS
from kpi_reports.excel.dashboard import FIRST_METRIC_COL, GRID_TOP, build_layout
from kpi_reports.excel.dashboard_xlsx import layout_bytes
from kpi_reports.excel.refresh import refresh_workbook
from kpi_reports.sample import sample_tables
from kpi_reports.team_workbook import write_team_workbook

AS_OF = dt.date(2026, 10, 31)
EVIL = "=HYPERLINK(\"http://x\",\"y\")"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    tables = sample_tables()
    tables["Agents"].loc[0, "Name"] = EVIL
    tables["Agents"].loc[1, "Team"] = "+1-2"
    return write_team_workbook(tables, tmp_path_factory.mktemp("dash") / "team.xlsx")


@pytest.fixture(scope="module")
def result(workbook):
    return compute(load_workbook(workbook), AS_OF)


def _rows_by_agent(ws, first_row: int) -> dict[str, tuple]:
    rows = {}
    for row in ws.iter_rows(min_row=first_row, values_only=True):
        if row[0] in (None, "Average"):
            break
        rows[row[0]] = row
    return rows


def test_dashboard_values_equal_the_engine_when_read_back(result):
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(build_layout(result)))).active
    header = next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if r[0] == "Agent ID")
    rows = _rows_by_agent(ws, header + 1)
    assert list(rows) == list(result.agents.index)
    for agent, row in rows.items():
        for k, metric_id in enumerate(result.settings.metric_ids):
            want = result.value(agent, metric_id)
            rate, num, den = row[FIRST_METRIC_COL - 1 + 3 * k: FIRST_METRIC_COL + 2 + 3 * k]
            assert rate == "—" if pd.isna(want["value"]) else rate == pytest.approx(want["value"])
            assert (num, den) == (want["numerator"], want["denominator"])
    bench = header + 1 + len(rows)
    averages = [ws.cell(bench, FIRST_METRIC_COL + 3 * k).value for k in range(len(result.metrics))]
    assert averages == pytest.approx(list(result.benchmarks["average"]))
    assert ws.cell(bench + 1, 1).value == "Top 10%"


def test_as_of_and_refresh_time_are_real_dates_shown_like_the_pdfs(result):
    refreshed = dt.datetime(2026, 11, 2, 9, 5, 30)
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(build_layout(result, refreshed)))).active
    assert (ws["A2"].value, ws["A3"].value) == ("As of", "Refreshed")
    assert ws["B2"].is_date and ws["B2"].value == dt.datetime(2026, 10, 31)
    assert ws["B2"].number_format == "mmm d, yyyy"
    assert ws["B3"].is_date and ws["B3"].value == dt.datetime(2026, 11, 2, 9, 5, 30)
    assert ws["B3"].number_format == "mmm d, yyyy h:mm"


def _benchmark_rows(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(values_only=True) if r[0] in ("Average", "Top 10%")]


def test_benchmark_rows_name_their_label_once_with_a_note_beside_it(result):
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(build_layout(result)))).active
    rows = _benchmark_rows(ws)
    assert [r[0] for r in rows] == ["Average", "Top 10%"]
    assert [r[1] for r in rows] == ["mean of agents with a rate", "mean of the best 10%"]
    assert all(r.count(r[0]) == 1 and r[2] is None for r in rows)


def test_chart_value_axis_is_0_to_100_percent_and_labels_benchmarks_from_column_a(result):
    data = layout_bytes(build_layout(result))
    chart = zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml").decode()
    scaling = chart[chart.index("<valAx>"):chart.index("</valAx>")]
    assert '<max val="1"' in scaling and '<min val="0"' in scaling
    assert '<numFmt formatCode="0%" sourceLinked="0"' in scaling
    first, bench = GRID_TOP + 2, GRID_TOP + 2 + len(result.agents)
    assert (f"<f>('Dashboard'!$B${first}:$B${bench - 1},'Dashboard'!$A${bench}:$A${bench + 1})</f>"
            in chart)


def test_colour_key_names_the_colours_the_rules_really_use(result):
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(build_layout(result)))).active
    first_rate = next(cf for cf in ws.conditional_formatting if str(cf.sqref).startswith("D"))
    rule_fills = [rule.dxf.fill.bgColor.rgb[-6:] for rule in first_rate.rules]
    assert [rule.formula[0].count(">=") for rule in first_rate.rules] == [1, 1, 0]  # top, avg, below
    key = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Rate colours")
    words = [ws.cell(key + i, 1).value for i in (1, 2, 3)]
    assert words == ["Green", "Blue", "Red"] == [b.word for b in BANDS]
    assert [ws.cell(key + i, 1).fill.start_color.rgb[-6:] for i in (1, 2, 3)] == rule_fills
    assert [ws.cell(key + i, 2).value for i in (1, 2, 3)] == [
        "rate at or above Top 10%", "rate at or above Average, below Top 10%", "rate below Average"]
    colour_words = {w for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)
                    for w in ("green", "amber", "red", "blue", "yellow", "orange") if w in v.lower().split()}
    assert colour_words == {"green", "blue", "red"}


def test_dashboard_prints_landscape_one_page_wide_with_the_grid_header_repeated(result):
    layout = build_layout(result)
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(layout))).active
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${GRID_TOP}:${GRID_TOP + 1}"
    chart_row = int(layout.chart.anchor[1:])
    assert [b.id for b in ws.row_breaks.brk] == [chart_row - 1]     # the chart starts a page
    assert ws.row_dimensions[GRID_TOP + 1].height == 30             # wrapped sub-headers fit


def test_colours_are_live_conditional_formats_against_the_benchmark_rows(result):
    ws = openpyxl.load_workbook(io.BytesIO(layout_bytes(build_layout(result)))).active
    rules = [(str(cf.sqref), rule.formula[0]) for cf in ws.conditional_formatting for rule in cf.rules]
    assert len(rules) == 3 * len(result.metrics)
    first_rate = [(ref, f) for ref, f in rules if ref.startswith("D")]
    assert all(ref == first_rate[0][0] for ref, _ in first_rate)
    assert any(">=ROUND(D$" in f for _, f in first_rate) and any("<ROUND(D$" in f for _, f in first_rate)


def test_data_quality_and_chart_are_on_the_sheet(result):
    data = layout_bytes(build_layout(result))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [r for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(cells) if str(r[0]).startswith("Data quality"))
    listed = [(r[0], r[1], r[2], r[3]) for r in cells[start + 2:start + 2 + len(result.data_quality)]]
    assert listed == [(p.sheet, p.row, p.column, p.problem) for p in result.data_quality]
    assert cells[start][0] == f"Data quality: {len(result.data_quality)} problems"
    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())


def test_text_from_the_workbook_is_never_written_as_a_formula(result):
    data = layout_bytes(build_layout(result))
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = {c.value for row in ws.iter_rows() for c in row}
    assert EVIL in values and "+1-2" in values


def test_refresh_splices_a_dashboard_libreoffice_opens(workbook, result, tmp_path):
    target = tmp_path / "team.xlsx"
    target.write_bytes(workbook.read_bytes())
    refreshed = refresh_workbook(target, AS_OF, load_settings())
    pd.testing.assert_frame_equal(refreshed.values, result.values)
    book = CalamineWorkbook.from_path(str(target))
    assert book.sheet_names[:4] == ["Agents", "Activity", "Leads", "Deals"] and "Dashboard" in book.sheet_names
    rows = book.get_sheet_by_name("Dashboard").to_python()
    a01 = next(r for r in rows if r[0] == "A01")
    assert a01[1] == EVIL
    assert a01[FIRST_METRIC_COL - 1 + 3] == pytest.approx(result.value("A01", "schedule_rate_14d")["value"])
    assert load_workbook(target).agents.equals(load_workbook(workbook).agents)     # the data is untouched
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(target)],
                   check=True, capture_output=True, timeout=120)
    converted = CalamineWorkbook.from_path(str(out / "team.xlsx"))
    lo_rows = converted.get_sheet_by_name("Dashboard").to_python()
    assert next(r for r in lo_rows if r[0] == "A01")[1] == EVIL


def test_a_team_with_no_active_agent_still_gets_a_dashboard(tmp_path):
    from conftest import team_tables
    path = write_team_workbook(team_tables(agents=[{"Agent ID": "A01", "Name": "Dana", "Active": "No"}]),
                               tmp_path / "none.xlsx")
    refresh_workbook(path, AS_OF)
    ws = openpyxl.load_workbook(path)["Dashboard"]
    assert ws.cell(GRID_TOP + 2, 1).value == "Average"
