"""What a mail run did, per recipient, in a form the CLI prints and tests check."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["delivered", "would_send", "skipped", "failed", "uncertain", "deferred", "no_address"]
FINE = {"delivered", "would_send", "skipped"}
WORDS = {
    "delivered": "sent", "would_send": "would send", "skipped": "already sent",
    "failed": "FAILED", "uncertain": "UNCERTAIN", "deferred": "deferred — rerun to finish",
    "no_address": "no email address",
}


@dataclass(frozen=True)
class Outcome:
    agent_id: str
    name: str
    kind: str
    status: Status
    recipients: tuple[str, ...] = ()
    reason: str = ""
    message_id: str = ""
    eml_path: Path | None = None


@dataclass
class MailReport:
    """Every mail's outcome; `stopped` says why a run ended early (daily cap, server down)."""

    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None

    def _with(self, *statuses: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]

    delivered = property(lambda self: self._with("delivered"))
    would_send = property(lambda self: self._with("would_send"))
    skipped = property(lambda self: self._with("skipped"))
    failed = property(lambda self: self._with("failed", "uncertain"))
    deferred = property(lambda self: self._with("deferred"))
    no_address = property(lambda self: self._with("no_address"))

    @property
    def ok(self) -> bool:
        """True when every mail went (or would go) or had gone before: exit code 0."""
        return self.stopped is None and all(o.status in FINE for o in self.outcomes)

    def summary(self) -> str:
        counts = {s: len(self._with(s)) for s in WORDS}
        text = ", ".join(f"{n} {WORDS[s]}" for s, n in counts.items() if n)
        prefix = "Dry run (nothing sent; use --send): " if self.dry_run else ""
        tail = f". Stopped: {self.stopped}" if self.stopped else ""
        return f"{prefix}{text or 'nothing to do'}{tail}"
