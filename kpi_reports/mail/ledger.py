"""The delivery ledger: JSON lines, appended and flushed the moment something happens.

Every SMTP transaction writes two lines: the intent ("sending"), fsync'd just before DATA,
and the outcome after it: "delivered" (the server answered 250), "uncertain" (the message
went out but the answer was lost) or "not_sent" (refused, or cut off before the message's
end, so the server holds nothing). The outcome reaches the disk with the next intent's
fsync or at the end of the run (one fsync per message): a killed process loses nothing,
and a power cut that loses it leaves the mail uncertain, never sent twice.
An intent with no outcome means the sender died with the message in the server's hands
(SIGKILL, power cut): that mail is uncertain too. Uncertain mails are never sent again by
a plain rerun; `resend` sends them, `mark_sent` records that they did arrive. A
half-written last line (crash mid-write) is ignored.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..load import clean_text

LEDGER_NAME = "ledger.jsonl"


_AGENT_KEYS: dict[str, str] = {}


def agent_keys(agent_ids: Iterable[str]) -> dict[str, str]:
    """The loader's ID rule (clean_text, then compared casefolded), over many IDs in one
    vectorised pass: "A05", "a05 " and " A05" are one agent, so retyping an ID on the
    Agents sheet does not make them new. Answers are remembered for the process."""
    ids = list(dict.fromkeys(agent_ids))
    new = [i for i in ids if i not in _AGENT_KEYS]
    if new:
        cleaned = clean_text(pd.Series(new, dtype=object)).str.casefold().fillna("")
        _AGENT_KEYS.update(zip(new, cleaned))
        _AGENT_KEYS.update((key, key) for key in cleaned)      # a key is its own key (ledger lines hold keys)
    return {i: _AGENT_KEYS[i] for i in ids}


def agent_key(agent_id: str) -> str:
    """agent_keys for one ID."""
    return agent_keys([agent_id])[agent_id]


def mail_key(month: str, kind: str, agent_id: str) -> str:
    """What "sent once" means: one message per month ("YYYY-MM"), kind and agent (or team)."""
    return f"{month}/{kind}/{agent_key(agent_id)}"


def _key_parts(entry: dict[str, Any]) -> list[str]:
    return (str(entry["key"]).split("/", 2) + ["", ""])[:3]


def _entry_key(entry: dict[str, Any]) -> str:
    """An entry's key under today's ID rule (older ledgers kept the ID as typed)."""
    return mail_key(*_key_parts(entry))


SENDING, DELIVERED, UNCERTAIN, NOT_SENT = "sending", "delivered", "uncertain", "not_sent"
INTERRUPTED = "the sender stopped (killed?) while the server had the message"


class Ledger:
    """What became of every message, keyed by ScorecardMail.key (see mail_key)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LEDGER_NAME
        self.settled: dict[str, dict[str, Any]] = {}    # last outcome: delivered or uncertain
        self.pending: dict[str, dict[str, Any]] = {}    # intent written, no outcome yet
        self.sent_times: list[float] = []               # one per message that (may have) reached the server
        entries = list(self._read())
        agent_keys(_key_parts(e)[2] for e in entries)        # one vectorised pass, not one per line
        for entry in entries:
            self._apply(entry)

    def sync(self) -> None:
        """fsync what was written without it (the outcomes since the last intent)."""
        if self.path.exists():
            with self.path.open("rb") as fh:
                os.fsync(fh.fileno())
        self.sent_times += [float(p.get("ts", 0)) for p in self.pending.values()]
        self._end_torn_line()

    def _apply(self, entry: dict[str, Any], key: str | None = None) -> None:
        key, status = key or _entry_key(entry), entry.get("status")
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
               agent_id: str, month: str, ts: float, reason: str = "", durable: bool = True) -> None:
        """Append one line (fsync'd when `durable`); a failure to write is a UserError (the run stops)."""
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
                if durable:
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise UserError(f"Cannot write the delivery ledger {self.path} ({exc.strerror or exc}); "
                            "nothing more is sent until it can be written.") from None
        self._apply(entry, key)


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


if sys.platform != "win32":
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
else:  # Windows
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
