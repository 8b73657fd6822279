"""A referral network from Parquet: load, one as-of day and 12 month-ends, with wall time
and peak memory. Prints figures; asserts nothing.

    python benchmarks/bench_network.py            # 20,000 agents, 5M leads, 5M activity rows, 500k deals
    python benchmarks/bench_network.py --small    # a tenth of that, for a quick look
    python benchmarks/bench_network.py --scale 0.25   # any fraction of the full size

Targets (2-core machine): metrics as of one day from the Parquet folder <= 10 s end to
end (read, type, check, compute), peak memory <= 4 GB.

The tables are made once (kpi_reports.sample.network_tables, numpy-vectorised) and cached
as Parquet under the temp folder; each measurement runs in a fresh child process, so its
peak RSS is the load's and the engine's alone.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = dt.date(2026, 10, 31)
FULL = dict(n_agents=20_000, n_leads=5_000_000, n_activity=5_000_000, n_deals=500_000)


def cached_folder(sizes: dict[str, int], cache: Path) -> Path:
    folder = cache / "kpi-bench-network-{n_agents}-{n_leads}-{n_activity}-{n_deals}".format(**sizes)
    if (folder / "done").exists():
        return folder
    from kpi_reports.sample import network_tables
    from kpi_reports.sources.export import write_parquet_folder
    start = time.perf_counter()
    tables = network_tables(**sizes, seed=11)
    write_parquet_folder(tables, folder)
    (folder / "done").write_text(json.dumps({k: len(v) for k, v in tables.items()}))
    print(f"generated and wrote {folder} in {time.perf_counter() - start:.1f} s")
    return folder


def measure(folder: Path, what: str) -> dict:
    """In this (fresh) process: read + type + check the folder, then compute; wall times, peak RSS."""
    import pyarrow.dataset as ds
    from kpi_reports import compute, history, month_ends
    from kpi_reports.sources import load_team
    figures = {}
    start = time.perf_counter()
    if what == "arrow":     # the floor: Parquet into Arrow, no typing
        for path in folder.glob("*.parquet"):
            ds.dataset(path).to_table()
        figures["read"] = time.perf_counter() - start
    else:
        team = load_team(folder)
        figures["load"] = time.perf_counter() - start
        step = time.perf_counter()
        if what == "day":
            compute(team, AS_OF)
        else:
            history(team, month_ends(AS_OF, 12))
        figures["engine"] = time.perf_counter() - step
        figures["problems"] = len(team.problems)
    figures["total"] = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu"] = usage.ru_utime + usage.ru_stime        # with imports: the share a busy machine gave us
    figures["peak_rss_mib"] = usage.ru_maxrss / 1024
    return figures


def in_child(folder: Path, what: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", what, str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"measuring {what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a tenth of the size, for a quick look")
    parser.add_argument("--scale", type=float, default=None, help="a fraction of the full size (0.1 = --small)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the generated Parquet folder is kept between runs")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[1]), args.measure[0])))
        return
    scale = args.scale if args.scale is not None else 0.1 if args.small else 1.0
    sizes = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    folder = cached_folder(sizes, args.cache)
    rows = json.loads((folder / "done").read_text())
    size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**20
    print(f"network {folder.name}: {', '.join(f'{k} {v:,}' for k, v in rows.items())} rows; "
          f"{size:.0f} MiB of Parquet; load average {load_average()} (2 cores, shared)")
    arrow = in_child(folder, "arrow")
    print(f"{'Parquet -> Arrow, all columns (the floor)':<52} {arrow['total']:7.2f} s   peak RSS {arrow['peak_rss_mib']:7.0f} MiB")
    for what, label in (("day", "metrics as of one day (target <= 10 s, <= 4 GB)"),
                        ("year", "metrics at 12 month-ends")):
        f = in_child(folder, what)
        print(f"{label:<52} {f['total']:7.2f} s   peak RSS {f['peak_rss_mib']:7.0f} MiB   "
              f"(load {f['load']:.2f} s, engine {f['engine']:.2f} s; process CPU {f['cpu']:.1f} s; "
              f"{f['problems']} problems)")


if __name__ == "__main__":
    main()
