"""Engine and loader speed on a large synthetic network. Prints figures; asserts nothing.

    python benchmarks/bench_engine.py            # 2,000 agents, 1M leads, 1M activity rows, 100k deals
    python benchmarks/bench_engine.py --small    # a quick run (1/10 of that)

Targets (2-core machine): one as-of day <= 0.5 s; the 12 month-ends of a year <= 2 s;
loading a 100,000-lead workbook <= 2 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_reports import compute, history, load_rows, load_workbook, month_ends  # noqa: E402
from kpi_reports.sample import network_tables  # noqa: E402
from kpi_reports.team_workbook import write_team_workbook  # noqa: E402

AS_OF = dt.date(2026, 10, 31)


def timed(label: str, fn, repeat: int = 3):
    """Best of `repeat` wall times, and the peak Python heap of one run (tracemalloc)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<48} {best:8.3f} s   peak {peak / 2**20:7.1f} MiB")
    return out


def rows_of(frame: pd.DataFrame) -> list[list]:
    return [list(frame.columns), *frame.astype(object).where(frame.notna(), None).values.tolist()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a tenth of the size, for a quick look")
    args = parser.parse_args()
    scale = 10 if args.small else 1
    sizes = dict(n_agents=2_000 // scale, n_leads=1_000_000 // scale, n_activity=1_000_000 // scale,
                 n_deals=100_000 // scale)
    # the workbook load first, in a fresh process state, then the large in-memory network
    lead_count = 100_000 // scale
    small = network_tables(n_agents=200, n_leads=lead_count, n_activity=lead_count, n_deals=lead_count // 10, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_team_workbook(small, Path(tmp) / "big.xlsx", constant_memory=True)
        size = path.stat().st_size / 2**20
        print(f"workbook with {lead_count:,} leads, {lead_count:,} activity rows: {size:.1f} MiB")
        timed("load_workbook (python-calamine) (target <= 2 s)", lambda: load_workbook(path))
        timed("  pandas read_excel engine=calamine, all sheets", lambda: pd.read_excel(path, sheet_name=None, engine="calamine"), repeat=1)
        timed("  pandas read_excel engine=openpyxl, all sheets", lambda: pd.read_excel(path, sheet_name=None, engine="openpyxl"), repeat=1)
    print(f"network: {sizes}")
    tables = network_tables(**sizes, seed=11)
    print(f"deal update rows: {len(tables['Deal Updates']):,}")
    start = time.perf_counter()
    team = load_rows({name: rows_of(frame) for name, frame in tables.items()})
    print(f"{'typing + checking the tables (load_rows, untimed target)':<48} {time.perf_counter() - start:8.3f} s")

    timed("engine: one as-of day (target <= 0.5 s)", lambda: compute(team, AS_OF))
    timed("engine: 12 month-ends of a year (target <= 2 s)", lambda: history(team, month_ends(AS_OF, 12)))

    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
