"""Emailing the monthly scorecards: the month's messages, outbox (dry run), SMTP, ledger.

    run = render_scorecards(team, month, "out", settings)
    config = MailConfig.from_settings(settings, leaders=leaders_from_agents(team))
    smtp = SmtpConfig.from_settings(settings) if send else None
    report = deliver(month_mails(run, config), outbox=outbox, config=config, smtp=smtp, send=send)

Each agent gets only their own scorecard, at exactly one address from the Agents sheet
(leaders from settings may be copied); the ledger makes reruns send nothing twice.
"""
from .addresses import AddressError, MailProblem, parse_address, safe_filename
from .compose import ScorecardMail, compose, message_id
from .config import MailConfig, SmtpConfig
from .deliver import deliver
from .ledger import Ledger
from .month import check_resend, leader_problems, leaders_from_agents, mail_summary, month_mails
from .report import MailReport, Outcome

__all__ = [
    "AddressError", "Ledger", "MailConfig", "MailProblem", "MailReport", "Outcome", "ScorecardMail",
    "SmtpConfig", "check_resend", "compose", "deliver", "leader_problems", "leaders_from_agents", "mail_summary",
    "message_id", "month_mails", "parse_address", "safe_filename",
]
