"""Send (or, by default, only write to the outbox) one month's scorecard mails.

Order of checks per mail: has an address -> not already in the ledger (unless resent)
-> composes -> (dry run: .eml file) -> rate limit -> SMTP with retries -> ledger line.
A run that must stop (daily cap, server gone, bad login) reports the rest as deferred;
the next run finishes them and sends nothing twice.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

from ..atomic import write_bytes
from ..errors import UserError
from .addresses import MailProblem, safe_filename
from .compose import ScorecardMail, compose, recipients
from .config import MailConfig, SmtpConfig
from .ledger import Ledger, agent_key, run_lock
from .report import MailReport, Outcome
from .smtp import PermanentError, SmtpSender, TransientError, UncertainError

Progress = Callable[[Outcome, int, int], None]
DAY, MINUTE = 86_400.0, 60.0


class _Stop(Exception):
    """Ends the run: this mail and the ones after it are deferred."""


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


@dataclass
class _Run:
    config: MailConfig
    outbox: Path
    ledger: Ledger
    resend: Collection[str]
    templates: Path | None
    smtp: SmtpConfig | None = None
    sender: SmtpSender | None = None
    limiter: RateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    stopped: str | None = None
    done: list[Outcome] = field(default_factory=list)


def deliver(mails: Sequence[ScorecardMail], *, outbox: Path, config: MailConfig,
            smtp: SmtpConfig | None = None, send: bool = False, resend: Collection[str] = (),
            templates: Path | None = None, progress: Progress | None = None,
            clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> MailReport:
    """Dry run by default (.eml files in `outbox`); with send=True, SMTP via `smtp`.

    `resend` holds agent ids (or "team:<team>") to send again although the ledger has them.
    The ledger (outbox/ledger.jsonl) makes reruns send only what is missing.
    """
    _check_request(mails, resend, send, smtp)
    outbox = Path(outbox)
    with run_lock(outbox):
        run = _Run(config=config, outbox=outbox, ledger=Ledger(outbox), resend={agent_key(r) for r in resend},
                   templates=templates, smtp=smtp, sleep=sleep, clock=clock)
        if send and smtp is not None:
            run.sender = SmtpSender(smtp)
            run.limiter = RateLimiter(smtp.max_per_minute, smtp.max_per_day, run.ledger, clock, sleep)
        try:
            for mail in mails:
                run.done.append(_one(run, mail))
                if progress:
                    progress(run.done[-1], len(run.done), len(mails))
        finally:
            if run.sender:
                run.sender.close()
    return MailReport(dry_run=not send, outcomes=run.done, stopped=run.stopped)


def _check_request(mails: Sequence[ScorecardMail], resend: Collection[str], send: bool,
                   smtp: SmtpConfig | None) -> None:
    if send and smtp is None:
        raise UserError("Sending needs the SMTP settings ([smtp] section / KPI_SMTP_* variables).")
    keys = [m.key for m in mails]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise UserError(f"The same mail is listed twice: {', '.join(twice)}; each agent gets one per month.")
    known = {agent_key(m.agent_id) for m in mails}
    unknown = {r for r in resend if agent_key(r) not in known}
    if unknown:
        raise UserError(f"--resend {', '.join(sorted(unknown))}: no such agent (or team:NAME) in this "
                        "month's mails; use the Agent ID as on the Agents sheet.")


def _one(run: _Run, mail: ScorecardMail) -> Outcome:
    base = dict(agent_id=mail.agent_id, name=mail.name, kind=mail.kind)
    if not str(mail.email or "").strip():
        return Outcome(**base, status="no_address", reason="no Email on the Agents sheet")
    done = run.ledger.get(mail.key)
    if done and agent_key(mail.agent_id) not in run.resend:
        reason = (f"sent {done.get('time', '')}" if done["status"] == "delivered" else
                  f"uncertain on {done.get('time', '')} ({done.get('reason', '')}); check, then --resend {mail.agent_id}")
        return Outcome(**base, status="skipped", recipients=tuple(done.get("recipients", ())), reason=reason,
                       message_id=done.get("message_id", ""))
    try:
        msg = compose(mail, run.config, run.templates)
        envelope = recipients(mail).envelope
    except MailProblem as exc:
        return Outcome(**base, status="failed", reason=str(exc))
    except UserError as exc:
        run.stopped = run.stopped or str(exc)
    if run.stopped:
        return Outcome(**base, status="deferred", reason=run.stopped)
    base.update(recipients=tuple(envelope), message_id=msg["Message-ID"])
    if run.sender is None:
        return Outcome(**base, status="would_send", eml_path=_write_eml(run.outbox, mail, msg))
    return _send(run, mail, msg, envelope, base)


def _send(run: _Run, mail: ScorecardMail, msg: EmailMessage, envelope: list[str],
          base: dict[str, Any]) -> Outcome:
    assert run.sender and run.limiter and run.smtp
    try:
        run.limiter.wait_for_slot()
        _send_with_retries(run, msg, envelope)
    except _Stop as exc:
        run.stopped = str(exc)
        return Outcome(**base, status="deferred", reason=run.stopped)
    except UserError as exc:                  # bad login, TLS, unknown host: no use going on
        run.stopped = str(exc)
        return Outcome(**base, status="deferred", reason=run.stopped)
    except PermanentError as exc:
        return Outcome(**base, status="failed", reason=f"refused by the server: {exc}")
    except UncertainError as exc:
        _record(run, mail, msg, envelope, "uncertain", str(exc))
        return Outcome(**base, status="uncertain",
                       reason=f"{exc}; it may have arrived — check, then --resend {mail.agent_id}")
    _record(run, mail, msg, envelope, "delivered")
    return Outcome(**base, status="delivered")


def _send_with_retries(run: _Run, msg: EmailMessage, envelope: list[str]) -> None:
    """Retries transient failures with exponential back-off; gives up by stopping the run."""
    assert run.sender and run.smtp
    for attempt in range(run.smtp.retries + 1):
        try:
            run.sender.send(msg, run.config.sender.addr_spec, envelope)
            return
        except TransientError as exc:
            if attempt == run.smtp.retries:
                raise _Stop(f"the server kept failing ({exc}) after {attempt + 1} tries") from None
            run.sleep(run.smtp.retry_delay_seconds * 2 ** attempt)


def _record(run: _Run, mail: ScorecardMail, msg: EmailMessage, envelope: list[str],
            status: str, reason: str = "") -> None:
    run.ledger.record(mail.key, status=status, message_id=str(msg["Message-ID"]), recipients=envelope,
                      agent_id=mail.agent_id, month=f"{mail.month:%Y-%m}", ts=run.clock(), reason=reason)


def _write_eml(outbox: Path, mail: ScorecardMail, msg: EmailMessage) -> Path:
    """outbox/YYYY-MM/<kind>-<agent>-<hash>.eml, written atomically."""
    folder = outbox / f"{mail.month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_filename(mail.kind, mail.agent_id, suffix=".eml")
    return write_bytes(path, msg.as_bytes(policy=SMTP_POLICY))
