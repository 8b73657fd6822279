"""Team tables ({sheet name: DataFrame with display headers}, as kpi_reports.sample makes
them) written as a folder of Parquet files or as PostgreSQL tables: the same data as a
workbook, for the demo, the tests and the benchmarks.

A column typed as one kind throughout keeps its type (dates become Parquet/SQL dates);
a column mixing kinds, as a workbook column can (a date typed as text among dates),
is written as text, which the loader reads by the same rules.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import replacing
from .postgres import DatabaseUrl, PostgresDatabase


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    return pa.table({str(name): _arrow_column(frame[name]) for name in frame.columns})


def _arrow_column(column: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(column):
        return _as_dates(pa.array(column))
    try:
        array = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):      # mixed kinds: text, as a workbook cell shows it
        return pa.array([None if pd.isna(v) else _text(v) for v in column], type=pa.string())
    return _as_dates(array) if pa.types.is_timestamp(array.type) else array


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def _as_dates(array: pa.Array) -> pa.Array:
    """Timestamps at midnight are days: date32 (SQL `date`)."""
    days = array.cast(pa.date32())
    return days if days.cast(array.type).equals(array) else array


def write_parquet_folder(tables: dict[str, pd.DataFrame], folder: str | Path) -> Path:
    """One <sheet name>.parquet per table, each written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        with replacing(folder / f"{name}.parquet") as tmp:
            pq.write_table(arrow_table(frame), tmp)
    return folder


def write_postgres_tables(tables: dict[str, pd.DataFrame], url: str | DatabaseUrl) -> None:
    """Each table created (or replaced) under its sheet name, in one transaction."""
    url = url if isinstance(url, DatabaseUrl) else DatabaseUrl(url)
    with PostgresDatabase(url) as database, database.connection.cursor() as cursor:
        for name, frame in tables.items():
            cursor.adbc_ingest(name, arrow_table(frame), mode="replace")
        database.connection.commit()
