"""Mailing scorecards through a real SMTP server (aiosmtpd on 127.0.0.1).

Each agent with one valid address gets exactly one message carrying their own PDF,
whatever the server does (4xx, dropped connections, 550, daily caps, a crash).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field, replace
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from kpi_reports.errors import UserError
from kpi_reports.mail import MailConfig, ScorecardMail, SmtpConfig, deliver
from kpi_reports.mail.addresses import parse_address
from kpi_reports.mail.ledger import Ledger
from conftest import free_port, smtp_server

MONTH = dt.date(2026, 10, 1)
AGENTS = [  # agent_id, name, Email cell as typed on the Agents sheet
    ("A01", "Dana Lee", "dana@team.example"),
    ("A02", "Sam O'Brien", " Sam <sam@team.example> "),
    ("A03", 'Kim "KJ" Jones\r\nBcc: spy@evil.example', "kim@team.example"),
    ("A04", "Lee Park", "lee@team.example, boss@evil.example"),
    ("A05", "Ana Ruiz", ""),
    ("A06", "Bo Chen", "bo@team.example\r\nBcc: spy@evil.example"),
]
GOOD = {"A01": "dana@team.example", "A02": "sam@team.example", "A03": "kim@team.example"}
LEADER = "lead@team.example"


# --- the SMTP server ------------------------------------------------------------------

@dataclass
class Mailbox:
    """aiosmtpd handler: stores what it accepts; can misbehave on purpose."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)   # address -> "550 ..." at RCPT
    busy_data: int = 0             # answer 451 to this many DATA commands first
    drop_after: int | None = None  # once this many are stored, drop ...
    drops: int = 0                 # ... this many MAIL commands (connection cut, nothing stored)
    vanish_on: int | None = None   # store message number N, then cut before answering 250
    hold_seconds: float = 0.0      # keep each stored message this long before answering 250 ...
    holding: threading.Event = field(default_factory=threading.Event)   # ... and say so here
    sessions: list[object] = field(default_factory=list)     # one aiosmtpd session per connection

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_after is not None and len(self.received) >= self.drop_after and self.drops > 0:
            self.drops -= 1
            server.transport.abort()
            return "421 4.4.2 connection dropped"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy_data > 0:
            self.busy_data -= 1
            return "451 4.3.0 busy, try again later"
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        if all(s is not session for s in self.sessions):
            self.sessions.append(session)
        if self.vanish_on == len(self.received):
            server.transport.abort()
        if self.hold_seconds:          # a server that scans mail: it has the message, the sender waits
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        return "250 OK queued"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(content, policy=policy.default) for _, content in self.received]

    def count_by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rcpts, _ in self.received:
            for r in rcpts:
                counts[r] = counts.get(r, 0) + 1
        return counts


@pytest.fixture
def server():
    box = Mailbox()
    with smtp_server(box) as controller:
        yield box, controller.port


# --- the mails ---------------------------------------------------------------------------

def scorecard_pdf(name: str) -> bytes:
    from weasyprint import HTML
    return HTML(string=f"<h1>Scorecard</h1><p>Agent: {name}</p>").write_pdf()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    paths = {}
    for agent_id, name, _ in AGENTS + [("team:North", "North team", "")]:
        paths[agent_id] = folder / f"{agent_id.replace(':', '_')}.pdf"
        paths[agent_id].write_bytes(scorecard_pdf(name.splitlines()[0]))
    return paths


@pytest.fixture
def mails(pdfs) -> list[ScorecardMail]:
    agents = [ScorecardMail(agent_id=a, name=n, email=e, team="North", month=MONTH,
                            headline=[("14-day schedule rate", "60%"), ("Contracts", "3")],
                            top_tip="Call every lead within the hour.", pdf_path=pdfs[a])
              for a, n, e in AGENTS]
    summary = ScorecardMail.team_summary("North", LEADER, MONTH, [("Team contracts", "9")], pdfs["team:North"])
    return agents + [summary]


@pytest.fixture
def config() -> MailConfig:
    return MailConfig(sender=parse_address("KPI Reports <kpi@team.example>"))


def smtp_for(port: int, **changes) -> SmtpConfig:
    base = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout_seconds=5,
                      retries=2, retry_delay_seconds=0.01, max_per_minute=1000, max_per_day=1000)
    return replace(base, **changes)


def attachment(msg: email.message.EmailMessage) -> tuple[str, bytes]:
    (part,) = list(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def expected_owner(msg: email.message.EmailMessage) -> str:
    addr = msg["To"].addresses[0].addr_spec
    return {v: k for k, v in {**GOOD, "team:North": LEADER}.items()}[addr]


def assert_everyone_once(box: Mailbox, pdfs: dict[str, Path]) -> None:
    assert box.count_by_recipient() == {**{a: 1 for a in GOOD.values()}, LEADER: 1}
    for (rcpts, _), msg in zip(box.received, box.messages()):
        owner = expected_owner(msg)
        assert rcpts == [msg["To"].addresses[0].addr_spec]           # envelope == the one To
        assert len(msg["To"].addresses) == 1 and msg["Cc"] is None and msg["Bcc"] is None
        name, data = attachment(msg)
        assert data == pdfs[owner].read_bytes()
        agent_name = dict((a, n) for a, n, _ in AGENTS).get(owner, "North team").splitlines()[0]
        assert agent_name in PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert name.endswith(".pdf") and "/" not in name and "\n" not in name


# --- tests ----------------------------------------------------------------------------------

def test_each_agent_with_one_valid_address_gets_exactly_their_own_scorecard(server, mails, pdfs, config, tmp_path):
    box, port = server
    report = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert_everyone_once(box, pdfs)
    assert {o.agent_id for o in report.delivered} == {*GOOD, "team:North"}
    assert {o.agent_id for o in report.no_address} == {"A05"}
    failed = {o.agent_id: o.reason for o in report.failed}
    assert set(failed) == {"A04", "A06"}
    assert "not one valid address" in failed["A04"] and "not one valid address" in failed["A06"]
    assert not report.ok
    assert all(r.endswith("@team.example") for r in box.count_by_recipient())


def test_a_name_with_a_line_break_cannot_add_a_header(server, mails, config, tmp_path):
    box, port = server
    deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    (kim,) = [m for m in box.messages() if m["To"].addresses[0].addr_spec == "kim@team.example"]
    assert kim["Bcc"] is None
    assert kim["To"].addresses[0].display_name == 'Kim "KJ" Jones Bcc: spy@evil.example'
    (raw,) = [content for rcpts, content in box.received if rcpts == ["kim@team.example"]]
    raw_headers = raw.split(b"\r\n\r\n")[0]
    assert not any(line.lower().startswith(b"bcc") for line in raw_headers.split(b"\r\n"))


def test_dry_run_writes_eml_files_and_sends_nothing(server, mails, pdfs, config, tmp_path):
    box, port = server
    report = deliver(mails, outbox=tmp_path, config=config)
    assert box.received == [] and not (tmp_path / "ledger.jsonl").exists()
    assert {o.agent_id for o in report.would_send} == {*GOOD, "team:North"}
    assert report.dry_run and "Dry run" in report.summary()
    for outcome in report.would_send:
        assert outcome.eml_path.parent == tmp_path / "2026-10"
        msg = email.message_from_bytes(outcome.eml_path.read_bytes(), policy=policy.default)
        assert [a.addr_spec for a in msg["To"].addresses] == list(outcome.recipients)
        assert attachment(msg)[1] == pdfs[outcome.agent_id].read_bytes()
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == sorted(o.eml_path.name for o in report.would_send)


def test_rerun_skips_what_the_ledger_holds_and_resend_forces_one(server, mails, config, tmp_path):
    box, port = server
    first = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    again = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert len(box.received) == 4 and again.delivered == []
    assert {o.agent_id for o in again.skipped} == {*GOOD, "team:North"}
    forced = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True, resend={"A02"})
    assert [o.agent_id for o in forced.delivered] == ["A02"]
    assert box.count_by_recipient()["sam@team.example"] == 2
    first_id = next(o.message_id for o in first.delivered if o.agent_id == "A02")
    assert box.messages()[-1]["Message-ID"] == first_id          # same id: recognisably the same mail


def test_resend_of_an_unknown_agent_is_a_user_error(mails, config, tmp_path):
    with pytest.raises(UserError, match="--resend A99"):
        deliver(mails, outbox=tmp_path, config=config, resend={"A99"})


def test_a_550_for_one_address_is_reported_and_the_others_are_delivered(server, mails, config, tmp_path):
    box, port = server
    box.refuse["sam@team.example"] = "550 5.1.1 mailbox unavailable"
    report = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    sam = next(o for o in report.failed if o.agent_id == "A02")
    assert "550" in sam.reason and "mailbox unavailable" in sam.reason
    assert box.count_by_recipient() == {"dana@team.example": 1, "kim@team.example": 1, LEADER: 1}
    assert "A02" not in {e["agent_id"] for e in map(json.loads, (tmp_path / "ledger.jsonl").read_text().splitlines())}


def test_a_period_of_451_answers_is_retried_until_delivered_once(server, mails, pdfs, config, tmp_path):
    box, port = server
    box.busy_data = 2
    sleeps: list[float] = []
    report = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port, retry_delay_seconds=0.5),
                     send=True, sleep=sleeps.append)
    assert_everyone_once(box, pdfs)
    assert sleeps == [0.5, 1.0]                                   # exponential back-off
    assert report.stopped is None and len(report.delivered) == 4


def test_dropped_connections_stop_the_run_and_a_rerun_finishes_without_duplicates(server, mails, pdfs, config, tmp_path):
    box, port = server
    box.drop_after, box.drops = 1, 5          # after one message the server hangs up 5 times
    first = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert len(first.delivered) == 1 and len(first.deferred) == 3
    assert "kept failing" in first.stopped and not first.ok
    second = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert len(second.delivered) == 3 and len(second.skipped) == 1 and second.stopped is None
    assert_everyone_once(box, pdfs)


def test_a_connection_lost_after_the_message_went_is_uncertain_not_resent(server, mails, config, tmp_path):
    box, port = server
    box.vanish_on = 2           # server keeps message 2, then hangs up before saying 250
    report = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    (maybe,) = [o for o in report.failed if o.status == "uncertain"]
    assert "--resend " + maybe.agent_id in maybe.reason
    assert box.count_by_recipient() == {**{a: 1 for a in GOOD.values()}, LEADER: 1}
    rerun = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert rerun.delivered == [] and len(box.received) == 4
    (still,) = [o for o in rerun.outcomes if o.agent_id == maybe.agent_id]     # listed, counted, not "already sent"
    assert still.status == "uncertain" and "outcome unknown since" in still.reason
    assert "1 UNCERTAIN" in rerun.summary() and "4 already sent" not in rerun.summary()


def test_the_ledger_holds_the_intent_before_data_and_the_outcome_after(server, mails, config, tmp_path):
    box, port = server
    box.busy_data = 1                                   # DATA refused once with 451: nothing was delivered
    deliver(mails[:1], outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    lines = [json.loads(line) for line in (tmp_path / "ledger.jsonl").read_text().splitlines()]
    assert [(e["key"], e["status"]) for e in lines] == [
        ("2026-10/scorecard/a01", "sending"), ("2026-10/scorecard/a01", "not_sent"),
        ("2026-10/scorecard/a01", "sending"), ("2026-10/scorecard/a01", "delivered")]
    assert "451" in lines[1]["reason"] and len(Ledger(tmp_path).sent_times) == 1


def test_the_daily_cap_defers_the_rest_and_a_later_rerun_finishes(server, mails, pdfs, config, tmp_path):
    box, port = server
    now = [1_800_000_000.0]
    run = lambda: deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port, max_per_day=2),  # noqa: E731
                          send=True, clock=lambda: now[0])
    first = run()
    assert len(first.delivered) == 2 and len(first.deferred) == 2 and "daily limit" in first.stopped
    assert len(run().delivered) == 0                       # same day: still capped, nothing twice
    now[0] += 86_400
    assert len(run().delivered) == 2
    assert_everyone_once(box, pdfs)


def test_max_per_minute_spaces_the_messages(server, mails, config, tmp_path):
    box, port = server
    now = [1_800_000_000.0]
    sleep = lambda s: now.__setitem__(0, now[0] + s)    # noqa: E731
    deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port, max_per_minute=2), send=True,
            clock=lambda: now[0], sleep=sleep)
    times = sorted(Ledger(tmp_path).sent_times)
    assert len(times) == 4 and times[-1] - times[0] >= 60
    assert all(sum(t <= u < t + 60 for u in times) <= 2 for t in times)


def test_cc_leader_copies_the_leader_on_the_same_single_message(server, mails, pdfs, config, tmp_path):
    box, port = server
    dana = replace(mails[0], cc=[LEADER])
    deliver([dana], outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    (rcpts, _), = box.received
    (msg,) = box.messages()
    assert rcpts == ["dana@team.example", LEADER]
    assert [a.addr_spec for a in msg["Cc"].addresses] == [LEADER]


def test_progress_is_reported_for_every_mail(server, mails, config, tmp_path):
    box, port = server
    seen = []
    deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True,
            progress=lambda outcome, done, total: seen.append((outcome.agent_id, done, total)))
    assert seen == [(m.agent_id, i + 1, len(mails)) for i, m in enumerate(mails)]


CRASHING_RUN = textwrap.dedent("""
    import os, signal, sys, pickle
    from kpi_reports.mail import deliver
    mails, config, smtp, outbox = pickle.load(sys.stdin.buffer)
    def crash(outcome, done, total):
        if outcome.status == "delivered" and done >= 2:
            os.kill(os.getpid(), signal.SIGKILL)
    deliver(mails, outbox=outbox, config=config, smtp=smtp, send=True, progress=crash)
""")


def test_a_killed_run_then_a_rerun_delivers_every_message_exactly_once(server, mails, pdfs, config, tmp_path):
    import pickle
    box, port = server
    proc = subprocess.run([sys.executable, "-c", CRASHING_RUN], cwd=Path(__file__).parents[1],
                          input=pickle.dumps((mails, config, smtp_for(port), tmp_path)), capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert len(box.received) == 2
    with (tmp_path / "ledger.jsonl").open("a") as fh:
        fh.write('{"key": "2026-10/scorecard/A0')            # a torn line, as a crash mid-write leaves
    report = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert len(report.skipped) == 2 and len(report.delivered) == 2
    assert_everyone_once(box, pdfs)
    again = deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert len(again.skipped) == 4                      # the rerun's records survived the torn line
    assert_everyone_once(box, pdfs)


def test_listing_the_same_agent_twice_is_refused(mails, config, tmp_path):
    with pytest.raises(UserError, match="listed twice"):
        deliver([mails[0], mails[0]], outbox=tmp_path, config=config)


def test_a_closed_port_is_a_setting_to_fix_said_once_and_at_once_not_retried(mails, config, tmp_path):
    port = free_port()                   # nothing listens there: every connect is refused
    start = time.monotonic()
    with pytest.raises(UserError) as caught:
        deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port, retries=4, retry_delay_seconds=2),
                send=True)
    assert time.monotonic() - start < 2                    # the retries would have slept 2+4+8+16 s
    assert str(caught.value) == (f"Nothing accepts connections at 127.0.0.1:{port} (connection refused): check "
                                 "[smtp] host and port in the settings file, or KPI_SMTP_HOST and KPI_SMTP_PORT.")
    assert os.listdir(tmp_path) == [".lock"]               # no ledger: nothing sent, nothing uncertain


def test_a_server_that_goes_away_mid_run_is_retried_then_the_rest_deferred(mails, pdfs, config, tmp_path):
    """Refused after the server has answered is a server restarting, not a setting: retried, then deferred."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    deliverable = [m for m in mails if m.agent_id in GOOD]

    def stop_after_the_first(outcome, done, total):
        if done == 1:
            controller.stop()

    report = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(controller.port), send=True,
                     progress=stop_after_the_first)
    assert [o.status for o in report.outcomes] == ["delivered", "deferred", "deferred"]
    assert "kept failing" in report.stopped and "connection refused" in report.stopped
    assert len(box.received) == 1
    ledger = Ledger(tmp_path)
    assert ledger.uncertain() == {} and [e["status"] for e in ledger.settled.values()] == ["delivered"]


# --- names built to break mail headers (issue 12) ------------------------------------------

ENCODED_NAME = "Maya =?utf-8?q?x=0D=0ABcc=3A_attacker=40evil=2Eexample?="
ENCODED_TEAM = "North =?utf-8?q?x=0D=0ABcc=3A_team=40evil=2Eexample?="
ENCODED_LEADER_CELL = "=?utf-8?q?L=0D=0ABcc=3A_cc=40evil=2Eexample?= <lead@team.example>"
ENCODED_FROM = "=?utf-8?q?K=0D=0ABcc=3A_from=40evil=2Eexample?= <kpi@team.example>"
HEADERS_WE_WRITE = {"from", "to", "cc", "subject", "date", "message-id", "auto-submitted",
                    "content-type", "mime-version"}


def header_names(raw: bytes) -> list[str]:
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n")[0]
    return [line.split(b":")[0].decode().lower() for line in head.split(b"\n") if line[:1] not in (b" ", b"\t")]


def assert_only_intended_headers(raw: bytes, rcpts: list[str] | None = None) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    names = header_names(raw)
    assert set(names) <= HEADERS_WE_WRITE and len(names) == len(set(names)), names
    assert msg["Bcc"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["maya@team.example"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == [LEADER]
    assert [a.addr_spec for a in msg["From"].addresses] == ["kpi@team.example"]
    if rcpts is not None:
        assert rcpts == ["maya@team.example", LEADER]          # RCPT TO: exactly the intended two
    maya = msg["To"].addresses[0].display_name
    assert maya.startswith("Maya ") and "attacker=40evil=2Eexample" in maya       # still readable
    assert msg["Subject"].startswith("Maya ") and "\n" not in msg["Subject"]
    return msg


def test_an_encoded_word_in_a_name_team_leader_or_sender_cannot_add_a_header(server, pdfs, tmp_path):
    box, port = server
    maya = ScorecardMail(agent_id="A07", name=ENCODED_NAME, email="maya@team.example", team=ENCODED_TEAM,
                         month=MONTH, headline=[("Contracts", "3")], top_tip=None, pdf_path=pdfs["A01"],
                         cc=[ENCODED_LEADER_CELL])
    config = MailConfig(sender=parse_address(ENCODED_FROM), subject="{name} ({team}): KPIs for {month}")
    dry = deliver([maya], outbox=tmp_path / "dry", config=config)
    (written,) = dry.would_send
    assert_only_intended_headers(written.eml_path.read_bytes())
    sent = deliver([maya], outbox=tmp_path / "sent", config=config, smtp=smtp_for(port), send=True)
    assert [o.agent_id for o in sent.delivered] == ["A07"]
    ((rcpts, raw),) = box.received
    msg = assert_only_intended_headers(raw, rcpts)
    assert "KPIs for October 2026" in msg["Subject"]


def test_a_header_that_would_not_parse_back_as_built_fails_that_mail_only(server, mails, monkeypatch, config, tmp_path):
    """The second line of defence: with the encoded-word guard switched off, the check of
    the finished headers still stops the message."""
    from kpi_reports.mail import addresses
    monkeypatch.setattr(addresses, "header_text", addresses.one_line)
    box, port = server
    maya = replace(mails[0], agent_id="A07", name=ENCODED_NAME, email="maya@team.example")
    report = deliver([maya, mails[1]], outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    (failed,) = report.failed
    assert failed.agent_id == "A07" and "cannot be put safely into a mail header" in failed.reason
    assert box.count_by_recipient() == {"sam@team.example": 1}


def test_a_retyped_agent_id_is_the_same_agent_to_the_ledger(server, mails, config, tmp_path):
    box, port = server
    deliver(mails, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    retyped = [replace(m, agent_id=f" {m.agent_id.lower()} ") for m in mails]     # "A02" typed as " a02 "
    again = deliver(retyped, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert again.delivered == [] and {o.agent_id.strip() for o in again.skipped} == {"a01", "a02", "a03", "team:north"}
    forced = deliver(retyped, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True, resend={"A02"})
    assert [o.agent_id for o in forced.delivered] == [" a02 "]
    assert box.count_by_recipient() == {"dana@team.example": 1, "sam@team.example": 2, "kim@team.example": 1, LEADER: 1}


def test_a_ledger_written_with_ids_as_typed_still_counts(server, mails, config, tmp_path):
    box, port = server
    (tmp_path / "ledger.jsonl").write_text(json.dumps({
        "key": "2026-10/scorecard/A01", "status": "delivered", "message_id": "<x@team.example>",
        "recipients": ["dana@team.example"], "agent_id": "A01", "month": "2026-10", "ts": 1_800_000_000.0}) + "\n")
    report = deliver([replace(mails[0], agent_id="a01")], outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert [o.status for o in report.outcomes] == ["skipped"] and box.received == []


# --- a sender stopped while the server holds the message (issue 12) ------------------------

SIGNALLED_RUN = textwrap.dedent("""
    import pickle, sys
    from kpi_reports.mail import deliver
    mails, config, smtp, outbox = pickle.load(sys.stdin.buffer)
    report = deliver(mails, outbox=outbox, config=config, smtp=smtp, send=True)
    for o in report.outcomes:
        print(o.status, o.agent_id, o.reason)
    print(report.summary())
    sys.exit(0 if report.ok else 1)
""")


@pytest.fixture
def deliverable(mails) -> list[ScorecardMail]:
    """The mails with one good address each (so that `report.ok` speaks of delivery only)."""
    return [m for m in mails if m.agent_id in (*GOOD, "team:North")]


def stopped_while_held(box: Mailbox, port: int, mails, config, outbox: Path, sig: signal.Signals, times: int = 1):
    """Runs the sender in its own process; `sig` arrives while the server holds message 1."""
    import pickle
    box.hold_seconds = 1.0
    proc = subprocess.Popen([sys.executable, "-c", SIGNALLED_RUN], cwd=Path(__file__).parents[1],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(pickle.dumps((mails, config, smtp_for(port), outbox)))
    proc.stdin.close()
    while not box.holding.wait(0.1):
        assert proc.poll() is None, proc.stderr.read().decode()
    for _ in range(times):
        proc.send_signal(sig)
        time.sleep(0.1)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.wait(30)
    box.hold_seconds = 0
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_finishes_the_message_in_flight_then_stops_cleanly(server, deliverable, pdfs, config, tmp_path, sig):
    box, port = server
    code, out, err = stopped_while_held(box, port, deliverable, config, tmp_path, sig)
    assert code == 1 and "Traceback" not in err, err
    assert f"Stopped: stopped by {sig.name}" in out and "1 sent" in out and "3 deferred" in out
    assert box.count_by_recipient() == {"dana@team.example": 1}
    ledger = Ledger(tmp_path)
    assert ledger.get("2026-10/scorecard/a01")["status"] == "delivered" and ledger.pending == {}
    rerun = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert [o.agent_id for o in rerun.skipped] == ["A01"] and len(rerun.delivered) == 3 and rerun.ok
    assert_everyone_once(box, pdfs)


def test_a_second_ctrl_c_abandons_the_message_in_flight_and_says_it_is_uncertain(server, deliverable, pdfs, config, tmp_path):
    box, port = server
    code, out, err = stopped_while_held(box, port, deliverable, config, tmp_path, signal.SIGINT, times=2)
    assert code == 1 and "Traceback" not in err, err
    assert "uncertain A01 abandoned by a second SIGINT while the server had it" in out
    assert out.strip().endswith("1 UNCERTAIN, 3 deferred — rerun to finish. Stopped: stopped by SIGINT")
    rerun = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
    assert [o.status for o in rerun.outcomes] == ["uncertain", "delivered", "delivered", "delivered"]
    assert_everyone_once(box, pdfs)


def test_sigkill_while_the_server_holds_the_message_leaves_it_uncertain_never_sent_twice(server, deliverable, pdfs, config, tmp_path):
    box, port = server
    code, _, _ = stopped_while_held(box, port, deliverable, config, tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert box.count_by_recipient() == {"dana@team.example": 1}     # the server has it; the sender never heard
    for _ in range(2):                                              # uncertain stays visible on every rerun
        rerun = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True)
        (dana,) = [o for o in rerun.outcomes if o.agent_id == "A01"]
        assert dana.status == "uncertain" and "--resend A01" in dana.reason and "--mark-sent A01" in dana.reason
        assert not rerun.ok and rerun.summary().endswith(", 1 UNCERTAIN") and "4 already sent" not in rerun.summary()
    assert_everyone_once(box, pdfs)
    marked = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True, mark_sent={"a01"})
    assert marked.ok and [o.reason for o in marked.skipped if o.agent_id == "A01"] == ["marked as sent (--mark-sent)"]
    assert deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True).ok
    assert_everyone_once(box, pdfs)


def test_resend_is_the_way_to_send_an_uncertain_mail_again(server, deliverable, config, tmp_path):
    box, port = server
    stopped_while_held(box, port, deliverable, config, tmp_path, signal.SIGKILL)
    report = deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True, resend={"A01"})
    assert report.ok and "A01" in [o.agent_id for o in report.delivered]
    assert box.count_by_recipient()["dana@team.example"] == 2                 # asked for, explicitly
    with pytest.raises(UserError, match="--mark-sent A01: this month's mail is not uncertain"):
        deliver(deliverable, outbox=tmp_path, config=config, smtp=smtp_for(port), send=True, mark_sent={"A01"})


# --- provider caps and connection reuse (issue 14) ---------------------------------------

def test_both_provider_caps_hold_over_one_reused_connection(server, pdfs, config, tmp_path):
    """12 mails, at most 3 a minute and 7 a day, on a simulated clock: no window breaks a cap."""
    box, port = server
    many = [ScorecardMail(agent_id=f"B{i:02d}", name=f"Agent {i}", email=f"agent{i}@team.example", team="North",
                          month=MONTH, headline=[], top_tip=None, pdf_path=pdfs["A01"]) for i in range(12)]
    now = [1_800_000_000.0]
    clock, sleep = (lambda: now[0]), (lambda s: now.__setitem__(0, now[0] + s))
    capped = smtp_for(port, max_per_minute=3, max_per_day=7)
    first = deliver(many, outbox=tmp_path, config=config, smtp=capped, send=True, clock=clock, sleep=sleep)
    assert len(first.delivered) == 7 and len(first.deferred) == 5 and "daily limit of 7" in first.stopped
    assert len(box.received) == 7 and len(box.sessions) == 1                   # one connection, reused
    now[0] += 86_400
    second = deliver(many, outbox=tmp_path, config=config, smtp=capped, send=True, clock=clock, sleep=sleep)
    assert len(second.delivered) == 5 and len(second.skipped) == 7 and second.ok
    times = sorted(Ledger(tmp_path).sent_times)
    assert len(times) == 12
    assert max(sum(t <= u < t + 60 for u in times) for t in times) == 3        # the minute cap, never more
    assert max(sum(t <= u < t + 86_400 for u in times) for t in times) == 7    # the day cap, never more
    assert set(box.count_by_recipient().values()) == {1} and len(box.count_by_recipient()) == 12
