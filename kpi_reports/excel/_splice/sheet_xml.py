"""Rewrite a rendered worksheet part so it can live in another workbook.

Shared strings become inline strings (`t="inlineStr"`), so the target's sharedStrings.xml,
which other sheets index into, is not touched; style indices are moved to where the
formats were appended in the target's styles.xml.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from .opc import attr, set_attr
from .styles_merge import MAIN, StyleMaps

_CELL = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_SHARED_STRING = re.compile(r"<si>(.*?)</si>|<si/>", re.S)


def shared_strings(xml: str | None) -> list[str]:
    """Inner XML of each <si> (text or rich-text runs), which <is> takes as it is."""
    if xml is None:
        return []
    return [m.group(1) or "" for m in _SHARED_STRING.finditer(xml)]


def code_name(xml: str) -> str | None:
    """The VBA code name of a sheet, which ties it to its module in vbaProject.bin."""
    pr = re.search(r"<(?:\w+:)?sheetPr\b[^>]*>", xml)
    return attr(pr.group(0), "codeName") if pr else None


def rewrite_sheet(xml: str, strings: list[str], maps: StyleMaps, selected: bool,
                  vba_name: str | None = None) -> str:
    """Sheet XML with inline strings, remapped style indices, the tab selection set and,
    when replacing a sheet that had one, its VBA code name kept."""
    root = re.search(r"<worksheet\b[^>]*>", xml)
    if root is None or attr(root.group(0), "xmlns") != MAIN:
        raise ValueError("the rendered sheet must be a transitional worksheet part "
                         "in the default namespace (as openpyxl and XlsxWriter write)")
    xml = _CELL.sub(lambda m: _cell(m, strings, maps), xml)
    xml = _retag(xml, "row", lambda t: _map(t, "s", maps.xf))
    xml = _retag(xml, "col", lambda t: _map(t, "style", maps.xf))
    xml = _retag(xml, "cfRule", lambda t: _map(t, "dxfId", maps.dxf))
    xml = _retag(xml, "sheetView",
                 lambda t: set_attr(t, "tabSelected", "1" if selected else None))
    return xml if vba_name is None else _set_code_name(xml, vba_name)


def _set_code_name(xml: str, name: str) -> str:
    if re.search(r"<sheetPr\b", xml):
        return _retag(xml, "sheetPr", lambda t: set_attr(t, "codeName", name))
    return re.sub(r"<worksheet\b[^>]*>", lambda m: f'{m.group(0)}<sheetPr codeName="{escape(name)}"/>',
                  xml, count=1)



def _cell(m: re.Match, strings: list[str], maps: StyleMaps) -> str:
    start = _map(f"<c{m.group(1)}>", "s", maps.xf)
    if attr(start, "t") != "s" or m.group(3) is None:
        return start[:-1] + m.group(2) if m.group(3) is None else f"{start}{m.group(3)}</c>"
    index = re.search(r"<v>\s*(\d+)\s*</v>", m.group(3))
    text = strings[int(index.group(1))] if index else ""
    return f"{set_attr(start, 't', 'inlineStr')}<is>{text}</is></c>"


def _retag(xml: str, name: str, fn) -> str:
    return re.sub(rf"<{name}\b[^>]*>", lambda m: fn(m.group(0)), xml)


def _map(tag: str, name: str, table: list[int]) -> str:
    value = attr(tag, name)
    return tag if value is None else set_attr(tag, name, str(table[int(value)]))
