"""Scorecards from untrusted workbooks and templates: text stays text, files stay in their
folder, WeasyPrint fetches only the templates' own files, and odd months or agents get a
clear message."""
from __future__ import annotations

import datetime as dt
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pdfplumber
import psutil
import pytest
from click.testing import CliRunner

from kpi_reports import UserError, load_settings, load_workbook
from kpi_reports.report import DEFAULT_TEMPLATES, render_scorecards
from kpi_reports.cli import main
from kpi_reports.filenames import safe_stem
from kpi_reports.sample import network_tables
from kpi_reports.team_workbook import write_team_workbook

MONTH = dt.date(2026, 10, 1)
HOSTILE = "<b>Bold</b> & <img src='http://127.0.0.1:{port}/name.png'>"
LONG = "Wolfeschlegelsteinhausenbergerdorff" * 6


@pytest.fixture(scope="module")
def spy_server():
    """An HTTP server on 127.0.0.1 that records every request (there must be none)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()


@pytest.fixture(scope="module")
def team_path(tmp_path_factory, spy_server):
    """Four agents: one with activity and leads, three with hostile, escaping or long names
    and no data at all."""
    port, _ = spy_server
    days = pd.date_range("2026-08-01", "2026-10-31", freq="D")
    tables = {
        "Agents": pd.DataFrame({"Agent ID": ["A1", "A2", "A3", "A4"],
                                "Name": ["Ann Able", HOSTILE.format(port=port), "../../x", LONG],
                                "Team": ["<script>alert(1)</script>", "", "", ""],
                                "Annual Volume Goal": [1_000_000, None, None, None]}),
        "Activity": pd.DataFrame({"Date": days, "Agent ID": "A1", "Calls": 10, "Contacts": 4,
                                  "Appointments": 1, "Contracts": 0, "Closed Volume": 0}),
        "Leads": pd.DataFrame({"Lead ID": ["L1", "L2"], "Agent ID": ["A1", "A1"], "Type": ["Buyer", "Seller"],
                               "Matched": pd.to_datetime(["2026-09-10", "2026-09-12"]),
                               "Scheduled": pd.to_datetime(["2026-09-11", None]),
                               "Met": pd.to_datetime([None, None]), "Signed": pd.to_datetime([None, None])}),
        "Deals": pd.DataFrame({"Deal ID": ["D1"], "Agent ID": ["A1"], "Opened": pd.to_datetime(["2026-09-01"]),
                               "Closed": pd.to_datetime([None]), "Last Updated": pd.to_datetime(["2026-10-30"])}),
    }
    return write_team_workbook(tables, tmp_path_factory.mktemp("wb") / "team.xlsx")


@pytest.fixture(scope="module")
def team(team_path):
    return load_workbook(team_path, load_settings())


@pytest.fixture(scope="module")
def run(team, tmp_path_factory):
    return render_scorecards(team, MONTH, tmp_path_factory.mktemp("out"), workers=1, summary=False)


def text_of(path) -> str:
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in pdf.pages))


def test_html_in_names_is_shown_as_text_and_never_fetched(run, spy_server):
    port, hits = spy_server
    text = text_of(run.scorecards["A2"])             # the name wraps: check its two lines
    assert "<b>Bold</b> & <img src='http://" in text and f"127.0.0.1:{port}/name.png'>" in text
    assert "<script>alert(1)</script>" in text_of(run.scorecards["A1"])
    assert hits == []


def test_file_names_cannot_leave_the_month_folder(run):
    for path in run.scorecards.values():
        assert path.parent == run.folder and path.is_file()
    assert run.scorecards["A3"].name == "A3-._._x.pdf"
    assert not (run.folder.parent.parent / "x.pdf").exists()
    assert safe_stem("A1", "José Ñúñez/..\\evil") == "A1-Jose_Nunez_._evil"
    assert safe_stem("", "...") == "agent"


def test_agent_with_no_data_gets_a_sensible_page(run):
    text = text_of(run.scorecards["A3"])
    with pdfplumber.open(run.scorecards["A3"]) as pdf:   # each reason, read inside its own tile
        page = pdf.pages[0]
        for label, reason in (("14-day schedule rate", "No leads matched Sep 18 – Oct 17, 2026"),
                              ("28-day buyer met rate", "No Buyer leads matched Sep 4 – Oct 3, 2026"),
                              ("Contact rate", "No calls logged Oct 1 – Oct 31, 2026"),
                              ("Portal updates", "No active deals on Oct 31, 2026")):
            hit = min(page.search(label), key=lambda h: h["top"])
            tile = page.crop((hit["x0"] - 2, hit["top"], hit["x0"] + 125, hit["top"] + 60)).extract_text()
            tile = re.sub(r"\s+", " ", tile)
            assert tile.startswith(f"{label} — {reason}"), tile   # undefined is "—" and why, never 0%
    assert "No Annual Volume Goal on the Agents sheet" in text
    assert "Calls 0" in text and "$0" in text


def test_long_unbroken_name_stays_inside_the_page(run):
    with pdfplumber.open(run.scorecards["A4"]) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert max(c["x1"] for c in page.chars) <= page.width - 33
        assert LONG[:30] in page.extract_text().replace("\n", "")


@pytest.fixture()
def hostile_templates(tmp_path, spy_server):
    """A team's templates folder whose scorecard asks for a file outside it, a system file
    and a URL, beside an image of its own (which must still load)."""
    port, _ = spy_server
    folder = tmp_path / "templates"
    folder.mkdir()
    (tmp_path / "secret.svg").write_text(_svg_text("OUTSIDESECRET"))
    (folder / "own.svg").write_text(_svg_text("INSIDEIMAGE"))
    page = (DEFAULT_TEMPLATES / "scorecard.html").read_text().replace(
        '{% block content %}',
        f'{{% block content %}}<img src="own.svg"><img src="../secret.svg"><img src="file:///etc/hostname">'
        f'<img src="http://127.0.0.1:{port}/template.png"><p>Custom wording here</p>')
    (folder / "scorecard.html").write_text(page)
    (folder / "theme.toml").write_text('page_size = "A4"\n[colours]\nbrand = "#7a1f5c"\n')
    return folder


def _svg_text(word: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20">'
            f'<text x="0" y="15" font-size="12">{word}</text></svg>')


def test_weasyprint_reads_only_the_templates_folder(team, hostile_templates, tmp_path, spy_server):
    _, hits = spy_server
    run = render_scorecards(team, MONTH, tmp_path / "out", agent_ids=["a1"], templates_dir=hostile_templates,
                            workers=1, summary=False)
    text = text_of(run.scorecards["A1"])
    assert "Custom wording here" in text and "INSIDEIMAGE" in text     # the team's own files are used
    assert "OUTSIDESECRET" not in text and hits == []
    refused = " ".join(run.warnings)
    assert "secret.svg" in refused and "/etc/hostname" in refused and "template.png" in refused
    with pdfplumber.open(run.scorecards["A1"]) as pdf:             # theme.toml's A4
        assert round(pdf.pages[0].width) == 595


def test_month_outside_the_data_is_a_clear_error(team, tmp_path):
    with pytest.raises(UserError, match=r"no data for July 2026: its data runs from Aug 1, 2026 to Oct 31, 2026"):
        render_scorecards(team, dt.date(2026, 7, 1), tmp_path, workers=1)
    with pytest.raises(UserError, match="no data for November 2026"):
        render_scorecards(team, dt.date(2026, 11, 1), tmp_path, workers=1)
    assert not any(tmp_path.rglob("*.pdf"))


def test_unknown_or_inactive_agent_is_a_clear_error(team, tmp_path):
    with pytest.raises(UserError, match="'Z9' is not on the Agents sheet"):
        render_scorecards(team, MONTH, tmp_path, agent_ids=["Z9"], workers=1)
    with pytest.raises(UserError, match="Templates folder not found"):
        render_scorecards(team, MONTH, tmp_path, templates_dir=tmp_path / "nope", workers=1)


# ------------------------------------------------------------------ hostile template folders

PASSWD_LINE = "root:x:0:0"
POPEN = "{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"


def _hostile_folder(tmp_path, kind: str) -> tuple:
    """A team templates folder whose scorecard tries one way out: (folder, marker file)."""
    folder, marker = tmp_path / "templates", tmp_path / "MARKER"
    folder.mkdir()
    (tmp_path / "x").write_text("OUTSIDE THE FOLDER")
    page = (DEFAULT_TEMPLATES / "scorecard.html").read_text()
    payload = {"popen": POPEN.format(marker=marker), "include_parent": '{% include "../../x" %}',
               "include_link": '{% include "notes.html" %}', "absolute": '{% include "/etc/passwd" %}'}[kind]
    if kind == "include_link":
        (folder / "notes.html").symlink_to("/etc/passwd")
    (folder / "scorecard.html").write_text(page.replace("{% block content %}", "{% block content %}" + payload))
    return folder, marker


@pytest.mark.parametrize("kind, says", [
    ("popen", "access to attribute '__init__' of 'type' object is unsafe"),
    ("include_parent", "TemplateNotFound"),
    ("absolute", "TemplateNotFound"),
    ("include_link", "leads outside the templates folder"),
])
def test_hostile_templates_run_nothing_read_nothing_and_say_why(team_path, tmp_path, kind, says):
    """Two agents, so the pages render in worker processes as a real run does."""
    folder, marker = _hostile_folder(tmp_path, kind)
    out = CliRunner().invoke(main, ["scorecards", str(team_path), "--month", "2026-10", "--templates", str(folder),
                                    "--out", str(tmp_path / "out"), "--agent", "A1", "--agent", "A3"])
    assert out.exit_code == 2, out.output
    assert says in " ".join(out.output.split()) and "Traceback" not in out.output
    assert not marker.exists()
    pdfs = list((tmp_path / "out").rglob("*.pdf"))
    assert all(PASSWD_LINE not in text_of(p) and "OUTSIDE THE FOLDER" not in text_of(p) for p in pdfs)


def test_a_link_out_of_the_folder_is_refused_by_name(team_path, tmp_path):
    folder, _ = _hostile_folder(tmp_path, "include_link")
    out = CliRunner().invoke(main, ["scorecards", str(team_path), "--month", "2026-10", "--templates", str(folder),
                                    "--out", str(tmp_path / "out")])
    assert out.exit_code == 2
    said = "".join(out.output.split())          # the terminal wraps long paths anywhere
    assert f"{folder / 'notes.html'}leadsoutsidethetemplatesfolder" in said and "alinkto/etc/passwd" in said
    assert not (tmp_path / "out").exists()


def test_email_templates_are_sandboxed_too(tmp_path, sample_workbook):
    book = shutil.copy(sample_workbook, tmp_path / "team.xlsx")
    folder, marker = tmp_path / "templates", tmp_path / "MARKER"
    (folder / "email").mkdir(parents=True)
    (folder / "email" / "body.txt").write_text("Hello {{ name }}\n" + POPEN.format(marker=marker))
    (tmp_path / "kpi-reports.toml").write_text('[mail]\nfrom = "Office <office@team.example>"\n')
    out = CliRunner().invoke(main, ["email", str(book), "--month", "2026-10", "--templates", str(folder),
                                    "--settings", str(tmp_path / "kpi-reports.toml"),
                                    "--out", str(tmp_path / "out"), "--outbox", str(tmp_path / "outbox")])
    assert out.exit_code == 1 and "is unsafe" in " ".join(out.output.split()), out.output   # every mail deferred
    assert not marker.exists()
    assert not list((tmp_path / "outbox").rglob("*.eml"))


# ------------------------------------------------------------------ a killed run takes its workers along

def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE            # a zombie has ended already
    except psutil.NoSuchProcess:
        return False


def test_sigkill_of_scorecards_ends_its_workers_within_seconds(tmp_path):
    book = write_team_workbook(network_tables(40, 4400, 15600, 1040), tmp_path / "team.xlsx")
    exe = Path(sys.executable).with_name("kpi-reports")
    proc = subprocess.Popen([str(exe), "scorecards", str(book), "--month", "2026-10", "--out", str(tmp_path / "out")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("out/2026-10/*.pdf")):       # mid-run: the first PDFs are out
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.1)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2                                  # forkserver and its workers
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p.pid for p in workers if _running(p)]
    assert len(list(tmp_path.glob("out/2026-10/*.pdf"))) < 41      # it really was killed mid-run
