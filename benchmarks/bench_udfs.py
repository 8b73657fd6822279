"""Excel formulas: 300 single-metric formulas over a 10,000-row Leads range. Prints figures.

    python benchmarks/bench_udfs.py

Excel hands every formula the whole range; the UDFs type it once (kpi_reports.excel.cache)
and each further formula costs a lookup. Compared with typing it for every formula.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_reports.excel import udfs  # noqa: E402
from kpi_reports.excel.ranges import frame_rows  # noqa: E402
from kpi_reports.sample import network_tables  # noqa: E402

AS_OF_SERIAL = 46326.0   # 2026-10-31 as Excel's TODAY() passes it


def run(rows, agents, cached: bool) -> float:
    udfs.cache.clear()
    start = time.perf_counter()
    for agent in agents:
        if not cached:
            udfs.cache.clear()
        try:
            udfs.metric_value("schedule_rate_14d", {"Leads": [list(r) for r in rows]}, agent, AS_OF_SERIAL)
        except udfs.Undefined:
            pass
    return time.perf_counter() - start


def main() -> None:
    tables = network_tables(300, 10_000, 300, 30, seed=3)
    rows = frame_rows(tables["Leads"])
    agents = list(tables["Agents"]["Agent ID"])
    cached = run(rows, agents, cached=True)
    uncached = run(rows, agents[:20], cached=False) * len(agents) / 20
    print(f"300 formulas over 10,000 leads, range typed once:  {cached:6.2f} s ({cached / 300 * 1000:.1f} ms each)")
    print(f"the same typing the range for every formula (est.): {uncached:6.2f} s")


if __name__ == "__main__":
    main()
