"""`kpi-reports email`: the month's scorecards to every agent, summaries to team leaders."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from .common import (console, month_option, open_team, settings_option, styled, source_argument,
                     writable_folder)
from .progress import progress_bar
from .scorecards import cluster_option, out_option, render_month, templates_option

if TYPE_CHECKING:
    from ..sources import Source
    from ..mail import MailReport


def report_table(report: MailReport, verbose: bool) -> Table:
    """Who got (or would get) what; mails sent on an earlier run only with --verbose."""
    from ..mail.report import WORDS

    shown = [o for o in report.outcomes if verbose or o.status != "skipped"]
    with_reasons = any(o.reason for o in shown)
    table = Table(title=report.summary(), title_justify="left")
    for column in ("Status", "Agent", "To (and Cc)", *(["Why"] if with_reasons else [])):
        table.add_column(column, overflow="fold")
    for o in shown:
        style = "" if o.status in ("delivered", "would_send", "skipped") else "red"
        who = f"{o.name} ({o.agent_id})" if o.kind == "scorecard" else f"{o.name} team summary"
        reason = [Text(o.reason)] if with_reasons else []
        table.add_row(Text(WORDS[o.status], style=style), Text(who), Text(", ".join(o.recipients)), *reason)
    return table


def print_report(report: MailReport, resend: tuple[str, ...], verbose: bool) -> None:
    console.print(report_table(report, verbose))
    skipped = len(report.skipped)
    if skipped and not verbose:
        console.print(f"{skipped} mail(s) were sent on an earlier run (listed with --verbose).")
    unsent = [o.agent_id for o in report.deferred + report.failed if o.agent_id in resend]
    if unsent:
        console.print(f"Not resent: run again with --resend {' --resend '.join(unsent)} to finish.")


@click.command(name="email")
@source_argument
@month_option()
@click.option("--send", is_flag=True, help="Deliver over SMTP. Without it: a dry run writing .eml files to the outbox.")
@click.option("--resend", multiple=True, metavar="ID", help="Send this agent's (or team:NAME's) mail again although it was sent.")
@click.option("--mark-sent", multiple=True, metavar="ID",
              help="An UNCERTAIN mail you found delivered: record it as sent (it is not sent again).")
@click.option("--cc-leader", is_flag=True, help="Copy each scorecard to the agent's team leader.")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=Path("outbox"), show_default=True,
              help="Where .eml files and the delivery ledger (ledger.jsonl) live.")
@click.option("--verbose", "-v", is_flag=True, help="Also list the mails sent on an earlier run.")
@out_option
@templates_option
@cluster_option
@settings_option
def email(workbook: Source, month, send: bool, resend: tuple[str, ...], mark_sent: tuple[str, ...], cc_leader: bool,
          outbox: Path, verbose: bool, out_dir: Path, templates_dir: Path | None, cluster: str | None,
          settings_path: Path | None) -> None:
    """Email each active agent their scorecard and each team leader the team summary.

    Renders the scorecards that are missing or stale (their numbers, settings or templates
    changed since), then by default writes every message to the
    outbox as an .eml file to review (nothing is sent). With --send it delivers over SMTP;
    the ledger in the outbox makes a rerun send only what is missing, never a duplicate.
    A mail whose outcome is unknown (the connection or the sender died while the server
    had it) is UNCERTAIN: never sent again by a rerun, listed with exit status 1 until you
    check the mailbox and give --resend ID or --mark-sent ID. SIGTERM and Ctrl-C finish
    the message in progress and stop; a second Ctrl-C stops at once.

    \b
    SMTP settings: [smtp] in the settings file, or KPI_SMTP_HOST, KPI_SMTP_PORT,
    KPI_SMTP_SECURITY (none|starttls|ssl), KPI_SMTP_USER, KPI_MAIL_FROM. The password comes
    only from KPI_SMTP_PASSWORD or the system keyring (service "kpi-reports").
    Team leaders: a Leader column (Yes) on the Agents sheet, or [mail.leaders] in the settings.

    \b
    Examples:
      kpi-reports email team.xlsx --month 2026-10              # dry run: see outbox/2026-10/
      kpi-reports email team.xlsx --month 2026-10 --send --cc-leader
      kpi-reports email team.xlsx --month 2026-10 --send --resend A07
    """
    from ..mail import MailConfig, SmtpConfig, deliver
    from ..mail.month import check_resend, leader_problems, leaders_from_agents, month_mails

    writable_folder(out_dir, "--out")
    writable_folder(outbox, "--outbox")
    team, settings = open_team(workbook, settings_path)
    resend = tuple(check_resend(team, resend))      # as the workbook spells them: "a04" -> "A04"
    first: dt.date = month.date().replace(day=1)
    config = MailConfig.from_settings(settings, leaders=leaders_from_agents(team))
    smtp = SmtpConfig.from_settings(settings) if send else None
    run = render_month(team, settings, first, out_dir, templates_dir=templates_dir, cluster=cluster)
    mails = month_mails(run, config, cc_leader)
    with progress_bar("Sending" if send else "Writing outbox") as update:
        report = deliver(mails, outbox=outbox, config=config, smtp=smtp, send=send, resend=set(resend),
                         mark_sent=set(mark_sent),
                         templates=templates_dir, progress=lambda _outcome, done, total: update(done, total))
    print_report(report, resend, verbose)
    unled = leader_problems(team)
    for problem in unled:
        console.print(styled(("Not sent:", "red"), f" {problem}"))
    if not send:
        console.print(f"Messages written to {outbox / f'{first:%Y-%m}'}; nothing was sent (add --send).")
    sys.exit(0 if report.ok and not unled else 1)


COMMANDS = [email]
