"""`kpi-reports refresh` and the user's files on disk, tried the way they break.

Real `kpi-reports` processes on real workbooks: a zip part that unzips to gigabytes, parts
that are not XML. Peak memory is the child's own (os.wait4).
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
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
from workbook_fixtures import build_dashboard, read_parts, sheet_parts

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


def rezip(src: Path, dst: Path, replace: dict[str, bytes | int] = {}) -> Path:
    """`src` copied to `dst` with parts replaced or added: bytes (stored as they are when
    over a MiB), or an int = that many MiB of zeros, streamed (the zip holds a few MB,
    unzipping gives gigabytes)."""
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
    assert peak < 300, f"peak RSS {peak} MiB"
    after = zipfile.ZipFile(work).getinfo("xl/media/padding.bin")
    assert (after.CRC, after.file_size, after.compress_size) == (
        before.CRC, before.file_size, before.compress_size)
    with zipfile.ZipFile(work).open(after) as part:
        assert part.read(MiB) == bytes(MiB)
    assert "Dashboard" in CalamineWorkbook.from_path(str(work)).sheet_names


def test_a_part_the_refresh_must_read_that_unzips_to_a_gigabyte_is_refused(tmp_path):
    work = team_workbook(tmp_path / "plain.xlsx")
    assert splice_sheet(work, io.BytesIO(dashboard_bytes(tmp_path)), backup=False)
    dash = next(p for p in sheet_parts(read_parts(work), "Dashboard")
                if p.startswith("xl/worksheets/sheet"))
    bomb = rezip(work, tmp_path / "team.xlsx", {dash: 1024})
    original = bomb.read_bytes()

    status, output, peak = refresh(bomb)
    assert status == 2, output
    assert (f"team.xlsx: its part {dash} unzips to 1,024 MiB, more than the 256 MiB a "
            "refresh reads of a part it edits.") in one_line(output)
    assert peak < 300, f"peak RSS {peak} MiB"
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
