"""The workbook-wide lists that must name a sheet: workbook.xml, docProps/app.xml, calcChain.

All edits are textual insertions or removals; everything else in these parts keeps its
bytes (see opc.py for why there is no XML round trip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr, unescape

from xlsxwriter.utility import quote_sheetname

from kpi_reports.errors import UserError

from .opc import attr, insert_before_close, set_attr
from .styles_merge import MAIN

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Sheet-scoped names Excel prints by: a rendered sheet brings its own.
PRINT_NAMES = ("_xlnm.Print_Titles", "_xlnm.Print_Area")
# One <definedName>; group 1 (the prefix, maybe empty) always takes part, for the \1.
DEFINED_NAME = re.compile(r"<(\w+:|)definedName\b([^>]*?)(?:/>|>.*?</\1definedName\s*>)", re.S)
# A sheet reference in a formula: 'quoted ''name'''! or bare!
SHEET_REF = re.compile(r"'((?:[^']|'')+)'!|([^\s'!,:()=]+)!")


@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str


def sheet_entries(workbook_xml: bytes) -> list[SheetEntry]:
    root = ET.fromstring(workbook_xml)
    if root.tag != f"{{{MAIN}}}workbook":
        raise UserError("The workbook is saved as Strict Open XML, which this tool cannot "
                        "update: save it in Excel as 'Excel Workbook (.xlsx)'.")
    return [SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")),
                       el.get(f"{{{R_NS}}}id", ""))
            for el in root.iter(f"{{{MAIN}}}sheet")]


def active_tab(workbook_xml: str) -> int:
    view = re.search(r"<(?:\w+:)?workbookView\b[^>]*>", workbook_xml)
    return int(attr(view.group(0), "activeTab") or 0) if view else 0


def _prefix(workbook_xml: str) -> tuple[str, re.Match]:
    root = re.search(r"<(\w+:)?workbook\b[^>]*>", workbook_xml)
    return root.group(1) or "", root


def add_sheet(workbook_xml: str, name: str, sheet_id: int, rel_id: str) -> str:
    """workbook.xml with a last <sheet> entry; prefixes follow the document's own."""
    prefix, root = _prefix(workbook_xml)
    r_decl = re.search(rf'xmlns:(\w+)="{re.escape(R_NS)}"', root.group(0))
    r_attr = f"{r_decl.group(1)}:id" if r_decl else "r:id"
    extra = "" if r_decl else f' xmlns:r="{R_NS}"'
    entry = (f"<{prefix}sheet name={quoteattr(name)} sheetId=\"{sheet_id}\""
             f"{extra} {r_attr}={quoteattr(rel_id)}/>")
    return insert_before_close(workbook_xml, "sheets", entry)


def print_names(workbook_xml: bytes, index: int, new_name: str) -> dict[str, str]:
    """The print titles and area of the sheet at `index`, as formulas naming the sheet
    `new_name` instead (quoted as Excel quotes sheet names)."""
    old_name = sheet_entries(workbook_xml)[index].name

    def rename(m: re.Match) -> str:
        name = m.group(2) if m.group(1) is None else m.group(1).replace("''", "'")
        return quote_sheetname(new_name) + "!" if name.lower() == old_name.lower() else m[0]

    return {el.get("name", ""): SHEET_REF.sub(rename, el.text or "")
            for el in ET.fromstring(workbook_xml).iter(f"{{{MAIN}}}definedName")
            if el.get("name") in PRINT_NAMES and el.get("localSheetId") == str(index)}


def set_sheet_names(workbook_xml: str, index: int, names: dict[str, str]) -> str:
    """workbook.xml with each name -> formula defined for the sheet at `index`: its
    definition there replaced, or added; every other defined name keeps its bytes."""
    prefix, _ = _prefix(workbook_xml)
    for name, formula in names.items():
        element = (f'<{prefix}definedName name={quoteattr(name)} localSheetId="{index}">'
                   f"{_escape(formula)}</{prefix}definedName>")
        workbook_xml = _put_defined_name(workbook_xml, prefix, name, index, element)
    return workbook_xml


def _put_defined_name(xml: str, prefix: str, name: str, index: int, element: str) -> str:
    for m in DEFINED_NAME.finditer(xml):
        if ((attr(m.group(2), "name") or "").lower() == name.lower()
                and attr(m.group(2), "localSheetId") == str(index)):
            return xml[: m.start()] + element + xml[m.end():]
    if re.search(r"</(?:\w+:)?definedNames\s*>", xml):
        return insert_before_close(xml, "definedNames", element)
    block = f"<{prefix}definedNames>{element}</{prefix}definedNames>"
    empty = re.search(r"<(?:\w+:)?definedNames\b[^>]*/>", xml)
    if empty:
        return xml[: empty.start()] + block + xml[empty.end():]
    # CT_Workbook order: sheets, functionGroups, externalReferences, definedNames, calcPr...
    before = list(re.finditer(r"</(?:\w+:)?(?:sheets|functionGroups|externalReferences)\s*>"
                              r"|<(?:\w+:)?functionGroups\b[^>]*/>", xml))
    if not before:
        raise UserError("The workbook has no <sheets> list: open it in Excel and save it "
                        "again.")
    return xml[: before[-1].end()] + block + xml[before[-1].end():]


def add_title(app_xml: str, worksheet_names: list[str], name: str) -> str:
    """docProps/app.xml with `name` added to the worksheet titles, when they can be found.

    The heading names are in Excel's UI language, so the worksheet group is the one whose
    titles are the workbook's worksheets in order. app.xml is informational: if it does
    not list them, it is left as it is.
    """
    pairs = re.search(r"<(\w+:)?HeadingPairs>.*?</\1?HeadingPairs>", app_xml, re.S)
    titles = re.search(r"<(\w+:)?TitlesOfParts>.*?</\1?TitlesOfParts>", app_xml, re.S)
    if not pairs or not titles:
        return app_xml
    counts = [int(c) for c in re.findall(r"<(?:\w+:)?i4>(\d+)</(?:\w+:)?i4>", pairs.group(0))]
    lpstrs = list(re.finditer(r"<(\w+:)?lpstr>(.*?)</\1?lpstr>|<(\w+:)?lpstr/>",
                              titles.group(0), re.S))
    offset = 0
    for index, count in enumerate(counts):
        if [unescape(m.group(2) or "") for m in lpstrs[offset:offset + count]] == worksheet_names:
            return _insert_title(app_xml, pairs, titles, lpstrs, index, offset + count, name)
        offset += count
    return app_xml


def _insert_title(app_xml, pairs, titles, lpstrs, pair_index, at, name) -> str:
    i4s = list(re.finditer(r"(<(?:\w+:)?i4>)(\d+)(</(?:\w+:)?i4>)", pairs.group(0)))
    m = i4s[pair_index]
    new_pairs = (pairs.group(0)[: m.start(2)] + str(int(m.group(2)) + 1)
                 + pairs.group(0)[m.end(2):])
    block = titles.group(0)
    vt = re.search(r"<(\w+:)?vector\b[^>]*>", block)
    vector = set_attr(vt.group(0), "size", str(len(lpstrs) + 1))
    pos = lpstrs[at - 1].end() if at else vt.end()
    prefix = vt.group(1) or ""
    block = (block[: vt.start()] + vector + block[vt.end(): pos]
             + f"<{prefix}lpstr>{_escape(name)}</{prefix}lpstr>" + block[pos:])
    return (app_xml[: pairs.start()] + new_pairs + app_xml[pairs.end(): titles.start()]
            + block + app_xml[titles.end():])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def drop_calc_entries(calc_xml: str, sheet_id: int) -> str | None:
    """calcChain.xml without the cells of sheet `sheet_id`; None when nothing is left.

    An entry without `i` belongs to the sheet of the entry before it, so the first entry
    kept after a dropped run gets its sheet id written out.
    """
    entries = list(re.finditer(r"<(?:\w+:)?c\b[^>]*/>", calc_xml))
    kept, current, last_kept, dropped = [], None, None, False
    for m in entries:
        tag = m.group(0)
        current = attr(tag, "i") or current
        if current == str(sheet_id):
            dropped = True
            continue
        if attr(tag, "i") is None and last_kept != current and current is not None:
            tag = set_attr(tag, "i", current)
        last_kept = current
        kept.append(tag)
    if not dropped:
        return calc_xml
    if not kept:
        return None
    return calc_xml[: entries[0].start()] + "".join(kept) + calc_xml[entries[-1].end():]
