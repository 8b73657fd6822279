"""Real team workbooks holding what openpyxl cannot carry, and rendered Dashboards.

XlsxWriter writes sparklines, x14 data bars, text boxes, charts, tables, defined names,
comments, cached formula values, form buttons and VBA; LibreOffice writes the pivot
table (from a flat ODS with a DataPilot); calcChain.xml is hand-written as Excel would.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import xlsxwriter
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill

AGENTS = [("A01", "Dana Lee", 42, 17), ("A02", "Sam Ortiz", 35, 9), ("A03", "Kim Wu", 50, 30),
          ("A04", "Lee Park", 20, 4), ("A05", "Ana Ruiz", 28, 14)]


def soffice(profile: Path, *args: str, cwd: Path) -> None:
    """One headless LibreOffice call with a private profile (no clash with a desktop one)."""
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    *args], cwd=cwd, check=True, capture_output=True, timeout=180)


def _activity_sheet(wb: xlsxwriter.Workbook, name: str = "Activity") -> None:
    ws = wb.add_worksheet(name)
    pct = wb.add_format({"num_format": "0.0%", "bold": True, "font_color": "#1F4E79"})
    ws.write_row(0, 0, ["Agent ID", "Calls", "Contacts", "Contact rate", "Trend"])
    for row, (agent, _, calls, contacts) in enumerate(AGENTS, start=1):
        ws.write_row(row, 0, [agent, calls, contacts])
        ws.write_formula(row, 3, f"=C{row + 1}/B{row + 1}", pct, value=contacts / calls)
    ws.add_sparkline("E2", {"type": "column",
                            "location": ["E2", "E3", "E4"],
                            "range": ["Activity!B2:C2", "Activity!B3:C3", "Activity!B4:C4"]})
    ws.conditional_format("B2:B6", {"type": "data_bar", "data_bar_2010": True,
                                    "bar_color": "#63BE7B"})
    ws.conditional_format("D2:D6", {"type": "cell", "criteria": "<", "value": 0.3,
                                    "format": wb.add_format({"bg_color": "#FFC7CE"})})
    ws.insert_textbox("G2", "Numbers from the CRM export", {"width": 200, "height": 40})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Calls", "categories": f"={name}!$A$2:$A$6",
                      "values": f"={name}!$B$2:$B$6"})
    ws.insert_chart("G6", chart)
    ws.write_comment("A1", "Imported every morning")


def _agents_sheet(wb: xlsxwriter.Workbook) -> xlsxwriter.worksheet.Worksheet:
    ws = wb.add_worksheet("Agents")
    ws.add_table("A1:C6", {"name": "AgentTable", "columns": [
        {"header": "Agent ID"}, {"header": "Name"}, {"header": "Calls"}],
        "data": [[a, n, c] for a, n, c, _ in AGENTS]})
    wb.define_name("TotalCalls", "=SUM(Agents!$C$2:$C$6)")
    return ws


def build_team_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    _agents_sheet(wb)
    _activity_sheet(wb)
    wb.close()
    return path


def build_team_xlsm(path: Path, vba_source: Path) -> Path:
    """An .xlsm with a VBA project (taken from xlwings' template) and a form button."""
    with zipfile.ZipFile(vba_source) as zf:
        vba = path.with_name("vbaProject.bin")
        vba.write_bytes(zf.read("xl/vbaProject.bin"))
    wb = xlsxwriter.Workbook(path)
    wb.add_vba_project(str(vba))
    ws = _agents_sheet(wb)
    ws.insert_button("E2", {"macro": "SampleCall", "caption": "Refresh", "width": 90})
    _activity_sheet(wb)
    wb.close()
    return path


def build_legacy_dashboard(path: Path) -> Path:
    """A workbook whose old Dashboard (2nd of 3 sheets) has formulas, a chart, a print area
    and calcChain entries, as Excel leaves them."""
    wb = xlsxwriter.Workbook(path)
    _agents_sheet(wb)
    dash = wb.add_worksheet("Dashboard")
    dash.write("A1", "Old dashboard")
    dash.write_formula("B2", "=SUM(Agents!C2:C6)", value=175)
    dash.write_formula("B3", "=B2*2", value=350)
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"values": "=Agents!$C$2:$C$6"})
    dash.insert_chart("D2", chart)
    dash.print_area("A1:H20")
    _activity_sheet(wb, "Activity")
    wb.close()
    calc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="B2" i="2"/>'
            '<c r="B3"/><c r="D2" i="3" l="1"/><c r="D3"/><c r="D4"/><c r="D5"/><c r="D6"/>'
            '</calcChain>')
    add_part(path, "xl/calcChain.xml", calc, "calcChain",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")
    return path


def add_part(path: Path, name: str, xml: str, rel: str, ctype: str) -> None:
    """Add a workbook-level part as Excel would (rels entry and content type)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = rels.replace("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.'
                        f'openxmlformats.org/officeDocument/2006/relationships/{rel}" '
                        f'Target="{name[3:]}"/></Relationships>')
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", f'<Override PartName="/{name}" ContentType="{ctype}"/></Types>')
    parts.update({"xl/_rels/workbook.xml.rels": rels.encode(),
                  "[Content_Types].xml": types.encode(), name: xml.encode()})
    with zipfile.ZipFile(path, "w") as zf:  # some tools store parts uncompressed
        for part, data in parts.items():
            zf.writestr(part, data, zipfile.ZIP_STORED if part.startswith("xl/theme/")
                        else zipfile.ZIP_DEFLATED)


_FODS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet>
<table:table table:name="Data">{rows}</table:table>
<table:table table:name="Pivot"><table:table-row><table:table-cell/></table:table-row></table:table>
<table:data-pilot-tables>
<table:data-pilot-table table:name="CallsByAgent" table:target-range-address="Pivot.A1:Pivot.B8">
<table:source-cell-range table:cell-range-address="Data.A1:Data.B{last}"/>
<table:data-pilot-field table:source-field-name="Agent" table:orientation="row"/>
<table:data-pilot-field table:source-field-name="Calls" table:orientation="data"
 table:function="sum"/>
</table:data-pilot-table></table:data-pilot-tables>
</office:spreadsheet></office:body></office:document>"""


def _cell(value) -> str:
    if isinstance(value, str):
        return (f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
                "</table:table-cell>")
    return (f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>")


def build_pivot_xlsx(folder: Path, profile: Path) -> Path:
    """A workbook with a real pivot table, written by LibreOffice."""
    data = [("Agent", "Calls")] + [(a, c) for a, _, c, _ in AGENTS] + [("A01", 8)]
    rows = "".join("<table:table-row>" + "".join(_cell(v) for v in r) + "</table:table-row>"
                   for r in data)
    source = folder / "pivot.fods"
    source.write_text(_FODS.format(rows=rows, last=len(data)), encoding="utf-8")
    soffice(profile, "--convert-to", "xlsx", source.name, cwd=folder)
    return folder / "pivot.xlsx"


def build_dashboard(path: Path, rows: list[tuple[str, float]], stamp: str) -> Path:
    """A rendered Dashboard as the refresh would hand it over: styles, a conditional
    format with its dxf, a custom number format, a bar chart, print titles, data text
    that looks like a formula kept as text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Dashboard"
    ws["A1"] = "Team KPIs"
    ws["A1"].font = Font(bold=True, size=16, color="1F4E79")
    ws["A2"] = f"Refreshed {stamp}"
    ws.append([])
    ws.append(["Agent", "Schedule rate"])
    for cell in ws[4]:
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.font = Font(bold=True)
    for name, rate in rows:
        ws.append([name, rate])
        ws.cell(ws.max_row, 1).data_type = "s"  # untrusted text: never a formula
        ws.cell(ws.max_row, 2).number_format = "0.0%"
    last = ws.max_row
    ws.conditional_formatting.add(f"B5:B{last}", CellIsRule(
        operator="lessThan", formula=["0.5"], font=Font(color="9C0006"),
        fill=PatternFill(bgColor="FFC7CE")))
    ws.column_dimensions["A"].width = 28
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=4, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=5, max_row=last))
    ws.add_chart(chart, "D4")
    ws.print_title_rows = "4:4"  # a workbook-level name scoped to this sheet's index
    wb.save(path)
    return path


def build_dashboard_xlsxwriter(path: Path, rows: list[tuple[str, float]]) -> Path:
    """The same kind of sheet written by XlsxWriter: shared and rich strings."""
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False})
    ws = wb.add_worksheet("Dashboard")
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    ws.write_rich_string("A1", bold, "Team ", wb.add_format({"italic": True}), "KPIs")
    ws.write_row("A3", ["Agent", "Schedule rate"], bold)
    pct = wb.add_format({"num_format": "0.00%"})
    for i, (name, rate) in enumerate(rows, start=3):
        ws.write_string(i, 0, name)
        ws.write_number(i, 1, rate, pct)
    ws.conditional_format(f"B4:B{3 + len(rows)}", {"type": "data_bar", "data_bar_2010": True})
    wb.close()
    return path


# ---- reading packages back in tests ------------------------------------------------------

def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def read_infos(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        return zf.infolist()


def sheet_parts(parts: dict[str, bytes], sheet: str) -> set[str]:
    """The parts hanging off one sheet (its part, rels, drawings, charts ...), found by
    following relationships independently of the code under test."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    book = ET.fromstring(parts["xl/workbook.xml"])
    rid = next((el.get("{http://schemas.openxmlformats.org/officeDocument/2006/"
                       "relationships}id") for el in book.iterfind("m:sheets/m:sheet", ns)
                if el.get("name") == sheet), None)
    if rid is None:
        return set()
    found, todo = set(), [_target("xl/workbook.xml", parts, rid, ns)]
    while todo:
        part = todo.pop()
        found.add(part)
        rels = _rels(part)
        if rels in parts:
            found.add(rels)
            todo += [_resolve(part, el.get("Target")) for el in
                     ET.fromstring(parts[rels]).iterfind("p:Relationship", ns)
                     if el.get("TargetMode") != "External"
                     and not el.get("Type").endswith(("/pivotCacheDefinition",))]
    return found


def _rels(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def _resolve(part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    stack = part.split("/")[:-1]
    for piece in target.split("/"):
        stack = stack[:-1] if piece == ".." else stack + [piece]
    return "/".join(stack)


def _target(part: str, parts: dict[str, bytes], rid: str, ns: dict) -> str:
    rels = ET.fromstring(parts[_rels(part)])
    el = next(e for e in rels.iterfind("p:Relationship", ns) if e.get("Id") == rid)
    return _resolve(part, el.get("Target"))


def list_children(styles: bytes, name: str) -> list[str]:
    """Raw text of each entry of one styles.xml list, to check it was only appended to."""
    m = re.search(rf"<{name}\b[^>]*?(?:/>|>(.*?)</{name}>)".encode(), styles, re.S)
    if m is None or m.group(1) is None:
        return []
    child = {"cellXfs": "xf", "cellStyleXfs": "xf"}.get(name, name[:-1])
    return [x.decode() for x in re.findall(
        rf"<{child}\b[^>]*/>|<{child}\b[^>]*>.*?</{child}>".encode(), m.group(1), re.S)]
