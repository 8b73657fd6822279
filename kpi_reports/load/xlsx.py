"""Reading a workbook's sheets so that memory follows the data, not the sheet's grid.

python-calamine (like fastexcel, which is built on the same Rust reader) turns a sheet
into a dense grid from A1 to its last cell before handing anything over: one note typed
at XFD2 makes a 10,000-row sheet 16,384 columns wide (6 GB), and a value at XFD1048576
asks for 550 GB and aborts the process. Neither library can be told which columns or
rows to read (calamine issue #693, fastexcel issue #487, both open).

So each sheet's XML is looked at first, with a few C-speed byte searches: when its cells
lie where the data is (the common case) calamine reads it as it is. Otherwise the sheet
is streamed once and compacted: only the cells under the headers the loader asks for, of
rows that hold a value, renumbered into a small sheet that calamine types exactly as it
would the original (same shared strings, styles and date system). Row numbers are kept
for the data-quality list.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from python_calamine import CalamineWorkbook

from ..errors import WorkbookError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_SHEET_XML = 2 << 30           # a sheet unpacking past this is refused (a zip bomb, not a team)
MAX_PART_XML = 256 << 20          # workbook.xml, its rels
GRID_BYTES_PER_CELL = 40          # calamine's 32-byte cell plus the Python list slot
GRID_ALLOWANCE = 256 << 20        # a grid this small is read as it is, whatever its shape
TWO_LETTER_COLUMN = re.compile(rb'<c r="([A-Z]{2})[0-9]')
REF = re.compile(r"([A-Z]+)([0-9]+)")


@dataclass
class SheetRows:
    """A sheet's rows as lists of cell values; numbers[i] is rows[i]'s spreadsheet row."""

    rows: Sequence[Sequence[object]]
    numbers: Sequence[int] | None = None       # None: rows[i] is row i + 1


def column_index(letters: str) -> int:
    """"A" -> 0, "XFD" -> 16383."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_limited(zf: zipfile.ZipFile, part: str, limit: int) -> bytes:
    """A part's bytes, refusing one that unpacks past `limit` whatever its header claims."""
    with zf.open(part) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise WorkbookError(f"{zf.filename}: the part {part} unpacks to more than {limit >> 20} MB; "
                            "the file is damaged or built to exhaust memory. Open it in Excel and save it again.")
    return data


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: zip part of its XML}, from workbook.xml and its relationships."""
    book = ET.fromstring(read_limited(zf, "xl/workbook.xml", MAX_PART_XML))
    rels = ET.fromstring(read_limited(zf, "xl/_rels/workbook.xml.rels", MAX_PART_XML))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL}Relationship")}
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        parts[sheet.get("name", "")] = part
    return parts


def grid_fits(xml: bytes) -> bool:
    """Whether calamine's dense grid of this sheet stays near the size of its data.

    True only when every cell starts with its reference, no column lies beyond ZZ, no row
    number has more digits than the last cell's (a row out of order is not trusted), and
    the grid from A1 to the last row, as wide as the widest column, costs at most 32 times
    the sheet's XML (or GRID_ALLOWANCE). Normal sheets cost one regular-expression pass.
    """
    start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    if start < 0:
        return xml.find(b"sheetData") < 0          # no data at all, or prefixed elements (x:c)
    body = xml[start:end if end > start else len(xml)]
    last = REF.match(body[body.rfind(b'<c r="') + 6:][:16].decode("ascii", "replace"))
    last_row = int(last.group(2)) if last else 0
    digits = len(str(last_row))
    budget = max(32 * len(body), GRID_ALLOWANCE)
    if re.search(rb'<c(?! r="[A-Z][0-9]{1,%d}")' % digits, body) is None:     # the common case
        return last_row * 26 * GRID_BYTES_PER_CELL <= budget
    if re.search(rb'<c(?! r="[A-Z]{1,2}[0-9]{1,%d}")' % digits, body):
        return False                               # no leading ref, beyond ZZ, or a far row
    width = 1 + max(column_index(m.decode()) for m in TWO_LETTER_COLUMN.findall(body))
    return last_row * width * GRID_BYTES_PER_CELL <= budget


class Workbook:
    """An open .xlsx/.xlsm: sheet names, and each sheet's rows read as economically as it allows."""

    def __init__(self, path: str, book: CalamineWorkbook):
        self.path, self.book = path, book
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise WorkbookError(f"{path} could not be read as an Excel workbook; it may be truncated "
                                f"or damaged ({exc}). Open it in Excel and save it again.") from None
        try:
            self.parts = sheet_parts(self.zip)
        except (KeyError, ET.ParseError):
            self.parts = {}                              # not a standard package: calamine alone

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()
        self.book.close()

    @property
    def sheet_names(self) -> list[str]:
        return self.book.sheet_names

    def rows(self, name: str, wanted: Iterable[str]) -> SheetRows:
        """The sheet's rows; when its grid would outgrow its data, only the `wanted` columns
        (header keys) of rows holding a value, renumbered (SheetRows.numbers)."""
        part = self.parts.get(name)
        if part is None or part not in self.zip.namelist() \
                or grid_fits(read_limited(self.zip, part, MAX_SHEET_XML)):
            return SheetRows(self.book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        return self._compacted(name, part, set(wanted))

    def _compacted(self, name: str, part: str, wanted: set[str]) -> SheetRows:
        from .sheets import header_key
        with self.zip.open(part) as stream:
            compact = compact_sheet(stream, lambda text: header_key(text) in wanted, SharedStrings(self.zip))
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in self.zip.infolist():
                if info.filename == part:
                    out.writestr(part, compact.xml)
                elif info.filename in self.parts.values():
                    out.writestr(info.filename, EMPTY_SHEET)     # other sheets: not read from here
                elif info.filename.lower() in PACKAGE_PARTS:
                    out.writestr(info.filename, read_limited(self.zip, info.filename, MAX_SHEET_XML))
        package.seek(0)
        body = CalamineWorkbook.from_filelike(package).get_sheet_by_name(name).to_python(skip_empty_area=False)
        width = len(compact.header)
        rows = [compact.header] + [list(body[i] if i < len(body) else ()) for i in range(len(compact.numbers))]
        return SheetRows([r + [None] * (width - len(r)) for r in rows], [compact.header_row, *compact.numbers])


# what calamine needs to type one sheet as the original package would
PACKAGE_PARTS = {"[content_types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/styles.xml", "xl/sharedstrings.xml"}
EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


class SharedStrings:
    """The workbook's shared strings, parsed only as far as the header cells need."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zip, self._events = zf, None
        self.texts: list[str] = []
        part = next((n for n in zf.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
        if part is not None:
            self._events = ET.iterparse(zf.open(part), events=("end",))

    def __getitem__(self, index: int) -> str:
        while len(self.texts) <= index and self._events is not None:
            try:
                _, el = next(self._events)
            except StopIteration:
                self._events = None
                break
            if el.tag == f"{MAIN}si":
                self.texts.append(cell_text(el))
                el.clear()
        return self.texts[index] if index < len(self.texts) else ""


def cell_text(el: ET.Element) -> str:
    """Text of a shared string or an inline string: its <t>, or its runs' <t>s (not phonetic)."""
    direct = el.find(f"{MAIN}t")
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for r in el.iter(f"{MAIN}r") for t in r.iter(f"{MAIN}t"))


@dataclass
class CompactSheet:
    xml: bytes
    header: list[str]        # wanted headers first (columns 0..k-1 of xml), then the others
    header_row: int
    numbers: list[int]       # original row number of each compact row


def compact_sheet(stream: IO[bytes], is_wanted, strings: SharedStrings) -> CompactSheet:
    """Stream the sheet once: find the header row (the first holding a value), keep the
    cells of the wanted columns in the rows below that hold one, renumbered from A1.
    Memory: the kept cells, whatever the sheet's extent."""
    out = io.StringIO()
    header: dict[int, str] = {}
    columns: dict[int, int] = {}          # original column -> compact column
    header_row, numbers = 0, []
    row_number, col = 0, -1
    cells: list[tuple[int, str | None, str | None, ET.Element | None, ET.Element | None]] = []
    sheet_data = None
    for event, el in ET.iterparse(stream, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == f"{MAIN}sheetData":
                sheet_data = el
            elif tag == f"{MAIN}row":
                row_number = int(el.get("r") or row_number + 1)
                col, cells = -1, []
            continue
        if tag == f"{MAIN}c":
            ref = REF.fullmatch(el.get("r") or "")
            col = column_index(ref.group(1)) if ref else col + 1
            if ref:
                row_number = int(ref.group(2))
            value, inline = el.find(f"{MAIN}v"), el.find(f"{MAIN}is")
            if value is not None or inline is not None:
                cells.append((col, el.get("t"), el.get("s"), value, inline))
            el.clear()
        elif tag == f"{MAIN}row":
            if not header_row and cells:
                header = {c: _header_text(t, v, inline, strings) for c, t, _, v, inline in cells}
                if any(h != "" for h in header.values()):
                    header_row = row_number
                    columns = _wanted_columns(header, is_wanted)
            elif header_row:
                kept = [c for c in cells if c[0] in columns]
                if kept:
                    numbers.append(row_number)
                    out.write(_row_xml(len(numbers), kept, columns))
            if sheet_data is not None:
                sheet_data.clear()                # rows done with: let them go
    names = [header[c] for c in columns] + [h for c, h in sorted(header.items()) if c not in columns]
    xml_out = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
               f'{MAIN[1:-1]}"><sheetData>{out.getvalue()}</sheetData></worksheet>').encode()
    return CompactSheet(xml_out, names, header_row, numbers)


def _wanted_columns(header: dict[int, str], is_wanted) -> dict[int, int]:
    """The first column of each wanted header (as the loader's header matching does)."""
    from .sheets import header_key
    first: dict[str, int] = {}
    for c in sorted(header):
        if is_wanted(header[c]):
            first.setdefault(header_key(header[c]), c)
    return {c: j for j, c in enumerate(sorted(first.values()))}


def _header_text(kind, value, inline, strings: SharedStrings) -> str:
    if inline is not None:
        return cell_text(inline)
    text = value.text or ""
    if kind == "s":
        return strings[int(text)] if text.strip().isdigit() else ""
    return text


def _row_xml(number: int, cells, columns: dict[int, int]) -> str:
    parts = [f'<row r="{number}">']
    for col, kind, style, value, inline in cells:
        attrs = f' r="{column_letters(columns[col])}{number}"'
        attrs += f' t="{escape(kind)}"' if kind else ""
        attrs += f' s="{escape(style)}"' if style else ""
        if inline is not None:
            parts.append(f'<c{attrs}><is><t xml:space="preserve">{escape(cell_text(inline))}</t></is></c>')
        else:
            parts.append(f"<c{attrs}><v>{escape(value.text or '')}</v></c>")
    parts.append("</row>")
    return "".join(parts)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
