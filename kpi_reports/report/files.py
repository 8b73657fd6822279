"""Safe, distinct PDF file names from untrusted agent IDs, names and team names."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_STEM = 80


def safe_stem(*parts: object) -> str:
    """ "A01", "José ../../x" -> "A01-Jose_.x": ASCII letters, digits, . _ - only, no leading dot."""
    text = "-".join(str(p).strip() for p in parts if str(p).strip())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")
    return text[:MAX_STEM].rstrip("._-") or "agent"


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
