"""`kpi-reports deals`: the deals to update this week, and who stays eligible for leads."""
from __future__ import annotations

import json
from pathlib import Path

from typing import TYPE_CHECKING

import click

from .. import formatting as fmt
from .common import as_of_option, console, open_team, settings_option, to_date, source_argument

if TYPE_CHECKING:          # pandas, rich's tables and the engine load when the command runs
    from ..sources import Source
    import pandas as pd
    from rich.table import Table

    from ..model import KpiResult

NEVER = "never"


def stale_title(result: KpiResult, stale: pd.DataFrame, max_age_days: int) -> str:
    return (f"{len(stale)} active deal(s) without an update in the last {max_age_days} days, "
            f"as of {fmt.day(result.as_of)} (oldest first)")


def stale_table(result: KpiResult, stale: pd.DataFrame) -> Table:
    """Oldest first, as the engine ordered them; "never" for a deal with no update on or before D."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption="Row: the deal's row on the Deals sheet", caption_justify="left")
    for column in ("Agent", "Name", "Deal", "Opened", "Updated", "Days", "Row"):
        table.add_column(column, justify="right" if column in ("Days", "Row") else "left", no_wrap=True)
    names = result.history.agents["name"]
    for deal in stale.itertuples():
        never = deal.last_updated is None
        table.add_row(deal.agent_id, names.at[deal.agent_id], deal.deal_id or "(no Deal ID)", fmt.day(deal.opened),
                      NEVER if never else fmt.day(deal.last_updated), NEVER if never else fmt.count(deal.days_since),
                      "" if deal.row is None else str(deal.row))
    return table


def eligibility_lines(result: KpiResult, agent_ids: list[str]) -> list[str]:
    """One line per agent: ID, name, status and its reason (the same words as the JSON and the PDF)."""
    e = result.eligibility
    names = result.history.agents["name"]
    return [f"{a}  {names.at[a]}  {e.status[result.position(a)]}  {e.reason[result.position(a)]}"
            for a in agent_ids]


@click.command()
@source_argument
@click.option("--stale", is_flag=True, help="List each active deal without a recent update, oldest first.")
@click.option("--agent", "agents", multiple=True, metavar="ID", help="Only this agent (repeat for more).")
@as_of_option()
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (as_of, max_age_days, agents: active_deals, eligibility, stale_deals).")
@settings_option
def deals(workbook: Source, stale: bool, agents: tuple[str, ...], as_of, as_json: bool,
          settings_path: Path | None) -> None:
    """Each agent's lead eligibility and, with --stale, the active deals to update.

    A deal is stale when it is active on the day (opened, not closed) and has no update
    (Last Updated or a Deal Updates row) in the portal-update metric's max_age_days.
    Eligibility follows [eligibility] in the settings.

    \b
    Examples:
      kpi-reports deals team.xlsx --stale
      kpi-reports deals team.xlsx --stale --agent A07 --as-of 2026-10-31
      kpi-reports deals team.xlsx --stale --json > deals.json
    """
    from ..engine import compute
    from ..engine.deals import update_metric
    from ..engine.document import deals_document
    from ..report.render import select_agents
    from .metrics import warn_outside_data

    team, settings = open_team(workbook, settings_path)
    result = compute(team, to_date(as_of), settings)
    warn_outside_data(team, result)
    chosen = select_agents(team, agents or None, result.agent_ids)
    if as_json:
        doc = deals_document(result, chosen)
        if not stale:
            doc["agents"] = [{k: v for k, v in a.items() if k != "stale_deals"} for a in doc["agents"]]
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    metric = update_metric(settings)
    listed = result.stale_deals[result.stale_deals["agent_id"].isin(chosen)]
    if stale and metric is not None:
        console.print(stale_title(result, listed, metric.max_age_days), soft_wrap=True)
        if len(listed):
            console.print(stale_table(result, listed))
    elif metric is not None:
        console.print(f"{len(listed)} active deal(s) without an update in the last {metric.max_age_days} days: "
                      "list them with --stale.")
    else:
        console.print("No deal_updates metric is enabled in the settings, so no deal is stale.")
    if result.eligibility.metric is None:
        console.print("No eligibility rule is set ([eligibility] metric = \"\").")
        return
    console.print(f"\nLead eligibility as of {fmt.day(result.as_of)}:")
    for line in eligibility_lines(result, chosen):
        console.print(line, soft_wrap=True)


COMMANDS = [deals]
