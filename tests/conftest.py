"""Shared fixtures: small team workbooks written for real and read back by the loader, and
the sample team's workbook, demo and rendered month, built once per test run."""
from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from filelock import FileLock

from kpi_reports.team_workbook import write_team_workbook

AS_OF = dt.date(2026, 10, 31)


def days_before(n: int, as_of: dt.date = AS_OF) -> dt.datetime:
    """The day n days before as_of, as the datetime a date cell holds."""
    return dt.datetime.combine(as_of - dt.timedelta(days=n), dt.time())


def team_tables(agents=None, activity=None, leads=None, deals=None, updates=None) -> dict[str, pd.DataFrame]:
    """A valid team workbook's tables; pass rows (lists of dicts) to fill a sheet."""
    def frame(rows, columns):
        return pd.DataFrame(rows if rows is not None else [], columns=columns)

    tables = {
        "Agents": frame(agents if agents is not None else [
            {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@example.com", "Team": "North", "Active": "Yes"},
            {"Agent ID": "A02", "Name": "Miguel Alvarez", "Email": "miguel@example.com", "Team": "North", "Active": "Yes"},
        ], ["Agent ID", "Name", "Email", "Team", "Active", "Annual Volume Goal"]),
        "Activity": frame(activity, ["Date", "Agent ID", "Calls", "Contacts", "Appointments", "Contracts", "Closed Volume"]),
        "Leads": frame(leads, ["Lead ID", "Agent ID", "Type", "Matched", "Scheduled", "Met", "Signed"]),
        "Deals": frame(deals, ["Deal ID", "Agent ID", "Opened", "Closed", "Last Updated"]),
    }
    if updates is not None:
        tables["Deal Updates"] = frame(updates, ["Deal ID", "Updated"])
    return tables


@pytest.fixture
def write_workbook(tmp_path: Path):
    """write_workbook(tables or **rows) -> path of a real .xlsx written with XlsxWriter."""
    counter = iter(range(1000))

    def write(tables: dict[str, pd.DataFrame] | None = None, **rows) -> Path:
        tables = tables if tables is not None else team_tables(**rows)
        return write_team_workbook(tables, tmp_path / f"team{next(counter)}.xlsx")

    return write


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for the test SMTP servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(handler, monkeypatch: pytest.MonkeyPatch | None = None, **env: str) -> Iterator[Controller]:
    """A real aiosmtpd server on 127.0.0.1 for the duration; with `monkeypatch`, KPI_SMTP_HOST,
    KPI_SMTP_PORT and KPI_SMTP_SECURITY=none point the CLI at it (plus any `env` given)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        if monkeypatch is not None:
            settings = {"KPI_SMTP_HOST": "127.0.0.1", "KPI_SMTP_PORT": str(controller.port),
                        "KPI_SMTP_SECURITY": "none", **env}
            for name, value in settings.items():
                monkeypatch.setenv(name, value)
        yield controller
    finally:
        controller.stop()


# ------------------------------------------------------------------ built once per test run
# The sample workbook, the demo and the sample month's 28 PDFs take seconds to minutes to
# build. Each is built once per run, by whichever xdist worker asks first (the others wait
# on a file lock and reuse it), in a folder every worker sees. Read them, never change them:
# a test that changes files copies them into its own tmp_path first.

SAMPLE_MONTH = dt.date(2026, 10, 1)


@pytest.fixture(scope="session")
def shared_folder(tmp_path_factory) -> Path:
    """This run's folder common to all xdist workers (each worker's basetemp is inside it)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    root.mkdir(exist_ok=True)
    return root


def build_once(root: Path, name: str, build: Callable[[Path], None]) -> Path:
    """root/name, filled by build(folder) unless another worker of this run did so already."""
    folder, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)        # what a failed attempt left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def sample_workbook(shared_folder) -> Path:
    """The sample team workbook (`write_sample_workbook`), read-only."""
    from kpi_reports.sample import write_sample_workbook

    folder = build_once(shared_folder, "sample", lambda f: write_sample_workbook(f / "team.xlsx"))
    return folder / "team.xlsx"


def _run_demo(folder: Path) -> None:
    from kpi_reports.cli import main

    path = folder / "sample_team.xlsx"
    result = CliRunner().invoke(main, ["demo", str(path)])
    assert result.exit_code == 0, result.output
    assert (folder / "team.xlsm").is_file() and (folder / "team.py").is_file()


@pytest.fixture(scope="session")
def demo_folder(shared_folder) -> Path:
    """What `kpi-reports demo FOLDER/sample_team.xlsx` writes: the workbook, team.xlsm and team.py."""
    return build_once(shared_folder, "demo", _run_demo)


@dataclass
class RenderedMonth:
    run: object                          # the ScorecardRun render_scorecards returned
    progress: list[tuple[int, int]]      # each progress(done, total) call, in order


@pytest.fixture(scope="session")
def rendered_month(shared_folder, sample_workbook) -> RenderedMonth:
    """The sample team's October 2026 rendered in full (two worker processes), read-only."""
    def render(folder: Path) -> None:
        from kpi_reports import load_settings, load_workbook
        from kpi_reports.report import render_scorecards

        settings = load_settings()
        calls: list[tuple[int, int]] = []
        run = render_scorecards(load_workbook(sample_workbook, settings), SAMPLE_MONTH, folder / "out", settings,
                                workers=2, progress=lambda done, total: calls.append((done, total)))
        (folder / "run.pickle").write_bytes(pickle.dumps(RenderedMonth(run, calls)))

    folder = build_once(shared_folder, "rendered", render)
    return pickle.loads((folder / "run.pickle").read_bytes())
