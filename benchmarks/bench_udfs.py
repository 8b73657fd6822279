"""Excel formulas: 300 single-metric formulas over a 10,000-row Leads range. Prints figures.

    python benchmarks/bench_udfs.py [--rounds 5]

Excel hands every formula the whole range, freshly marshalled by COM as a tuple of row
tuples holding new cell objects; the UDFs type it once (kpi_reports.excel.cache) and each
further formula costs a lookup that compares every cell. Each call gets its own fresh copy
of the range (made outside the timing, as COM makes it outside our code); figures are the
time inside the UDF, wall and CPU, as median and range over the rounds. Compared with
typing the range for every formula.
"""
from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_reports.excel import udfs  # noqa: E402
from kpi_reports.excel.ranges import frame_rows  # noqa: E402
from kpi_reports.sample import network_tables  # noqa: E402

AS_OF_SERIAL = 46326.0   # 2026-10-31 as Excel's TODAY() passes it
FORMULAS = 300


def one_formula(marshalled: bytes, agent: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one KPI_SCHEDULE_RATE call on a fresh copy of the range."""
    rows = pickle.loads(marshalled)        # new tuples and new cell objects, as from COM
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        udfs.metric_value("schedule_rate_14d", {"Leads": rows}, agent, AS_OF_SERIAL)
    except udfs.Undefined:
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def sheet_recalc(marshalled: bytes, agents: list[str], cached: bool) -> list[tuple[float, float]]:
    """(wall, cpu) of one formula per agent, the cache cold at the start."""
    udfs.cache.clear()
    times = []
    for agent in agents:
        if not cached:
            udfs.cache.clear()
        times.append(one_formula(marshalled, agent))
    return times


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (range {min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    tables = network_tables(300, 10_000, 300, 30, seed=3)
    marshalled = pickle.dumps(tuple(map(tuple, frame_rows(tables["Leads"]))))
    agents = list(tables["Agents"]["Agent ID"])[:FORMULAS]
    runs = [sheet_recalc(marshalled, agents, cached=True) for _ in range(rounds)]
    total = [(sum(w for w, _ in run), sum(c for _, c in run)) for run in runs]
    hits = [statistics.median(c for _, c in run[1:]) * 1000 for run in runs]
    uncached = sum(w for w, _ in sheet_recalc(marshalled, agents[:10], cached=False)) * len(agents) / 10
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, {rounds} rounds")
    print(f"{FORMULAS} formulas over 10,000 leads, range typed once: wall {spread([w for w, _ in total])}, "
          f"cpu {spread([c for _, c in total])}")
    print(f"  the first formula (types the range): cpu {spread([run[0][1] for run in runs])}")
    print(f"  each further formula (a cache hit):  cpu {statistics.median(hits):6.2f} ms "
          f"(range {min(hits):.2f}-{max(hits):.2f})")
    print(f"the same typing the range for every formula (est.):     wall {uncached:6.2f} s")


if __name__ == "__main__":
    main()
