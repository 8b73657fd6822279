"""Typed tables and results cached on the exact cell values Excel passed.

A sheet full of `=KPI_SCHEDULE_RATE(Leads[#All], "A01", TODAY())` formulas hands every
call the same 10,000-row range, freshly marshalled by COM as a tuple of row tuples. Typing
it (load.py's checks) costs far more than looking at it, so the TeamData and each as-of
day's KpiResult are kept under a cheap fingerprint of the values (size and a hash of a
sample of rows), confirmed on every hit by comparing every cell (C-speed tuple equality,
~1 ms for 10,000 rows), so an edited cell can never be served a stale result.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from itertools import chain
from typing import Generic, TypeVar

from kpi_reports.agent_ids import AgentIds
from kpi_reports.engine import compute
from kpi_reports.model import KpiResult, TeamData
from kpi_reports.settings import Settings

from .ranges import Rows, team_from_tables

SAMPLE_ROWS = 64
_V = TypeVar("_V")


def frozen(rows: Rows) -> tuple[tuple[object, ...], ...]:
    """The rows as a tuple of tuples. COM's own row tuples are kept as they are (tuple() of
    a tuple is itself); lists are copied, so a caller editing its list later cannot change
    what is cached."""
    return tuple(map(tuple, rows))


def fingerprint(rows: tuple[tuple[object, ...], ...]) -> tuple[int, int, int]:
    """Rows, columns and a hash of up to SAMPLE_ROWS evenly spread rows (incl. first, last)."""
    n = len(rows)
    step = max(1, n // SAMPLE_ROWS)
    return n, len(rows[0]) if n else 0, hash((rows[::step], rows[-1:]))


class Cells:
    """A range's cell values, equal to another only when every cell is the same value of
    the same kind: Python finds TRUE == 1, but the loader reads TRUE in a count or a date
    cell as a problem, so where the range holds 0s or 1s the cells' types are compared too."""

    __slots__ = ("rows", "_zero_or_one", "_types")

    def __init__(self, rows: Rows) -> None:
        self.rows = frozen(rows)
        self._zero_or_one: bool | None = None
        self._types: tuple[type, ...] | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cells) or self.rows != other.rows:
            return False
        return not self.zero_or_one() or self.types() == other.types()

    __hash__ = None  # type: ignore[assignment]

    def zero_or_one(self) -> bool:
        """Whether any cell equals 0 or 1 (so could be TRUE/FALSE in an equal range); once."""
        if self._zero_or_one is None:
            try:
                self._zero_or_one = not {0, 1}.isdisjoint(chain.from_iterable(self.rows))
            except TypeError:            # an unhashable cell: compare types to be safe
                self._zero_or_one = True
        return self._zero_or_one

    def types(self) -> tuple[type, ...]:
        if self._types is None:
            self._types = tuple(map(type, chain.from_iterable(self.rows)))
        return self._types


class _Lru(Generic[_V]):
    """A small least-recently-used map; values are built on a miss by `make`."""

    def __init__(self, size: int, identity: bool = False) -> None:
        self.size = size
        self.identity = identity          # confirm a hit with `is` instead of ==
        self.items: OrderedDict[Hashable, tuple[object, _V]] = OrderedDict()
        self.misses = 0

    def get(self, key: Hashable, exact: object, make: Callable[[], _V]) -> _V:
        hit = self.items.get(key)
        if hit is not None and (hit[0] is exact if self.identity else hit[0] == exact):
            self.items.move_to_end(key)
            return hit[1]
        self.misses += 1
        value = make()
        self.items[key] = (exact, value)
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


class ResultCache:
    """KpiResults for tables passed as rows; each distinct set of tables is typed once."""

    def __init__(self, size: int = 16) -> None:
        self.teams: _Lru[TeamData] = _Lru(size)
        self.results: _Lru[KpiResult] = _Lru(size * 4, identity=True)
        self.spellings: _Lru[AgentIds] = _Lru(size, identity=True)

    def lookup(self, tables: Mapping[str, Rows], as_of: dt.date,
               settings: Settings) -> tuple[TeamData, KpiResult]:
        """The typed tables and their result as of the day, built only when new."""
        exact = tuple(sorted(((name, Cells(rows)) for name, rows in tables.items()), key=lambda t: t[0]))
        key = (tuple((name, fingerprint(cells.rows)) for name, cells in exact), id(settings))
        team = self.teams.get(key, exact, lambda: team_from_tables(
            {name: cells.rows for name, cells in exact}, settings))
        result = self.results.get((key, as_of), team, lambda: compute(team, as_of, settings))
        return team, result

    def agent_ids(self, team: TeamData) -> AgentIds:
        """The team's Agent IDs by the loader's rule (kpi_reports.agent_ids), made once per team."""
        return self.spellings.get(id(team), team, lambda: AgentIds.of(team.agents))

    def clear(self) -> None:
        for lru in (self.teams, self.results, self.spellings):
            lru.items.clear()
