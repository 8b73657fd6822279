"""Mail throughput: N scorecard mails (each with a small PDF) to a local aiosmtpd server.

    .venv/bin/python benchmarks/bench_mail.py                    # 1,000 messages
    .venv/bin/python benchmarks/bench_mail.py --messages 200 --max-per-minute 60 --fake-clock

Prints wall time, messages per second, SMTP connections used, the time spent composing
and what the ledger wrote (two fsync'd lines per message: intent and outcome). Target
(issue 14): 1,000 messages in <= 30 s over one reused connection. The provider caps
([smtp] max_per_minute / max_per_day) are enforced as in a real run: by default they are
raised to let 1,000 messages through; --fake-clock keeps the caps you give and replaces
the waiting by a simulated clock, so the run shows (counted, not timed) that they hold.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller  # noqa: E402

from kpi_reports.mail import MailConfig, ScorecardMail, SmtpConfig, compose, deliver, parse_address  # noqa: E402

MONTH = dt.date(2026, 10, 1)


class CountingInbox:
    """Accepts everything; counts messages and the SMTP sessions (connections) they came on."""

    def __init__(self) -> None:
        self.messages = 0
        self.sessions: list[object] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        if all(s is not session for s in self.sessions):
            self.sessions.append(session)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def small_pdf(folder: Path) -> Path:
    from weasyprint import HTML
    path = folder / "scorecard.pdf"
    HTML(string="<h1>Scorecard</h1><p>Agent: Dana Lee</p><p>Contracts: 3</p>").write_pdf(path)
    return path


def mails(n: int, pdf: Path) -> list[ScorecardMail]:
    return [ScorecardMail(agent_id=f"A{i:04d}", name=f"Agent {i}", email=f"agent{i}@team.example", team="North",
                          month=MONTH, headline=[("14-day schedule rate", "60%"), ("Contracts", "3")],
                          top_tip="Call every lead within the hour.", pdf_path=pdf) for i in range(n)]


def serve(port: int) -> None:
    """The server side, in its own process as a real server would be: runs until stdin
    closes, then prints what it received as JSON."""
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    print(json.dumps({"messages": inbox.messages, "connections": len(inbox.sessions)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--max-per-minute", type=int, default=100_000)
    parser.add_argument("--max-per-day", type=int, default=100_000)
    parser.add_argument("--fake-clock", action="store_true", help="simulate the waits the caps impose")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    config = MailConfig(sender=parse_address("KPI Reports <kpi@team.example>"))
    smtp = SmtpConfig(host="127.0.0.1", port=port, security="none",
                      max_per_minute=args.max_per_minute, max_per_day=args.max_per_day)
    clock = FakeClock() if args.fake_clock else None
    timing = dict(clock=clock.now, sleep=clock.sleep) if clock else {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            batch = mails(args.messages, small_pdf(folder))
            started, cpu = time.perf_counter(), time.process_time()
            report = deliver(batch, outbox=folder / "outbox", config=config, smtp=smtp, send=True, **timing)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            started = time.perf_counter()
            for mail in batch[:100]:
                compose(mail, config)
            compose_ms = (time.perf_counter() - started) * 1000 / min(100, len(batch))
            ledger = [json.loads(line) for line in (folder / "outbox" / "ledger.jsonl").read_text().splitlines()]
            size = batch[0].pdf_path.stat().st_size
    finally:
        received, _ = server.communicate("", timeout=60)
    received = json.loads(received)

    print(f"messages: {args.messages} (PDF attachment {size / 1024:.1f} KB), caps: "
          f"{args.max_per_minute}/minute, {args.max_per_day}/day{' (simulated clock)' if clock else ''}")
    print(f"delivered: {len(report.delivered)}, deferred: {len(report.deferred)}"
          f"{f' ({report.stopped})' if report.stopped else ''}; received by the server: {received['messages']}")
    print(f"wall time: {wall:.2f} s, {len(report.delivered) / wall:.0f} messages/s "
          f"(sender CPU {cpu:.1f} s; compose alone: {compose_ms:.1f} ms per message; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"SMTP connections used: {received['connections']}")
    print(f"ledger lines: {len(ledger)} ({sum(e['status'] == 'sending' for e in ledger)} intents, fsync'd; "
          f"{sum(e['status'] == 'delivered' for e in ledger)} delivered)")
    if clock:
        times = sorted(e["ts"] for e in ledger if e["status"] == "delivered")
        busiest = max((sum(t <= u < t + 60 for u in times) for t in times), default=0)
        print(f"simulated: {clock.slept / 60:.1f} minutes of waiting; busiest minute: {busiest} messages "
              f"(cap {args.max_per_minute})")


class FakeClock:
    """A clock that sleeping moves forward, so cap waits cost no real time."""

    def __init__(self) -> None:
        self.t, self.slept = 1_800_000_000.0, 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0)
        self.slept += max(seconds, 0)


if __name__ == "__main__":
    main()
