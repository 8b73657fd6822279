"""Replace files atomically: write beside the target, fsync, then os.replace.

A reader (or Excel) sees the old file or the new one, never half of one; a failed write
leaves the old file untouched and no temporary file behind. The new file keeps the old
one's owner, group and permission bits (or another file's, for a copy), and says so when
it cannot. A write that cannot be done (a folder that is not writable, a full disk) is a
UserError naming the file.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError

# tempfile's random part: 8 of these characters (its _RandomNameSequence).
_RANDOM = r"[a-z0-9_]{8}"


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_name(path: Path) -> tuple[str, str]:
    """(prefix, suffix) of the temporary files written for `path`."""
    return f".{path.stem}.", f"{path.suffix}.tmp"


def temp_files(path: str | Path) -> list[Path]:
    """Temporary files `replacing(path)` made that are still beside `path`: left by a
    process killed while writing, or being written by one running now."""
    path = Path(path)
    prefix, suffix = _temp_name(path)
    pattern = re.compile(re.escape(prefix) + _RANDOM + re.escape(suffix))
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return sorted(path.parent / n for n in names if pattern.fullmatch(n))


@contextmanager
def replacing(path: str | Path, like: str | Path | None = None,
              notes: list[str] | None = None) -> Iterator[Path]:
    """Yields a temporary path beside `path`; on success it becomes `path`.

    The new file gets the owner, group and permission bits of `like` (default: the file
    it replaces), or the usual ones (0666 less the umask) when there is none, not
    mkstemp's private 0600. What cannot be kept is said in `notes`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        prefix, suffix = _temp_name(path)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as written:
            os.fsync(written.fileno())
        model = Path(like) if like is not None else path
        _take_owner_and_mode(tmp, model, path, notes if notes is not None else [])
        os.replace(tmp, path)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _cannot_write(path: Path, exc: OSError) -> UserError:
    other = exc.filename and Path(exc.filename).parent != path.parent  # not our temp file
    where = f" ({exc.filename})" if other else ""
    return UserError(f"Could not write {path}: {exc.strerror or exc}{where}. Check that the "
                     "folder exists and is writable and that the disk is not full.")


def _take_owner_and_mode(tmp: Path, model: Path, path: Path, notes: list[str]) -> None:
    try:
        old = model.stat()
    except FileNotFoundError:
        os.chmod(tmp, _default_mode())
        return
    new = tmp.stat()
    if hasattr(os, "chown") and (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        _chown(tmp, old, path, notes)      # before chmod: chown clears set-id bits
    os.chmod(tmp, stat.S_IMODE(old.st_mode))


def _chown(tmp: Path, old: os.stat_result, path: Path, notes: list[str]) -> None:
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
        return
    except PermissionError:
        pass
    try:                                   # a member of the group may still keep it
        os.chown(tmp, -1, old.st_gid)
    except PermissionError:
        pass
    now = tmp.stat()
    notes.append(f"{path.name} belonged to {_owner(old.st_uid, old.st_gid)}; this user may "
                 f"not give it away, so it now belongs to {_owner(now.st_uid, now.st_gid)} "
                 f"(permissions {stat.S_IMODE(old.st_mode):04o} kept). Run as "
                 f"{_owner(old.st_uid, None)}, or as root: chown "
                 f"{_owner(old.st_uid, old.st_gid)} '{path}'.")


def _owner(uid: int, gid: int | None) -> str:
    try:
        import grp
        import pwd
        user = pwd.getpwuid(uid).pw_name
        group = grp.getgrgid(gid).gr_name if gid is not None else None
    except (ImportError, KeyError):
        user, group = str(uid), (str(gid) if gid is not None else None)
    return user if group is None else f"{user}:{group}"


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Atomically replace `path` with `data`."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def copy_file(src: str | Path, dst: str | Path, notes: list[str] | None = None) -> Path:
    """Atomically replace `dst` with a copy of `src`: its contents and times, and its
    owner, group and permission bits."""
    with replacing(dst, like=src, notes=notes) as tmp:
        shutil.copy2(src, tmp)
    return Path(dst)
