"""`kpi-reports scorecards`: the month's PDF scorecards and team summary."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import formatting as fmt
from .common import console, month_option, open_team, settings_option, styled, source_argument, writable_folder
from .progress import progress_bar

if TYPE_CHECKING:
    from ..sources import Source
    from ..model import TeamData
    from ..report import ScorecardRun
    from ..settings import Settings

templates_option = click.option(
    "--templates", "templates_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder with your own copies of the report templates (logo, colours, wording); "
         "files it lacks come from the built-in ones.")
cluster_option = click.option(
    "--cluster", metavar="tcp://HOST:8786", help="Render the PDFs on this Dask cluster (its scheduler's address) "
    "instead of local worker processes; needs pip install 'kpi-reports[cluster]' here and on the workers.")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          default=Path("out"), show_default=True, help="Where the month's folder of PDFs goes.")


def render_month(team: TeamData, settings: Settings, month: dt.date, out_dir: Path, agents=None,
                 templates_dir: Path | None = None, cluster: str | None = None) -> ScorecardRun:
    """The month's PDFs; the team summaries only for a whole-team run (not for --agent).

    PDFs rendered earlier from the same numbers, settings, templates and code are kept;
    the others are rendered, and the console says how many of each.
    """
    from ..report import render_scorecards

    with progress_bar(f"PDFs for {month:%Y-%m} (scorecards and team summaries)") as update:
        run = render_scorecards(team, month, out_dir, settings, agent_ids=agents or None,
                                templates_dir=templates_dir, progress=update, summary=not agents, cluster=cluster)
    console.print(f"{run.rendered} PDF(s) rendered, {run.reused} kept: already rendered from the same "
                  "numbers, settings and templates." if run.reused else f"{run.rendered} PDF(s) rendered.")
    return run


@click.command()
@source_argument
@month_option()
@out_option
@click.option("--agent", "agents", multiple=True, metavar="ID", help="Only this agent (repeat for more).")
@templates_option
@cluster_option
@settings_option
def scorecards(workbook: Source, month, out_dir: Path, agents: tuple[str, ...], templates_dir: Path | None,
               cluster: str | None, settings_path: Path | None) -> None:
    """Write the month's PDF scorecard for every active agent, and the team summary.

    Files go to OUT/YYYY-MM/<agent id>-<name>.pdf and OUT/YYYY-MM/team-summary.pdf
    (and one summary per team when there are several). Numbers are as of the month's last day.
    A rerun renders only the PDFs whose numbers, settings or templates changed.

    \b
    Examples:
      kpi-reports scorecards team.xlsx --month 2026-10
      kpi-reports scorecards team.xlsx --month 2026-10 --agent A01 --agent A07 --out reports
      kpi-reports scorecards network.xlsx --month 2026-10 --cluster tcp://10.0.0.5:8786
    """
    writable_folder(out_dir, "--out")
    team, settings = open_team(workbook, settings_path)
    run = render_month(team, settings, month.date(), out_dir, agents, templates_dir, cluster)
    console.print(f"{len(run.scorecards)} scorecard(s) for {fmt.month(run.month)} in {run.folder} "
                  f"({run.seconds:.1f} s).")
    for path in filter(None, [run.summary, *run.team_summaries.values()]):
        console.print(f"Team summary: {path}")
    for warning in run.warnings:
        console.print(styled(("Warning:", "yellow"), f" {warning}"))


COMMANDS = [scorecards]
