"""Scorecards rendered on a real Dask cluster (distributed.LocalCluster, two worker
processes): the same PDFs, in the same place, with the same fingerprints as a local run."""
from __future__ import annotations

import datetime as dt
import re

import pdfplumber
import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from kpi_reports import load_settings, load_workbook
from kpi_reports.cli import main
from kpi_reports.report import cluster as dask_cluster
from kpi_reports.report import render_scorecards
from conftest import free_port

MONTH = dt.date(2026, 10, 1)
AGENTS = ["A01", "A02", "A09", "A17"]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit=0, silence_logs=40) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def book(sample_workbook):
    return sample_workbook


def text_of(path) -> str:
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in pdf.pages))


def test_a_month_on_the_cluster_matches_a_local_run(cluster, book, tmp_path):
    settings = load_settings()
    team = load_workbook(book, settings)
    on_cluster = render_scorecards(team, MONTH, tmp_path / "cluster", settings, agent_ids=AGENTS, cluster=cluster)
    local = render_scorecards(team, MONTH, tmp_path / "local", settings, agent_ids=AGENTS, workers=1)
    assert list(on_cluster.scorecards) == AGENTS and on_cluster.rendered == len(AGENTS) + 4
    assert on_cluster.summary.name == "team-summary.pdf" and len(on_cluster.team_summaries) == 3
    assert on_cluster.warnings == []
    for agent_id, path in on_cluster.scorecards.items():
        assert path.parent == tmp_path / "cluster" / "2026-10" and path.read_bytes().startswith(b"%PDF-")
        assert text_of(path) == text_of(local.scorecards[agent_id])
    dana = text_of(on_cluster.scorecards["A01"])
    assert "Dana Lee October 2026" in dana and "80% 63% 0% 100%" in dana
    assert "4 of 5 active deals 5 of 8 leads" in dana and "92% 100% 19th of 24 62% 94% 13th of 24" in dana
    assert "Leaderboard" in text_of(on_cluster.summary)
    assert not [p for p in (tmp_path / "cluster" / "2026-10").glob(".*") if p.name != ".fingerprints"]

    again = render_scorecards(team, MONTH, tmp_path / "cluster", settings, agent_ids=AGENTS, cluster=cluster)
    assert (again.rendered, again.reused) == (0, len(AGENTS) + 4)
    locally = render_scorecards(team, MONTH, tmp_path / "cluster", settings, agent_ids=AGENTS, workers=1)
    assert (locally.rendered, locally.reused) == (0, len(AGENTS) + 4)   # one fingerprint, wherever rendered


def test_cli_renders_on_the_cluster_and_template_errors_come_back_clear(cluster, book, tmp_path):
    out = CliRunner().invoke(main, ["scorecards", str(book), "--month", "2026-10", "--agent", "A05",
                                    "--out", str(tmp_path / "out"), "--cluster", cluster])
    assert out.exit_code == 0, out.output
    assert "1 PDF(s) rendered." in out.output
    assert "Aisha Brooks October 2026" in text_of(tmp_path / "out" / "2026-10" / "A05-Aisha_Brooks.pdf")

    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "scorecard.html").write_text("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    out = CliRunner().invoke(main, ["scorecards", str(book), "--month", "2026-10", "--agent", "A06",
                                    "--out", str(tmp_path / "out"), "--cluster", cluster, "--templates", str(ours)])
    assert out.exit_code == 2, out.output
    assert "is unsafe" in " ".join(out.output.split()) and "Traceback" not in out.output


def test_an_unreachable_scheduler_is_a_clear_error(book, tmp_path, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_SECONDS", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    out = CliRunner().invoke(main, ["scorecards", str(book), "--month", "2026-10", "--agent", "A01",
                                    "--out", str(tmp_path / "out"), "--cluster", address])
    assert out.exit_code == 2, out.output
    assert f"Could not reach the Dask scheduler at {address}" in " ".join(out.output.split())
    assert not list(tmp_path.rglob("*.pdf"))
