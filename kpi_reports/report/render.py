"""Scorecard PDFs: contexts made once, rendered by long-lived worker processes.

Each worker imports WeasyPrint, parses the stylesheet and loads the fonts once (the
initializer), then turns (template, context) jobs into PDF bytes; this process writes
each to a temporary file and moves it into place, so a run cut short never leaves a
half-written PDF. Workers end with the run, even when it is killed.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .. import formatting as f
from ..agent_ids import AgentIds
from ..engine import month_end, monthly_history
from ..errors import UserError
from ..model import TeamData
from ..result import KpiHistory, KpiResult
from ..settings import Settings, load_settings
from .cluster import render_on_cluster
from .context import scorecard_context, summary_context
from .fingerprint import fingerprint, reusable, write_stamped
from ..filenames import FileNamer
from .templates import BASE_URL, STYLESHEET, TemplateBundle, TemplateFolders, make_fetcher, template_environment

Progress = Callable[[int, int], None]
SUBSET_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"
PR_SET_PDEATHSIG = 1          # linux/prctl.h
WRITERS = 4                   # threads writing PDFs (each write waits for the disk)


@dataclass
class ScorecardRun:
    """Where the PDFs of one run went, and what WeasyPrint complained about (if anything)."""

    month: dt.date
    folder: Path
    scorecards: dict[str, Path] = field(default_factory=dict)      # agent_id -> PDF
    summary: Path | None = None
    team_summaries: dict[str, Path] = field(default_factory=dict)  # team -> PDF
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    result: KpiResult | None = None      # the month's numbers the PDFs show (for the mail)
    rendered: int = 0                    # PDFs rendered by this run (new or stale)
    reused: int = 0                      # PDFs kept: already rendered from the same inputs


@dataclass(frozen=True, eq=False)
class Job:
    template: str
    context: dict
    target: Path
    key: tuple[str, str]     # ("agent", id) | ("summary", "") | ("team", name)


# ------------------------------------------------------------------ one process's renderer

class _WarningLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    """The warnings WeasyPrint logs inside the block; its logger is left as it was found."""
    handler, logger = _WarningLog(), logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


class Renderer:
    """WeasyPrint, the sandboxed templates, the parsed stylesheet and the fonts, loaded once."""

    def __init__(self, bundle: TemplateBundle) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = make_fetcher(bundle)
        self.base_url = BASE_URL
        self.env = template_environment(bundle, autoescape=True)
        self.origin = bundle.origin
        self.fonts = FontConfiguration()
        self.stylesheets = [
            CSS(string=bundle.theme.css(), font_config=self.fonts, url_fetcher=self.fetcher),
            CSS(string=bundle.text(STYLESHEET), base_url=self.base_url + STYLESHEET,
                font_config=self.fonts, url_fetcher=self.fetcher),
        ]
        self.cache: dict = {}

    def html(self, template: str, context: dict) -> str:
        """The page's HTML; UserError (not a traceback) for a template that fails or is refused."""
        try:
            return self.env.get_template(template).render(**context)
        except jinja2.TemplateError as exc:
            raise UserError(f"Template problem in {template} ({type(exc).__name__}): {str(exc).rstrip('.')}. "
                            f"Templates are read from {self.origin}.") from None

    def pdf(self, template: str, context: dict) -> tuple[bytes, list[str]]:
        """(PDF bytes, WeasyPrint's warnings) of one page."""
        from weasyprint import HTML

        html = self.html(template, context)
        with _weasyprint_warnings() as warnings:
            pdf = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).write_pdf(
                stylesheets=self.stylesheets, font_config=self.fonts, cache=self.cache)
        return pdf, warnings


_LOCAL = threading.local()     # (bundle digest, Renderer) of this thread


def renderer_for(bundle: TemplateBundle) -> Renderer:
    """This thread's renderer for the bundle, made once (WeasyPrint, CSS and fonts are slow to
    load); one per thread, as a Dask worker may run several threads and WeasyPrint's caches
    are not made to be shared."""
    current = getattr(_LOCAL, "renderer", None)
    if current is None or current[0] != bundle.digest:
        _LOCAL.renderer = current = (bundle.digest, Renderer(bundle))
    return current[1]


def render_page(bundle: TemplateBundle, template: str, context: dict) -> tuple[bytes, list[str]]:
    """One page in whatever process runs it (a pool worker, a Dask worker, this process)."""
    return renderer_for(bundle).pdf(template, context)


def _init_worker(bundle: TemplateBundle, owner: int) -> None:
    exit_with_owner(owner)
    renderer_for(bundle)


def _render_in_worker(template: str, context: dict) -> tuple[bytes, list[str]]:
    return _LOCAL.renderer[1].pdf(template, context)


def exit_with_owner(owner: int) -> None:
    """End this worker as soon as the run that started it ends, even by SIGKILL.

    Linux: the kernel sends SIGKILL when our parent (the forkserver, which itself ends
    with the run) dies. Elsewhere, and should the forkserver outlive the run, a thread
    checks every half second that the run's process is still there.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.getppid()
    threading.Thread(target=_watch_owner, args=(owner, parent), daemon=True, name="exit-with-owner").start()


def _watch_owner(owner: int, parent: int) -> None:
    while True:
        if os.getppid() != parent or not _alive(owner):
            os._exit(1)
        time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


Rendered = tuple[Job, bytes, list[str]]


def render_jobs(jobs: list[Job], bundle: TemplateBundle, workers: int | None = None) -> Iterator[Rendered]:
    """(job, PDF bytes, warnings) for every job, in `workers` processes (1 = in this one), as each ends."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        for job in jobs:
            yield job, *render_page(bundle, job.template, job.context)
        return
    # forkserver: workers start small and clean, not as copies of a (possibly large) caller
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                               initargs=(bundle, os.getpid()))
    try:
        futures = {pool.submit(_render_in_worker, job.template, job.context): job for job in jobs}
        for future in as_completed(futures):
            yield futures.pop(future), *future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ the public entry point

def check_month(team: TeamData, month: dt.date) -> None:
    """A clear message for a month the workbook has no data for (instead of an empty PDF)."""
    span = team.date_range()
    if span is None:
        raise UserError("The workbook has no dated Activity, Leads or Deals rows yet, so there is "
                        "nothing to put on a scorecard. Add data, then run again.")
    first, last = span
    if month_end(month) < first or month > last:
        raise UserError(f"The workbook has no data for {f.month(month)}: its data runs from "
                        f"{f.day(first)} to {f.day(last)}. Choose a month from {first:%Y-%m} to {last:%Y-%m}.")


def select_agents(team: TeamData, agent_ids: Iterable[str] | None, active: list[str]) -> list[str]:
    """The active agents asked for (matched by the loader's ID rule: kpi_reports.agent_ids)."""
    if agent_ids is None:
        return list(active)
    ids = AgentIds.of(team.agents)
    chosen = []
    for raw in agent_ids:
        spelled, found = ids.find(raw)
        if found == "active" and spelled in active:
            chosen.append(spelled)
        elif found == "inactive":
            raise UserError(f"Agent {raw!r} is inactive (Active = No on the Agents sheet); "
                            "inactive agents get no scorecard.")
        else:
            raise UserError(f"Agent {raw!r} is not on the Agents sheet. "
                            f"Use an Agent ID from it, e.g. {', '.join(active[:3])}.")
    return list(dict.fromkeys(chosen))


def plan_jobs(h: KpiHistory, folder: Path, agent_ids: list[str], folders: TemplateFolders,
              summary: bool = True) -> list[Job]:
    """Team summaries first (the longest documents start early), then one job per agent."""
    palette = folders.theme().palette
    names = FileNamer(folder)
    jobs = []
    if summary:
        jobs.append(Job("team_summary.html", summary_context(h), names.take("team-summary"), ("summary", "")))
        teams = sorted({t for t in h.agents["team"].dropna().astype(str) if t.strip()}) \
            if "team" in h.agents else []
        if len(teams) > 1:
            jobs += [Job("team_summary.html", summary_context(h, t), names.take("team-summary", t), ("team", t))
                     for t in teams]
    people = h.agents["name"]
    jobs += [Job("scorecard.html", scorecard_context(h, a, palette), names.take(a, people.at[a]), ("agent", a))
             for a in agent_ids]
    return jobs


def _record(run: ScorecardRun, key: tuple[str, str], path: Path) -> None:
    kind, name = key
    if kind == "agent":
        run.scorecards[name] = path
    elif kind == "team":
        run.team_summaries[name] = path
    else:
        run.summary = path


def _write_all(run: ScorecardRun, pages: Iterable[Rendered], inputs: dict[Job, str],
               progress: Progress | None, total: int) -> None:
    """Each PDF and its fingerprint written as it arrives, by a few threads: an atomic write
    waits ~20 ms for the disk (fsync), which one thread would pay 50,000 times in a row."""
    with ThreadPoolExecutor(WRITERS) as writer:
        written = []
        for done, (job, pdf, warnings) in enumerate(pages, 1):
            written.append((job, writer.submit(write_stamped, job.target, pdf, inputs[job], warnings)))
            run.warnings += [f"{job.target.name}: {w}" for w in warnings]
            if progress:
                progress(done, total)
        for job, path in written:
            _record(run, job.key, path.result())


def render_scorecards(team: TeamData, month: dt.date, out_dir: str | Path, settings: Settings | None = None,
                      agent_ids: Iterable[str] | None = None, templates_dir: str | Path | None = None,
                      workers: int | None = None, progress: Progress | None = None,
                      summary: bool = True, cluster: str | None = None) -> ScorecardRun:
    """One PDF per active agent (or those asked for) and the leader's summaries for `month`.

    Writes OUT_DIR/YYYY-MM/<agent id>-<name>.pdf and team-summary*.pdf; raises UserError for
    a month outside the workbook's data, an unknown agent or a bad templates folder.
    A PDF already there is kept when its fingerprint (fingerprint.py) shows it was rendered
    from the same numbers, settings, month, templates and code; all others are rendered, in
    `workers` local processes or on the Dask cluster at `cluster` (cluster.py).
    """
    started = time.perf_counter()
    settings = settings or load_settings()
    month = month.replace(day=1)
    check_month(team, month)
    folders = TemplateFolders.locate(templates_dir)
    bundle = folders.bundle()                         # a bad theme or folder fails before any work
    h = monthly_history(team, month, 12, settings)
    chosen = select_agents(team, agent_ids, h.agent_ids)
    run = ScorecardRun(month=month, folder=Path(out_dir) / f"{month:%Y-%m}", result=h[-1])
    jobs = plan_jobs(h, run.folder, chosen, folders, summary)
    inputs: dict[Job, str] = {}
    todo = []
    for job in jobs:
        inputs[job] = fingerprint(job.template, job.context, bundle)
        warnings = reusable(job.target, inputs[job])
        if warnings is None:
            todo.append(job)
        else:                                         # rendered from these very inputs before
            _record(run, job.key, job.target)
            run.warnings += [f"{job.target.name}: {w}" for w in warnings]
    if todo:
        pages = render_on_cluster(todo, bundle, cluster) if cluster else render_jobs(todo, bundle, workers)
        _write_all(run, pages, inputs, progress, len(todo))
    run.rendered, run.reused = len(todo), len(jobs) - len(todo)
    run.scorecards = {a: run.scorecards[a] for a in chosen}
    run.seconds = time.perf_counter() - started
    return run
