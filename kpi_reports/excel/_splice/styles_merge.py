"""Append another workbook's cell formats to styles.xml without moving existing ones.

Every other sheet points into styles.xml by index (`s="12"`, `dxfId="3"`), so entries may
only be added at the end. An entry equal to one already there is reused instead of added,
which makes a second refresh with the same Dashboard leave styles.xml byte for byte equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from kpi_reports.errors import UserError

from .opc import set_attr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Schema order of the children of <styleSheet>, for inserting a list that is missing.
ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
         "dxfs", "tableStyles", "colors", "extLst")
FIRST_CUSTOM_NUMFMT = 164


@dataclass
class StyleMaps:
    """Source index -> target index, for cell formats (`s=`) and differential ones."""

    xf: list[int] = field(default_factory=list)
    dxf: list[int] = field(default_factory=list)


def _q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


def _key(el: ET.Element) -> tuple:
    """Identity of an entry regardless of attribute order and whitespace."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_key(c) for c in el))


def _children(root: ET.Element, name: str) -> list[ET.Element]:
    found = root.find(_q(name))
    return list(found) if found is not None else []


def _fragment(el: ET.Element) -> str:
    """Serialise an entry with the main namespace as default, as in the target part."""
    foreign: dict[str, str] = {}

    def name(qname: str) -> str:
        if not qname.startswith("{"):
            return qname
        uri, local = qname[1:].split("}")
        if uri == MAIN:
            return local
        return f"{foreign.setdefault(uri, f'k{len(foreign)}')}:{local}"

    def write(node: ET.Element) -> str:
        attrs = "".join(f" {name(k)}={quoteattr(v)}" for k, v in node.attrib.items())
        text = node.text if node.text and node.text.strip() else ""
        inner = escape(text) + "".join(write(c) for c in node)
        tag = name(node.tag)
        return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"

    body = write(el)
    decls = "".join(f" xmlns:{p}={quoteattr(uri)}" for uri, p in foreign.items())
    head = 1 + len(name(el.tag))          # body starts "<" and el's tag
    return body[:head] + decls + body[head:]


class _Merger:
    """Collects the entries to append to each list of the target styles.xml."""

    def __init__(self, target: ET.Element):
        self.keys = {name: [_key(c) for c in _children(target, name)]
                     for name in ("fonts", "fills", "borders", "cellXfs", "dxfs")}
        self.added: dict[str, list[str]] = {name: [] for name in ORDER}
        self.numfmt_ids = {el.get("formatCode"): int(el.get("numFmtId", "0"))
                           for el in target.iter(_q("numFmt"))}
        self.next_numfmt = max([FIRST_CUSTOM_NUMFMT - 1, *self.numfmt_ids.values()]) + 1

    def entry(self, name: str, el: ET.Element) -> int:
        """Index of an entry equal to `el` in list `name`, appending it when there is none."""
        keys, key = self.keys[name], _key(el)
        if key not in keys:
            keys.append(key)
            self.added[name].append(_fragment(el))
        return keys.index(key)

    def numfmt(self, code: str) -> int:
        if code not in self.numfmt_ids:
            self.numfmt_ids[code] = self.next_numfmt
            self.added["numFmts"].append(
                f"<numFmt numFmtId=\"{self.next_numfmt}\" formatCode={quoteattr(code)}/>")
            self.next_numfmt += 1
        return self.numfmt_ids[code]


def merge_styles(target_xml: str, source_xml: str) -> tuple[str, StyleMaps]:
    """Target styles.xml with the source's formats appended, and the index maps to use."""
    target, source = ET.fromstring(target_xml), ET.fromstring(source_xml)
    if target.tag != _q("styleSheet") or not re.search(r"<styleSheet\b", target_xml):
        raise UserError("The workbook's styles part is in a format this tool cannot "
                        "extend (Strict Open XML?): save it in Excel as 'Excel Workbook'.")
    merger = _Merger(target)
    numfmts = {el.get("numFmtId"): merger.numfmt(el.get("formatCode", "General"))
               for el in _children(source, "numFmts")}
    ids = {name: [merger.entry(name + "s", el) for el in _children(source, name + "s")]
           for name in ("font", "fill", "border")}
    maps = StyleMaps()
    for xf in _children(source, "cellXfs"):
        _remap(xf, "numFmtId", lambda v: numfmts.get(v, int(v)))
        for name in ("font", "fill", "border"):
            _remap(xf, f"{name}Id", lambda v, n=name: ids[n][int(v)])
        _remap(xf, "xfId", lambda v: 0)  # cell styles are not carried over: Normal
        maps.xf.append(merger.entry("cellXfs", xf))
    for dxf in _children(source, "dxfs"):
        for fmt in dxf.iter(_q("numFmt")):
            _remap(fmt, "numFmtId", lambda v, f=fmt: merger.numfmt(f.get("formatCode", "")))
        maps.dxf.append(merger.entry("dxfs", dxf))
    return _append_all(target_xml, merger.added), maps


def _remap(el: ET.Element, name: str, fn) -> None:
    if el.get(name) is not None:
        el.set(name, str(fn(el.get(name))))


def _append_all(xml: str, added: dict[str, list[str]]) -> str:
    for name in ORDER:
        if added[name]:
            xml = _append(xml, name, added[name])
    return xml


def _append(xml: str, name: str, items: list[str]) -> str:
    """Add `items` at the end of list `name`, updating its count; create the list if absent."""
    m = re.search(rf"<{name}\b[^>]*?(/>|>(.*?)</{name}\s*>)", xml, re.S)
    if m is None:
        tag = f'<{name} count="{len(items)}">{"".join(items)}</{name}>'
        return _insert_list(xml, name, tag)
    start_tag = xml[m.start(): xml.index(">", m.start()) + 1]
    old = len(re.findall(rf"<{_child(name)}\b", m.group(2) or ""))
    head = set_attr(start_tag.removesuffix("/>").removesuffix(">") + ">", "count",
                    str(old + len(items)))
    body = (m.group(2) or "") + "".join(items)
    return xml[: m.start()] + f"{head}{body}</{name}>" + xml[m.end():]


def _child(name: str) -> str:
    return {"cellXfs": "xf", "cellStyleXfs": "xf"}.get(name, name[:-1])


def _insert_list(xml: str, name: str, tag: str) -> str:
    for later in ORDER[ORDER.index(name) + 1:]:
        starts = [m.start() for m in re.finditer(rf"<{later}\b", xml)]
        if starts:  # the stylesheet's own extLst is the last one; nested ones come first
            at = starts[-1] if later == "extLst" else starts[0]
            return xml[:at] + tag + xml[at:]
    end = xml.rindex("</styleSheet>")
    return xml[:end] + tag + xml[end:]
