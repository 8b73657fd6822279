"""What each PDF was rendered from, kept beside it, so a rerun renders exactly the stale ones.

A page is a pure function of its template files, its context (every number, word and
chart on it: the workbook, the settings and the month enter only through the context)
and the code that lays it out. The fingerprint hashes all three; it is stored, with a hash
of the PDF's own bytes, in OUT/YYYY-MM/.fingerprints/<pdf name>. A PDF is reused only when
both still match, so the mail body and its attachment always come from one computation.

The stamp is removed before its PDF is replaced and written after, so a run cut short
leaves a PDF without a stamp (rendered again next time), never a stamp over a stale PDF.
"""
from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

from ..atomic import write_bytes
from .templates import TemplateBundle

FOLDER = ".fingerprints"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """kpi-reports' and WeasyPrint's versions and the bytes of the report code (an edited
    checkout lays pages out anew without a version change)."""
    h = hashlib.sha256()
    for package in ("kpi-reports", "weasyprint"):
        h.update(f"{package}={metadata.version(package)};".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        h.update(source.read_bytes())
    return h.hexdigest()


def fingerprint(template: str, context: dict, bundle: TemplateBundle) -> str:
    """The hash of everything the page is made of."""
    h = hashlib.sha256(f"{code_version()}\0{bundle.digest}\0{template}\0".encode())
    h.update(json.dumps(context, sort_keys=True, default=_plain, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def _plain(value: object) -> object:
    """numpy scalars as Python ones; anything else JSON lacks by its repr (dates, dataclasses)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else repr(value)


def _stamp(pdf: Path) -> Path:
    return pdf.parent / FOLDER / pdf.name


def reusable(pdf: Path, inputs: str) -> list[str] | None:
    """The warnings of `pdf`'s rendering when it holds what rendering `inputs` would give
    (its stamp and its bytes match); None when it must be rendered (again)."""
    try:
        stamp = json.loads(_stamp(pdf).read_bytes())
        if stamp["inputs"] == inputs and stamp["pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest():
            return list(stamp["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def write_stamped(target: Path, pdf: bytes, inputs: str, warnings: list[str]) -> Path:
    """The PDF in place atomically, then its stamp (see the module's note on order)."""
    _stamp(target).unlink(missing_ok=True)
    write_bytes(target, pdf)
    stamp = {"inputs": inputs, "pdf": hashlib.sha256(pdf).hexdigest(), "warnings": warnings}
    write_bytes(_stamp(target), json.dumps(stamp).encode())
    return target
