"""Options and helpers every command shares."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from ..errors import UserError
from ..settings import DEFAULT_SETTINGS_NAME, settings_for
from ..sources import DatabaseUrl, Source, as_source

if TYPE_CHECKING:
    from ..engine.windows import ActivityWindow
    from ..model import TeamData
    from ..settings import Settings

# markup=False: names, paths and messages hold workbook text, which must print as it is
# (a name like "[red]Bob" or "[/]" is text, not a style). Styles are given as Text objects.
console = Console(highlight=False, markup=False)
console_err = Console(stderr=True, highlight=False, markup=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and (text, style) pairs: styled(("Error:", "bold red"), " ", message)."""
    return Text.assemble(*parts)

workbook_argument = click.argument(      # a folder: of CSV files (the loader says when it is not)
    "workbook", type=click.Path(path_type=Path))


class SourceType(click.ParamType):
    """A workbook, a folder of Parquet or CSV files or a postgresql:// URL (shown password-masked)."""

    name = "source"

    def convert(self, value, param, ctx) -> Source:
        try:
            return as_source(value)
        except UserError as exc:
            self.fail(str(exc), param, ctx)


source_argument = click.argument("workbook", metavar="SOURCE", type=SourceType())
settings_option = click.option(
    "--settings", "settings_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="KPI_REPORTS_SETTINGS", show_envvar=True,
    help=f"Settings TOML file. Default: {DEFAULT_SETTINGS_NAME} beside the workbook if there, "
         "else the built-in defaults (see `kpi-reports settings`).")


class Day(click.DateTime):
    """A date in any form the workbook takes (loader's day_from_text / month_from_text), with
    an error that shows the form as people write it."""

    def __init__(self, fmt: str, shown: str, example: str) -> None:
        super().__init__(formats=[fmt])
        self.shown, self.example = shown, example
        self.name = shown

    def get_metavar(self, param, ctx=None) -> str:
        return self.shown

    def convert(self, value, param, ctx):
        if isinstance(value, dt.datetime):
            return value
        from ..load.cells import FIRST_DAY, LAST_DAY, day_from_text, month_from_text   # pandas: only when a date is given
        try:
            day = (month_from_text if self.shown == "YYYY-MM" else day_from_text)(str(value))
        except ValueError as exc:
            self.fail(f"{exc}: use {self.shown}, a day a workbook can hold ({FIRST_DAY:%Y-%m-%d} to "
                      f"{LAST_DAY:%Y-%m-%d}), e.g. {self.example}.", param, ctx)
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f"{value!r} is outside the days a workbook can hold ({FIRST_DAY:%Y-%m-%d} to "
                      f"{LAST_DAY:%Y-%m-%d}), e.g. {self.example}.", param, ctx)
        return dt.datetime.combine(day, dt.time())


def as_of_option(help_text: str = "Compute as of this day (YYYY-MM-DD). Default: today."):
    return click.option("--as-of", type=Day("%Y-%m-%d", "YYYY-MM-DD", "2026-10-31"), default=None, help=help_text)


def month_option(required: bool = True, help_text: str = "The month (YYYY-MM); its numbers are as of its last day."):
    return click.option("--month", type=Day("%Y-%m", "YYYY-MM", "2026-10"), required=required, help=help_text)


MONTH_VIEW_HELP = ("Compute as a month's scorecard does (YYYY-MM): as of the month's last day, the funnel "
                   "over the calendar month. Instead of --as-of.")


def as_of_and_window(as_of: dt.datetime | None, month: dt.datetime | None) -> tuple[dt.date, ActivityWindow]:
    """--as-of (rolling funnel) or --month (the scorecard's view), never both."""
    if as_of and month:
        raise click.UsageError("Choose one of --as-of and --month.")
    if month:
        from ..engine import month_end
        return month_end(month.date()), "month"
    return to_date(as_of), "rolling"


def open_team(workbook: Source, settings_path: Path | None) -> tuple[TeamData, Settings]:
    from ..sources import load_team

    settings = settings_for(None if isinstance(workbook, DatabaseUrl) else workbook, settings_path)
    with console_err.status(f"Reading {workbook.name} ..."):
        team = load_team(workbook, settings)
    return team, settings


def writable_folder(path: Path, option: str) -> None:
    """Before any work: the folder given as `option` can be made and written in.

    A UserError (exit 2) naming the path and how to fix it, instead of a crash after the
    workbook is read and the PDFs are rendered. Nothing is created here.
    """
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{option} {path}: {existing} is a file, not a folder. "
                        f"Give a folder (it is made if missing), e.g. {option} {existing.parent / path.name}.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".kpi-reports-write-test-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write in {existing} ({exc.strerror or exc}). "
                        f"Give a folder you may write to, or make {existing} writable "
                        "(its permissions, a read-only disk, a full disk).") from None


def to_date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()
