"""Matching an agent ID a person typed (--agent, --resend, a formula's argument) to the Agents sheet.

One rule, the loader's own (kpi_reports.load: clean_text, then compared casefolded): the
text is trimmed, a whole number loses its ".0" (7, 7.0 and "7" are one ID) and case does
not matter, so `--agent a04`, `--resend a04` and =KPI_...("a04") all find A04.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .load import clean_text

Found = Literal["active", "inactive", "unknown", "blank"]


def id_text(value: object) -> str | None:
    """An ID cell or argument as the loader reads it: trimmed, 7.0 -> "7" (None for a blank)."""
    text = clean_text(pd.Series([value], dtype=object)).iloc[0]
    return None if pd.isna(text) else str(text)


def id_key(value: object) -> str | None:
    """The form two IDs are compared in (None for a blank)."""
    text = id_text(value)
    return None if text is None else text.casefold()


@dataclass(frozen=True)
class AgentIds:
    """The Agents sheet's IDs, as spelled there, by their key; active and inactive apart."""

    active: dict[str, str]
    inactive: dict[str, str]

    @classmethod
    def of(cls, agents: pd.DataFrame) -> AgentIds:
        """From a loaded Agents table (agent_id, active)."""
        keys = agents["agent_id"].str.casefold()
        is_active = agents["active"].to_numpy(dtype=bool)
        return cls(dict(zip(keys[is_active], agents["agent_id"][is_active])),
                   dict(zip(keys[~is_active], agents["agent_id"][~is_active])))

    def find(self, typed: object) -> tuple[str | None, Found]:
        """(the ID as on the Agents sheet, whether it is active) for what a person typed."""
        return self.lookup(id_key(typed))

    def lookup(self, key: str | None) -> tuple[str | None, Found]:
        """find() for an ID already in its compared form (id_key)."""
        if key is None:
            return None, "blank"
        if key in self.active:
            return self.active[key], "active"
        if key in self.inactive:
            return self.inactive[key], "inactive"
        return None, "unknown"


__all__ = ["AgentIds", "id_key", "id_text"]
