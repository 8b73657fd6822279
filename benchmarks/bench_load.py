"""Workbook load: time and peak memory, plain and with a stray cell far out. Prints; asserts nothing.

    python benchmarks/bench_load.py            # 100,000 leads + 100,000 activity rows
    python benchmarks/bench_load.py --small    # a tenth of that

Each load runs in a fresh child process; its peak RSS comes from wait4's rusage. Also
prints the raw python-calamine parse of every sheet, the floor a calamine-based loader
stands on, and fastexcel's (Arrow, the same Rust reader) when it is installed.
Targets: 100k leads load <= 2 s; a stray cell at XFD2 or XFD1048576 changes neither
figure by more than the compaction of that one sheet (memory follows the data).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_reports.sample import network_tables  # noqa: E402
from kpi_reports.team_workbook import write_team_workbook  # noqa: E402

LOAD = """
import sys, time
from kpi_reports import load_workbook
start = time.perf_counter()
team = load_workbook(sys.argv[1])
print(f"{time.perf_counter() - start:.2f}")
"""
CALAMINE = """
import sys, time
from python_calamine import CalamineWorkbook
start = time.perf_counter()
book = CalamineWorkbook.from_path(sys.argv[1])
for name in book.sheet_names:
    book.get_sheet_by_name(name).to_python(skip_empty_area=False)
print(f"{time.perf_counter() - start:.2f}")
"""
FASTEXCEL = """
import sys, time
import fastexcel
start = time.perf_counter()
reader = fastexcel.read_excel(sys.argv[1])
for name in reader.sheet_names:
    reader.load_sheet(name, dtype_coercion="coerce").to_arrow()
print(f"{time.perf_counter() - start:.2f}")
"""


def child(code: str, path: Path) -> str:
    """Run code in a fresh interpreter: 'wall s (in-process), peak MiB' or why it failed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode:
            return f"failed (exit {proc.returncode}): {err.read().decode().strip().splitlines()[-1][:80]}"
        return f"{out.read().decode().strip():>6} s   peak {usage.ru_maxrss / 1024:7.0f} MiB"


def with_stray(source: Path, target: Path, ref: str) -> Path:
    """A copy of the workbook with a note typed at `ref` of its Activity sheet."""
    with zipfile.ZipFile(source) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    part = "xl/worksheets/sheet2.xml"
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)
    cell = f'<c r="{ref}" t="inlineStr"><is><t>note</t></is></c>'
    xml = parts[part].decode()
    if f'<row r="{row}"' in xml:
        xml = re.sub(rf'(<row r="{row}"[^>]*>.*?)(</row>)', lambda m: m.group(1) + cell + m.group(2), xml, count=1,
                     flags=re.S)
    else:
        xml = xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    parts[part] = xml.encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a tenth of the size, for a quick look")
    args = parser.parse_args()
    leads = 10_000 if args.small else 100_000
    tables = network_tables(n_agents=200, n_leads=leads, n_activity=leads, n_deals=leads // 10, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        plain = write_team_workbook(tables, Path(tmp) / "plain.xlsx", constant_memory=True)
        print(f"workbook: {leads:,} leads, {leads:,} activity rows, {plain.stat().st_size / 2**20:.1f} MiB")
        print(f"{'raw python-calamine parse, every sheet':<44} {child(CALAMINE, plain)}")
        try:
            import fastexcel  # noqa: F401
            print(f"{'raw fastexcel parse to Arrow, every sheet':<44} {child(FASTEXCEL, plain)}")
        except ImportError:
            print(f"{'raw fastexcel parse to Arrow, every sheet':<44} (fastexcel not installed)")
        print(f"{'load_workbook (target <= 2 s)':<44} {child(LOAD, plain)}")
        for ref in ("XFD2", "XFD1048576"):
            stray = with_stray(plain, Path(tmp) / f"{ref}.xlsx", ref)
            print(f"{'load_workbook, a note at Activity!' + ref:<44} {child(LOAD, stray)}")


if __name__ == "__main__":
    main()
