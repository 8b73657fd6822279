"""The delivery ledger: one JSON line per message the server accepted, fsync'd at once.

It is how a rerun after a crash, a dropped connection or the daily cap sends what is
missing and nothing twice. A line is written the moment the server answers 250 to DATA;
a half-written last line (crash mid-write) is ignored on reading.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..load import clean_text

LEDGER_NAME = "ledger.jsonl"


def agent_key(agent_id: str) -> str:
    """The loader's ID rule (clean_text, then compared casefolded): "A05", "a05 " and
    " A05" are one agent, so retyping an ID on the Agents sheet does not make them new."""
    cleaned = clean_text(pd.Series([agent_id], dtype=object)).iloc[0]
    return "" if pd.isna(cleaned) else str(cleaned).casefold()


def mail_key(month: str, kind: str, agent_id: str) -> str:
    """What "sent once" means: one message per month ("YYYY-MM"), kind and agent (or team)."""
    return f"{month}/{kind}/{agent_key(agent_id)}"


def _entry_key(entry: dict[str, Any]) -> str:
    """An entry's key under today's ID rule (older ledgers kept the ID as typed)."""
    month, kind, agent = (str(entry["key"]).split("/", 2) + ["", ""])[:3]
    return mail_key(month, kind, agent)


class Ledger:
    """Append-only record of delivered (and "uncertain") messages, keyed by ScorecardMail.key."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LEDGER_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        self.sent_times: list[float] = []
        for entry in self._read():
            self.entries[_entry_key(entry)] = entry
            self.sent_times.append(float(entry.get("ts", 0)))
        self._end_torn_line()

    def _end_torn_line(self) -> None:
        """After a crash mid-write the file may not end in a newline: end it, or the next
        record would be glued to the torn text and lost with it."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
                fh.flush()
                os.fsync(fh.fileno())

    def _read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue          # torn last line from a crash: that send was not recorded
                if isinstance(entry, dict) and "key" in entry:
                    yield entry

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def sent_since(self, since: float) -> int:
        """How many messages went out after `since` (for the daily cap, across reruns)."""
        return sum(t > since for t in self.sent_times)

    def record(self, key: str, *, status: str, message_id: str, recipients: list[str],
               agent_id: str, month: str, ts: float, reason: str = "") -> None:
        entry = {"key": key, "status": status, "message_id": message_id, "recipients": recipients,
                 "agent_id": agent_id, "month": month, "ts": ts,
                 "time": dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")}
        if reason:
            entry["reason"] = reason
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[key] = entry
        self.sent_times.append(ts)


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[None]:
    """One sending run per outbox at a time: two at once could both send the same message."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a+b") as fh:
        try:
            _lock(fh.fileno())
        except OSError:
            raise UserError(f"Another `kpi-reports email` run is using {folder}; wait for it to finish.") from None
        try:
            yield
        finally:
            _unlock(fh.fileno())


try:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
except ImportError:  # Windows
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
