"""A folder of Parquet files, one per sheet: Leads.parquet, deal_updates.parquet ... or a
folder of part files per sheet (leads/part-0.parquet ...), as Spark and DuckDB write them."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from ..errors import WorkbookError


def holds_parquet(folder: Path) -> bool:
    """A folder with a .parquet file, or a folder of them, in it."""
    return any((p.is_file() and p.suffix.lower() == ".parquet") or (p.is_dir() and any(p.glob("*.parquet")))
               for p in folder.iterdir())


class ParquetFolder:
    kind = "Parquet file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = str(folder)
        self._paths = self._find(folder)
        self._datasets: dict[str, ds.Dataset] = {}

    @staticmethod
    def _find(folder: Path) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        for entry in sorted(folder.iterdir()):
            if entry.is_file() and entry.suffix.lower() == ".parquet":
                paths.setdefault(entry.stem, entry)
            elif entry.is_dir() and any(entry.glob("*.parquet")):
                paths.setdefault(entry.name, entry)
        if not paths:
            raise WorkbookError(f"{folder} is a folder without .parquet files. Give a workbook (.xlsx, .xlsm), "
                                "or a folder holding Agents.parquet, Activity.parquet, Leads.parquet, "
                                "Deals.parquet and (optional) Deal Updates.parquet.")
        return paths

    def names(self) -> list[str]:
        return list(self._paths)

    def _dataset(self, name: str) -> ds.Dataset:
        if name not in self._datasets:
            path = self._paths[name]
            try:
                self._datasets[name] = ds.dataset(path, format="parquet")
            except (pa.ArrowException, OSError) as exc:
                raise WorkbookError(f"{path} could not be read as Parquet ({exc}).") from None
        return self._datasets[name]

    def columns(self, name: str) -> list[str]:
        return list(self._dataset(name).schema.names)

    def read(self, name: str, columns: list[str], coded: Collection[str] = ()) -> pa.Table:
        """The columns; the text columns named in `coded` as Arrow dictionaries, taken from
        Parquet's own dictionary pages rather than hashing millions of strings again."""
        try:
            dataset = self._dataset(name)
            if coded:
                options = ds.ParquetReadOptions(dictionary_columns=set(coded))
                dataset = ds.dataset(self._paths[name], format=ds.ParquetFileFormat(read_options=options))
            return dataset.to_table(columns=columns)
        except (pa.ArrowException, OSError) as exc:
            raise WorkbookError(f"{self._paths[name]} could not be read as Parquet ({exc}).") from None
