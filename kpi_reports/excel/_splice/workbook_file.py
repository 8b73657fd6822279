"""The user's workbook on disk: refused while open in an app, locked against a second
refresh, spliced, and replaced atomically, with the workbook as the user last had it kept
beside it."""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kpi_reports.atomic import copy_file, replacing, temp_files
from kpi_reports.errors import UserError

from .opc import Package
from .transplant import splice

try:
    import fcntl
except ImportError:             # Windows: no advisory locks; Excel's own locks still hold
    fcntl = None  # type: ignore[assignment]

# How long a refresh waits for another refresh of the same workbook to finish.
LOCK_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class SpliceResult:
    """`changed`: False when the workbook already held exactly this sheet and was left
    alone. `backup`: where the workbook as the user last had it is kept (None without
    one); `backup_kept`: it was there from an earlier refresh and is kept as it was.
    `notes`: what the user should know about the file (owner, links, leftovers)."""

    changed: bool
    backup: Path | None = None
    backup_kept: bool = False
    notes: tuple[str, ...] = ()


def splice_sheet(workbook: Path, source: Path | BinaryIO, sheet_name: str = "Dashboard",
                 backup: bool = True, lock_wait: float = LOCK_WAIT_SECONDS) -> SpliceResult:
    """Replace (or add, as the last sheet) `sheet_name` in `workbook` with the sheet
    rendered in the small workbook `source` (its only sheet, or the one of that name).

    The file is replaced atomically, keeping its owner, group and mode. With `backup`, the
    workbook as the user last had it is kept as `<name>.bak.<ext>` (see `backup_path`):
    a workbook that only refreshes have changed since that backup leaves it alone. Refuses
    a workbook open in Excel or LibreOffice, and a backup; waits up to `lock_wait` seconds
    for another refresh of the same file.
    """
    workbook = _the_file(Path(workbook), backup)
    notes: list[str] = []
    with _locked(workbook, lock_wait) as fh:
        notes += _remove_leftovers(workbook)
        with Package.open(fh, label=workbook.name) as target, Package.open(source) as src:
            spliced = splice(target, src, sheet_name)
            if target.unchanged_by(spliced.changes):
                return SpliceResult(False, notes=tuple(notes))
            kept = backup and _only_refreshed_since(backup_path(workbook), target,
                                                   spliced.rewritable)
            if backup and not kept:
                copy_file(workbook, backup_path(workbook), notes)
            links = os.fstat(fh.fileno()).st_nlink - 1
            with replacing(workbook, notes=notes) as tmp, tmp.open("wb") as out:
                target.write(out, spliced.changes)
    if links:
        notes.append(f"{workbook.name} had {links} other hard link(s): they still show the "
                     "previous version, because the refresh writes a new file and renames "
                     "it into place (writing into the shared file could leave it half "
                     "written).")
    return SpliceResult(True, backup_path(workbook) if backup else None, kept, tuple(notes))


def _the_file(workbook: Path, backup: bool) -> Path:
    """The file to refresh: a link's target (a link stays a link to the new file)."""
    refuse_if_open(workbook)
    if not workbook.is_file():
        raise UserError(f"Workbook {workbook} does not exist: check the path.")
    if workbook.resolve() != workbook.absolute():
        workbook = workbook.resolve()
        refuse_if_open(workbook)
    if backup and workbook.stem.lower().endswith(".bak"):
        original = workbook.with_name(workbook.name[: len(workbook.stem) - 4] + workbook.suffix)
        raise UserError(f"{workbook.name} is named as the backup a refresh keeps of "
                        f"{original.name}: refresh {original.name} instead, or to use the "
                        "backup, rename it first (say, back to "
                        f"{original.name}) and refresh that.")
    return workbook


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


@contextmanager
def _locked(workbook: Path, wait: float) -> Iterator[BinaryIO]:
    """The workbook open for reading, with an exclusive lock on that very file.

    The lock is on the file itself (no lock file to leave behind) and the kernel drops it
    when its process ends, however it ends. A refresh that waited finds the workbook
    replaced by the one before it (a new file) and locks that one instead.
    """
    deadline = time.monotonic() + wait
    while True:
        with open(workbook, "rb") as fh:
            _lock(fh, workbook, deadline)
            try:
                current = os.stat(workbook)
            except FileNotFoundError:
                raise UserError(f"{workbook} was removed while waiting to refresh it.") from None
            if os.path.samestat(os.fstat(fh.fileno()), current):
                yield fh
                return


def _lock(fh: BinaryIO, workbook: Path, deadline: float) -> None:
    if fcntl is None:
        return
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise UserError(f"Another refresh of {workbook.name} is still running: "
                                "run this one again when it has finished.") from None
            time.sleep(0.05)


def _remove_leftovers(workbook: Path) -> list[str]:
    """Delete the temporary files a refresh of this workbook killed mid-write left beside
    it. Only called holding the workbook's lock, when no other refresh is writing."""
    stale = temp_files(workbook) + temp_files(backup_path(workbook))
    for path in stale:
        path.unlink(missing_ok=True)
    if not stale:
        return []
    return [f"Removed {len(stale)} temporary file(s) left beside {workbook.name} by a refresh "
            f"that was stopped while writing: {', '.join(p.name for p in stale)}."]


def _only_refreshed_since(backup: Path, target: Package, rewritable: frozenset[str]) -> bool:
    """True when `target` differs from the backup only in parts a refresh rewrites: then
    nobody but a refresh has changed the workbook since, and the backup is still the
    workbook as the user last had it. Compares the zip index (CRC and size of each part),
    so no part is unzipped."""
    try:
        with zipfile.ZipFile(backup) as zf:
            old = {i.filename: (i.CRC, i.file_size) for i in zf.infolist() if not i.is_dir()}
    except (OSError, zipfile.BadZipFile):
        return False
    new = {n: (i.CRC, i.file_size) for n, i in target.infos.items()}
    return ({n: v for n, v in old.items() if n not in rewritable}
            == {n: v for n, v in new.items() if n not in rewritable})
