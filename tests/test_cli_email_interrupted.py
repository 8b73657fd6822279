"""`kpi-reports email --send` stopped by SIGTERM, Ctrl-C or SIGKILL while the server holds a message.

The server (aiosmtpd on 127.0.0.1) keeps each message a second before answering 250, as
servers that scan mail do; the signal arrives in that second. Whatever the signal, the
reruns deliver every mail and no recipient ever gets one twice.
"""
from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_reports.cli import main
from kpi_reports.team_workbook import write_team_workbook
from conftest import days_before, smtp_server, team_tables


class HoldingInbox:
    """Stores each message at once, then waits `hold_seconds` before its 250."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], str]] = []          # (RCPT TO, Message-ID)
        self.hold_seconds = 1.0
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), msg["Message-ID"]))
        if self.hold_seconds:
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        return "250 OK"

    def most_copies(self) -> int:
        """The most times one recipient got one message (a leader gets a scorecard and a summary)."""
        return max(Counter((r, mid) for rcpts, mid in self.received for r in rcpts).values())


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A three-agent workbook with a leader, its settings and its scorecards, rendered once."""
    folder = tmp_path_factory.mktemp("team")
    tables = team_tables(agents=[
        {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@team.example", "Team": "North", "Active": "Yes"},
        {"Agent ID": "A02", "Name": "Sam Cho", "Email": "sam@team.example", "Team": "North", "Active": "Yes"},
        {"Agent ID": "A03", "Name": "Kim Ortiz", "Email": "kim@team.example", "Team": "North", "Active": "Yes"},
    ], activity=[{"Date": days_before(d), "Agent ID": a, "Calls": 10, "Contacts": 4} for d in (3, 20) for a in ("A01", "A02", "A03")])
    tables["Agents"]["Leader"] = ["Yes", "No", "No"]
    workbook = write_team_workbook(tables, folder / "team.xlsx")
    (folder / "kpi-reports.toml").write_text('[mail]\nfrom = "Office <office@team.example>"\n')
    rendered = CliRunner().invoke(main, ["scorecards", str(workbook), "--month", "2026-10", "--out", str(folder / "pdf")])
    assert rendered.exit_code in (0, 1), rendered.output
    return workbook, folder / "pdf"


@pytest.fixture
def inbox(monkeypatch):
    box = HoldingInbox()
    with smtp_server(box, monkeypatch, COLUMNS="250"):
        yield box


def email_args(team, outbox: Path) -> list[str]:
    workbook, pdf = team
    return ["email", str(workbook), "--month", "2026-10", "--out", str(pdf), "--outbox", str(outbox), "--send"]


def cli_stopped_while_held(inbox: HoldingInbox, args: list[str], sig: signal.Signals) -> tuple[int, str, str]:
    """The real command in its own process; `sig` arrives while the server holds the first message."""
    proc = subprocess.Popen([sys.executable, "-m", "kpi_reports", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=os.environ.copy())
    while not inbox.holding.wait(0.1):
        assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    inbox.hold_seconds = 0
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_after_the_message_in_flight_and_a_rerun_finishes(team, inbox, tmp_path, sig):
    code, out, err = cli_stopped_while_held(inbox, email_args(team, tmp_path / "ob"), sig)
    assert code == 1 and "Traceback" not in err + out, err + out
    assert f"stopped by {sig.name}" in out and "1 sent" in out
    assert len(inbox.received) == 1
    rerun = CliRunner().invoke(main, email_args(team, tmp_path / "ob"))
    assert rerun.exit_code == 0, rerun.output
    assert "3 sent, 1 already sent" in rerun.output and inbox.most_copies() == 1


def test_sigkill_leaves_an_uncertain_mail_that_every_rerun_reports_and_none_resends(team, inbox, tmp_path):
    code, _, _ = cli_stopped_while_held(inbox, email_args(team, tmp_path / "ob"), signal.SIGKILL)
    assert code == -signal.SIGKILL and len(inbox.received) == 1
    for summary in ("3 sent, 1 UNCERTAIN", "3 already sent, 1 UNCERTAIN"):
        rerun = CliRunner().invoke(main, email_args(team, tmp_path / "ob"))
        assert rerun.exit_code == 1, rerun.output
        assert summary in rerun.output and "--mark-sent" in rerun.output
    assert inbox.most_copies() == 1
    (first,) = inbox.received[0][0]
    assert [line for line in rerun.output.splitlines() if "UNCERTAIN" in line and first in line]  # listed, with its address
    marked = CliRunner().invoke(main, [*email_args(team, tmp_path / "ob"), "--mark-sent", "A01"])
    assert marked.exit_code == 0 and "4 already sent" in marked.output, marked.output
    assert CliRunner().invoke(main, email_args(team, tmp_path / "ob")).exit_code == 0
    assert inbox.most_copies() == 1
