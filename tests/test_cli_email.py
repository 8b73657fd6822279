"""`kpi-reports email` end to end: sample workbook -> PDFs -> a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import email
import shutil
import time
from collections import Counter
from email import policy

import pytest
from click.testing import CliRunner

from kpi_reports import load_workbook
from kpi_reports.cli import main
from conftest import free_port, smtp_server


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory, sample_workbook):
    """The sample workbook with a sender in the settings file beside it."""
    folder = tmp_path_factory.mktemp("team")
    path = shutil.copy(sample_workbook, folder / "team.xlsx")
    (folder / "kpi-reports.toml").write_text('[mail]\nfrom = "Office <office@team.example>"\n')
    return path


@pytest.fixture
def pdf_out(rendered_month, tmp_path):
    """An --out folder holding the month's PDFs already, as `kpi-reports scorecards` left them
    (the email command renders only what is missing; the first test checks that it does)."""
    out = tmp_path / "pdf"
    shutil.copytree(rendered_month.run.folder, out / "2026-10")
    return out


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    with smtp_server(inbox, monkeypatch):
        yield inbox


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_dry_run_writes_the_outbox_and_sends_nothing(workbook, tmp_path, smtp, pdf_out):
    folder = pdf_out / "2026-10"
    missing = folder / "A04-Jordan_Nguyen.pdf"
    missing.unlink()
    kept = {p: p.stat().st_mtime_ns for p in folder.glob("*.pdf")}
    out = run("email", workbook, "--month", "2026-10", "--out", pdf_out, "--outbox", tmp_path / "ob")
    assert out.exit_code == 0, out.output
    assert missing.read_bytes().startswith(b"%PDF")                            # rendered what was missing
    assert {p: p.stat().st_mtime_ns for p in kept} == kept                      # and kept the rest as it was
    assert smtp.received == []
    emls = list((tmp_path / "ob" / "2026-10").glob("*.eml"))
    active = load_workbook(workbook).active_agents
    assert len(emls) == len(active) + 3                       # + a summary for each team's leader
    assert "nothing was sent" in out.output


def test_send_delivers_each_agent_their_own_pdf_once_and_a_rerun_sends_nothing(workbook, tmp_path, smtp, pdf_out):
    args = ["email", workbook, "--month", "2026-10", "--out", pdf_out, "--outbox", tmp_path / "ob",
            "--send", "--cc-leader"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    team = load_workbook(workbook)
    active = team.active_agents
    scorecards = {}
    for rcpts, raw in smtp.received:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if "scorecard" in msg["Subject"]:
            (pdf,) = [p for p in msg.iter_attachments()]
            scorecards[msg["To"].addresses[0].addr_spec] = (pdf.get_content(), rcpts)
    assert set(scorecards) == set(active["email"])
    pdf_folder = tmp_path / "pdf" / "2026-10"
    for agent_id, agent in active.iterrows():
        content, rcpts = scorecards[agent["email"]]
        (mine,) = [p for p in pdf_folder.glob(f"{agent_id}-*.pdf")]
        assert content == mine.read_bytes()
        leader = active[(active["team"] == agent["team"]) & active["leader"]]["email"].iloc[0]
        assert set(rcpts) == {agent["email"], leader}
    summaries = Counter(tuple(r) for r, raw in smtp.received if b"team summary" in raw)
    assert len(summaries) == 3 and set(summaries.values()) == {1}

    count = len(smtp.received)
    again = run(*args)
    assert again.exit_code == 0 and len(smtp.received) == count
    assert "already sent" in again.output


def test_send_without_a_sender_is_a_clear_error(tmp_path, smtp, sample_workbook):
    path = shutil.copy(sample_workbook, tmp_path / "bare.xlsx")
    out = run("email", path, "--month", "2026-10", "--out", tmp_path / "pdf", "--outbox", tmp_path / "ob", "--send")
    assert out.exit_code == 2 and "No sender address" in out.output
    assert smtp.received == []


class Busy:
    """A server that answers but never takes a message (421 to MAIL, then hangs up)."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "421 4.3.2 system not accepting messages"


def test_a_resend_the_server_keeps_refusing_says_how_to_finish(workbook, tmp_path, monkeypatch, pdf_out):
    settings = tmp_path / "fast.toml"
    settings.write_text('[mail]\nfrom = "Office <office@team.example>"\n[smtp]\nretries = 1\nretry_delay_seconds = 0\n')
    with smtp_server(Busy(), monkeypatch):
        out = run("email", workbook, "--month", "2026-10", "--out", pdf_out, "--outbox", tmp_path / "ob",
                  "--send", "--resend", "A04", "--settings", settings, "--verbose")
    assert out.exit_code == 1
    assert "run again with --resend A04 to finish" in out.stdout


def test_a_wrong_smtp_port_is_one_error_naming_the_setting_at_once(workbook, tmp_path, monkeypatch, pdf_out):
    """Connection refused on the first connection: exit 2 (could not run), one sentence, no retries, no ledger."""
    port = free_port()                                     # nothing listens there
    monkeypatch.setenv("KPI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KPI_SMTP_PORT", str(port))
    monkeypatch.setenv("KPI_SMTP_SECURITY", "none")
    start = time.monotonic()
    out = run("email", workbook, "--month", "2026-10", "--out", pdf_out, "--outbox", tmp_path / "ob", "--send")
    assert time.monotonic() - start < 15                   # the default retries alone would sleep 2+4+8+16 s
    assert out.exit_code == 2
    assert out.output.count("connection refused") == 1
    assert (f"Error: Nothing accepts connections at 127.0.0.1:{port} (connection refused): check [smtp] host "
            "and port in the settings file, or KPI_SMTP_HOST and KPI_SMTP_PORT.") in " ".join(out.output.split())
    assert "deferred" not in out.output and "UNCERTAIN" not in out.output
    assert not (tmp_path / "ob" / "ledger.jsonl").exists()
