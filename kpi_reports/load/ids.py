"""ID and word columns typed once per distinct value, kept as integer codes per row.

A network's Activity sheet holds 5 million rows but 20,000 distinct Agent IDs; its Leads
sheet holds 5 million Lead IDs that are all distinct. Either way the text work (trim,
casefold, look up) is done once per distinct value or in Arrow kernels over the whole
column, and rows only ever see integer codes: matching an Agent ID is one lookup per
distinct ID, finding duplicate Lead IDs is one hash of their casefolded text and a count
of codes, and agent IDs and types leave as categoricals without a string per row.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_string_dtype

from .cells import Coded, clean_text
from .sheets import RawSheet

TEXT = "string"       # the dtype clean_text gives: trimmed text, NA for blank


def folded(text: pd.Series) -> pd.Series:
    """Text equal ignoring case (str.casefold); ASCII-only text is lowered in one Arrow
    kernel (casefold and lower agree on ASCII) rather than a Python call per value."""
    text = text.astype(TEXT)
    return text.str.lower() if text.str.isascii().all() else text.str.casefold()


@dataclass
class CodedText:
    """A text column (IDs, Type) as its distinct trimmed texts and a code per row.

    Cells that trim to one text (" A1", "A1", and 7, 7.0, "7") share a code; -1 = blank.
    """

    text: pd.Series        # trimmed texts (dtype TEXT), position = code: distinct from `of`, per row from `of_keys`
    codes: np.ndarray      # per row
    index: pd.Index        # the sheet's rows

    @classmethod
    def of(cls, coded: Coded) -> CodedText:
        values = pd.Series([*coded.distinct, None], dtype=object)
        cleaned = clean_text.parse(values).iloc[:-1]          # the last value stands for the blank cells
        if infer_dtype(coded.distinct, skipna=False) == "string" and cleaned.notna().all() \
                and cleaned.eq(values.iloc[:-1]).all():          # text already trimmed: one text per code
            return cls(cleaned, coded.codes, coded.index)
        codes, text = pd.factorize(cleaned, use_na_sentinel=True)
        return cls(pd.Series(text, dtype=TEXT), spread(codes, coded.codes), coded.index)

    @classmethod
    def of_keys(cls, sheet: RawSheet, key: str) -> CodedText:
        """A column of keys (Lead ID, Deal ID: one row each, so as many distinct values as
        rows). A table source's text column is trimmed whole, each row its own code: coding
        it by distinct value first would hash millions of strings once more for nothing."""
        column = sheet.frame[key]
        if key in sheet.coded or column.dtype == object or not is_string_dtype(column.dtype):
            return cls.of(sheet.col(key))          # a sheet's cells (already coded), or numbers
        text = column.astype(TEXT).str.strip()
        text = text.mask(text == "")
        codes = np.where(text.isna().to_numpy(), -1, np.arange(len(text)))
        return cls(text.reset_index(drop=True), codes, column.index)

    @cached_property
    def blank(self) -> pd.Series:
        return pd.Series(self.codes < 0, index=self.index)

    @cached_property
    def per_row(self) -> pd.Series:
        """The trimmed text of each row (dtype TEXT, NA for blank)."""
        return pd.Series(self.text.array.take(self.codes, allow_fill=True), index=self.index)

    @cached_property
    def folded(self) -> pd.Series:
        """`text` casefolded (by code)."""
        return folded(self.text)

    @cached_property
    def keys(self) -> np.ndarray:
        """Per row, a code that is equal for texts equal ignoring case (-1 = blank)."""
        fold_codes, _ = pd.factorize(self.folded)
        return spread(fold_codes, self.codes)

    def positions_in(self, keys: pd.Index) -> np.ndarray:
        """Per row, where its text (ignoring case) is in `keys` (casefolded, unique); -1 = not there."""
        return spread(keys.get_indexer(self.folded), self.codes)

    def per_row_of(self, per_code: np.ndarray) -> pd.Series:
        """A per-code boolean spread to rows (False for blank rows)."""
        return pd.Series(np.append(per_code, False)[self.codes], index=self.index)


def spread(per_code: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """per_code[code] for each row; -1 where the row's code is -1."""
    return np.append(np.asarray(per_code, dtype=np.int64), -1)[codes]


def categorical(positions: np.ndarray, categories: pd.Index, index: pd.Index) -> pd.Series:
    """A per-row categorical from positions in `categories` (-1 = NA), with no text per row."""
    dtype = pd.CategoricalDtype(categories)
    return pd.Series(pd.Categorical.from_codes(positions, dtype=dtype), index=index)
