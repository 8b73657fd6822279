"""A folder of CSV files as a team workbook: Agents.csv, Leads.csv, Deal Updates.csv ...

Each file is a sheet, named by its file name (matched as sheet names are: deal_updates.csv
is Deal Updates). Cells are text, typed by the loader's rules as a workbook's text cells
are; a problem's row number is the file's line (the header is line 1; a quoted value
spanning lines counts them all). UTF-8 (with or without the BOM Excel writes) or, failing
that, Windows-1252; comma, semicolon or tab separated, as the header line shows.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ..errors import WorkbookError
from .xlsx import SheetRows

SEPARATORS = ",;\t"
MAX_FIELD = 1 << 24         # 16 MB in one cell: a file this odd is not a team's table


def is_csv_folder(path: Path) -> bool:
    """A folder holding at least one .csv file (what load_workbook reads as a team)."""
    return path.is_dir() and any(p.suffix.lower() == ".csv" and p.is_file() for p in path.iterdir())


class CsvFolder:
    """The Workbook interface (sheet_names, rows) over a folder of CSV files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files = {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".csv" and p.is_file()}
        if not self.files:
            raise WorkbookError(f"{folder} is a folder without .csv files. Give a workbook (.xlsx, .xlsm, .ods) or a "
                                "folder holding Agents.csv, Activity.csv, Leads.csv, Deals.csv and (optional) "
                                "Deal Updates.csv.")

    def __enter__(self) -> CsvFolder:
        return self

    def __exit__(self, *exc) -> None:
        pass

    @property
    def sheet_names(self) -> list[str]:
        return list(self.files)

    def rows(self, name: str, wanted: Iterable[str] = ()) -> SheetRows:
        path = self.files[name]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WorkbookError(f"{path} could not be read ({exc.strerror or exc}).") from None
        return read_csv_rows(decode(data), str(path))


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def separator(text: str) -> str:
    """The separator the header line uses most (outside quotes), comma by default."""
    header = text.split("\n", 1)[0]
    unquoted = "".join(header.split('"')[::2])
    counts = {s: unquoted.count(s) for s in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_csv_rows(text: str, where: str) -> SheetRows:
    """Records and the line each starts on; blank lines are skipped (their numbers kept)."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    rows, numbers = [], []
    last_line = 0
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            if record and any(cell.strip() for cell in record):
                rows.append(record)
                numbers.append(start)
    except csv.Error as exc:
        raise WorkbookError(f"{where} could not be read as CSV at line {reader.line_num} ({exc}).") from None
    return SheetRows(rows, numbers)
