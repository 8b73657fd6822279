"""Send (or, by default, only write to the outbox) one month's scorecard mails.

Order of checks per mail: has an address -> not already in the ledger, nor uncertain
(unless resent) -> composes -> (dry run: .eml file) -> rate limit -> SMTP with retries,
the intent on the ledger before DATA and the outcome after. A run that must stop (daily
cap, server gone, SIGTERM or Ctrl-C) reports the rest as deferred; the next run finishes
them and sends nothing twice. SMTP settings that cannot work (unknown host, nothing
listening at host:port, a refused login or TLS), found on the run's first connection,
raise their UserError at once: nothing was sent, and the fix is a setting, not a rerun.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any, Required, TypedDict

from ..atomic import write_bytes
from ..errors import UserError
from .addresses import MailProblem, safe_filename
from .compose import ScorecardMail, compose, recipients
from .config import MailConfig, SmtpConfig
from .ledger import DELIVERED, NOT_SENT, SENDING, UNCERTAIN, Ledger, agent_key, agent_keys, run_lock
from .report import MailReport, Outcome
from .smtp import PermanentError, SmtpSender, TransientError, UncertainError

Progress = Callable[[Outcome, int, int], None]
DAY, MINUTE = 86_400.0, 60.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stop(Exception):
    """Ends the run: this mail and the ones after it are deferred."""


class Interrupted(BaseException):
    """SIGTERM/SIGINT with no message in the server's hands, or a second one while one is:
    the run ends now. A BaseException, like KeyboardInterrupt, so no `except Exception`
    on the way (smtplib, our retries) can swallow it."""

    def __init__(self, signal_name: str, in_flight: bool) -> None:
        super().__init__(signal_name)
        self.signal_name, self.in_flight = signal_name, in_flight


@dataclass
class RateLimiter:
    """max_per_minute and max_per_day (rolling 24 h), counted from the ledger so reruns count."""

    per_minute: int
    per_day: int
    ledger: Ledger
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def wait_for_slot(self) -> None:
        """Sleeps while the minute is full; raises _Stop when the day is full."""
        now = self.clock()
        if self.ledger.sent_since(now - DAY) >= self.per_day:
            raise _Stop(f"the daily limit of {self.per_day} messages (max_per_day) is reached")
        recent = sorted(t for t in self.ledger.sent_times if t > now - MINUTE)
        if len(recent) >= self.per_minute:
            self.sleep(recent[-self.per_minute] + MINUTE - now)


class _Known(TypedDict, total=False):
    """An Outcome's fields known before the mail's fate (recipients once it composes)."""

    agent_id: Required[str]
    name: Required[str]
    kind: Required[str]
    recipients: tuple[str, ...]
    message_id: str


@dataclass
class _Run:
    config: MailConfig
    outbox: Path
    ledger: Ledger
    resend: Collection[str]
    mark_sent: Collection[str]
    templates: Path | None
    smtp: SmtpConfig | None = None
    sender: SmtpSender | None = None
    limiter: RateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    stopped: str | None = None
    in_flight: bool = False        # between the intent on the ledger and the outcome
    signalled: str | None = None
    done: list[Outcome] = field(default_factory=list)

    def on_signal(self, signum: int, _frame: object) -> None:
        """First SIGTERM/SIGINT with a message in the server's hands: finish it, then stop.
        Otherwise (nothing in flight, or a second signal): stop at once."""
        name = signal.Signals(signum).name
        if self.in_flight and self.signalled is None:
            self.signalled = name
            self.stopped = f"stopped by {name} (after finishing the message in progress)"
            return
        self.signalled = name
        raise Interrupted(name, self.in_flight)


def deliver(mails: Sequence[ScorecardMail], *, outbox: Path, config: MailConfig,
            smtp: SmtpConfig | None = None, send: bool = False, resend: Collection[str] = (),
            mark_sent: Collection[str] = (), templates: Path | None = None, progress: Progress | None = None,
            clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> MailReport:
    """Dry run by default (.eml files in `outbox`); with send=True, SMTP via `smtp`.

    `resend` holds agent ids (or "team:<team>") to send again although the ledger has them
    (delivered or uncertain); `mark_sent` those whose uncertain mail the user found
    delivered. The ledger (outbox/ledger.jsonl) makes reruns send only what is missing.
    SIGTERM and SIGINT (Ctrl-C) end the run cleanly: see _Run.on_signal.
    """
    _check_request(mails, resend, mark_sent, send, smtp)
    outbox = Path(outbox)
    with run_lock(outbox):
        run = _Run(config=config, outbox=outbox, ledger=Ledger(outbox), resend={agent_key(r) for r in resend},
                   mark_sent={agent_key(r) for r in mark_sent}, templates=templates, smtp=smtp,
                   sleep=sleep, clock=clock)
        _check_marks(run, mails)
        if send and smtp is not None:
            run.sender = SmtpSender(smtp)
            run.limiter = RateLimiter(smtp.max_per_minute, smtp.max_per_day, run.ledger, clock, sleep)
        with _stop_signals(run.on_signal):
            try:
                _all(run, mails, progress)
            except Interrupted as exc:
                _abandon(run, mails, exc)
            finally:
                if run.sender:
                    run.sender.close()
                run.ledger.sync()
    return MailReport(dry_run=not send, outcomes=run.done, stopped=run.stopped)


def _all(run: _Run, mails: Sequence[ScorecardMail], progress: Progress | None) -> None:
    for mail in mails:
        run.done.append(_one(run, mail))
        if progress:
            progress(run.done[-1], len(run.done), len(mails))


def _abandon(run: _Run, mails: Sequence[ScorecardMail], exc: Interrupted) -> None:
    """A stop signal with no time to finish: the mail at hand is uncertain if the server
    had it, else deferred, like every mail after it."""
    if run.sender:
        run.sender.abort()
    run.stopped = f"stopped by {exc.signal_name}"
    at_hand = len(run.done)
    for i, mail in enumerate(mails[at_hand:], start=at_hand):
        base = _Known(agent_id=mail.agent_id, name=mail.name, kind=mail.kind)
        if exc.in_flight and i == at_hand:
            run.done.append(Outcome(**base, status="uncertain", reason=f"abandoned by a second {exc.signal_name} "
                                    f"while the server had it; check, then --resend {mail.agent_id}"))
        else:
            run.done.append(Outcome(**base, status="deferred", reason=run.stopped))


@contextlib.contextmanager
def _stop_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Our handler for SIGTERM and SIGINT while mail goes out (main thread only: Python
    delivers signals there); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _check_request(mails: Sequence[ScorecardMail], resend: Collection[str], mark_sent: Collection[str],
                   send: bool, smtp: SmtpConfig | None) -> None:
    if send and smtp is None:
        raise UserError("Sending needs the SMTP settings ([smtp] section / KPI_SMTP_* variables).")
    agent_keys([*(m.agent_id for m in mails), *resend, *mark_sent])        # all IDs in one pass
    keys = [m.key for m in mails]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise UserError(f"The same mail is listed twice: {', '.join(twice)}; each agent gets one per month.")
    known = {agent_key(m.agent_id) for m in mails}
    for option, ids in (("--resend", resend), ("--mark-sent", mark_sent)):
        unknown = [r for r in ids if agent_key(r) not in known]
        if unknown:
            raise UserError(f"{option} {', '.join(sorted(unknown))}: no such agent (or team:NAME) in this "
                            "month's mails; use the Agent ID as on the Agents sheet.")
    both = sorted(r for r in mark_sent if agent_key(r) in {agent_key(x) for x in resend})
    if both:
        raise UserError(f"{', '.join(both)}: given to both --resend and --mark-sent; choose one.")


def _check_marks(run: _Run, mails: Sequence[ScorecardMail]) -> None:
    """--mark-sent resolves an uncertain mail; on any other it would hide a mail never sent."""
    wrong = [m.agent_id for m in mails if agent_key(m.agent_id) in run.mark_sent
             and (run.ledger.get(m.key) or {}).get("status") != UNCERTAIN]
    if wrong:
        raise UserError(f"--mark-sent {', '.join(wrong)}: this month's mail is not uncertain (it was delivered "
                        "or never sent); --mark-sent only confirms an uncertain mail that did arrive.")


def _one(run: _Run, mail: ScorecardMail) -> Outcome:
    base = _Known(agent_id=mail.agent_id, name=mail.name, kind=mail.kind)
    if not str(mail.email or "").strip():
        return Outcome(**base, status="no_address", reason="no Email on the Agents sheet")
    earlier = _from_ledger(run, mail, base)
    if earlier:
        return earlier
    try:
        msg = compose(mail, run.config, run.templates)
        envelope = recipients(mail).envelope
    except MailProblem as exc:
        return Outcome(**base, status="failed", reason=str(exc))
    except UserError as exc:
        run.stopped = run.stopped or str(exc)
    if run.stopped:
        return Outcome(**base, status="deferred", reason=run.stopped)
    base.update({"recipients": tuple(envelope), "message_id": msg["Message-ID"]})
    if run.sender is None:
        return Outcome(**base, status="would_send", eml_path=_write_eml(run.outbox, mail, msg))
    return _send(run, mail, msg, envelope, base)


def _from_ledger(run: _Run, mail: ScorecardMail, base: _Known) -> Outcome | None:
    """Delivered before -> skipped; uncertain -> uncertain again (never silently "sent")."""
    done = run.ledger.get(mail.key)
    who = agent_key(mail.agent_id)
    if not done or who in run.resend:
        return None
    earlier: _Known = {**base, "recipients": tuple(done.get("recipients", ())),
                       "message_id": done.get("message_id", "")}
    if who in run.mark_sent:
        run.ledger.record(mail.key, **_fields(run, mail, done["message_id"], done["recipients"]),
                          status=DELIVERED, reason="marked as sent by the user (--mark-sent)")
        return Outcome(**earlier, status="skipped", reason="marked as sent (--mark-sent)")
    if done["status"] == DELIVERED:
        return Outcome(**earlier, status="skipped", reason=f"sent {done.get('time', '')}")
    return Outcome(**earlier, status="uncertain",
                   reason=f"outcome unknown since {done.get('time', '')} ({done.get('reason', '')}); not sent "
                          f"again: check the mailbox, then --resend {mail.agent_id} or --mark-sent {mail.agent_id}")


def _send(run: _Run, mail: ScorecardMail, msg: EmailMessage, envelope: list[str],
          base: _Known) -> Outcome:
    assert run.sender and run.limiter and run.smtp
    try:
        run.limiter.wait_for_slot()
        _send_with_retries(run, mail, msg, envelope)
    except (_Stop, UserError) as exc:       # daily cap, server gone; bad login, TLS, unknown host, ledger
        if isinstance(exc, UserError) and not run.sender.connected:
            raise                           # the settings cannot work: say so once, not once per mail
        run.stopped = str(exc)
        return Outcome(**base, status="deferred", reason=run.stopped)
    except PermanentError as exc:
        return Outcome(**base, status="failed", reason=f"refused by the server: {exc}")
    except UncertainError as exc:
        return Outcome(**base, status="uncertain",
                       reason=f"{exc}; it may have arrived — check, then --resend {mail.agent_id}")
    return Outcome(**base, status="delivered")


def _send_with_retries(run: _Run, mail: ScorecardMail, msg: EmailMessage, envelope: list[str]) -> None:
    """Retries transient failures with exponential back-off; gives up by stopping the run."""
    assert run.smtp
    for attempt in range(run.smtp.retries + 1):
        if run.signalled:
            raise _Stop(run.stopped or f"stopped by {run.signalled}")
        try:
            _transaction(run, mail, msg, envelope)
            return
        except TransientError as exc:
            if attempt == run.smtp.retries:
                raise _Stop(f"the server kept failing ({exc}) after {attempt + 1} tries") from None
            run.sleep(run.smtp.retry_delay_seconds * 2 ** attempt)


def _transaction(run: _Run, mail: ScorecardMail, msg: EmailMessage, envelope: list[str]) -> None:
    """One SMTP transaction: the intent is on disk before DATA, the outcome right after."""
    assert run.sender
    fields = _fields(run, mail, str(msg["Message-ID"]), envelope)

    def intend() -> None:
        run.in_flight = True
        run.ledger.record(mail.key, **fields, status=SENDING)

    def outcome(status: str, reason: str = "") -> None:     # fsync'd with the next intent (see ledger)
        run.ledger.record(mail.key, **_fields(run, mail, fields["message_id"], envelope),
                          status=status, reason=reason, durable=False)

    try:
        run.sender.send(msg, run.config.sender.addr_spec, envelope, before_data=intend)
    except (TransientError, PermanentError) as exc:
        if run.in_flight:           # refused or cut off before the message's end: the server has nothing
            outcome(NOT_SENT, str(exc))
        raise
    except UncertainError as exc:
        outcome(UNCERTAIN, str(exc))
        raise
    else:
        outcome(DELIVERED)
    finally:
        run.in_flight = False


def _fields(run: _Run, mail: ScorecardMail, message_id: str, envelope: list[str]) -> dict[str, Any]:
    return dict(message_id=message_id, recipients=list(envelope), agent_id=mail.agent_id,
                month=f"{mail.month:%Y-%m}", ts=run.clock())


def _write_eml(outbox: Path, mail: ScorecardMail, msg: EmailMessage) -> Path:
    """outbox/YYYY-MM/<kind>-<agent>-<hash>.eml, written atomically."""
    folder = outbox / f"{mail.month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_filename(mail.kind, mail.agent_id, suffix=".eml")
    return write_bytes(path, msg.as_bytes(policy=SMTP_POLICY))
