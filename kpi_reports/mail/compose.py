"""One scorecard mail -> one EmailMessage: text + HTML from Jinja2 templates, PDF attached.

Every header is built here from checked values (never by a template), so a name with a
line break, an encoded word or a cell with two addresses cannot add a recipient or a
header; the finished headers are parsed back and compared before anything is written.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Literal

import jinja2

from .. import formatting
from ..errors import UserError
from ..report.templates import TemplateFolders, template_environment
from .addresses import MailProblem, header_text, one_line, parse_address, safe_filename
from .config import MailConfig
from .ledger import mail_key

TEMPLATE_NAMES = ("email/subject.txt", "email/body.txt", "email/body.html")


@dataclass(frozen=True)
class ScorecardMail:
    """What one recipient gets for one month, prepared by the caller from the engine result.

    `email` is the raw Agents-sheet cell (untrusted). kind="summary" is the team summary
    for the team's leader; build it with `team_summary()`.
    """

    agent_id: str
    name: str
    email: str | None
    team: str | None
    month: dt.date
    headline: list[tuple[str, str]]
    top_tip: str | None
    pdf_path: Path
    cc: list[str] = field(default_factory=list)
    kind: Literal["scorecard", "summary"] = "scorecard"

    @classmethod
    def team_summary(cls, team: str, leader_email: str, month: dt.date, headline: list[tuple[str, str]],
                     pdf_path: Path, top_tip: str | None = None) -> "ScorecardMail":
        """The team summary for a leader; its ledger key is "team:<team>"."""
        return cls(agent_id=f"team:{team}", name=team, email=leader_email, team=team, month=month,
                   headline=headline, top_tip=top_tip, pdf_path=Path(pdf_path), kind="summary")

    @property
    def key(self) -> str:
        """The ledger's key: month, kind and agent (or team), by the loader's ID rule."""
        return mail_key(f"{self.month:%Y-%m}", self.kind, self.agent_id)



@dataclass(frozen=True)
class Recipients:
    to: Address
    cc: tuple[Address, ...] = ()

    @property
    def envelope(self) -> list[str]:
        return [a.addr_spec for a in (self.to, *self.cc)]


def recipients(mail: ScorecardMail) -> Recipients:
    """The checked To and Cc addresses; AddressError if the agent's cell is not one address."""
    to = parse_address(mail.email, mail.name if mail.kind == "scorecard" else f"{mail.team} team leader")
    cc = tuple(a for a in (parse_address(raw) for raw in mail.cc) if a.addr_spec.lower() != to.addr_spec.lower())
    return Recipients(to, cc)


def message_id(mail: ScorecardMail, to: Address, sender: Address) -> str:
    """Same month, agent and recipient -> same Message-ID, so a rerun is recognisable."""
    seed = "\x1f".join((mail.key, to.addr_spec.lower()))
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]
    return f"<kpi-{mail.month:%Y%m}-{mail.kind}-{digest}@{sender.domain}>"


@functools.lru_cache(maxsize=8)
def template_environments(templates: Path | None = None) -> tuple[jinja2.Environment, jinja2.Environment]:
    """(text, html) environments, sandboxed like the scorecards', the team's folder over the built-in one."""
    bundle = TemplateFolders.locate(templates).bundle()
    return template_environment(bundle, autoescape=False), template_environment(bundle, autoescape=True)


def compose(mail: ScorecardMail, config: MailConfig, templates: Path | None = None,
            now: dt.datetime | None = None) -> EmailMessage:
    """The full message; raises MailProblem (this mail: address, PDF) or UserError (templates)."""
    rcpt = recipients(mail)
    text_env, html_env = template_environments(templates)
    context = _context(mail, config)
    try:
        subject = header_text(text_env.get_template(TEMPLATE_NAMES[0]).render(context), 250)
        text = text_env.get_template(TEMPLATE_NAMES[1]).render(context)
        html = html_env.get_template(TEMPLATE_NAMES[2]).render(context)
    except jinja2.TemplateError as exc:
        raise UserError(f"Email template problem ({type(exc).__name__}): {exc}. "
                        f"Templates are read from {' then '.join(map(str, TemplateFolders.locate(templates).folders))}.") from None
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = rcpt.to
    if rcpt.cc:
        msg["Cc"] = rcpt.cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = message_id(mail, rcpt.to, config.sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg.add_attachment(_pdf_bytes(mail.pdf_path), maintype="application", subtype="pdf",
                       filename=attachment_name(mail))
    _check_headers(msg, rcpt)
    return msg


def _check_headers(msg: EmailMessage, rcpt: Recipients) -> None:
    """The headers as they go on the wire, read back: the same names, the same recipients.

    A second line of defence behind header_text: should the stdlib ever fold some text
    into a new header line or a new address, this mail fails instead of going out."""
    folded = b"".join(SMTP_POLICY.fold_binary(name, value) for name, value in msg.raw_items()).decode("ascii")
    lines = folded.replace("\r\n ", " ").replace("\r\n\t", " ").split("\r\n")[:-1]
    names, values = zip(*(line.split(":", 1) for line in lines))
    to_and_cc = [addr for name, value in zip(names, values) if name.lower() in ("to", "cc")
                 for _, addr in getaddresses([value])]
    if [n.lower() for n in names] != [n.lower() for n in msg.keys()] or to_and_cc != rcpt.envelope:
        raise MailProblem(f"the name {one_line(msg['To'])!r} or the subject cannot be put safely into "
                          "a mail header; not sent")


def attachment_name(mail: ScorecardMail) -> str:
    what = "team-summary" if mail.kind == "summary" else "scorecard"
    return safe_filename(what, f"{mail.month:%Y-%m}", mail.name, suffix=".pdf", unique=False)


def _context(mail: ScorecardMail, config: MailConfig) -> dict[str, object]:
    values = {"month": formatting.month(mail.month), "name": one_line(mail.name), "team": one_line(mail.team or "")}
    try:
        subject = config.subject.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise UserError(f"[mail] subject {config.subject!r} is not a valid pattern ({exc}); "
                        "it may use {month}, {name} and {team}.") from None
    return {**values, "mail": mail, "kind": mail.kind, "subject": subject,
            "headline": [(one_line(k), one_line(v)) for k, v in mail.headline],
            "top_tip": mail.top_tip, "sender": config.sender}


def _pdf_bytes(path: Path) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MailProblem(f"scorecard PDF not readable: {path} ({exc.strerror})") from None
    if not data.startswith(b"%PDF-"):
        raise MailProblem(f"scorecard attachment is not a PDF: {path}")
    return data
