"""The month's messages: each agent's scorecard mail and each team leader's summary.

Built from the same result the PDFs show (ScorecardRun.result), so the headline in the
mail is the figure on the page; the numbers come from engine.coaching, the words here.

    run = render_scorecards(team, month, "out", settings)
    config = MailConfig.from_settings(settings, leaders=leaders_from_agents(team))
    report = deliver(month_mails(run, config, cc_leader=True), outbox=Path("outbox"), config=config)
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import formatting as f
from ..agent_ids import AgentIds
from ..engine.coaching import headline
from ..errors import UserError
from ..model import Problem, TeamData
from ..result import KpiResult
from .addresses import AddressError, parse_address
from .compose import ScorecardMail
from .config import MailConfig

if TYPE_CHECKING:
    from ..report import ScorecardRun

HEADLINE_METRICS = 2


def mail_summary(result: KpiResult, agent_id: str,
                 headline_metrics: int = HEADLINE_METRICS) -> tuple[list[tuple[str, str]], str | None]:
    """Three headline numbers (label, text) and the top focus tip for one agent's email.

    The first `headline_metrics` metrics of the settings, each beside the network Average,
    then the closed volume to date against the annual goal.
    """
    figures = headline(result, agent_id, headline_metrics)
    lines = [(m.label, f"{f.percent(rate)} (network average {f.percent(average)})")
             for m, rate, average in figures.rates]
    volume = f.money(figures.closed_volume_ytd)
    goal = figures.annual_goal
    lines.append((f"Closed volume {result.as_of.year} to date",
                  volume if math.isnan(goal) else f"{volume} of your {f.money(goal)} goal"))
    return lines, figures.tip


def leaders_from_agents(team: TeamData) -> dict[str, str]:
    """Team name -> Email of the active agent marked Leader = Yes on the Agents sheet.

    A leader who left (Active = No) leads no one: no summary, no copies. A leader whose
    Email is not one valid address is left out here and reported by `leader_problems`,
    so one bad cell costs only that team's summary and copies, not the whole mailing.
    """
    return {team_name: email for team_name, email, problem, _row in _leader_cells(team) if problem is None}


def leader_problems(team: TeamData) -> list[Problem]:
    """Each active leader whose Email cell is not one valid address, located on the Agents sheet."""
    return [Problem("Agents", row, "Email", f"team {team_name!r}'s leader: {problem}; the team summary "
                    "and the --cc-leader copies are not sent until it is fixed")
            for team_name, _email, problem, row in _leader_cells(team) if problem is not None]


def _leader_cells(team: TeamData) -> list[tuple[str, str, str | None, int]]:
    """(team, Email cell, what is wrong with it or None, row) for each active leader of a team."""
    agents = team.active_agents
    marked = agents[agents["leader"] & (agents["team"] != "")]
    cells = []
    for team_name, cell, row in zip(marked["team"], marked["email"], marked["row"]):
        email = cell if isinstance(cell, str) else ""
        try:
            parse_address(email)
            problem = None
        except AddressError as exc:
            problem = str(exc)
        cells.append((team_name, email, problem, int(row)))
    return cells


def check_resend(team: TeamData, resend: Iterable[str]) -> list[str]:
    """Before any work: every --resend names an active agent or a team (team:NAME); returns
    them as the workbook spells them ("a04" -> "A04", the loader's ID rule)."""
    active = team.active_agents
    ids = AgentIds.of(team.agents)
    teams = {t.casefold(): t for t in active["team"] if t}
    spelled, unknown = [], []
    for typed in resend:
        prefix, _, name = str(typed).strip().partition(":")
        if prefix.casefold() == "team" and name:
            found = teams.get(name.strip().casefold())
            spelled.append(f"team:{found}") if found else unknown.append(typed)
            continue
        agent, status = ids.find(typed)
        spelled.append(agent) if agent is not None and status == "active" else unknown.append(typed)
    if unknown:
        raise UserError(f"--resend {', '.join(unknown)}: not an active agent's ID (as on the Agents sheet) "
                        f"nor team:NAME. For example: --resend {active['agent_id'].iloc[0]}.")
    return spelled


def scorecard_mails(run: ScorecardRun, config: MailConfig, cc_leader: bool = False) -> list[ScorecardMail]:
    """One mail per scorecard of the run, to the agent's address (and the leader's, with cc_leader)."""
    result = _result(run)
    people = result.history.agents
    mails = []
    for agent_id, pdf in run.scorecards.items():
        agent = people.loc[agent_id]
        lines, tip = mail_summary(result, agent_id)
        leader = config.leader_of(agent["team"]) if cc_leader else None
        mails.append(ScorecardMail(
            agent_id=agent_id, name=f.display_name(agent["name"]), email=agent["email"], team=agent["team"],
            month=run.month, headline=lines, top_tip=tip, pdf_path=pdf,
            cc=[leader.addr_spec] if leader else []))
    return mails


def summary_mails(run: ScorecardRun, config: MailConfig) -> list[ScorecardMail]:
    """Each team with a leader gets its own summary (or the whole team's when there is one team)."""
    teams = sorted({t for t in _result(run).history.agents["team"] if t})
    mails = []
    for team_name in teams:
        leader = config.leader_of(team_name)
        pdf = run.team_summaries.get(team_name) or run.summary
        if leader and pdf:
            mails.append(ScorecardMail.team_summary(team_name, str(leader), run.month, [], pdf))
    return mails


def month_mails(run: ScorecardRun, config: MailConfig, cc_leader: bool = False) -> list[ScorecardMail]:
    """Every message of the month: the scorecards, then the team summaries."""
    return scorecard_mails(run, config, cc_leader) + summary_mails(run, config)


def _result(run: ScorecardRun) -> KpiResult:
    if run.result is None:
        raise ValueError("the ScorecardRun carries no result: make it with render_scorecards")
    return run.result


__all__ = ["check_resend", "leader_problems", "leaders_from_agents", "mail_summary", "month_mails", "scorecard_mails",
           "summary_mails"]
