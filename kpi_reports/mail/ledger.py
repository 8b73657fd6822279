"""The delivery ledger: JSON lines, each fsync'd the moment it is written.

Every SMTP transaction writes two lines: the intent ("sending") just before DATA, and the
outcome after it: "delivered" (the server answered 250), "uncertain" (the message went
out but the answer was lost) or "not_sent" (refused, or cut off before the message's
end, so the server holds nothing). An intent with no outcome means the sender died with
the message in the server's hands (SIGKILL, power cut): that mail is uncertain too.
Uncertain mails are never sent again by a plain rerun; `resend` sends them, `mark_sent`
records that they did arrive. A half-written last line (crash mid-write) is ignored.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..load import clean_text

LEDGER_NAME = "ledger.jsonl"


@functools.lru_cache(maxsize=65_536)
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


SENDING, DELIVERED, UNCERTAIN, NOT_SENT = "sending", "delivered", "uncertain", "not_sent"
INTERRUPTED = "the sender stopped (killed?) while the server had the message"


class Ledger:
    """What became of every message, keyed by ScorecardMail.key (see mail_key)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LEDGER_NAME
        self.settled: dict[str, dict[str, Any]] = {}    # last outcome: delivered or uncertain
        self.pending: dict[str, dict[str, Any]] = {}    # intent written, no outcome yet
        self.sent_times: list[float] = []               # one per message that (may have) reached the server
        for entry in self._read():
            self._apply(entry)
        self.sent_times += [float(p.get("ts", 0)) for p in self.pending.values()]
        self._end_torn_line()

    def _apply(self, entry: dict[str, Any]) -> None:
        key, status = _entry_key(entry), entry.get("status")
        if status == SENDING:
            self.pending[key] = entry
            return
        self.pending.pop(key, None)
        if status != NOT_SENT:          # delivered, uncertain (or a line from an older ledger)
            self.settled[key] = entry
            self.sent_times.append(float(entry.get("ts", 0)))

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
                    continue          # torn last line from a crash
                if isinstance(entry, dict) and "key" in entry:
                    yield entry

    def get(self, key: str) -> dict[str, Any] | None:
        """The mail's state: a "delivered" or "uncertain" entry, or None (never reached a server).

        An intent without an outcome comes back as "uncertain" with INTERRUPTED as reason."""
        if key in self.pending:
            return {**self.pending[key], "status": UNCERTAIN, "reason": INTERRUPTED}
        return self.settled.get(key)

    def uncertain(self) -> dict[str, dict[str, Any]]:
        """Every mail whose outcome is unknown, by key."""
        return {key: entry for key in {*self.settled, *self.pending}
                if (entry := self.get(key)) and entry["status"] == UNCERTAIN}

    def sent_since(self, since: float) -> int:
        """How many messages went out after `since` (for the daily cap, across reruns)."""
        return sum(t > since for t in self.sent_times)

    def record(self, key: str, *, status: str, message_id: str, recipients: list[str],
               agent_id: str, month: str, ts: float, reason: str = "") -> None:
        """Append one line and fsync it; a failure to write is a UserError (the run stops)."""
        entry = {"key": key, "status": status, "message_id": message_id, "recipients": recipients,
                 "agent_id": agent_id, "month": month, "ts": ts,
                 "time": dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")}
        if reason:
            entry["reason"] = reason
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise UserError(f"Cannot write the delivery ledger {self.path} ({exc.strerror or exc}); "
                            "nothing more is sent until it can be written.") from None
        self._apply(entry)


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
