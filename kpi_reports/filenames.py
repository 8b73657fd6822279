"""Safe file names from untrusted workbook text (agent IDs, names, team names).

One cleaning rule for every file we write: ASCII letters, digits and . _ - only, no
leading dot, no "..", never a path separator, so no name can leave its folder.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

MAX_STEM = 80


def safe_stem(*parts: object, fallback: str = "agent", limit: int = MAX_STEM) -> str:
    """ "A01", "José ../../x" -> "A01-Jose_.x": ASCII letters, digits, . _ - only, no leading dot."""
    text = "-".join(str(p)[:limit * 4].strip() for p in parts if str(p).strip())   # a 20 MB name: its head
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")
    return text[:limit].rstrip("._-") or fallback


def unique_name(*parts: object, suffix: str = "") -> str:
    """safe_stem plus a short hash of the raw parts: two names that clean alike stay apart."""
    digest = hashlib.sha256("-".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:8]
    return f"{safe_stem(*parts, fallback='file')}-{digest}{suffix}"


class FileNamer:
    """Hands out PDF paths inside one folder, never the same name twice (case-insensitively)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: set[str] = set()

    def take(self, *parts: object) -> Path:
        stem = safe_stem(*parts)
        name, n = stem, 1
        while name.casefold() in self.taken:
            n += 1
            name = f"{stem}-{n}"
        self.taken.add(name.casefold())
        path = self.folder / f"{name}.pdf"
        assert path.resolve().parent == self.folder.resolve(), path   # cannot leave the folder
        return path
