"""A source's table (Parquet file, database table or view) handed to the loader.

A table has named, typed columns and no header row to look for, no grid and no row
numbers: only the columns the loader asks for are read, as Arrow, and turned into the
loader's raw sheet in whole-column steps. Rows are identified by their ID columns
(KEYS) in the data-quality list.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import WorkbookError
from ..load import ACTIVITY, AGENTS, DEAL_UPDATES, DEALS, LEADS, SheetSpec, column_name
from ..load.cells import is_blank
from ..load.names import Naming, Shortfall, match_columns
from ..load.sheets import RawSheet, column_gaps, find_sheet

SPECS = (AGENTS, ACTIVITY, LEADS, DEALS, DEAL_UPDATES)
OPTIONAL_TABLES = {DEAL_UPDATES.name}
KEYS = {AGENTS.name: ("Agent ID",), ACTIVITY.name: ("Agent ID", "Date"), LEADS.name: ("Lead ID",),
        DEALS.name: ("Deal ID",), DEAL_UPDATES.name: ("Deal ID", "Updated")}
# the text column of each table with about as many distinct values as rows: read as plain
# text; the other text columns (Agent IDs, Type) are asked for as dictionaries
MANY_VALUES = {AGENTS.name: "Agent ID", LEADS.name: "Lead ID", DEALS.name: "Deal ID", DEAL_UPDATES.name: "Deal ID"}


class TableReader(Protocol):
    kind: str            # what one table is called in messages: "Parquet file", "table"
    where: str           # the source as shown in messages (a URL's password masked)

    def names(self) -> list[str]: ...
    def columns(self, name: str) -> list[str]: ...
    def read(self, name: str, columns: list[str], coded: Collection[str] = ()) -> pa.Table: ...


def matched_columns(headers: list[str], spec: SheetSpec, extra: tuple[str, ...] = (),
                    mapped: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """({display column: the source's column} for the columns the loader reads, {display
    column: the settings' name for it that is no column here}), as a sheet's headers are
    matched (load/names.py: the settings' [columns] first, then our names)."""
    wanted = list(dict.fromkeys((*spec.required, *spec.optional, *extra)))
    found, not_there = match_columns(headers, spec.name, wanted, mapped or {})
    return {c: headers[at] for c, at in found.items()}, not_there


@dataclass
class SourceTable:
    """One table, read when the loader asks for it (read_sheet calls raw_sheet)."""

    reader: TableReader
    name: str

    def headers(self) -> list[str]:
        return self.reader.columns(self.name)

    def raw_sheet(self, real_name: str, spec: SheetSpec, extra: tuple[str, ...],
                  mapped: Mapping[str, str] | None = None, gaps: Shortfall | None = None) -> RawSheet | None:
        headers = self.headers()
        present, unmapped = matched_columns(headers, spec, extra, mapped)
        missing = [c for c in spec.required if c not in present]
        if missing:          # checked_tables names these first; a sheet the loader guessed at may lack them
            if gaps is None:
                raise WorkbookError(f"{missing_words(self.reader, self.name, missing, headers)}.")
            gaps.gaps.extend(column_gaps(real_name, headers, [], spec, extra, missing, unmapped,
                                         {headers.index(h) for h in present.values()}))
            return None
        coded = [h for c, h in present.items() if c != MANY_VALUES.get(spec.name)]
        try:
            table = self.reader.read(self.name, list(dict.fromkeys(present.values())), coded)
        except WorkbookError:
            raise
        except Exception as exc:
            raise WorkbookError(f"The {self.reader.kind} {self.name!r} of {self.reader.where} "
                                f"could not be read ({exc}).") from None
        frame = arrow_to_pandas(table)
        index = pd.RangeIndex(1, len(frame) + 1, name="row")      # positions: rows are found by key
        wanted = [column_name(c) for c in dict.fromkeys((*spec.required, *spec.optional, *extra))]
        columns = {column_name(c): frame[h].set_axis(index) for c, h in present.items()}
        absent = pd.Series(np.nan, index=index, dtype=object)         # never read: not in `present`
        data = pd.DataFrame({c: columns.get(c, absent) for c in wanted}, index=index, copy=False)
        blank = blank_rows(data)
        return RawSheet(real_name, data[~blank] if blank.any() else data, {column_name(c) for c in present},
                        unmapped=unmapped, keyed_by=KEYS[spec.name])


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Columns as the loader types them: dates as datetime64, decimals as floats, text as str."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):
            if pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type):
                columns[name] = column      # a categorical: cells.Coded.of takes its codes as they are
                continue
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
                  or pa.types.is_temporal(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
                  or pa.types.is_null(kind)):
            column = pc.cast(column, pa.string()) if _castable_to_text(kind) else column
        columns[name] = column
    return pa.table(columns).to_pandas(date_as_object=False, split_blocks=True)   # a block per column: no copy


def _castable_to_text(kind: pa.DataType) -> bool:
    return not (pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind))


def blank_rows(data: pd.DataFrame) -> pd.Series:
    """Rows with every cell empty; a row holding a number or a date is not, so text is
    looked at only on the rows whose other cells are all empty."""
    maybe = np.ones(len(data), dtype=bool)
    text_columns = []
    for name, column in data.items():
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype) or \
                isinstance(column.dtype, pd.CategoricalDtype):
            text_columns.append(name)
        else:
            maybe &= column.isna().to_numpy()
    for name in text_columns:
        if maybe.any():
            maybe[maybe] = is_blank(data[name][maybe].astype(object)).to_numpy()
    return pd.Series(maybe, index=data.index)


class Tables(Mapping):
    """{sheet name: SourceTable}, as load_rows takes it; nothing is read until asked for."""

    def __init__(self, reader: TableReader, names: list[str]) -> None:
        self.reader, self._names = reader, names

    def __getitem__(self, name: str) -> SourceTable:
        if name not in self._names:
            raise KeyError(name)
        return SourceTable(self.reader, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def missing_words(reader: TableReader, name: str, missing: list[str], headers: list[str]) -> str:
    seen = ", ".join(headers) or "none"
    return f"the {reader.kind} {name!r} lacks the column(s) {', '.join(missing)} (columns found: {seen})"


def checked_tables(reader: TableReader, naming: Naming | None = None) -> Tables:
    """The source's tables, after checking that every required table and column is there
    (named as the sheets are, or as the settings' [sheets] and [columns] map them): all
    that is missing is named in one error, with how to fix it."""
    names = reader.names()
    missing = []
    for spec in SPECS:
        name = find_sheet(names, spec.name, naming)
        if name is None:
            if spec.name not in OPTIONAL_TABLES or (naming and spec.name in naming.sheets):
                mapped = f" (the settings' [sheets] name {naming.sheets[spec.name]!r})" \
                    if naming and spec.name in naming.sheets else ""
                missing.append(f"no {reader.kind} named {spec.name!r}{mapped} (with the columns "
                               f"{', '.join(spec.required)})")
            continue
        headers = reader.columns(name)
        found, _ = matched_columns(headers, spec, mapped=naming.columns.get(spec.name) if naming else None)
        absent = [c for c in spec.required if c not in found]
        if absent:
            missing.append(missing_words(reader, name, absent, headers))
    if missing:
        found_names = ", ".join(names) or "none"
        raise WorkbookError(
            f"{reader.where} cannot be read as a team: {'; '.join(missing)}. {reader.kind.capitalize()}s found: "
            f"{found_names}. Names match the sheet names (Agents, Activity, Leads, Deals, Deal Updates) "
            "and headers ignoring case, spaces and underscores (deal_updates is Deal Updates); other names "
            "are mapped in the settings ([sheets] and [columns.<Sheet>], as for a workbook).")
    return Tables(reader, names)
