"""Typed tables and results cached on the exact cell values Excel passed.

A sheet full of `=KPI_SCHEDULE_RATE(Leads[#All], "A01", TODAY())` formulas hands every
call the same 10,000-row range. Typing it (load.py's checks) costs far more than hashing
it, so the TeamData and each as-of day's KpiResult are kept under a cheap fingerprint of the
values (size and a hash of a sample of rows), confirmed on every hit by comparing all the
rows (C-speed list equality), so an edited cell can never be served a stale result.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

from kpi_reports.engine import compute
from kpi_reports.model import KpiResult, TeamData
from kpi_reports.settings import Settings

from .ranges import Rows, team_from_tables

SAMPLE_ROWS = 64


def fingerprint(rows: Rows) -> tuple[int, int, int]:
    """Rows, columns and a hash of up to SAMPLE_ROWS evenly spread rows (incl. first, last)."""
    n = len(rows)
    step = max(1, n // SAMPLE_ROWS)
    sample = [*rows[::step], rows[-1]] if n else []
    return n, len(rows[0]) if n else 0, hash(tuple(map(tuple, sample)))


class _Lru:
    """A small least-recently-used map; values are built on a miss by `make`."""

    def __init__(self, size: int, identity: bool = False) -> None:
        self.size = size
        self.identity = identity          # confirm a hit with `is` instead of ==
        self.items: OrderedDict[Hashable, tuple[object, object]] = OrderedDict()
        self.misses = 0

    def get(self, key: Hashable, exact: object, make: Callable[[], object]) -> object:
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
        self.teams = _Lru(size)
        self.results = _Lru(size * 4, identity=True)

    def lookup(self, tables: Mapping[str, Rows], as_of: dt.date,
               settings: Settings) -> tuple[TeamData, KpiResult]:
        """The typed tables and their result as of the day, built only when new."""
        exact = sorted((name, [list(r) for r in rows] if isinstance(rows, tuple) else rows)
                       for name, rows in tables.items())
        key = (tuple((name, fingerprint(rows)) for name, rows in exact), id(settings))
        team = self.teams.get(key, exact, lambda: team_from_tables(tables, settings))
        result = self.results.get((key, as_of), team, lambda: compute(team, as_of, settings))
        return team, result

    def clear(self) -> None:
        self.teams.items.clear()
        self.results.items.clear()
