"""Scorecard PDFs: contexts made once, rendered by long-lived worker processes.

Each worker imports WeasyPrint, parses the stylesheet and loads the fonts once (the
initializer), then turns (template, context) jobs into PDFs, written to a temporary file
and moved into place, so a run cut short never leaves a half-written PDF.
"""
from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import formatting as f
from ..agent_ids import AgentIds
from ..engine import month_end, monthly_history
from ..errors import UserError
from ..model import TeamData
from ..result import KpiHistory, KpiResult
from ..settings import Settings, load_settings
from .context import scorecard_context, summary_context
from ..filenames import FileNamer
from .templates import STYLESHEET, TemplateFolders, make_fetcher

Progress = Callable[[int, int], None]
SUBSET_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"


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


@dataclass(frozen=True)
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
    """WeasyPrint, the templates, the parsed stylesheet and the fonts, loaded once."""

    def __init__(self, folders: tuple[Path, ...]) -> None:
        import jinja2
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        templates = TemplateFolders(folders)
        self.fetcher = make_fetcher(folders)
        self.base_url = folders[0].as_uri() + "/"
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in folders]),
            autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.fonts = FontConfiguration()
        self.stylesheets = [
            CSS(string=templates.theme().css(), font_config=self.fonts, url_fetcher=self.fetcher),
            CSS(filename=str(templates.find(STYLESHEET)), base_url=self.base_url,
                font_config=self.fonts, url_fetcher=self.fetcher),
        ]
        self.cache: dict = {}

    def render(self, job: Job) -> tuple[tuple[str, str], Path, list[str]]:
        from weasyprint import HTML

        html = self.env.get_template(job.template).render(**job.context)
        job.target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".pdf.part", dir=job.target.parent)
        try:
            with os.fdopen(fd, "wb") as out, _weasyprint_warnings() as warnings:
                HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).write_pdf(
                    out, stylesheets=self.stylesheets, font_config=self.fonts, cache=self.cache)
            os.replace(tmp, job.target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return job.key, job.target, warnings


_WORKER: Renderer | None = None


def _init_worker(folders: tuple[Path, ...]) -> None:
    global _WORKER
    _WORKER = Renderer(folders)


def _render_in_worker(job: Job):
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.render(job)


def render_jobs(jobs: list[Job], folders: tuple[Path, ...], workers: int | None = None,
                progress: Progress | None = None) -> Iterable[tuple[tuple[str, str], Path, list[str]]]:
    """Render every job, in `workers` processes (1 = in this process), yielding as each ends."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    done = 0
    if workers == 1:
        renderer = Renderer(folders)
        for job in jobs:
            yield renderer.render(job)
            done += 1
            if progress:
                progress(done, len(jobs))
        return
    # forkserver: workers start small and clean, not as copies of a (possibly large) caller
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(folders,)) as pool:
        for future in as_completed([pool.submit(_render_in_worker, job) for job in jobs]):
            yield future.result()
            done += 1
            if progress:
                progress(done, len(jobs))


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


def render_scorecards(team: TeamData, month: dt.date, out_dir: str | Path, settings: Settings | None = None,
                      agent_ids: Iterable[str] | None = None, templates_dir: str | Path | None = None,
                      workers: int | None = None, progress: Progress | None = None,
                      summary: bool = True, only_missing: bool = False) -> ScorecardRun:
    """One PDF per active agent (or those asked for) and the leader's summaries for `month`.

    Writes OUT_DIR/YYYY-MM/<agent id>-<name>.pdf and team-summary*.pdf; raises UserError for
    a month outside the workbook's data, an unknown agent or a bad templates folder.
    only_missing=True keeps the PDFs already there (the email command renders what is missing).
    """
    started = time.perf_counter()
    settings = settings or load_settings()
    month = month.replace(day=1)
    check_month(team, month)
    folders = TemplateFolders.locate(templates_dir)
    folders.theme()                                   # a bad theme fails before any work
    h = monthly_history(team, month, 12, settings)
    chosen = select_agents(team, agent_ids, h.agent_ids)
    run = ScorecardRun(month=month, folder=Path(out_dir) / f"{month:%Y-%m}", result=h[-1])
    jobs = plan_jobs(h, run.folder, chosen, folders, summary)
    kept = [job for job in jobs if only_missing and job.target.exists()]
    for job in kept:
        _record(run, job.key, job.target)
    todo = [job for job in jobs if job not in kept]
    for key, path, warnings in render_jobs(todo, folders.folders, workers, progress) if todo else ():
        _record(run, key, path)
        run.warnings += [f"{path.name}: {w}" for w in warnings]
    run.scorecards = {a: run.scorecards[a] for a in chosen}
    run.seconds = time.perf_counter() - started
    return run
