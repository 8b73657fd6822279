"""How fast the command line answers --help, and which imports its start-up time goes to. Prints figures.

    python benchmarks/bench_cli.py [runs]

Each figure is a fresh interpreter (`python -m kpi_reports ...`), as a user's shell starts
it; the median and the fastest of `runs` (default 10) are printed. Then one run under
`python -X importtime` lists the slowest imports (cumulative), and the time of importing
pandas alone, for scale: the commands import pandas, WeasyPrint, openpyxl and xlwings
only when they run.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [["--help"], ["metrics", "--help"], ["email", "--help"], ["--version"]]


def seconds(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def slowest_imports(args: list[str], count: int = 8) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the slowest top-level imports under -X importtime."""
    err = subprocess.run([sys.executable, "-X", "importtime", *args], check=True, capture_output=True,
                         text=True, cwd=ROOT).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("   "):   # top level only
                rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"{'command':34} {'median':>8} {'fastest':>8}   ({runs} runs, a fresh interpreter each)")
    baseline = seconds([sys.executable, "-c", "pass"], runs)
    print(f"{'python -c pass':34} {statistics.median(baseline):7.3f}s {min(baseline):7.3f}s")
    for args in COMMANDS:
        t = seconds([sys.executable, "-m", "kpi_reports", *args], runs)
        print(f"{'kpi-reports ' + ' '.join(args):34} {statistics.median(t):7.3f}s {min(t):7.3f}s")
    pandas = seconds([sys.executable, "-c", "import pandas"], runs)
    print(f"{'import pandas (for scale)':34} {statistics.median(pandas):7.3f}s {min(pandas):7.3f}s")
    print("\nslowest top-level imports of `kpi-reports --help` (-X importtime, cumulative):")
    for micros, name in slowest_imports(["-m", "kpi_reports", "--help"]):
        print(f"  {micros / 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
