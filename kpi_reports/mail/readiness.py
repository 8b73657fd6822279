"""What the month's mail will need, checked ahead by `kpi-reports check`.

Each finding is a Problem located on the Agents sheet, so a bad address or a team typed
two ways is fixed before the mailing, not discovered in its report.
"""
from __future__ import annotations

import re

import pandas as pd

from ..model import Problem, TeamData
from ..settings import Settings
from .addresses import AddressError, parse_address

SHEET = "Agents"


def mail_problems(team: TeamData, settings: Settings) -> list[Problem]:
    """Empty Agents sheet, bad Email cells, one team typed two ways, teams nobody leads."""
    agents = team.agents
    if agents.empty:
        return [Problem(SHEET, None, "Agent ID", "no agents: add one row per agent (Agent ID, Name, Email, "
                                                  "Team, Active); nobody gets a scorecard or a mail")]
    active = agents[agents["active"]]
    return [*_address_problems(active), *_team_spellings(active), *_leaders(agents, active, settings)]


def _address_problems(active: pd.DataFrame) -> list[Problem]:
    problems = []
    for agent_id, email, row in zip(active["agent_id"], active["email"], active["row"]):
        try:
            parse_address(email if isinstance(email, str) else "")
        except AddressError as exc:
            problems.append(Problem(SHEET, int(row), "Email", f"{exc}: this agent gets no scorecard mail",
                                    agent_id))
    return problems


def _team_spellings(active: pd.DataFrame) -> list[Problem]:
    """Team names equal but for spaces and case ("West side", "Westside"): two teams by mistake."""
    spellings: dict[str, dict[str, int]] = {}       # squeezed name -> {spelling: its first row}
    for team_name, row in zip(active["team"], active["row"]):
        if team_name:
            spellings.setdefault(re.sub(r"\s+", "", team_name).casefold(), {}).setdefault(team_name, int(row))
    problems = []
    for found in spellings.values():
        if len(found) < 2:
            continue
        first, *others = found
        names = " and ".join(repr(t) for t in found)
        problems += [Problem(SHEET, found[other], "Team", f"{names} look like one team typed two ways; they "
                             f"count as two teams with two summaries. Type {other!r} as {first!r} if they are one")
                     for other in others]
    return problems


def _leaders(agents: pd.DataFrame, active: pd.DataFrame, settings: Settings) -> list[Problem]:
    """Leaders who left, teams with two leaders, and teams whose summary nobody receives."""
    problems = [Problem(SHEET, int(row), "Leader", f"marked Leader of {team_name!r} but not Active: "
                        "a leader who left gets no team summary and no copies")
                for team_name, row in zip(*_marked(agents[~agents["active"]]))]
    leader_rows: dict[str, list[int]] = {}
    for team_name, row in zip(*_marked(active)):
        leader_rows.setdefault(team_name, []).append(row)
    problems += [Problem(SHEET, rows[-1], "Leader", f"team {team_name!r} has {len(rows)} leaders (rows "
                         f"{', '.join(map(str, rows))}): the summary goes to row {rows[-1]} only")
                 for team_name, rows in leader_rows.items() if len(rows) > 1]
    led = {t.casefold() for t in leader_rows} | {t.strip().casefold() for t, _ in settings.mail.leaders}
    problems += [Problem(SHEET, None, "Leader", f"team {team_name!r} has no leader: its team summary is mailed "
                         "to nobody. Mark its leader Leader = Yes, or set [mail.leaders] in the settings")
                 for team_name in dict.fromkeys(t for t in active["team"] if t) if team_name.casefold() not in led]
    return problems


def _marked(agents: pd.DataFrame) -> tuple[list[str], list[int]]:
    """(team, row) of each agent marked Leader = Yes in a named team."""
    marked = agents[agents["leader"] & (agents["team"] != "")]
    return list(marked["team"]), [int(r) for r in marked["row"]]
