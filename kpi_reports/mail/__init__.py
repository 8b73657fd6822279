"""Emailing the monthly scorecards: compose, outbox (dry run), SMTP delivery, ledger.

The CLI's whole job:

    config = MailConfig.from_settings(settings, leaders=leader_column)
    smtp = SmtpConfig.from_settings(settings) if send else None
    report = deliver(mails, outbox=outbox, config=config, smtp=smtp, send=send, resend=resend)
    for line in report.lines(): print(line)
    sys.exit(0 if report.ok else 1)

Each agent gets only their own scorecard, at exactly one address from the Agents sheet
(leaders from settings may be copied); the ledger makes reruns send nothing twice.
"""
from .addresses import AddressError, MailProblem, parse_address, safe_filename
from .compose import ScorecardMail, compose, message_id
from .config import MailConfig, SmtpConfig
from .deliver import deliver
from .ledger import Ledger
from .report import MailReport, Outcome

__all__ = [
    "AddressError", "Ledger", "MailConfig", "MailProblem", "MailReport", "Outcome", "ScorecardMail",
    "SmtpConfig", "compose", "deliver", "message_id", "parse_address", "safe_filename",
]
