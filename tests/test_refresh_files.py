"""`kpi-reports refresh` and the user's files on disk, tried the way they break.

Real `kpi-reports` processes on real workbooks: a zip part that unzips to gigabytes, parts
that are not XML, folders nobody may write, another owner, a hard link, two refreshes at
once, a refresh killed mid-write. Peak memory is the child's own (os.wait4).
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from conftest import team_tables
from kpi_reports.errors import UserError
from kpi_reports.excel._splice import splice_sheet
from kpi_reports.team_workbook import write_team_workbook
from workbook_fixtures import build_dashboard, read_parts, sheet_parts, soffice

ROOT = Path(__file__).parents[1]
MiB = 2**20
ROWS = [("Dana Lee", 0.6), ("Sam Ortiz", 0.25)]


# ---- real workbooks and real processes -----------------------------------------------

def team_workbook(path: Path) -> Path:
    return write_team_workbook(team_tables(), path)


class _RepeatedZeros:
    """Stands in for zipfile's deflate compressor when every chunk is the same MiB of
    zeros: one chunk's deflate block (ended by a full flush, so it does not depend on what
    came before) serves them all. Writes a multi-GB part in seconds, not minutes."""

    def __init__(self) -> None:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.block = deflate.compress(bytes(MiB)) + deflate.flush(zlib.Z_FULL_FLUSH)
        self.tail = deflate.flush()

    def compress(self, data: bytes) -> bytes:
        assert data == bytes(MiB)
        return self.block

    def flush(self) -> bytes:
        return self.tail


def rezip(src: Path, dst: Path, replace: dict[str, bytes | int] | None = None) -> Path:
    """`src` copied to `dst` with parts replaced or added: bytes (stored as they are when
    over a MiB), or an int = that many MiB of zeros, streamed (the zip holds a few MB,
    unzipping gives gigabytes)."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            if info.filename not in replace:
                out.writestr(info, zin.read(info))
        for name, data in replace.items():
            if isinstance(data, bytes):
                big = len(data) > MiB
                out.writestr(name, data, zipfile.ZIP_STORED if big else zipfile.ZIP_DEFLATED)
                continue
            entry = zipfile.ZipInfo(name)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with out.open(entry, "w", force_zip64=True) as part:
                part._compressor = _RepeatedZeros()
                for _ in range(data):
                    part.write(bytes(MiB))
    return dst


def start(*args: str, cwd: Path = ROOT) -> subprocess.Popen:
    """A real `kpi-reports` process (lines not wrapped, so messages compare whole)."""
    return subprocess.Popen([sys.executable, "-m", "kpi_reports", *args], cwd=cwd,
                            env={**os.environ, "COLUMNS": "400"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, int]:
    """(exit status, output, peak RSS in MiB) of a started process."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the process did not finish")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = proc.stdout.read()
    proc.stdout.close()
    return proc.returncode, output, usage.ru_maxrss // 1024


def refresh(workbook: Path) -> tuple[int, str, int]:
    return finish(start("refresh", str(workbook), "--as-of", "2026-10-31"))


def one_line(text: str) -> str:
    return " ".join(text.split())


def temps(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp"))


def dashboard_bytes(tmp_path: Path, stamp: str = "2026-10-31 08:00") -> bytes:
    return build_dashboard(tmp_path / f"dash {stamp[-5:].replace(':', '')}.xlsx", ROWS,
                           stamp).read_bytes()


# ---- zip bombs and damaged parts -----------------------------------------------------

def test_an_unused_3_gib_part_is_copied_still_compressed_in_little_memory(tmp_path):
    """Before: the whole package was unzipped into memory (6.4 GB, 30 s for this file)."""
    work = rezip(team_workbook(tmp_path / "plain.xlsx"), tmp_path / "team.xlsx",
                 {"xl/media/padding.bin": 3 * 1024})
    before = zipfile.ZipFile(work).getinfo("xl/media/padding.bin")
    assert before.file_size == 3 * 2**30 and before.compress_size < 4 * MiB

    status, output, peak = refresh(work)
    assert status == 0, output
    assert peak < 400, f"peak RSS {peak} MiB"   # the interpreter with pandas and pyarrow is ~300 MiB; the part is 3 GiB
    after = zipfile.ZipFile(work).getinfo("xl/media/padding.bin")
    assert (after.CRC, after.file_size, after.compress_size) == (
        before.CRC, before.file_size, before.compress_size)
    with zipfile.ZipFile(work).open(after) as part:
        assert part.read(MiB) == bytes(MiB)
    assert "Dashboard" in CalamineWorkbook.from_path(str(work)).sheet_names


def test_a_part_the_refresh_must_read_that_unzips_to_a_gigabyte_is_refused(tmp_path):
    work = team_workbook(tmp_path / "plain.xlsx")
    assert splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path)), backup=False).changed
    dash = next(p for p in sheet_parts(read_parts(work), "Dashboard")
                if p.startswith("xl/worksheets/sheet"))
    bomb = rezip(work, tmp_path / "team.xlsx", {dash: 1024})
    original = bomb.read_bytes()

    status, output, peak = refresh(bomb)
    assert status == 2, output
    assert (f"team.xlsx: its part {dash} unzips to 1,024 MiB, more than the 256 MiB a "
            "refresh reads of a part it edits.") in one_line(output)
    assert peak < 400, f"peak RSS {peak} MiB"   # the interpreter with pandas and pyarrow is ~300 MiB; the part is 3 GiB
    assert bomb.read_bytes() == original and temps(tmp_path) == []


def test_malformed_xml_is_a_clear_error_not_a_bug(tmp_path):
    """Before: exit 3, "Unexpected error: ParseError: unclosed token"."""
    plain = team_workbook(tmp_path / "plain.xlsx")
    part = "[Content_Types].xml"
    work = rezip(plain, tmp_path / "team.xlsx", {part: read_parts(plain)[part][:200]})
    status, output, _ = refresh(work)
    assert status == 2, output
    assert ("team.xlsx is damaged: its part [Content_Types].xml is not well-formed XML "
            "(unclosed token at line 2, column 77). Open it in Excel") in one_line(output)


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                  "xl/styles.xml", "_rels/.rels", "docProps/app.xml"])
def test_every_part_the_splice_parses_is_checked_first(tmp_path, part):
    plain = team_workbook(tmp_path / "plain.xlsx")
    work = rezip(plain, tmp_path / "team.xlsx", {part: b"<?xml version='1.0'?><a><b></a>"})
    with pytest.raises(UserError, match=rf"damaged: its part {part} is not well-formed XML "
                                        r"\(mismatched tag at line 1, column 30\)"):
        splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path)))


# ---- where we may not write ----------------------------------------------------------

def test_unwritable_places_are_exit_2_with_the_path(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    work = team_workbook(folder / "team.xlsx")
    original = work.read_bytes()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here: cannot make a folder root may not write")
    try:
        status, output, _ = refresh(work)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert status == 2, output
    assert f"Could not write {folder / 'team.bak.xlsx'}: Operation not permitted" in one_line(output)
    assert work.read_bytes() == original and temps(folder) == []

    (tmp_path / "notes.txt").write_text("a file, not a folder")
    for args in (["new-workbook", "notes.txt/team.xlsm"], ["demo", "notes.txt/sample.xlsx"]):
        status, output, _ = finish(start(*args, cwd=tmp_path))
        assert status == 2, output
        assert "Could not write notes.txt/" in one_line(output) and "Unexpected" not in output


# ---- owner, mode, links --------------------------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_refresh_as_root_keeps_the_owner_group_and_mode_of_the_workbook(tmp_path):
    work = team_workbook(tmp_path / "team.xlsx")
    os.chown(work, 4321, 8765)
    work.chmod(0o640)
    status, output, _ = refresh(work)
    assert status == 0, output
    for path in (work, tmp_path / "team.bak.xlsx"):
        st = path.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 8765, 0o640), path
    assert "belonged to" not in output
    assert "Backup: team.bak.xlsx holds the workbook as it was before this refresh." in output


@pytest.mark.skipif(os.geteuid() != 0, reason="switches to the user nobody and back")
def test_an_owner_that_cannot_be_kept_is_said(tmp_path, request):
    source = dashboard_bytes(tmp_path)
    folder = Path(tempfile.mkdtemp(dir="/tmp"))       # nobody can reach it, not tmp_path
    request.addfinalizer(lambda: shutil.rmtree(folder))
    folder.chmod(0o777)
    work = team_workbook(folder / "team.xlsx")
    os.chown(work, 4321, 8765)
    work.chmod(0o644)
    import encodings.cp437, grp, pwd  # noqa: E401, F401  (nobody cannot read /root's Python)
    os.setegid(65534)
    os.seteuid(65534)
    try:
        done = splice_sheet(work, io.BytesIO(source))
    finally:
        os.seteuid(0)
        os.setegid(0)
    assert done.changed and (work.stat().st_uid, stat.S_IMODE(work.stat().st_mode)) == (65534, 0o644)
    assert (f"team.xlsx belonged to 4321:8765; this user may not give it away, so it now "
            f"belongs to nobody:nogroup (permissions 0644 kept). Run as 4321, or as root: "
            f"chown 4321:8765 '{work}'.") in done.notes


def test_a_hard_link_is_not_broken_silently(tmp_path):
    work = team_workbook(tmp_path / "team.xlsx")
    other = tmp_path / "shared copy.xlsx"
    os.link(work, other)
    original = work.read_bytes()
    status, output, _ = refresh(work)
    assert status == 0, output
    assert ("team.xlsx had 1 other hard link(s): they still show the previous version"
            in one_line(output))
    assert other.read_bytes() == original and work.read_bytes() != original


# ---- two refreshes, backups, a kill --------------------------------------------------

def holds_lock(pid: int) -> bool:
    return any(" FLOCK " in line and f" {pid} " in line
               for line in Path("/proc/locks").read_text().splitlines())


def test_a_second_refresh_waits_for_the_first_and_the_backup_stays_the_original(tmp_path):
    """Before: both ran at once and the .bak often held the other run's output."""
    work = rezip(team_workbook(tmp_path / "plain.xlsx"), tmp_path / "team.xlsx",
                 {"xl/media/padding.bin": 512})        # a longer write
    original = work.read_bytes()
    first = start("refresh", str(work), "--as-of", "2026-10-31")
    deadline = time.monotonic() + 60
    while not holds_lock(first.pid):
        assert first.poll() is None and time.monotonic() < deadline, "never took the lock"
        time.sleep(0.001)
    os.kill(first.pid, signal.SIGSTOP)                 # a slow first refresh, mid-way
    try:
        second = start("refresh", str(work), "--as-of", "2026-10-30")
        time.sleep(3)
        assert second.poll() is None, "the second refresh ran while the first held the file"
        with pytest.raises(UserError, match="Another refresh of team.xlsx is still running"):
            splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path)), lock_wait=0.5)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert finish(first)[0] == 0
    status, output, _ = finish(second)
    assert status == 0, output
    assert ("Backup: team.bak.xlsx, the workbook as you last had it, is kept as it was (only "
            "refreshes have changed the workbook since).") in one_line(output)
    assert (tmp_path / "team.bak.xlsx").read_bytes() == original and temps(tmp_path) == []
    dash = CalamineWorkbook.from_path(str(work)).get_sheet_by_name("Dashboard").to_python()
    assert any("Oct 30, 2026" in str(cell) for row in dash for cell in row)
    lo = rezip(work, tmp_path / "small.xlsx", {"xl/media/padding.bin": b""})
    soffice(tmp_path / "profile", "--convert-to", "xlsx", "--outdir", "lo", lo.name, cwd=tmp_path)
    assert "Dashboard" in CalamineWorkbook.from_path(str(tmp_path / "lo" / "small.xlsx")).sheet_names


def test_the_backup_is_renewed_only_when_someone_else_changed_the_workbook(tmp_path):
    work = team_workbook(tmp_path / "team.xlsx")
    backup = tmp_path / "team.bak.xlsx"
    original = work.read_bytes()
    first = splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path, "2026-10-31 08:00")))
    assert (first.backup, first.backup_kept) == (backup, False)
    second = splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path, "2026-10-31 09:00")))
    assert second.backup_kept and backup.read_bytes() == original
    edited = rezip(work, tmp_path / "edited.xlsx",
                   {"xl/worksheets/sheet2.xml": read_parts(work)["xl/worksheets/sheet2.xml"]
                    .replace(b"</sheetData>", b'<row r="9"><c r="A9" t="inlineStr"><is><t>'
                             b"typed by hand</t></is></c></row></sheetData>")})
    os.replace(edited, work)
    mine = work.read_bytes()
    third = splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path, "2026-10-31 10:00")))
    assert not third.backup_kept and backup.read_bytes() == mine


def test_refreshing_the_backup_is_refused_without_making_a_backup_of_it(tmp_path):
    work = team_workbook(tmp_path / "team.bak.xlsx")
    status, output, _ = refresh(work)
    assert status == 2, output
    assert ("team.bak.xlsx is named as the backup a refresh keeps of team.xlsx: refresh "
            "team.xlsx instead") in one_line(output)
    assert sorted(os.listdir(tmp_path)) == ["team.bak.xlsx"]


def test_a_refresh_killed_mid_write_leaves_a_temp_file_the_next_one_removes(tmp_path):
    work = rezip(team_workbook(tmp_path / "plain.xlsx"), tmp_path / "team.xlsx",
                 {"xl/media/photo.bin": os.urandom(48 * MiB)})   # incompressible: slow to copy
    original = work.read_bytes()
    proc = start("refresh", str(work), "--as-of", "2026-10-31")
    deadline = time.monotonic() + 60
    while not temps(tmp_path):
        assert proc.poll() is None and time.monotonic() < deadline, "never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = temps(tmp_path)
    assert left and work.read_bytes() == original

    status, output, _ = refresh(work)
    assert status == 0, output
    assert f"Removed {len(left)} temporary file(s) left beside team.xlsx by a refresh that " \
           f"was stopped while writing: {', '.join(left)}." in one_line(output)
    assert temps(tmp_path) == [] and (tmp_path / "team.bak.xlsx").read_bytes() == original
