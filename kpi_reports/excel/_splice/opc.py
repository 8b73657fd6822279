"""Open Packaging (zip) plumbing for workbook surgery: parts, relationships, content types.

Parts we change are edited as text, never parsed and re-serialised: an XML round trip
renames namespace prefixes and drops the declarations that `mc:Ignorable` names, which
Excel then reports as a corrupt file. ElementTree is used for reading only.
"""

from __future__ import annotations

import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from kpi_reports.errors import UserError

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
# Entries we create get a fixed timestamp so that equal content gives equal bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# The most of one part a splice reads into memory: the lists it edits and the sheet it
# replaces are far smaller in any real workbook (a calcChain of a million formulas is
# about 40 MiB); parts it does not edit are never read, whatever their size.
MAX_PART_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Rel:
    """One relationship of a part; `target` is resolved to a part name unless external."""

    id: str
    type: str
    target: str
    external: bool


class Package:
    """A zip package read on demand: part names in zip order, and each part's bytes read
    (checked, and held) only when asked for, so that a part nobody edits is never
    unzipped: `write` copies it to the new package still compressed.

    A part is read only up to MAX_PART_BYTES (judged by the size its zip entry declares,
    which zipfile never lets the data exceed), and an XML part only when it is well-formed:
    past either, a UserError says which part of which file.
    """

    def __init__(self, zf: zipfile.ZipFile, raw: BinaryIO, label: str):
        self._zf, self._raw, self.label = zf, raw, label
        self.infos = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        self.names = list(self.infos)
        self._bytes: dict[str, bytes] = {}
        self._roots: dict[str, ET.Element] = {}

    @classmethod
    @contextmanager
    def open(cls, source: Path | BinaryIO, label: str | None = None) -> Iterator[Package]:
        """The package in `source` (a path, or a binary file open for reading)."""
        label = label or os.path.basename(str(getattr(source, "name", source)))
        with ExitStack() as stack:
            raw = stack.enter_context(open(source, "rb")) if isinstance(source, (str, os.PathLike)) else source
            try:
                zf = stack.enter_context(zipfile.ZipFile(raw))
            except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
                raise UserError(
                    f"{label} is not an Excel .xlsx/.xlsm workbook (password-protected "
                    "workbooks are not readable either: remove the password in Excel and "
                    "save again).") from exc
            pkg = cls(zf, raw, label)
            if len(pkg.names) != len([i for i in zf.infolist() if not i.is_dir()]) \
                    or CONTENT_TYPES not in pkg:
                raise pkg._damaged("its list of parts is not valid")
            yield pkg

    def __contains__(self, name: str) -> bool:
        return name in self.infos

    def part(self, name: str) -> bytes:
        """The bytes of part `name`: bounded, and well-formed when it is XML."""
        if name not in self._bytes:
            info = self.infos[name]
            if info.file_size > MAX_PART_BYTES:
                raise UserError(
                    f"{self.label}: its part {name} unzips to {info.file_size / 2**20:,.0f} MiB, "
                    f"more than the {MAX_PART_BYTES // 2**20} MiB a refresh reads of a part it "
                    "edits. Open the workbook in Excel, remove what makes that part so large "
                    "and save it again.")
            try:
                data = self._zf.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise self._damaged(f"its part {name} cannot be unzipped ({exc})") from exc
            if name.endswith((".xml", ".rels")):
                self._check_xml(name, data)
            self._bytes[name] = data
        return self._bytes[name]

    def text(self, name: str) -> str:
        return self.part(name).decode("utf-8")

    def xml(self, name: str) -> ET.Element:
        """Part `name` parsed (once), for reading only."""
        if name not in self._roots:
            self._roots[name] = ET.fromstring(self.part(name))
        return self._roots[name]

    def _check_xml(self, name: str, data: bytes) -> None:
        """Well-formed UTF-8 XML, checked by expat without building a tree."""
        parser = expat.ParserCreate()
        try:
            parser.Parse(data, True)
            data.decode("utf-8")
        except expat.ExpatError as exc:
            raise self._damaged(f"its part {name} is not well-formed XML "
                                f"({expat.ErrorString(exc.code)} at line {exc.lineno}, "
                                f"column {exc.offset + 1})") from exc
        except UnicodeDecodeError as exc:
            raise self._damaged(f"its part {name} is not UTF-8 text") from exc

    def _damaged(self, what: str) -> UserError:
        return UserError(f"{self.label} is damaged: {what}. Open it in Excel, let Excel "
                         "repair it if it offers to, and save it again.")

    def unchanged_by(self, changes: dict[str, bytes | None]) -> bool:
        """Whether writing `changes` would give this very package back."""
        return all(data is not None and name in self and self.part(name) == data
                   for name, data in changes.items())

    def write(self, fileobj: BinaryIO, changes: dict[str, bytes | None]) -> None:
        """This package with `changes` (part -> new bytes, None = removed) to `fileobj`.

        Parts keep their zip order, new ones come last. A changed part keeps its entry's
        compression and timestamp; an unchanged one is copied still compressed, byte for
        byte, so that its size costs neither memory nor time.
        """
        with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in self.names:
                if name not in changes:
                    self._copy_compressed(zf, name)
                elif (data := changes[name]) is not None:
                    zf.writestr(self._entry(name), data)
            for name, data in changes.items():
                if data is not None and name not in self:
                    zf.writestr(self._entry(name), data)

    def _entry(self, name: str) -> zipfile.ZipInfo:
        old = self.infos.get(name)
        info = zipfile.ZipInfo(name, old.date_time if old else FIXED_DATE)
        info.compress_type = old.compress_type if old else zipfile.ZIP_DEFLATED
        info.external_attr = old.external_attr if old else 0o600 << 16
        info.create_system = old.create_system if old else 0
        return info

    def _copy_compressed(self, out: zipfile.ZipFile, name: str) -> None:
        """Copy entry `name`'s compressed data as it is: zipfile has no public way to write
        data compressed already, so this does what its own `mkdir` does with a header."""
        old, entry = self.infos[name], self._entry(name)
        if old.flag_bits & 0x1:
            raise self._damaged(f"its part {name} is encrypted")
        self._raw.seek(old.header_offset)
        header = self._raw.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise self._damaged(f"the zip entry of its part {name} is not where its index says")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        self._raw.seek(old.header_offset + 30 + name_len + extra_len)
        entry.CRC, entry.compress_size, entry.file_size = old.CRC, old.compress_size, old.file_size
        entry.flag_bits = old.flag_bits & ~0x8   # sizes go in the header: no data descriptor
        zip64 = max(entry.file_size, entry.compress_size) > zipfile.ZIP64_LIMIT
        fp = out.fp
        assert fp is not None, "write() holds `out` open"
        # The private members below are zipfile's own (see ZipFile.mkdir); typeshed omits them.
        with out._lock:  # type: ignore[attr-defined]
            fp.seek(out.start_dir)
            entry.header_offset = fp.tell()
            out._writecheck(entry)  # type: ignore[attr-defined]
            out._didModify = True  # type: ignore[attr-defined]
            out.filelist.append(entry)
            out.NameToInfo[entry.filename] = entry
            fp.write(entry.FileHeader(zip64))
            _copy_bytes(self._raw, fp, old.compress_size, lambda: self._damaged(
                f"its part {name} is cut short"))
            out.start_dir = fp.tell()

    def rels(self, part: str) -> list[Rel]:
        """Relationships of `part` ("" for the package itself)."""
        name = rels_name(part)
        if name not in self:
            return []
        out = []
        for el in self.xml(name).iter(f"{{{REL_NS}}}Relationship"):
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
                     if not r.external and r.target != skip and r.target in self]
        return seen

    def content_type(self, part: str) -> str | None:
        override = self.override_type(part)
        return override or self.default_type(posixpath.splitext(part)[1][1:])

    def override_type(self, part: str) -> str | None:
        for el in self.xml(CONTENT_TYPES).iter(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == "/" + part.lower():
                return el.get("ContentType")
        return None

    def default_type(self, ext: str) -> str | None:
        for el in self.xml(CONTENT_TYPES).iter(f"{{{CT_NS}}}Default"):
            if el.get("Extension", "").lower() == ext.lower():
                return el.get("ContentType")
        return None


def _copy_bytes(src: IO[bytes], dst: IO[bytes], size: int, short: Callable[[], Exception]) -> None:
    """Copy `size` bytes in chunks; `short()` is the error when `src` ends first."""
    while size:
        chunk = src.read(min(size, 1 << 20))
        if not chunk:
            raise short()
        dst.write(chunk)
        size -= len(chunk)


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
