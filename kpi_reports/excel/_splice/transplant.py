"""The transplant, in memory: a target package with a rendered sheet in place of its own.

The rendered sheet's parts are copied in under fresh names, the few lists that must name
the sheet are edited as text, styles.xml is only appended to, and every other part keeps
its bytes (see the package docstring for the invariants).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kpi_reports.errors import UserError

from .book_lists import (SheetEntry, active_tab, add_sheet, add_title, drop_calc_entries,
                         print_names, set_sheet_names, sheet_entries)
from .opc import (CONTENT_TYPES, Package, edit_content_types, fresh_name, fresh_rel_id,
                  insert_before_close, rels_name, rels_xml, relative, remove_rel)
from .sheet_xml import code_name, rewrite_sheet, shared_strings
from .styles_merge import StyleMaps, merge_styles

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Parts whose ids must be unique across the workbook: not carried in a rendered sheet.
UNMOVABLE = ("/table", "/pivotTable", "/queryTable", "/slicer", "/timeline")


@dataclass(frozen=True)
class Spliced:
    """What a splice changes in the target: `changes` maps a part to its new bytes (None:
    removed; parts the target lacks are new); `rewritable` names every part of the target
    a splice of this sheet may rewrite (the lists naming it and the sheet's own parts)."""

    changes: dict[str, bytes | None]
    rewritable: frozenset[str]


def splice(target: Package, source: Package, sheet_name: str) -> Spliced:
    """`target` with `source`'s sheet `sheet_name` in place of its own, as changes."""
    book = _main_part(target)
    src_book = _main_part(source)
    src_sheets = sheet_entries(source.part(src_book))
    src_name = src_sheets[0].name if len(src_sheets) == 1 else sheet_name
    src_sheet = _sheet_part(source, src_book, src_name)
    if src_sheet is None:
        raise ValueError(f"the rendered workbook has no sheet named {sheet_name!r}")
    edits: dict[str, bytes | None] = {}  # part -> new content, None = remove
    sheet_part, removed, vba_name, selected = _make_room(target, book, sheet_name, edits)
    taken = {p.lower() for p in target.names} - {p.lower() for p in removed}
    names = _allocate(source, src_sheet, sheet_part, taken)
    new = _transplant(source, names)
    maps = _merged_styles(target, book, source, src_book, edits)
    _carry_print_names(target, book, source, src_book, src_name, sheet_name, edits)
    strings = source.rel_of_type(src_book, "sharedStrings")
    new[sheet_part] = rewrite_sheet(
        source.text(src_sheet),
        shared_strings(source.text(strings.target) if strings else None),
        maps, selected, vba_name).encode("utf-8")
    for part in removed - set(new):
        edits[part] = None
    types = {n: source.content_type(s) or "application/xml" for s, n in names.items()}
    types[sheet_part] = WORKSHEET_TYPE
    edits[CONTENT_TYPES] = edit_content_types(
        target, {p for p, v in edits.items() if v is None}, types).encode("utf-8")
    lists = {CONTENT_TYPES, book, rels_name(book), *_list_parts(target, book)}
    return Spliced({**edits, **new}, frozenset(lists | removed | {sheet_part,
                                                                  rels_name(sheet_part)}))


def _make_room(pkg: Package, book: str, name: str, edits: dict[str, bytes | None]
               ) -> tuple[str, set[str], str | None, bool]:
    """Where the new sheet goes: the old sheet's part (its own parts to remove, its VBA
    code name and tab selection kept) or a new last sheet."""
    entries = sheet_entries(pkg.part(book))
    index = next((i for i, e in enumerate(entries) if e.name.lower() == name.lower()), None)
    if index is None:
        return _append_sheet(pkg, book, entries, name, edits), set(), None, False
    part = _entry_part(pkg, book, entries[index])
    removed = _owned_parts(pkg, part, entries[index].name)
    _drop_calc_chain(pkg, book, entries[index].sheet_id, edits)
    return part, removed, code_name(pkg.text(part)), index == active_tab(pkg.text(book))


def _list_parts(pkg: Package, book: str) -> list[str]:
    """The parts besides the workbook part that may name a sheet, or change with one."""
    rels = [pkg.rel_of_type(book, "styles"), pkg.rel_of_type(book, "calcChain"),
            pkg.rel_of_type("", "extended-properties")]
    return [r.target for r in rels if r is not None]


def _carry_print_names(target: Package, book: str, source: Package, src_book: str,
                       src_name: str, name: str, edits: dict[str, bytes | None]) -> None:
    """The rendered sheet's print titles and area, now scoped to its place in `book`."""
    xml, src_xml = edits.get(book) or target.part(book), source.part(src_book)
    entries = sheet_entries(xml)
    index = _index(entries, name)
    names = print_names(src_xml, _index(sheet_entries(src_xml), src_name), entries[index].name)
    if names:
        edits[book] = set_sheet_names(xml.decode("utf-8"), index, names).encode("utf-8")


def _index(entries: list[SheetEntry], name: str) -> int:
    return next(i for i, e in enumerate(entries) if e.name.lower() == name.lower())


def _main_part(pkg: Package) -> str:
    rel = pkg.rel_of_type("", "officeDocument")
    if rel is None or rel.target not in pkg:
        raise UserError("This file is not an Excel workbook (no workbook part): save it in "
                        "Excel as .xlsx or .xlsm.")
    return rel.target


def _sheet_part(pkg: Package, book: str, name: str) -> str | None:
    entry = next((e for e in sheet_entries(pkg.part(book))
                  if e.name.lower() == name.lower()), None)
    return None if entry is None else _entry_part(pkg, book, entry)


def _entry_part(pkg: Package, book: str, entry: SheetEntry) -> str:
    """The worksheet part of sheet `entry` of `book` (a UserError if it has none)."""
    name = entry.name
    rel = next((r for r in pkg.rels(book) if r.id == entry.rel_id), None)
    if rel is None or rel.target not in pkg:
        raise UserError(f"Sheet {name!r} has no content in the file: open the workbook in "
                        "Excel and save it again.")
    if not rel.type.endswith("/worksheet"):
        raise UserError(f"Sheet {name!r} is a chart or dialog sheet, not a worksheet: "
                        "rename or delete it so the refresh can create its own.")
    return rel.target


def _owned_parts(pkg: Package, sheet: str, name: str) -> set[str]:
    """The old sheet's own parts (drawings, charts, ...) that nothing else refers to,
    with their relationship parts; the sheet part itself is reused in place.

    Tables, pivot tables and slicers are named from elsewhere in the workbook (formulas,
    slicer caches), so a sheet holding one is not replaced: the user moves it first."""
    mine = pkg.reachable([r.target for r in pkg.rels(sheet) if not r.external])
    shared = pkg.reachable([r.target for r in pkg.rels("") if not r.external], skip=sheet)
    owned = mine - shared - {sheet}
    kinds = {r.type.rsplit("/", 1)[-1] for p in owned | {sheet} for r in pkg.rels(p)
             if r.type.endswith(UNMOVABLE)}
    if kinds:
        raise UserError(
            f"Sheet {name!r} holds a {' and a '.join(sorted(kinds))} that the refresh would "
            f"delete: move it to another sheet, or rename {name!r} to keep it, and run "
            "the refresh again.")
    return owned | {rels_name(p) for p in owned | {sheet} if rels_name(p) in pkg}


def _append_sheet(pkg: Package, book: str, entries: list[SheetEntry], name: str,
                  edits: dict[str, bytes | None]) -> str:
    _check_sheet_name(name)
    folder = posixpath.dirname(book)
    taken = {p.lower() for p in pkg.names}
    part = fresh_name(posixpath.join(folder, "worksheets", "sheet1.xml"), taken)
    book_rels = pkg.rels(book)
    rel_id = fresh_rel_id(book_rels)
    rels = pkg.text(rels_name(book))
    row = rels_xml([(rel_id, REL + "worksheet", relative(book, part), False)]).decode()
    row = row[row.index("<Relationship "): row.index("</Relationships>")]
    edits[rels_name(book)] = insert_before_close(rels, "Relationships", row).encode()
    sheet_id = max([e.sheet_id for e in entries] + [0]) + 1
    edits[book] = add_sheet(pkg.text(book), name, sheet_id, rel_id).encode("utf-8")
    app = pkg.rel_of_type("", "extended-properties")
    if app is not None and app.target in pkg:
        worksheets = [e.name for e in entries if _is_worksheet(pkg, book, e.rel_id)]
        edits[app.target] = add_title(pkg.text(app.target), worksheets, name).encode("utf-8")
    return part


def _is_worksheet(pkg: Package, book: str, rel_id: str) -> bool:
    return any(r.id == rel_id and r.type.endswith("/worksheet") for r in pkg.rels(book))


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "[]:*?/\\") or name[0] == "'":
        raise UserError(f"{name!r} cannot be an Excel sheet name: use at most 31 characters "
                        "and none of [ ] : * ? / \\.")


def _drop_calc_chain(pkg: Package, book: str, sheet_id: int,
                     edits: dict[str, bytes | None]) -> None:
    """Cells of the old sheet leave the calculation chain (Excel would report entries
    pointing at cells without formulas as damage); Excel adds the new sheet's formulas."""
    rel = pkg.rel_of_type(book, "calcChain")
    if rel is None or rel.target not in pkg:
        return
    calc = drop_calc_entries(pkg.text(rel.target), sheet_id)
    if calc is not None:
        edits[rel.target] = calc.encode("utf-8")
        return
    edits[rel.target] = None
    edits[rels_name(book)] = remove_rel(pkg.text(rels_name(book)), rel.id).encode("utf-8")


def _allocate(source: Package, src_sheet: str, sheet_part: str, taken: set[str]
              ) -> dict[str, str]:
    """Source part -> target part name for the sheet and everything it refers to, in a
    fixed order so that refreshing again reuses the names the last refresh freed."""
    names = {src_sheet: sheet_part}
    taken = taken | {sheet_part.lower(), rels_name(sheet_part).lower()}
    todo = [src_sheet]
    while todo:
        part = todo.pop(0)
        for rel in source.rels(part):
            if rel.type.endswith(UNMOVABLE):
                raise ValueError(f"the rendered sheet may not hold {rel.type.rsplit('/')[-1]}"
                                 " parts (their ids are workbook-wide)")
            if rel.external or rel.target in names:
                continue
            names[rel.target] = fresh_name(rel.target, taken)
            taken |= {names[rel.target].lower(), rels_name(names[rel.target]).lower()}
            todo.append(rel.target)
    return names


def _transplant(source: Package, names: dict[str, str]) -> dict[str, bytes]:
    """New parts (sheet content filled in later) with relationships re-pointed."""
    new: dict[str, bytes] = {}
    for src, dst in names.items():
        new[dst] = source.part(src)
        rels = source.rels(src)
        if rels:
            new[rels_name(dst)] = rels_xml([
                (r.id, r.type, r.target if r.external else relative(dst, names[r.target]),
                 r.external) for r in rels])
    return new


def _merged_styles(target: Package, book: str, source: Package, src_book: str,
                   edits: dict[str, bytes | None]) -> StyleMaps:
    rel, src_rel = target.rel_of_type(book, "styles"), source.rel_of_type(src_book, "styles")
    if rel is None or src_rel is None:
        raise UserError("The workbook has no styles part: open it in Excel and save it "
                        "again.")
    xml, maps = merge_styles(target.text(rel.target), source.text(src_rel.target))
    edits[rel.target] = xml.encode("utf-8")
    return maps
