"""`kpi-reports demo` and `kpi-reports settings`."""
from __future__ import annotations

from pathlib import Path

import click

from ..settings import default_settings_text
from .common import console


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("workbooks/sample_team.xlsx"))
@click.option("--seed", default=7, show_default=True, help="Random seed; the same seed gives the same workbook.")
def demo(path: Path, seed: int) -> None:
    """Write a realistic sample team workbook to PATH, and a ready Excel one beside it.

    25 agents on 3 teams, 18 months of daily activity to 2026-10-31, leads of all three
    types, deals with update logs and a few deliberate data problems. Beside it goes
    team.xlsm (unless one is there already): the same data as Excel tables, a Dashboard
    and the refresh macro (see `kpi-reports new-workbook`).

    \b
    Example:
      kpi-reports demo workbooks/sample_team.xlsx
    """
    from ..excel.new_workbook import new_workbook
    from ..sample import SAMPLE_END, SAMPLE_PROBLEMS, write_sample_workbook

    written = write_sample_workbook(path, seed=seed)
    console.print(f"Wrote {written} (data to {SAMPLE_END:%Y-%m-%d}, an inactive agent and "
                  f"{len(SAMPLE_PROBLEMS)} deliberate data problems for `kpi-reports check`).")
    excel = path.with_name("team.xlsm")
    if excel.exists() or excel.with_suffix(".py").exists():      # never replace a workbook someone may use
        console.print(f"Left {excel} as it is (it exists already).")
        return
    new_workbook(excel, sample=True)
    console.print(f"Wrote {excel} and {excel.with_suffix('.py').name}: the Excel team workbook with "
                  "its refresh button (open it with the xlwings add-in and click Run main).")


@click.command(name="settings")
def show_settings() -> None:
    """Print the default settings file, with what each key means.

    \b
    Example:
      kpi-reports settings > kpi-reports.toml
    """
    click.echo(default_settings_text(), nl=False)


COMMANDS = [demo, show_settings]
