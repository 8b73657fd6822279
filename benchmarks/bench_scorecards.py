"""Scorecards per second, end to end (workbook -> PDFs), and where a scorecard's time goes.

    .venv/bin/python benchmarks/bench_scorecards.py            # 100 agents
    .venv/bin/python benchmarks/bench_scorecards.py --agents 100 1000
    .venv/bin/python benchmarks/bench_scorecards.py --workers 1 2 --cluster   # pool and Dask, 1 and 2 workers

Prints, per network size: load, engine + contexts, rendering, wall time, scorecards per
second and the peak memory of this process and of its (largest) worker. Then, in one
process, a breakdown of one scorecard: Jinja2, WeasyPrint layout, PDF writing, and the
same page without its SVG charts, to show what the charts cost.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_reports import load_settings, load_workbook, monthly_history  # noqa: E402
from kpi_reports.report import render_scorecards  # noqa: E402
from kpi_reports.report.context import scorecard_context  # noqa: E402
from kpi_reports.report.render import Renderer  # noqa: E402
from kpi_reports.report.templates import TemplateFolders  # noqa: E402
from kpi_reports.sample import network_tables  # noqa: E402
from kpi_reports.team_workbook import write_team_workbook  # noqa: E402

MONTH = dt.date(2026, 10, 1)


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class WorkerPeak:
    """Largest peak RSS (VmHWM) among this process's descendants, and the CPU time they used,
    sampled from /proc.

    The render workers are forkserver children, which getrusage(RUSAGE_CHILDREN) never sees.
    CPU time is the figure that holds on a shared machine: wall time there depends on how
    many other jobs run, CPU seconds per page do not (much).
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "WorkerPeak":
        self._own_cpu = time.process_time()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.own_cpu = time.process_time() - self._own_cpu

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024

    @property
    def workers_cpu(self) -> float:
        return sum(self.cpu.values())

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            for child in me.children(recursive=True):
                try:
                    status = Path(f"/proc/{child.pid}/status").read_text()
                    times = child.cpu_times()
                except (OSError, psutil.Error):
                    continue
                hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
                self.peak_kb = max(self.peak_kb, hwm)
                self.cpu[child.pid] = max(self.cpu.get(child.pid, 0.0), times.user + times.system)


def end_to_end(n_agents: int, folder: Path, workers: int | None, cluster: str | None = None) -> None:
    """One run into a fresh folder (a folder with fingerprinted PDFs would render nothing)."""
    path = folder / f"team_{n_agents}.xlsx"
    if not path.exists():
        write_team_workbook(network_tables(n_agents, 110 * n_agents, 390 * n_agents, 26 * n_agents),
                            path, constant_memory=True)
    settings = load_settings()
    t0 = time.perf_counter()
    team = load_workbook(path, settings)
    t1 = time.perf_counter()
    with WorkerPeak() as workers_peak:
        run = render_scorecards(team, MONTH, Path(tempfile.mkdtemp(dir=folder)), settings, workers=workers,
                                cluster=cluster)
    t2 = time.perf_counter()
    docs = len(run.scorecards) + 1 + len(run.team_summaries)
    where = f"Dask LocalCluster, {workers} worker(s)" if cluster else f"local pool, {workers or 'all'} worker(s)"
    print(f"{n_agents:>5} agents, {where}: load {t1 - t0:5.1f} s, engine+contexts+render {t2 - t1:6.1f} s, "
          f"wall {t2 - t0:6.1f} s -> {len(run.scorecards) / (t2 - t0):5.1f} scorecards/s "
          f"({docs} PDFs); peak RSS main {_peak_mb(resource.RUSAGE_SELF):.0f} MB, "
          f"largest worker {workers_peak.mb:.0f} MB; CPU: main {workers_peak.own_cpu:.1f} s, "
          f"workers {workers_peak.workers_cpu:.1f} s = {1000 * workers_peak.workers_cpu / docs:.0f} ms per PDF; "
          f"load average {os.getloadavg()[0]:.1f}"
          + (f"; WARNINGS: {run.warnings[:3]}" if run.warnings else ""))


def on_local_cluster(n_agents: int, folder: Path, workers: int) -> None:
    """The same run on a Dask LocalCluster of `workers` single-threaded worker processes
    (started before the clock, as a real cluster is already up)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit=0, silence_logs=40) as cluster:
        end_to_end(n_agents, folder, workers, cluster.scheduler_address)


def breakdown(folder: Path, repeat: int = 8) -> None:
    """One process, one agent rendered `repeat` times: where a scorecard's time goes."""
    from weasyprint import HTML

    path = write_team_workbook(network_tables(25, 2750, 9750, 650), folder / "team_25.xlsx")
    settings = load_settings()
    h = monthly_history(load_workbook(path, settings), MONTH, 12, settings)
    folders = TemplateFolders.locate()
    t = time.perf_counter()
    r = Renderer(folders.bundle())
    print(f"worker start (import WeasyPrint, parse CSS, fonts): {time.perf_counter() - t:.2f} s")
    palette = folders.theme().palette
    t = time.perf_counter()
    contexts = [scorecard_context(h, a, palette) for a in h.agent_ids]
    print(f"contexts incl. SVG: {1000 * (time.perf_counter() - t) / len(contexts):.1f} ms per agent")
    ctx = contexts[0]
    plain = dict(ctx, tiles=[dict(tile, bullet="", spark="") for tile in ctx["tiles"]],
                 funnel=dict(ctx["funnel"], steps=[dict(s, bar="") for s in ctx["funnel"]["steps"]]),
                 goal=dict(ctx["goal"], bar=""))
    r.pdf("scorecard.html", ctx)                                                 # warm caches
    for label, context in (("with charts", ctx), ("without SVG charts", plain)):
        stages = {"jinja": 0.0, "layout": 0.0, "write_pdf": 0.0}
        for _ in range(repeat):
            a = time.process_time()
            html = r.env.get_template("scorecard.html").render(**context)
            b = time.process_time()
            doc = HTML(string=html, base_url=r.base_url, url_fetcher=r.fetcher).render(
                stylesheets=r.stylesheets, font_config=r.fonts, cache=r.cache)
            c = time.process_time()
            doc.write_pdf(folder / "one.pdf")
            d = time.process_time()
            stages["jinja"] += b - a
            stages["layout"] += c - b
            stages["write_pdf"] += d - c
        total = sum(stages.values())
        parts = ", ".join(f"{k} {1000 * v / repeat:.0f} ms" for k, v in stages.items())
        print(f"one scorecard {label}: {1000 * total / repeat:.0f} ms CPU ({parts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[100],
                        help="network sizes to time (1000 takes about 3 minutes on 2 cores)")
    parser.add_argument("--workers", type=int, nargs="+", default=[None],
                        help="worker processes, one run each (default: all cores)")
    parser.add_argument("--cluster", action="store_true",
                        help="also render on a Dask LocalCluster with the same number of workers")
    parser.add_argument("--no-breakdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.agents:
            for workers in args.workers:
                end_to_end(n, Path(tmp), workers)
                if args.cluster:
                    on_local_cluster(n, Path(tmp), workers or os.cpu_count() or 1)
        if not args.no_breakdown:
            breakdown(Path(tmp))


if __name__ == "__main__":
    main()
