"""`kpi-reports metrics` and `kpi-reports check`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from .. import formatting as fmt
from ..engine import compute
from ..model import KpiResult, Problem
from .common import as_of_option, console, open_team, settings_option, to_date, workbook_argument


def metrics_table(result: KpiResult) -> Table:
    table = Table(title=f"KPIs as of {fmt.day(result.as_of)}", title_justify="left",
                  caption="— = undefined (no leads, deals or calls in the window)", caption_justify="left")
    table.add_column("Agent", no_wrap=True)
    table.add_column("Name", no_wrap=True, max_width=22)
    for metric in result.metrics:
        table.add_column(metric.short, justify="right")
    values = result.values["value"].unstack("metric")
    for agent_id, row in values.iterrows():
        table.add_row(agent_id, result.agents.at[agent_id, "name"],
                      *(fmt.percent(row[m.id]) for m in result.metrics), style=None)
    table.add_section()
    for key, label in (("average", "Average"), ("top10", "Top 10%")):
        table.add_row("", f"[bold]{label}[/]", *(fmt.percent(result.benchmarks.at[m.id, key])
                                                 for m in result.metrics))
    return table


def problems_table(problems: list[Problem]) -> Table:
    table = Table(title=f"{len(problems)} data-quality problem(s)", title_justify="left")
    for column in ("Sheet", "Row", "Column", "Problem"):
        table.add_column(column, justify="right" if column == "Row" else "left")
    for p in problems:
        table.add_row(p.sheet, "" if p.row is None else str(p.row), p.column, p.problem)
    return table


def result_csv(result: KpiResult) -> str:
    frame = result.values[["numerator", "denominator", "value"]].reset_index()
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")


@click.command()
@workbook_argument
@as_of_option()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of SPEC.md instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: agent_id, metric, numerator, denominator, value.")
@settings_option
def metrics(workbook: Path, as_of, as_json: bool, as_csv: bool, settings_path: Path | None) -> None:
    """Print every active agent's KPIs with the network Average and Top 10%.

    \b
    Examples:
      kpi-reports metrics team.xlsx --as-of 2026-10-31
      kpi-reports metrics team.xlsx --json > kpis.json
      kpi-reports metrics team.xlsx --csv > kpis.csv
    """
    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    team, settings = open_team(workbook, settings_path)
    result = compute(team, to_date(as_of), settings)
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    elif as_csv:
        click.echo(result_csv(result), nl=False)
    else:
        console.print(metrics_table(result))
        if result.data_quality:
            console.print(f"{len(result.data_quality)} data-quality problem(s): "
                          f"see `kpi-reports check {workbook}`.")


@click.command()
@workbook_argument
@settings_option
def check(workbook: Path, settings_path: Path | None) -> None:
    """List every data-quality problem: sheet, row, column and reason.

    Exits 0 when there is none, 1 when there are some.

    \b
    Example:
      kpi-reports check team.xlsx
    """
    team, _ = open_team(workbook, settings_path)
    if not team.problems:
        console.print(f"No data-quality problems in {workbook}.")
        return
    console.print(problems_table(team.problems))
    sys.exit(1)


COMMANDS = [metrics, check]
