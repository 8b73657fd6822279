"""Open Packaging (zip) plumbing for workbook surgery: parts, relationships, content types.

Parts we change are edited as text, never parsed and re-serialised: an XML round trip
renames namespace prefixes and drops the declarations that `mc:Ignorable` names, which
Excel then reports as a corrupt file. ElementTree is used for reading only.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from kpi_reports.errors import UserError

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
# Entries we create get a fixed timestamp so that equal content gives equal bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Rel:
    """One relationship of a part; `target` is resolved to a part name unless external."""

    id: str
    type: str
    target: str
    external: bool


class Package:
    """A zip package as an ordered mapping part name -> bytes, remembering entry metadata."""

    def __init__(self, parts: dict[str, bytes], infos: dict[str, zipfile.ZipInfo]):
        self.parts = parts
        self.infos = infos

    @classmethod
    def read(cls, source: Path | BinaryIO) -> Package:
        label = getattr(source, "name", "the workbook")
        try:
            with zipfile.ZipFile(source) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                parts = {i.filename: zf.read(i) for i in infos}
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            raise UserError(
                f"{os.path.basename(str(label))} is not an Excel .xlsx/.xlsm workbook "
                "(password-protected workbooks are not readable either: remove the "
                "password in Excel and save again)."
            ) from exc
        if len(parts) != len(infos) or CONTENT_TYPES not in parts:
            raise UserError(f"{os.path.basename(str(label))} is a damaged workbook: open it "
                            "in Excel and save it again.")
        return cls(parts, {i.filename: i for i in infos})

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def write(self, fileobj: BinaryIO) -> None:
        """Write in part order; known entries keep their compression and timestamp."""
        with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.parts.items():
                zf.writestr(self._entry(name), data)

    def _entry(self, name: str) -> zipfile.ZipInfo:
        old = self.infos.get(name)
        info = zipfile.ZipInfo(name, old.date_time if old else FIXED_DATE)
        info.compress_type = old.compress_type if old else zipfile.ZIP_DEFLATED
        info.external_attr = old.external_attr if old else 0o600 << 16
        info.create_system = old.create_system if old else 0
        return info

    def rels(self, part: str) -> list[Rel]:
        """Relationships of `part` ("" for the package itself)."""
        data = self.parts.get(rels_name(part))
        if data is None:
            return []
        out = []
        for el in ET.fromstring(data).iter(f"{{{REL_NS}}}Relationship"):
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            out.append(Rel(el.get("Id", ""), el.get("Type", ""),
                           target if external else resolve(part, target), external))
        return out

    def rel_of_type(self, part: str, suffix: str) -> Rel | None:
        """First relationship whose type URI ends with `/suffix`."""
        return next((r for r in self.rels(part) if r.type.endswith("/" + suffix)), None)

    def reachable(self, starts: list[str], skip: str | None = None) -> set[str]:
        """Parts reachable from `starts` along relationships, not passing through `skip`."""
        seen: set[str] = set()
        todo = [s for s in starts if s != skip]
        while todo:
            part = todo.pop()
            if part in seen:
                continue
            seen.add(part)
            todo += [r.target for r in self.rels(part)
                     if not r.external and r.target != skip and r.target in self.parts]
        return seen

    def content_type(self, part: str) -> str | None:
        override = self.override_type(part)
        return override or self.default_type(posixpath.splitext(part)[1][1:])

    def override_type(self, part: str) -> str | None:
        root = ET.fromstring(self.parts[CONTENT_TYPES])
        for el in root.iter(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == "/" + part.lower():
                return el.get("ContentType")
        return None

    def default_type(self, ext: str) -> str | None:
        root = ET.fromstring(self.parts[CONTENT_TYPES])
        for el in root.iter(f"{{{CT_NS}}}Default"):
            if el.get("Extension", "").lower() == ext.lower():
                return el.get("ContentType")
        return None


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve(source_part: str, target: str) -> str:
    """Part name (no leading slash) that a relationship target of `source_part` means."""
    target = unquote(target)
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def fresh_name(template: str, taken: set[str]) -> str:
    """`folder/stemN.ext` with the smallest N whose part and rels names are both free."""
    folder, base = posixpath.split(template)
    stem, ext = posixpath.splitext(base)
    stem = stem.rstrip("0123456789") or "part"
    n = 1
    while True:
        name = posixpath.join(folder, f"{stem}{n}{ext}")
        if name.lower() not in taken and rels_name(name).lower() not in taken:
            return name
        n += 1


def rels_xml(rels: list[tuple[str, str, str, bool]]) -> bytes:
    """A relationships part from (id, type, target, external) rows."""
    rows = "".join(
        f"<Relationship Id={quoteattr(i)} Type={quoteattr(t)} Target={quoteattr(target)}"
        + (' TargetMode="External"' if ext else "") + "/>"
        for i, t, target, ext in rels
    )
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{REL_NS}">{rows}</Relationships>').encode()


# ---- small textual XML helpers ---------------------------------------------------------

def attr(tag: str, name: str) -> str | None:
    """Value of attribute `name` in one start tag's text."""
    m = re.search(rf"""\s{re.escape(name)}\s*=\s*(["'])(.*?)\1""", tag, re.S)
    return m.group(2) if m else None


def set_attr(tag: str, name: str, value: str | None) -> str:
    """Start tag with `name` set to `value` (removed when None), other bytes unchanged."""
    pattern = re.compile(rf"""\s{re.escape(name)}\s*=\s*(["']).*?\1""", re.S)
    if value is None:
        return pattern.sub("", tag, count=1)
    if pattern.search(tag):
        return pattern.sub(lambda m: f" {name}={quoteattr(value)}", tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f"{tag[:end]} {name}={quoteattr(value)}{tag[end:]}"


def insert_before_close(xml: str, element: str, snippet: str) -> str:
    """Insert `snippet` just before the closing tag of the (single) `element`."""
    m = re.search(rf"</(?:\w+:)?{element}\s*>", xml)
    if m is None:
        raise UserError(f"The workbook has no <{element}> list: open it in Excel and save "
                        "it again.")
    return xml[: m.start()] + snippet + xml[m.start():]


def remove_rel(xml: str, rel_id: str) -> str:
    return re.sub(rf"""<Relationship\b[^>]*\sId=(["']){re.escape(rel_id)}\1[^>]*/>""",
                  "", xml, count=1)


def fresh_rel_id(rels: list[Rel]) -> str:
    taken = {r.id for r in rels}
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"


def edit_content_types(pkg: Package, gone: set[str], new: dict[str, str]) -> str:
    """[Content_Types].xml without overrides for `gone` parts and with `new` part types."""
    xml = pkg.text(CONTENT_TYPES)
    for part in sorted(gone):
        xml = _drop_override(xml, part)
    adds = []
    for part, ctype in new.items():
        override = pkg.override_type(part)
        ext = posixpath.splitext(part)[1][1:]
        if override == ctype or (override is None and pkg.default_type(ext) == ctype):
            continue
        if override is not None:
            xml = _drop_override(xml, part)
        adds.append(f"<Override PartName={quoteattr('/' + part)} "
                    f"ContentType={quoteattr(ctype)}/>")
    return insert_before_close(xml, "Types", "".join(adds)) if adds else xml


def _drop_override(xml: str, part: str) -> str:
    return re.sub(rf"""<Override\b[^>]*PartName=(["'])/{re.escape(part)}\1[^>]*/>""",
                  "", xml, count=1, flags=re.I)
