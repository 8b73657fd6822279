"""The Dashboard refresh changes only the Dashboard's parts of a team's workbook package.

Real workbooks (XlsxWriter, LibreOffice) holding formulas with cached values, sparklines,
x14 data bars, a text box, charts, a table, a comment, a defined name, a pivot table, VBA
and a form button get a Dashboard first added, then replaced; the packages are compared
part by part and LibreOffice opens every workbook the refresh wrote.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr, unescape

import openpyxl
import pytest
import xlwings
from python_calamine import CalamineWorkbook

from kpi_reports.errors import UserError
from kpi_reports.excel._splice import backup_path, splice_sheet
from kpi_reports.excel._splice.book_lists import add_title, set_sheet_names
from workbook_fixtures import (AGENTS, build_dashboard, build_dashboard_xlsxwriter,
                               build_legacy_dashboard, build_pivot_xlsx, build_team_xlsm,
                               build_team_xlsx, list_children, read_infos, read_parts,
                               sheet_parts, soffice)

ROWS = [("Dana Lee", 0.6), ("Sam Ortiz", 0.25), ('=HYPERLINK("http://evil.example")', 0.9),
        ("+1 555 0100", 0.5), ("@home team", 0.75)]
# Parts that must name the sheet; everything else outside the Dashboard keeps its bytes.
LISTS = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
         "xl/calcChain.xml", "docProps/app.xml", "docProps/core.xml"}
STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
               "cellStyles", "dxfs")
KINDS = ("team.xlsx", "team.xlsm", "pivot.xlsx", "legacy.xlsx")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
QUOTED = "Q4 Team's"  # a sheet name Excel quotes in formulas: 'Q4 Team''s'!$4:$4


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """The team workbooks as their owners left them, and two rendered Dashboards that
    differ only in their refresh time."""
    root = tmp_path_factory.mktemp("package")
    xlwings_dir = Path(xlwings.__file__).parent
    return {
        "profile": root / "lo-profile",
        "team.xlsx": build_team_xlsx(root / "team.xlsx"),
        "team.xlsm": build_team_xlsm(root / "team.xlsm",
                                     xlwings_dir / "quickstart_standalone.xlsm"),
        "pivot.xlsx": build_pivot_xlsx(root, root / "lo-profile"),
        "legacy.xlsx": build_legacy_dashboard(root / "legacy.xlsx"),
        "dash_a": build_dashboard(root / "dash_a.xlsx", ROWS, "2026-10-31 08:00"),
        "dash_b": build_dashboard(root / "dash_b.xlsx", ROWS, "2026-10-31 09:30"),
        "dash_xw": build_dashboard_xlsxwriter(root / "dash_xw.xlsx", ROWS),
    }


@pytest.fixture(scope="session")
def refreshed(built, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Each workbook refreshed with Dashboard a (none there yet), then b (a is there)."""
    root = tmp_path_factory.mktemp("refreshed")
    out: dict[str, dict[str, Path]] = {}
    for kind in KINDS:
        stem, ext = kind.split(".")
        work = root / kind / f"{stem}_{ext}.{ext}"
        work.parent.mkdir()
        shutil.copy(built[kind], work)
        out[kind] = {"original": built[kind]}
        for step, dash in (("first", "dash_a"), ("second", "dash_b")):
            assert splice_sheet(work, built[dash]).changed is True
            out[kind][step] = shutil.copy(work, root / kind / f"{step}.{ext}")
        out[kind]["backup"] = backup_path(work)
    return out


@pytest.fixture(scope="session")
def quoted(built, tmp_path_factory) -> Path:
    """team.xlsx refreshed with the Dashboard under a name that needs quoting."""
    work = shutil.copy(built["team.xlsx"], tmp_path_factory.mktemp("quoted") / "team.xlsx")
    assert splice_sheet(work, built["dash_a"], sheet_name=QUOTED, backup=False).changed
    return work


@pytest.fixture(scope="session")
def libre(built, refreshed, quoted, tmp_path_factory) -> dict[str, Path]:
    """Every refreshed workbook opened by LibreOffice and saved again (one soffice call)."""
    root = tmp_path_factory.mktemp("libre")
    names = {("quoted", "first"): "quoted.xlsx"}
    shutil.copy(quoted, root / "quoted.xlsx")
    for kind in KINDS:
        for step in ("first", "second"):
            src = refreshed[kind][step]
            name = f"{kind.replace('.', '_')}_{step}{src.suffix}"
            shutil.copy(src, root / name)
            names[(kind, step)] = name
    soffice(built["profile"], "--convert-to", "xlsx", "--outdir", "out", *names.values(),
            cwd=root)
    return {key: root / "out" / (Path(name).stem + ".xlsx") for key, name in names.items()}


def assert_lossless(before: Path, after: Path, sheet: str = "Dashboard") -> None:
    """Only the sheet's parts and the lists naming it differ; styles.xml is only
    appended to; zip order and compression of kept entries are unchanged."""
    a, b = read_parts(before), read_parts(after)
    old, new = sheet_parts(a, sheet), sheet_parts(b, sheet)
    assert new, "the Dashboard is in the refreshed workbook"
    free = LISTS | old | new | {"xl/styles.xml"}
    assert sorted(n for n in a if n not in free and a[n] != b.get(n)) == []
    assert set(b) - set(a) <= new and set(a) - set(b) <= old
    assert a.get("xl/sharedStrings.xml") == b.get("xl/sharedStrings.xml")
    for name in STYLE_LISTS:
        old_entries = list_children(a["xl/styles.xml"], name)
        assert list_children(b["xl/styles.xml"], name)[: len(old_entries)] == old_entries
    assert without_sheet(b["xl/workbook.xml"], sheet) == without_sheet(a["xl/workbook.xml"],
                                                                      sheet)
    kept_types = [t for t in re.findall(r"<(?:Default|Override)\b[^>]*/>",
                                        a["[Content_Types].xml"].decode())
                  if not any(f'"/{p}"' in t for p in old)]
    assert all(t in b["[Content_Types].xml"].decode() for t in kept_types)
    infos_a = {i.filename: (i.compress_type, i.date_time) for i in read_infos(before)}
    infos_b = [(i.filename, (i.compress_type, i.date_time)) for i in read_infos(after)]
    assert [n for n, _ in infos_b if n in infos_a] == [n for n in infos_a if n in b]
    assert all(infos_a[n] == meta for n, meta in infos_b if n in infos_a)
    assert all(meta[1] == (1980, 1, 1, 0, 0, 0) for n, meta in infos_b if n not in infos_a)


def without_sheet(workbook_xml: bytes, sheet: str) -> str:
    """workbook.xml without the sheet's entry and the print titles the refresh gives it."""
    xml = workbook_xml.decode()
    names = [unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', xml)]
    if sheet in names:
        xml = re.sub(rf'<definedName name="_xlnm.Print_Titles" localSheetId='
                     rf'"{names.index(sheet)}">[^<]*</definedName>', "", xml)
    xml = re.sub(rf'<sheet name={re.escape(quoteattr(sheet))}[^>]*/>', "", xml)
    return xml.replace("<definedNames></definedNames>", "")


def print_names(path: Path) -> list[tuple[str, str, str]]:
    """(name, sheet index, formula) of every print title and area, read independently."""
    root = ET.fromstring(read_parts(path)["xl/workbook.xml"])
    return [(el.get("name"), el.get("localSheetId"), el.text)
            for el in root.iter(f"{{{MAIN}}}definedName") if el.get("name").startswith("_xlnm")]


@pytest.mark.parametrize("kind", KINDS)
def test_first_refresh_adds_the_dashboard_and_changes_nothing_else(refreshed, kind):
    assert_lossless(refreshed[kind]["original"], refreshed[kind]["first"])


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_over_a_dashboard_changes_only_its_sheet_part_and_refresh_time(refreshed,
                                                                               kind):
    first, second = read_parts(refreshed[kind]["first"]), read_parts(refreshed[kind]["second"])
    assert_lossless(refreshed[kind]["first"], refreshed[kind]["second"])
    differing = [n for n in first if first[n] != second.get(n)]
    assert len(differing) == 1 and differing[0].startswith("xl/worksheets/sheet")
    assert (first[differing[0]].replace(b"08:00", b"09:30") == second[differing[0]])
    assert list(first) == list(second)


def test_backup_holds_the_workbook_as_the_user_had_it_before_both_refreshes(refreshed):
    """The second refresh finds only the first one's changes: the backup stays the original."""
    for kind in KINDS:
        assert refreshed[kind]["backup"].read_bytes() == refreshed[kind]["original"].read_bytes()
    assert backup_path(Path("Team KPIs.xlsm")).name == "Team KPIs.bak.xlsm"


def test_refresh_of_equal_content_writes_identical_bytes(built, tmp_path):
    copies = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        copies.append(shutil.copy(built["team.xlsm"], tmp_path / name / "team.xlsm"))
        splice_sheet(copies[-1], built["dash_a"], backup=False)
    assert copies[0].read_bytes() == copies[1].read_bytes()
    assert splice_sheet(copies[0], built["dash_a"]).changed is False  # nothing to change
    assert not backup_path(copies[0]).exists()


def test_old_dashboard_keeps_its_place_id_and_print_area_and_loses_only_its_parts(refreshed):
    before, after = (read_parts(refreshed["legacy.xlsx"][k]) for k in ("original", "first"))
    sheets = re.findall(r"<sheet [^>]*/>", after["xl/workbook.xml"].decode())
    assert sheets == re.findall(r"<sheet [^>]*/>", before["xl/workbook.xml"].decode())
    assert [re.search(r'name="([^"]+)"', s).group(1) for s in sheets] == [
        "Agents", "Dashboard", "Activity"]
    print_area = b'<definedName name="_xlnm.Print_Area" localSheetId="1">Dashboard!$A$1:$H$20'
    assert print_area in before["xl/workbook.xml"] and print_area in after["xl/workbook.xml"]
    old_chart = b"<c:pieChart>"
    assert any(old_chart in v for v in before.values())
    assert not any(old_chart in v for v in after.values())
    assert any(b"<barChart>" in after[p] for p in sheet_parts(after, "Dashboard"))
    calc = after["xl/calcChain.xml"].decode()
    assert 'r="B2"' not in calc and 'r="B3"' not in calc
    assert re.findall(r'r="(D\d)"', calc) == ["D2", "D3", "D4", "D5", "D6"]
    assert '<c r="D2" i="3" l="1"/>' in calc


@pytest.mark.parametrize("kind, index", [("team.xlsx", "2"), ("team.xlsm", "2"),
                                         ("pivot.xlsx", "2"), ("legacy.xlsx", "1")])
def test_dashboard_print_titles_are_scoped_to_its_place_in_the_workbook(refreshed, kind, index):
    """The rendered sheet's print titles (localSheetId 0 there) follow it to its index in
    the team's workbook, once however often it is refreshed; other print names stay."""
    before = print_names(refreshed[kind]["original"])
    for step in ("first", "second"):
        names = print_names(refreshed[kind][step])
        assert [n for n in names if n[0] == "_xlnm.Print_Titles"] == [
            ("_xlnm.Print_Titles", index, "Dashboard!$4:$4")]
        assert [n for n in names if n[0] != "_xlnm.Print_Titles"] == before
    if kind == "legacy.xlsx":  # the old Dashboard's own print area is the user's
        assert before == [("_xlnm.Print_Area", "1", "Dashboard!$A$1:$H$20")]


def test_print_titles_name_a_sheet_as_excel_quotes_it(built, quoted, libre):
    assert print_names(quoted) == [("_xlnm.Print_Titles", "2", "'Q4 Team''s'!$4:$4")]
    assert_lossless(built["team.xlsx"], quoted, sheet=QUOTED)
    assert openpyxl.load_workbook(libre[("quoted", "first")])[QUOTED].print_title_rows == "$4:$4"


def test_print_names_replace_only_the_sheets_own_and_keep_the_xml_order():
    book = ('<x:workbook xmlns:x="m"><x:sheets><x:sheet name="A"/><x:sheet name="B"/>'
            '</x:sheets><x:externalReferences><x:externalReference r:id="rId9"/>'
            "</x:externalReferences><x:calcPr/></x:workbook>")
    added = set_sheet_names(book, 1, {"_xlnm.Print_Titles": "B!$1:$2"})
    assert added == book.replace("</x:externalReferences>", (
        '</x:externalReferences><x:definedNames><x:definedName name="_xlnm.Print_Titles" '
        'localSheetId="1">B!$1:$2</x:definedName></x:definedNames>'))
    names = ('<definedNames><definedName name="Sales" localSheetId="1">B!$A$1</definedName>'
             '<definedName name="_xlnm.Print_Area" localSheetId="0">A!$A$1:$B$2</definedName>'
             '<definedName localSheetId="1" name="_xlnm.print_area">B!$A$1:$C$9</definedName>'
             "</definedNames>")
    book = f'<workbook><sheets><sheet name="A"/></sheets>{names}<calcPr/></workbook>'
    out = set_sheet_names(book, 1, {"_xlnm.Print_Area": "'R&D'!$A$1:$H$40",
                                    "_xlnm.Print_Titles": "'R&D'!$6:$7"})
    assert out == book.replace(
        '<definedName localSheetId="1" name="_xlnm.print_area">B!$A$1:$C$9</definedName>',
        '<definedName name="_xlnm.Print_Area" localSheetId="1">\'R&amp;D\'!$A$1:$H$40'
        '</definedName><definedName name="_xlnm.Print_Titles" localSheetId="1">'
        "'R&amp;D'!$6:$7</definedName>")
    assert set_sheet_names(out, 1, {"_xlnm.Print_Titles": "'R&D'!$6:$7"}) == out


def test_vba_button_and_pivot_parts_come_through_unchanged(built, refreshed):
    xlsm = read_parts(refreshed["team.xlsm"]["second"])
    original = read_parts(built["team.xlsm"])
    assert xlsm["xl/vbaProject.bin"] == original["xl/vbaProject.bin"]
    assert b"macroEnabled" in xlsm["[Content_Types].xml"]
    vml = [p for p in xlsm if p.endswith(".vml")]
    assert vml and all(xlsm[p] == original[p] for p in vml)
    assert any(b"SampleCall" in xlsm[p] for p in vml)
    pivot = read_parts(refreshed["pivot.xlsx"]["second"])
    pivot_parts = [p for p in pivot if p.startswith(("xl/pivotTables/", "xl/pivotCache/"))]
    assert len(pivot_parts) >= 3
    assert all(pivot[p] == read_parts(built["pivot.xlsx"])[p] for p in pivot_parts)


def test_dashboard_text_from_data_is_text_never_a_formula(refreshed):
    parts = read_parts(refreshed["team.xlsx"]["first"])
    sheet = next(p for p in sheet_parts(parts, "Dashboard")
                 if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", p))
    xml = parts[sheet].decode()
    assert "<f>" not in xml
    assert '<is><t>=HYPERLINK("http://evil.example")</t></is>' in xml.replace("&quot;", '"')


@pytest.mark.parametrize("kind", KINDS)
def test_refreshed_workbook_keeps_cached_formula_values_readable(refreshed, kind):
    book = CalamineWorkbook.from_path(str(refreshed[kind]["second"]))
    dash = book.get_sheet_by_name("Dashboard").to_python()
    assert [tuple(r[:2]) for r in dash[4:]] == ROWS
    if kind != "pivot.xlsx":  # calamine reads the values cached in the file, no recalc
        activity = book.get_sheet_by_name("Activity").to_python()
        assert [r[3] for r in activity[1:6]] == pytest.approx(
            [contacts / calls for _, _, calls, contacts in AGENTS])


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_opens_the_refreshed_workbook_with_every_sheet_and_value(libre, kind):
    for step in ("first", "second"):
        wb = openpyxl.load_workbook(libre[(kind, step)], data_only=True)
        assert "Dashboard" in wb.sheetnames
        dash = wb["Dashboard"]
        assert dash.print_title_rows == "$4:$4"  # LibreOffice put them on the Dashboard
        stamp = "08:00" if step == "first" else "09:30"
        assert dash["A2"].value == f"Refreshed 2026-10-31 {stamp}"
        assert [(r[0].value, r[1].value) for r in dash.iter_rows(min_row=5, max_col=2)] == ROWS
        assert dash["B5"].number_format == "0.0%"
        if kind != "pivot.xlsx":
            activity = wb["Activity"]
            assert [activity.cell(r, 4).value for r in range(2, 7)] == pytest.approx(
                [contacts / calls for _, _, calls, contacts in AGENTS])
            assert wb.defined_names["TotalCalls"].attr_text == "SUM(Agents!$C$2:$C$6)"
        else:
            assert wb["Data"]["B2"].value == AGENTS[0][2]


def test_shared_strings_of_the_rendered_sheet_become_inline_strings(built, tmp_path):
    work = shutil.copy(built["team.xlsx"], tmp_path / "team.xlsx")
    splice_sheet(work, built["dash_xw"])
    assert_lossless(built["team.xlsx"], work)
    parts = read_parts(work)
    sheet = next(p for p in sheet_parts(parts, "Dashboard")
                 if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", p))
    xml = parts[sheet].decode()
    assert 't="s"' not in xml and xml.count('t="inlineStr"') == 3 + len(ROWS)
    assert "<is><r>" in xml and "x14:dataBar" in xml
    assert "tabSelected" not in xml  # else Excel opens with two sheets grouped
    dash = openpyxl.load_workbook(work, rich_text=True)["Dashboard"]
    assert str(dash["A1"].value) == "Team KPIs"
    assert [dash.cell(r, 1).value for r in range(4, 4 + len(ROWS))] == [n for n, _ in ROWS]


@pytest.mark.parametrize("owner", ["~$Team KPIs.xlsx", "~$am KPIs.xlsx", "~$eam KPIs.xlsx"])
def test_refuses_a_workbook_that_is_open_in_excel(built, tmp_path, owner):
    """Office names its owner file ~$NAME, or puts ~$ in place of a long name's first characters."""
    work = shutil.copy(built["team.xlsx"], tmp_path / "Team KPIs.xlsx")
    (tmp_path / owner).write_bytes(b"owner")
    with pytest.raises(UserError, match="open in Excel.*close.*left by a crash"):
        splice_sheet(work, built["dash_a"])
    assert work.read_bytes() == built["team.xlsx"].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["Team KPIs.xlsx", owner])


def test_failed_write_leaves_the_workbook_as_it_was(built, tmp_path, monkeypatch):
    work = shutil.copy(built["team.xlsx"], tmp_path / "team.xlsx")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kpi_reports.atomic.os.replace", disk_full)
    with pytest.raises(UserError, match="No space left"):
        splice_sheet(work, built["dash_a"])
    assert work.read_bytes() == built["team.xlsx"].read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["team.xlsx"]


def test_a_file_that_is_not_a_workbook_is_a_clear_error(built, tmp_path):
    fake = tmp_path / "team.xlsx"
    fake.write_text("Agent ID,Name\nA01,Dana\n")
    with pytest.raises(UserError, match="not an Excel .xlsx/.xlsm workbook"):
        splice_sheet(fake, built["dash_a"])
    with pytest.raises(UserError, match="does not exist"):
        splice_sheet(tmp_path / "missing.xlsx", built["dash_a"])


def test_replacing_a_sheet_keeps_its_vba_code_name(built, tmp_path):
    work = shutil.copy(built["team.xlsm"], tmp_path / "team.xlsm")
    splice_sheet(work, built["dash_a"], sheet_name="Activity")
    assert_lossless(built["team.xlsm"], work, sheet="Activity")
    parts = read_parts(work)
    sheet = next(p for p in sheet_parts(parts, "Activity")
                 if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", p))
    assert re.search(rb'<sheetPr\b[^>]*codeName="Sheet2"', parts[sheet])
    assert b"Team KPIs" in parts[sheet]


def test_a_dashboard_holding_a_pivot_table_is_not_replaced(built, tmp_path):
    work = shutil.copy(built["pivot.xlsx"], tmp_path / "pivot.xlsx")
    with pytest.raises(UserError, match="'Pivot' holds a pivotTable .*rename 'Pivot'"):
        splice_sheet(work, built["dash_a"], sheet_name="Pivot")
    assert work.read_bytes() == built["pivot.xlsx"].read_bytes()


def test_sheet_titles_in_app_properties_follow_excels_ui_language():
    app = ('<Properties xmlns:vt="v"><HeadingPairs><vt:vector size="4" baseType="variant">'
           "<vt:variant><vt:lpstr>Arbeitsbl\u00e4tter</vt:lpstr></vt:variant><vt:variant>"
           "<vt:i4>2</vt:i4></vt:variant><vt:variant><vt:lpstr>Benannte Bereiche</vt:lpstr>"
           "</vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs>"
           '<TitlesOfParts><vt:vector size="3" baseType="lpstr"><vt:lpstr>Agents</vt:lpstr>'
           "<vt:lpstr>R&amp;D</vt:lpstr><vt:lpstr>Total</vt:lpstr></vt:vector></TitlesOfParts>"
           "</Properties>")
    out = add_title(app, ["Agents", "R&D"], "Dashboard")
    assert "<vt:i4>3</vt:i4></vt:variant><vt:variant><vt:lpstr>Benannte" in out
    assert ('<vt:vector size="4" baseType="lpstr"><vt:lpstr>Agents</vt:lpstr><vt:lpstr>R&amp;D'
            "</vt:lpstr><vt:lpstr>Dashboard</vt:lpstr><vt:lpstr>Total</vt:lpstr>") in out
    assert add_title(app, ["Other"], "Dashboard") == app  # not recognised: left alone
