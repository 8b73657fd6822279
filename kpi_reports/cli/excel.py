"""`kpi-reports refresh` and `kpi-reports new-workbook`: the Excel face from the shell."""
from __future__ import annotations

from pathlib import Path

import click

from .. import formatting as fmt
from ..settings import settings_for
from .common import (MONTH_VIEW_HELP, as_of_and_window, as_of_option, console, console_err, month_option,
                     settings_option, styled, workbook_argument)


@click.command()
@workbook_argument
@as_of_option("Compute the Dashboard as of this day (YYYY-MM-DD). Default: today.")
@month_option(required=False, help_text=MONTH_VIEW_HELP)
@settings_option
def refresh(workbook: Path, as_of, month, settings_path: Path | None) -> None:
    """Rebuild the Dashboard sheet of WORKBOOK, without Excel.

    Only the Dashboard changes: every other sheet, format, chart, table, pivot, macro
    and cached value stays as it was. The file is replaced atomically, keeping its owner,
    group and permissions, and the workbook as you last had it is kept beside it
    (NAME.bak.xlsm; later refreshes leave it alone until you change the workbook). Close
    the workbook in Excel first; a second refresh of the same file waits for the first.

    \b
    Example:
      kpi-reports refresh team.xlsm --as-of 2026-10-31
      kpi-reports refresh team.xlsm --month 2026-10     # the scorecards' figures
    """
    from ..excel.refresh import refresh_workbook

    day, window = as_of_and_window(as_of, month)
    notes: list[str] = []
    with console.status(f"Refreshing {workbook.name} ..."):
        result = refresh_workbook(workbook, day, settings_for(workbook, settings_path),
                                  tell=notes.append, activity_window=window)
    console.print(f"Refreshed the Dashboard of {workbook} as of {fmt.day(result.as_of)}: "
                  f"{len(result.agents)} agents, {len(result.data_quality)} data-quality problem(s).")
    for note in notes:
        console.print(note, markup=False, highlight=False)
    if result.past_data_note:
        console_err.print(styled(("Note:", "yellow"), " " + result.past_data_note))


@click.command(name="new-workbook")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sample", is_flag=True, help="Fill the tables with the sample team instead of leaving them empty.")
@click.option("--force", is_flag=True, help="Replace PATH (and its .py) if they exist.")
def new_workbook_command(path: Path, sample: bool, force: bool) -> None:
    """Make a ready team workbook PATH (.xlsm) with the refresh button's macro.

    Agents, Activity, Leads, Deals and Deal Updates as Excel tables, a Dashboard sheet,
    an xlwings.conf sheet, and PATH's .py beside it whose main() the xlwings ribbon's
    "Run main" calls. Built from the installed xlwings' own standalone template.

    \b
    Example:
      kpi-reports new-workbook workbooks/team.xlsm --sample
    """
    from ..excel.new_workbook import new_workbook

    written = new_workbook(path, sample=sample, overwrite=force)
    console.print(f"Wrote {written} and {written.with_suffix('.py').name} beside it. "
                  "Open it in Excel with the xlwings add-in and click Run main to refresh.")


COMMANDS = [refresh, new_workbook_command]
