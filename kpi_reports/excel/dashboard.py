"""The Dashboard sheet as one layout model, written by two writers.

`build_layout(result)` decides every cell, number format, style, conditional-format rule
and the chart once; dashboard_xlsx.py writes it with openpyxl (headless refresh, new
workbooks) and dashboard_live.py through xlwings into the open book, so both paths show
the same sheet. Colours are conditional formats comparing each rate with the Average and
Top 10% rows, so they stay right if someone edits a number. Every string in the model is
text: writers never let a name like "=HYPERLINK(...)" become a formula.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter

from kpi_reports.bands import BANDS, UNBANDED, excel_condition, legend
from kpi_reports.formatting import UNDEFINED, day, display_name, window
from kpi_reports.model import KpiResult

SHEET = "Dashboard"
RATE, COUNT, DATE, STAMP = "0%", "#,##0", "mmm d, yyyy", "mmm d, yyyy h:mm"   # dates read as in the PDFs
GRID_TOP = 6                 # row of the metric labels; sub-headers below, agents below that
FIRST_METRIC_COL = 4         # A = Agent ID, B = Name, C = Team
CHART_ROWS = 18              # rows left free for the chart under the grid


@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None        # font colour, RRGGBB
    fill: str | None = None         # background, RRGGBB
    align: str | None = None        # "center", "right", ...
    wrap: bool = False


STYLES = {
    "title": Style(bold=True, size=16, color="1F4E78"),
    "label": Style(bold=True),
    "group": Style(bold=True, color="FFFFFF", fill="1F4E78"),
    "header": Style(bold=True, fill="DDEBF7", wrap=True),
    "benchmark": Style(bold=True, fill="F2F2F2"),
    "undefined": Style(color="808080", align="center"),
    "note": Style(italic=True, color="595959"),
    "benchmark_note": Style(italic=True, color="595959", fill="F2F2F2"),
    "left": Style(align="left"),
    "warning": Style(bold=True, color="9C0006"),
}


STYLES.update({f"band:{b.word}": Style(bold=True, color=b.font, fill=b.fill, align="center")
               for b in BANDS})


@dataclass(frozen=True)
class Cell:
    value: object                    # str, int, float, date, datetime or None
    style: str = ""                  # a key of STYLES
    number_format: str = ""


@dataclass(frozen=True)
class Rule:
    """Fill `cells` where `formula` (written for its top-left cell, relative refs) holds."""

    cells: str
    formula: str
    fill: str
    font: str


@dataclass(frozen=True)
class ChartSpec:
    title: str
    anchor: str                      # top-left cell
    categories: str                  # e.g. "$B$7:$B$30"
    values: str                      # e.g. "$E$7:$E$30"
    series_name: str
    width_cm: float = 24.0
    height_cm: float = 8.5
    y_min: float = 0.0               # rates are 0..100%
    y_max: float = 1.0
    y_format: str = RATE


@dataclass(frozen=True)
class PageSetup:
    """Print as landscape, one page wide, the grid header repeated on every page."""

    title_rows: str                  # e.g. "6:7"
    breaks: tuple[int, ...] = ()     # a page starts after each of these rows
    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0              # 0 = as many pages tall as needed


@dataclass
class Layout:
    sheet: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)    # (row, col), 1-based
    widths: dict[int, float] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    chart: ChartSpec | None = None
    freeze: str = "D7"
    page: PageSetup = PageSetup(f"{GRID_TOP}:{GRID_TOP + 1}")

    def put(self, row: int, col: int, value: object, style: str = "", number_format: str = "") -> None:
        if isinstance(value, float) and pd.isna(value):
            value, style, number_format = UNDEFINED, "undefined", ""
        self.cells[(row, col)] = Cell(value, style, number_format)

    def put_row(self, row: int, col: int, values: list, style: str = "") -> None:
        for offset, value in enumerate(values):
            self.put(row, col + offset, value, style)

    def grid(self) -> list[list[object]]:
        """Every value as a dense 2-D list from A1 (for bulk writers)."""
        rows = max((r for r, _ in self.cells), default=0)
        cols = max((c for _, c in self.cells), default=0)
        out: list[list[object]] = [[None] * cols for _ in range(rows)]
        for (r, c), cell in self.cells.items():
            out[r - 1][c - 1] = cell.value
        return out


def _ref(row: int, col: int, absolute: bool = False) -> str:
    letter = get_column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def benchmark_labels(result: KpiResult) -> tuple[str, str]:
    return "Average", f"Top {result.settings.top_percent}%"


def metric_grid(result: KpiResult) -> list[list[object]]:
    """Header, one row per active agent, then the Average and Top 10% rows.

    Per metric three columns: the rate, its numerator and its denominator. Undefined
    values are None. Shared by the Dashboard and =KPI_TABLE().
    """
    header: list[object] = ["Agent ID", "Name", "Team"]
    for m in result.metrics:
        header += [m.label, f"{m.label}: count", f"{m.label}: of {m.population}"]
    people = result.agents[["name", "team"]].astype(object)
    rows: list[list[object]] = [[agent_id, display_name(people["name"].iat[i]), display_name(people["team"].iat[i]),
             *(cell for j in range(len(result.metrics)) for cell in (
                 _rate(result.rate[j, i]), _count(result.numerator[j, i]), _count(result.denominator[j, i])))]
            for i, agent_id in enumerate(result.agent_ids)]
    average, top = benchmark_labels(result)
    for label, values in ((average, result.average), (top, result.top10)):
        rows.append([label, None, None, *(cell for v in values for cell in (_rate(v), None, None))])
    return [header, *rows]


def _rate(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def _count(value: float) -> int | float | None:
    """A whole count as an int (12, not 12.0); undefined as None."""
    return None if pd.isna(value) else int(value) if float(value).is_integer() else float(value)


def build_layout(result: KpiResult, refreshed: dt.datetime | None = None) -> Layout:
    """The whole Dashboard for one KpiResult (refreshed: the time shown as "Refreshed")."""
    refreshed = (refreshed or dt.datetime.now()).replace(microsecond=0)
    layout = Layout(SHEET)
    _header(layout, result, refreshed)
    first, bench = _grid(layout, result)
    _colours(layout, result, first, bench)
    key_end = _colour_key(layout, result, bench + 3)
    _chart(layout, result, first, bench, key_end + 2)
    _data_quality(layout, result, key_end + 2 + CHART_ROWS + 1)
    return layout


def _header(layout: Layout, result: KpiResult, refreshed: dt.datetime) -> None:
    start, end = result.activity_window
    layout.put(1, 1, "KPI Dashboard", "title")
    for row, (label, value, fmt) in enumerate((
            ("As of", _datetime(result.as_of), DATE), ("Refreshed", refreshed, STAMP),
            ("Activity window", window(start, end, result.activity_window_kind), ""),
            ("Settings", result.settings.source, "")), start=2):
        layout.put(row, 1, label, "label")
        layout.put(row, 2, value, "left", fmt)
    if result.past_data_note:                 # beside the as-of day, where the eye is
        layout.put(2, 3, result.past_data_note, "warning")
    layout.widths.update({1: 15, 2: 22, 3: 14})


def _datetime(day_: dt.date) -> dt.datetime:
    """A date as midnight: the same serial number in Excel, and one type for both writers."""
    return dt.datetime.combine(day_, dt.time())


def _grid(layout: Layout, result: KpiResult) -> tuple[int, int]:
    """Writes the metric grid; returns the first agent row and the Average row."""
    grid = metric_grid(result)
    head, rows = grid[0], grid[1:]
    top = GRID_TOP
    for k, m in enumerate(result.metrics):
        col = FIRST_METRIC_COL + 3 * k
        layout.put(top, col, m.brief_label, "group")
        layout.put(top, col + 1, None, "group")
        layout.put(top, col + 2, None, "group")
        layout.put_row(top + 1, col, ["Rate", "Count", f"Of ({m.population})"], "header")
        layout.widths.update({col: 9, col + 1: 8, col + 2: 13})
    layout.put_row(top + 1, 1, head[:3], "header")
    first = top + 2
    bench = first + len(rows) - 2
    for r, values in enumerate(rows, start=first):
        style = "benchmark" if r >= bench else ""
        layout.put_row(r, 1, values[:3], style)
        for k in range(len(result.metrics)):
            col = FIRST_METRIC_COL + 3 * k
            rate, num, den = values[3 + 3 * k: 6 + 3 * k]
            layout.put(r, col, float("nan") if rate is None else rate, style, RATE)
            if r < bench:
                layout.put(r, col + 1, num, style, COUNT)
                layout.put(r, col + 2, den, style, COUNT)
            else:
                layout.put(r, col + 1, None, style)
                layout.put(r, col + 2, None, style)
    for r, note in zip((bench, bench + 1), benchmark_notes(result)):
        layout.put(r, 2, note, "benchmark_note")
    layout.freeze = _ref(first, FIRST_METRIC_COL)
    layout.page = PageSetup(f"{top}:{top + 1}")
    return first, bench


def benchmark_notes(result: KpiResult) -> tuple[str, str]:
    """What the Name cell of the Average and Top 10% rows says (SPEC: Benchmarks)."""
    return "mean of agents with a rate", f"mean of the best {result.settings.top_percent}%"


def _colours(layout: Layout, result: KpiResult, first: int, bench: int) -> None:
    """One rule per band of kpi_reports.bands, comparing the shown (rounded) rate with the
    Average and Top 10% rows, as the scorecards do."""
    last = bench - 1
    if last < first:
        return
    for k in range(len(result.metrics)):
        col = FIRST_METRIC_COL + 3 * k
        letter = get_column_letter(col)
        cell, avg, top = f"{letter}{first}", f"{letter}${bench}", f"{letter}${bench + 1}"
        cells = f"{letter}{first}:{letter}{last}"
        layout.rules += [Rule(cells, excel_condition(band, cell, avg, top), band.fill, band.font) for band in BANDS]


def _colour_key(layout: Layout, result: KpiResult, row: int) -> int:
    """The key under the grid, from the bands themselves so its words match the colours; returns its last row."""
    layout.put(row, 1, "Rate colours", "label")
    for r, (word, meaning) in enumerate(legend(benchmark_labels(result)[1]), start=row + 1):
        layout.put(r, 1, word, f"band:{word}")
        layout.put(r, 2, "rate " + meaning, "note")
    last = row + len(BANDS) + 1
    layout.put(last, 1, UNDEFINED, "undefined")
    layout.put(last, 2, UNBANDED, "note")
    return last


def _chart(layout: Layout, result: KpiResult, first: int, bench: int, row: int) -> None:
    """[dashboard] chart_metric: a bar per agent (labelled by Name) and per benchmark (by column A)."""
    if not result.metrics or bench <= first:
        return
    k = result.settings.metric_ids.index(result.settings.dashboard.chart_metric)
    col = FIRST_METRIC_COL + 3 * k
    label = result.metrics[k].label
    names = f"{_ref(first, 2, True)}:{_ref(bench - 1, 2, True)}"
    benchmarks = f"{_ref(bench, 1, True)}:{_ref(bench + 1, 1, True)}"
    layout.chart = ChartSpec(
        title=f"{label} by agent, as of {day(result.as_of)}", anchor=_ref(row, 1),
        categories=f"{names},{benchmarks}",
        values=f"{_ref(first, col, True)}:{_ref(bench + 1, col, True)}", series_name=label)
    layout.page = PageSetup(layout.page.title_rows, breaks=(row - 1,))


def _data_quality(layout: Layout, result: KpiResult, row: int) -> None:
    problems = result.data_quality
    title = f"Data quality: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
    layout.put(row, 1, title, "label")
    if not problems:
        layout.put(row + 1, 1, "No problems found in the workbook.", "note")
        return
    layout.put_row(row + 1, 1, ["Sheet", "Row", "Column", "Problem"], "header")
    for r, p in enumerate(problems, start=row + 2):
        layout.put_row(r, 1, [p.sheet, p.row if p.row else "(sheet)", p.column, p.problem])
