"""`kpi-reports demo` and `kpi-reports settings`."""
from __future__ import annotations

from pathlib import Path

import click

from ..sample import SAMPLE_END, SAMPLE_PROBLEMS, write_sample_workbook
from ..settings import default_settings_text
from .common import console


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("workbooks/sample_team.xlsx"))
@click.option("--seed", default=7, show_default=True, help="Random seed; the same seed gives the same workbook.")
def demo(path: Path, seed: int) -> None:
    """Write a realistic sample team workbook to PATH.

    25 agents on 3 teams, 18 months of daily activity to 2026-10-31, leads of all three
    types, deals with update logs and a few deliberate data problems.

    \b
    Example:
      kpi-reports demo workbooks/sample_team.xlsx
    """
    written = write_sample_workbook(path, seed=seed)
    console.print(f"Wrote {written} (data to {SAMPLE_END:%Y-%m-%d}, an inactive agent and "
                  f"{len(SAMPLE_PROBLEMS)} deliberate data problems for `kpi-reports check`).")


@click.command(name="settings")
def show_settings() -> None:
    """Print the default settings file, with what each key means.

    \b
    Example:
      kpi-reports settings > kpi-reports.toml
    """
    click.echo(default_settings_text(), nl=False)


COMMANDS = [demo, show_settings]
