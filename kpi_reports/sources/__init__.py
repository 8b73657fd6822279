"""Where a team's five tables come from: a workbook, a folder of Parquet files or a
PostgreSQL database. Every face calls `load_team`; the typing and data-quality rules
are the loader's (kpi_reports/load), the same for every source.

    table.py     a table of named, typed columns -> the loader's raw sheet
    parquet.py   a folder of .parquet files (or folders of part files), one per sheet
                 (a folder of .csv files is a workbook: kpi_reports/load/csv_folder.py)
    postgres.py  a database URL: tables or views named as the sheets, read over ADBC
    export.py    writing team tables to Parquet or PostgreSQL (demo data, tests, benchmarks)
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkbookError
from .postgres import DatabaseUrl, PostgresDatabase, is_database_url

if TYPE_CHECKING:
    from ..model import TeamData
    from ..settings import Settings
    from .table import TableReader

Source = Path | DatabaseUrl

__all__ = ["Source", "DatabaseUrl", "as_source", "load_team"]


def as_source(value: str | Path | DatabaseUrl) -> Source:
    """A database URL, or a path (a workbook file, a folder of Parquet or of CSV files)."""
    if isinstance(value, (Path, DatabaseUrl)):
        return value
    if "://" in value:
        if not is_database_url(value):
            scheme = value.split("://", 1)[0]
            raise WorkbookError(f"{scheme}:// sources are not supported: give a postgresql:// URL, "
                                "a folder of Parquet or CSV files or a workbook (.xlsx, .xlsm, .ods).")
        return DatabaseUrl(value)
    return Path(value)


def load_team(source: str | Path | DatabaseUrl, settings: Settings | None = None) -> TeamData:
    """Read the team from a workbook, a folder of Parquet or CSV files or a postgresql:// URL.
    (pandas, pyarrow and the loader are imported here, when a team is read.)"""
    from ..load import is_csv_folder, load_workbook
    from ..settings import load_settings

    source = as_source(source)
    settings = settings or load_settings()
    if isinstance(source, DatabaseUrl):
        with PostgresDatabase(source) as database:
            return _load_tables(database, settings, str(source))
    if source.is_dir():
        from .parquet import ParquetFolder, holds_parquet
        if holds_parquet(source):
            return _load_tables(ParquetFolder(source), settings, str(source))
        if not is_csv_folder(source):
            raise WorkbookError(
                f"{source} is a folder that holds no .csv files and no .parquet files. Give a workbook "
                "(.xlsx, .xlsm, .ods), or a folder holding Agents, Activity, Leads, Deals and (optional) "
                "Deal Updates as .parquet files (or folders of part files) or as .csv files.")
    return load_workbook(source, settings)


def _load_tables(reader: TableReader, settings: Settings, label: str) -> TeamData:
    from ..load import load_rows, reading_plan
    from .table import checked_tables      # pyarrow is imported only for a source that needs it

    return load_rows(checked_tables(reader, reading_plan(settings)[1]), settings, source=label)
