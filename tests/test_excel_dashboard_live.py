"""The live writer (Run main in Excel) against a recording stand-in of xlwings' Sheet API.

Excel is not here, so this runs our writer's non-Windows path against an object that
records what xlwings would be asked to do, and checks it asks for the same Dashboard the
headless writer produces. What Excel then does with those calls was not run (see README).
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from kpi_reports import compute, load_workbook
from kpi_reports.excel.dashboard import build_layout
from kpi_reports.excel.dashboard_live import write_layout_live


class RecordingRange:
    def __init__(self, sheet: "RecordingSheet", address) -> None:
        self.sheet, self.address = sheet, address
        self.font = SimpleNamespace(bold=False, italic=False, size=None, color=None)
        self.left = self.top = 0

    def __setattr__(self, name, value):
        if name in ("value", "number_format", "color", "wrap_text", "column_width"):
            self.sheet.calls.append((name, self.address, value))
        object.__setattr__(self, name, value)


class RecordingSheet:
    name = "Dashboard"

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.charts = RecordingCharts(self)
        self.freeze_panes = SimpleNamespace(freeze_at=lambda address: self.calls.append(("freeze", address)))

    def clear(self) -> None:
        self.calls.append(("clear",))

    def range(self, address):
        return RecordingRange(self, address)

    def activate(self) -> None:
        self.calls.append(("activate",))


class RecordingCharts(list):
    def __init__(self, sheet: RecordingSheet) -> None:
        super().__init__()
        self.sheet = sheet

    def add(self, **where):
        chart = SimpleNamespace(where=where, chart_type=None, source=None, delete=lambda: None)
        chart.set_source_data = lambda rng: setattr(chart, "source", rng.address)
        self.append(chart)
        return chart


@pytest.fixture(scope="module")
def layout(sample_workbook):
    team = load_workbook(sample_workbook)
    return build_layout(compute(team, dt.date(2026, 10, 31)), refreshed=dt.datetime(2026, 11, 1, 9, 0))


def test_values_go_in_one_bulk_write_with_text_kept_as_text(layout):
    sheet = RecordingSheet()
    write_layout_live(sheet, layout)
    assert sheet.calls[0] == ("clear",)
    (bulk,) = [c for c in sheet.calls if c[0] == "value"]
    _, address, grid = bulk
    assert address == (1, 1)
    expected = layout.grid()
    assert len(grid) == len(expected)
    for got_row, want_row in zip(grid, expected):
        for got, want in zip(got_row, want_row):
            assert got == ("'" + want if isinstance(want, str) else want)


def test_formats_widths_chart_and_freeze_match_the_layout(layout):
    sheet = RecordingSheet()
    write_layout_live(sheet, layout)
    formatted = {(c[1], c[2]) for c in sheet.calls if c[0] == "number_format"}
    for (row, col), cell in layout.cells.items():
        if cell.number_format:
            assert any(_covers(address, row, col) and fmt == cell.number_format for address, fmt in formatted)
    widths = {c[1]: c[2] for c in sheet.calls if c[0] == "column_width"}
    assert widths == {(1, col): width for col, width in layout.widths.items()}
    (chart,) = sheet.charts
    assert chart.chart_type == "column_clustered" and chart.source == layout.chart.values
    assert sheet.calls[-1] == ("freeze", layout.freeze)


def _covers(address: str, row: int, col: int) -> bool:
    from openpyxl.utils import range_boundaries
    min_col, min_row, max_col, max_row = range_boundaries(address)
    return min_row <= row <= max_row and min_col <= col <= max_col
