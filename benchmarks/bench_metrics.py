"""`kpi-reports metrics` end to end beside a plain openpyxl-and-loops reference. Prints figures.

    python benchmarks/bench_metrics.py [--rounds 5] [--leads 100000] [--baseline ../main]

Both run as fresh processes on the same workbook (100,000 leads, 100,000 activity rows,
10,000 deals), alternately (the order swapped each round), so a busy machine slows both
alike; each round's ratio compares the two runs of that round. Figures: wall time and CPU
time (user + system, from wait4), median and range over the rounds; the target is
metrics <= 0.20 x the reference. The reference (reference_metrics.py) computes the same
eight metrics and benchmarks; the script checks that it agrees with `metrics --json` on
every agent's numerator and denominator, so both did the same work.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi_reports.sample import network_tables  # noqa: E402
from kpi_reports.team_workbook import write_team_workbook  # noqa: E402

AS_OF = "2026-10-31"


def run(args: list[str], out: Path, checkout: Path = ROOT) -> tuple[float, float]:
    """(wall, cpu) seconds of one fresh process, its stdout written to `out`."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.PIPE, cwd=checkout,
                                env={**os.environ, "PYTHONPATH": str(checkout)})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):            # 1: done, with data problems
        raise SystemExit(f"{args} failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def tallies(path: Path) -> dict[tuple[str, str], tuple[float, float]]:
    agents = json.loads(path.read_text())["agents"]
    return {(a["agent_id"], m): (v["numerator"], v["denominator"]) for a in agents for m, v in a["metrics"].items()}


def spread(values: list[float], unit: str = " s") -> str:
    return f"{statistics.median(values):6.2f}{unit} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--baseline", type=Path, help="another checkout whose `metrics` runs in the same rounds (A/B)")
    args = parser.parse_args()
    tables = network_tables(n_agents=200, n_leads=args.leads, n_activity=args.leads, n_deals=args.leads // 10, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        book = write_team_workbook(tables, Path(tmp) / "team.xlsx", constant_memory=True)
        commands = {
            "metrics": [sys.executable, "-m", "kpi_reports", "metrics", str(book), "--as-of", AS_OF, "--json"],
            "reference": [sys.executable, str(ROOT / "benchmarks" / "reference_metrics.py"), str(book), AS_OF],
        }
        checkouts = {name: ROOT for name in commands}
        if args.baseline:
            commands["baseline"], checkouts["baseline"] = commands["metrics"], args.baseline.resolve()
        outputs = {name: Path(tmp) / f"{name}.json" for name in commands}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        loads = []
        for i in range(args.rounds):
            for name in (list(commands) if i % 2 == 0 else list(commands)[::-1]):
                times[name].append(run(commands[name], outputs[name], checkouts[name]))
            loads.append(os.getloadavg()[0])
        ours, reference = tallies(outputs["metrics"]), tallies(outputs["reference"])
        agree = sum(ours[k] == reference.get(k) for k in ours)
        print(f"workbook: {args.leads:,} leads, {args.leads:,} activity rows, {args.leads // 10:,} deals, "
              f"{book.stat().st_size / 2**20:.1f} MiB; {args.rounds} rounds, load average "
              f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores")
        print(f"the reference agrees on {agree} of {len(ours)} agent metrics (numerator and denominator)")
        for name in commands:
            print(f"{name:<10} wall {spread([w for w, _ in times[name]])}   cpu {spread([c for _, c in times[name]])}")
        for name in ("metrics", "baseline")[:len(commands) - 1]:
            for k, what in ((0, "wall"), (1, "cpu")):
                ratios = [m[k] / r[k] for m, r in zip(times[name], times["reference"])]
                print(f"{name} / reference, {what}: {spread(ratios, ' x')}   (target <= 0.20 x)")


if __name__ == "__main__":
    main()
