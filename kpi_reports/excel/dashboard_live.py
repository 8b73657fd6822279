"""Write a dashboard Layout into a sheet of the open workbook through xlwings.

Values go in one bulk write; formats, styles and widths in runs of equal cells; the
chart through xlwings' chart API. Excel has no xlwings-level conditional formatting, so
the rules go through the Windows COM object model (FormatConditions); elsewhere the sheet
is written without them. Every string is written with Excel's text prefix ('), so a name
such as "=1+1" or "007" stays the text it was.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from itertools import groupby

from openpyxl.utils import get_column_letter

from .dashboard import STYLES, ChartSpec, Layout, Style

XL_EXPRESSION = 2          # XlFormatConditionType.xlExpression
XL_ALIGN = {"center": -4108, "left": -4131}     # XlHAlign
XL_LANDSCAPE, XL_PORTRAIT = 2, 1
XL_VALUE_AXIS = 2
POINTS_PER_CM = 28.35


def _text_safe(value: object) -> object:
    return "'" + value if isinstance(value, str) else value


def _runs(cells: list[tuple[int, int]]) -> list[str]:
    """(row, col) cells -> A1 addresses of vertical runs of consecutive rows per column."""
    out = []
    for col, group in groupby(sorted(cells, key=lambda rc: (rc[1], rc[0])), key=lambda rc: rc[1]):
        rows = [r for r, _ in group]
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            letter = get_column_letter(col)
            out.append(f"{letter}{start}:{letter}{prev}")
            if r is not None:
                start = prev = r
    return out


def _rgb_int(hex_colour: str) -> int:
    """RRGGBB -> the BGR integer COM colour properties take."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return r + (g << 8) + (b << 16)


def _style(rng, style: Style) -> None:
    if style.bold:
        rng.font.bold = True
    if style.italic:
        rng.font.italic = True
    if style.size:
        rng.font.size = style.size
    if style.color:
        rng.font.color = "#" + style.color
    if style.fill:
        rng.color = "#" + style.fill
    if style.wrap:
        rng.wrap_text = True
    if style.align in XL_ALIGN and sys.platform.startswith("win"):
        rng.api.HorizontalAlignment = XL_ALIGN[style.align]


def write_layout_live(sheet, layout: Layout) -> None:
    """Clear `sheet` (an xlwings Sheet) and write the whole layout into it."""
    sheet.clear()
    for chart in list(sheet.charts):
        chart.delete()
    grid = [[_text_safe(v) for v in row] for row in layout.grid()]
    if grid:
        sheet.range((1, 1)).value = grid
    by_format: dict[str, list] = defaultdict(list)
    by_style: dict[str, list] = defaultdict(list)
    for rc, cell in layout.cells.items():
        if cell.number_format:
            by_format[cell.number_format].append(rc)
        if cell.style:
            by_style[cell.style].append(rc)
    for fmt, cells in by_format.items():
        for address in _runs(cells):
            sheet.range(address).number_format = fmt
    for key, cells in by_style.items():
        for address in _runs(cells):
            _style(sheet.range(address), STYLES[key])
    for col, width in layout.widths.items():
        sheet.range((1, col)).column_width = width
    if sys.platform.startswith("win"):
        _conditional_formats(sheet, layout)
        _page_setup(sheet, layout)
    if layout.chart:
        _chart(sheet, layout.chart)
    sheet.activate()
    sheet.freeze_panes.freeze_at(layout.freeze)


def _conditional_formats(sheet, layout: Layout) -> None:
    """FormatConditions read relative references from the active cell: select each top-left."""
    sheet.activate()
    for rule in layout.rules:
        rng = sheet.range(rule.cells)
        rng[0, 0].select()
        condition = rng.api.FormatConditions.Add(Type=XL_EXPRESSION, Formula1="=" + rule.formula)
        condition.Interior.Color = _rgb_int(rule.fill)
        condition.Font.Color = _rgb_int(rule.font)
        condition.StopIfTrue = True
    sheet.range("A1").select()


def _page_setup(sheet, layout: Layout) -> None:
    """PageSetup through COM (Windows): landscape, pages wide x tall, title rows, breaks."""
    page, setup = layout.page, sheet.api.PageSetup
    setup.Orientation = XL_LANDSCAPE if page.landscape else XL_PORTRAIT
    setup.Zoom = False
    setup.FitToPagesWide = page.fit_width
    setup.FitToPagesTall = page.fit_height or False
    first, last = page.title_rows.split(":")
    setup.PrintTitleRows = f"${first}:${last}"
    sheet.api.ResetAllPageBreaks()
    for row in page.breaks:
        sheet.api.HPageBreaks.Add(sheet.range((row + 1, 1)).api)


def _chart(sheet, spec: ChartSpec) -> None:
    anchor = sheet.range(spec.anchor)
    chart = sheet.charts.add(left=anchor.left, top=anchor.top,
                             width=spec.width_cm * POINTS_PER_CM, height=spec.height_cm * POINTS_PER_CM)
    chart.chart_type = "column_clustered"
    chart.set_source_data(sheet.range(spec.values))
    if sys.platform.startswith("win"):
        com = chart.api[1]
        quoted = "'" + sheet.name.replace("'", "''") + "'"
        com.SeriesCollection(1).XValues = "=(" + ",".join(
            f"{quoted}!{part}" for part in spec.categories.split(",")) + ")"
        com.HasTitle = True
        com.ChartTitle.Text = spec.title
        com.HasLegend = False
        axis = com.Axes(XL_VALUE_AXIS)
        axis.MinimumScale, axis.MaximumScale = spec.y_min, spec.y_max
        axis.TickLabels.NumberFormat = spec.y_format
