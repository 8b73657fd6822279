"""Write a dashboard Layout with openpyxl: into a sheet, or as a one-sheet workbook.

The one-sheet workbook is what refresh.py hands to package.splice_sheet, which moves the
sheet into the user's workbook without rewriting anything else in it.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from .dashboard import STYLES, ChartSpec, Layout, Style

# Two lines of 11-pt text: LibreOffice does not grow a row for wrapped text by itself,
# so without a height a wrapped header overlaps the row below.
WRAPPED_ROW_HEIGHT = 30


def _font(style: Style) -> Font:
    return Font(bold=style.bold, italic=style.italic, size=style.size, color=style.color)


def _apply(cell, style: Style) -> None:
    if style.bold or style.italic or style.size or style.color:
        cell.font = _font(style)
    if style.fill:
        cell.fill = PatternFill("solid", start_color=style.fill, end_color=style.fill)
    if style.align or style.wrap:
        cell.alignment = Alignment(horizontal=style.align, wrap_text=style.wrap, vertical="top")


def write_layout(ws: Worksheet, layout: Layout) -> None:
    """Cells, formats, conditional rules and chart of `layout` into the (empty) sheet ws."""
    for (row, col), spec in layout.cells.items():
        cell = ws.cell(row=row, column=col)
        cell.value = spec.value
        if isinstance(spec.value, str):
            cell.data_type = "s"            # text from the workbook is never a formula
        if spec.number_format:
            cell.number_format = spec.number_format
        if spec.style:
            _apply(cell, STYLES[spec.style])
    for col, width in layout.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    wrapped = {r for (r, _), spec in layout.cells.items() if spec.style and STYLES[spec.style].wrap}
    for row in wrapped:
        ws.row_dimensions[row].height = WRAPPED_ROW_HEIGHT
    for rule in layout.rules:
        ws.conditional_formatting.add(rule.cells, FormulaRule(
            formula=[rule.formula], stopIfTrue=True, font=Font(color=rule.font),
            fill=PatternFill("solid", start_color=rule.fill, end_color=rule.fill, bgColor=rule.fill)))
    if layout.chart:
        ws.add_chart(_bar_chart(ws, layout.chart), layout.chart.anchor)
    ws.freeze_panes = layout.freeze
    _page_setup(ws, layout)


def _page_setup(ws: Worksheet, layout: Layout) -> None:
    page = layout.page
    ws.page_setup.orientation = "landscape" if page.landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = page.fit_width, page.fit_height
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = page.title_rows
    for row in page.breaks:
        ws.row_breaks.append(Break(id=row))


def _bar_chart(ws: Worksheet, spec: ChartSpec) -> BarChart:
    chart = BarChart()
    chart.type, chart.title, chart.legend = "col", spec.title, None
    chart.width, chart.height = spec.width_cm, spec.height_cm
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = spec.y_min, spec.y_max
    chart.y_axis.number_format = spec.y_format
    chart.y_axis.delete = chart.x_axis.delete = False
    min_col, min_row, max_col, max_row = range_boundaries(spec.values.replace("$", ""))
    data = Reference(ws, min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)
    chart.add_data(data, titles_from_data=False)
    sheet = quote_sheetname(ws.title)
    ranges = ",".join(f"{sheet}!{part}" for part in spec.categories.split(","))
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=f"({ranges})" if "," in ranges else ranges))
    chart.series[0].tx = None
    return chart


def layout_bytes(layout: Layout) -> bytes:
    """A small .xlsx holding only the dashboard sheet (what splice_sheet transplants)."""
    book = Workbook()
    ws = book.active
    ws.title = layout.sheet
    write_layout(ws, layout)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
