"""`kpi-reports metrics` and `kpi-reports check`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.table import Table

from .. import formatting as fmt
from .common import (MONTH_VIEW_HELP, as_of_and_window, as_of_option, console, console_err, month_option, open_team,
                     settings_option, styled, source_argument)


if TYPE_CHECKING:
    from ..sources import Source
    from ..model import KpiResult, Problem, TeamData


def metrics_table(result: KpiResult, width: int) -> Table:
    """Agents down, metrics across; names are left out on terminals narrower than 100 columns."""
    with_names = width >= 100
    table = Table(title=f"KPIs as of {fmt.day(result.as_of)}; funnel over "
                        f"{fmt.window(*result.activity_window, result.activity_window_kind)}",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption="— = undefined (no leads, deals or calls in the window)", caption_justify="left")
    table.add_column("Agent", no_wrap=True)
    if with_names:
        table.add_column("Name", no_wrap=True, max_width=22, overflow="ellipsis")
    for metric in result.metrics:
        table.add_column(metric.short, justify="right", min_width=max(map(len, metric.short.split())))
    names = result.agents["name"]
    for i, agent_id in enumerate(result.agent_ids):
        name = [fmt.display_name(names.iat[i])] if with_names else []
        table.add_row(agent_id, *name, *(fmt.percent(v) for v in result.rate[:, i]))
    table.add_section()
    for values, label in ((result.average, "Average"), (result.top10, f"Top {result.settings.top_percent}%")):
        table.add_row(styled((label, "bold")), *([""] if with_names else []), *(fmt.percent(v) for v in values))
    return table


def table_width(result: KpiResult, with_names: bool) -> int:
    """Columns the metrics table needs at the least (IDs, names, one "100%" per metric)."""
    ids = max([len("Top 100%"), *map(len, result.agent_ids)])
    names = min(22, max(map(len, result.agents["name"]), default=4)) + 1 if with_names else 0
    metrics = sum(max(5, *map(len, m.short.split())) + 1 for m in result.metrics)
    return ids + names + metrics


def problems_table(problems: list[Problem]) -> Table:
    table = Table(title=f"{len(problems)} data-quality problem(s)", title_justify="left")
    for column in ("Sheet", "Row", "Column", "Problem"):
        table.add_column(column, justify="right" if column == "Row" else "left")
    for p in problems:
        table.add_row(p.sheet, p.locator, p.column, p.problem)
    return table


def warn_outside_data(team: TeamData, result: KpiResult) -> None:
    """Numbers for a day past the data look real but count nothing new: say so (stderr)."""
    span = team.date_range()
    if span is None:
        console_err.print(styled(("Note:", "yellow"), " the workbook has no dated rows yet; every value is undefined."))
    elif result.past_data_note:
        console_err.print(styled(("Note:", "yellow"), " " + result.past_data_note))
    elif result.as_of < span.first:
        console_err.print(styled(("Note:", "yellow"), f" the data starts {fmt.day(span.first)}, after {fmt.day(result.as_of)}."))


def result_csv(result: KpiResult) -> str:
    """agent_id, metric, numerator, denominator, value: the result's own frame, as CSV."""
    frame = result.values[["numerator", "denominator", "value"]].reset_index()
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")


@click.command()
@source_argument
@as_of_option()
@month_option(required=False, help_text=MONTH_VIEW_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as_of, agents, benchmarks, data_quality; see README) instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: agent_id, metric, numerator, denominator, value.")
@settings_option
def metrics(workbook: Source, as_of, month, as_json: bool, as_csv: bool, settings_path: Path | None) -> None:
    """Print every active agent's KPIs with the network Average and Top 10%.

    \b
    Examples:
      kpi-reports metrics team.xlsx --as-of 2026-10-31
      kpi-reports metrics team.xlsx --month 2026-10     # the scorecards' figures
      kpi-reports metrics team.xlsx --json > kpis.json
      kpi-reports metrics team.xlsx --csv > kpis.csv
    """
    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    from ..engine import compute

    day, window = as_of_and_window(as_of, month)
    team, settings = open_team(workbook, settings_path)
    result = compute(team, day, settings, activity_window=window)
    warn_outside_data(team, result)
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    elif as_csv:
        click.echo(result_csv(result), nl=False)
    else:
        table = metrics_table(result, console.width)
        needed = table_width(result, with_names=console.width >= 100)
        if needed > console.width:
            console_err.print(styled(("Note:", "yellow"), f" the table needs {needed} columns and the terminal has "
                                     f"{console.width}: some are cut. Widen it, or use --csv or --json."))
        console.print(table)
        if result.data_quality:
            console.print(f"{len(result.data_quality)} data-quality problem(s): "
                          f"see `kpi-reports check {workbook}`.")


def print_mapping(workbook: Source, settings_path: Path | None) -> int:
    """Settings lines mapping the workbook's own sheet and column names to ours (stdout)."""
    from ..load import MappingError

    try:
        team, _ = open_team(workbook, settings_path)
    except MappingError as exc:
        console_err.print(str(exc).split("\n\n")[0])
        click.echo(f"# kpi-reports settings: {workbook.name}'s own names, mapped to ours.\n{exc.snippet}", nl=False)
        return 2 if any(not gap.candidates for gap in exc.gaps) else 0
    click.echo(f"# kpi-reports settings: {workbook.name}'s own names, mapped to ours.\n{team.suggested_mapping}"
               if team.suggested_mapping else "# Every sheet and column was found: nothing to map.\n", nl=False)
    return 0


@click.command()
@source_argument
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON (sheet, row, column, problem).")
@click.option("--suggest-mapping", is_flag=True,
              help="Print settings lines that map your own sheet and column names to ours "
                   "(kpi-reports check team.xlsx --suggest-mapping > kpi-reports.toml).")
@settings_option
def check(workbook: Source, as_json: bool, suggest_mapping: bool, settings_path: Path | None) -> None:
    """List every data-quality problem: sheet, row, column and reason.

    Also what the month's mail needs: valid addresses, teams typed one way, a leader per team.

    Exits 0 when there is none, 1 when there are some.

    \b
    Examples:
      kpi-reports check team.xlsx
      kpi-reports check team.xlsx --json > problems.json
      kpi-reports check team.xlsx --suggest-mapping > kpi-reports.toml
    """
    if suggest_mapping:
        sys.exit(print_mapping(workbook, settings_path))
    from ..mail.readiness import mail_problems

    team, settings = open_team(workbook, settings_path)
    problems = [*team.problems, *mail_problems(team, settings)]   # and what the month's mail will need
    if as_json:
        click.echo(json.dumps([p.as_json() for p in problems], indent=2, ensure_ascii=False))
    elif not problems:
        console.print(f"No data-quality problems in {workbook}.")
    else:
        console.print(problems_table(problems))
    sys.exit(1 if problems else 0)


COMMANDS = [metrics, check]
