"""The user's workbook on disk: refused while open, read, spliced, replaced atomically with
a backup beside it."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from kpi_reports.atomic import copy_file, replacing
from kpi_reports.errors import UserError

from .opc import Package
from .transplant import splice


def splice_sheet(workbook: Path, source: Path | BinaryIO, sheet_name: str = "Dashboard",
                 backup: bool = True) -> bool:
    """Replace (or add, as the last sheet) `sheet_name` in `workbook` with the sheet
    rendered in the small workbook `source` (its only sheet, or the one of that name).
    Returns False when the workbook already held exactly this content and was left alone.

    The file is replaced atomically; with `backup` the previous file is kept beside it as
    `<name>.bak.<ext>` (see `backup_path`). Refuses a workbook open in Excel or LibreOffice.
    """
    workbook = Path(workbook)
    refuse_if_open(workbook)
    if not workbook.is_file():
        raise UserError(f"Workbook {workbook} does not exist: check the path.")
    if workbook.resolve() != workbook.absolute():  # a link stays a link to the new file
        workbook = workbook.resolve()
        refuse_if_open(workbook)
    with Package.open(workbook) as target, Package.open(source) as src:
        spliced = splice(target, src, sheet_name)
        if target.unchanged_by(spliced.changes):
            return False
        replace_atomically(target, spliced.changes, workbook, backup)
    return True


def lock_files(workbook: Path) -> list[tuple[str, str]]:
    """The owner files an app keeps beside a workbook it has open: (file name, app).

    Office writes `~$` + the name, or for longer names `~$` in place of its first one or
    two characters; LibreOffice writes `.~lock.NAME#`.
    """
    name = workbook.name
    excel = dict.fromkeys([f"~${name}", f"~${name[1:]}", f"~${name[2:]}"])
    return [(lock, "Excel") for lock in excel] + [(f".~lock.{name}#", "LibreOffice")]


def refuse_if_open(workbook: Path) -> None:
    for lock, app in lock_files(workbook):
        if (workbook.parent / lock).exists():
            raise UserError(
                f"{workbook.name} is open in {app} (its lock file {lock} is beside it): close the "
                f"workbook in {app} and run the refresh again. If {app} is not running, the lock "
                f"file was left by a crash: delete {lock} and run again.")


def backup_path(workbook: Path) -> Path:
    """`Team.xlsm` -> `Team.bak.xlsm`: Excel still opens it and knows it holds macros."""
    return workbook.with_name(f"{workbook.stem}.bak{workbook.suffix}")


def replace_atomically(pkg: Package, changes: dict[str, bytes | None], workbook: Path,
                       backup: bool) -> None:
    try:
        with replacing(workbook) as tmp:
            with tmp.open("wb") as out:
                pkg.write(out, changes)
            if backup:
                copy_file(workbook, backup_path(workbook))
    except OSError as exc:
        raise UserError(f"Could not write {workbook}: {exc.strerror or exc}. Check that the "
                        "folder is writable and the disk not full.") from exc
