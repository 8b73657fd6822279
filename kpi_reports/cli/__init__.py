"""The `kpi-reports` command: thin click commands over the library, one module per face."""
from __future__ import annotations

import sys

import click

from ..errors import UserError
from .common import console_err, styled
from . import deals, demo, excel, mail, metrics, scorecards


class KpiGroup(click.Group):
    """Turns UserError into one clear line and exit status 2; a bug prints a short note."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            console_err.print(styled(("Error:", "bold red"), f" {exc}"))
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:   # a bug: say so plainly; --debug shows the traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            console_err.print(styled(("Unexpected error:", "bold red"), f" {type(exc).__name__}: {exc}\n"
                                     "Run again with `kpi-reports --debug ...` for the details and report it."))
            sys.exit(3)


@click.group(cls=KpiGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="kpi-reports")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Agent performance KPIs for real-estate teams, from the team workbook.

    SOURCE (metrics, check, scorecards, email) is a workbook (.xlsx, .xlsm), a folder of
    Parquet files or a postgresql:// URL (its password is never printed).

    \b
    Exit status: 0 = done, 1 = done but something needs attention (data problems,
    mail not delivered), 2 = could not run (bad workbook, settings or option), 3 = a bug.

    \b
    Start here:
      kpi-reports demo                      write workbooks/sample_team.xlsx
      kpi-reports metrics workbooks/sample_team.xlsx --as-of 2026-10-31
      kpi-reports check workbooks/sample_team.xlsx
    """
    ctx.ensure_object(dict)["debug"] = debug


for face in (metrics, deals, demo, excel, scorecards, mail):
    for command in face.COMMANDS:
        main.add_command(command)
