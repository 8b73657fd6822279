"""The template folder: Jinja2 templates, stylesheet, logo and theme, with a safe fetcher.

A team's own folder (--templates DIR) overrides any of the built-in files by name; what
it leaves out comes from report_templates/. WeasyPrint may read files from these two
folders and nothing else: no network, no other local file, whatever a template or a
workbook cell asks for.
"""
from __future__ import annotations

import mimetypes
from importlib import resources
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import UserError
from .charts import Palette

# report_templates/ at the top of the checkout, shipped in the wheel as this package's data.
DEFAULT_TEMPLATES = Path(str(resources.files("kpi_reports.report_templates")))
STYLESHEET = "scorecard.css"
THEME = "theme.toml"
PAGE_SIZES = ("A4", "Letter")


@dataclass(frozen=True)
class Theme:
    """Colours shared by the stylesheet (as CSS variables) and the SVG charts, and the paper."""

    palette: Palette = Palette()
    page_size: str = "Letter"

    def css(self) -> str:
        colours = "".join(f"--{f.name}: {getattr(self.palette, f.name)};" for f in fields(Palette))
        return f":root {{ {colours} }} @page {{ size: {self.page_size}; }} " \
               f"@page summary {{ size: {self.page_size} landscape; }}"


@dataclass(frozen=True)
class TemplateFolders:
    """The team's folder (if any) in front of the built-in one."""

    folders: tuple[Path, ...]

    @classmethod
    def locate(cls, custom: str | Path | None = None) -> "TemplateFolders":
        if custom is None:
            return cls((DEFAULT_TEMPLATES,))
        path = Path(custom).expanduser().resolve()
        if not path.is_dir():
            raise UserError(f"Templates folder not found: {custom}. Copy report_templates/ "
                            "to a folder of your own, change it, and pass that folder to --templates.")
        return cls((path, DEFAULT_TEMPLATES))

    def find(self, name: str) -> Path:
        for folder in self.folders:
            if (folder / name).is_file():
                return folder / name
        raise UserError(f"{name} is missing from the templates folder {self.folders[0]}.")

    def theme(self) -> Theme:
        """theme.toml of each folder, the team's keys over the built-in ones."""
        merged: dict = {}
        for folder in reversed(self.folders):
            path = folder / THEME
            if path.is_file():
                try:
                    merged.update(tomllib.loads(path.read_text("utf-8")))
                except tomllib.TOMLDecodeError as exc:
                    raise UserError(f"{path} is not valid TOML: {exc}") from None
        colours = merged.get("colours", {})
        unknown = set(colours) - {f.name for f in fields(Palette)}
        if unknown:
            raise UserError(f"{THEME}: unknown colour(s) {sorted(unknown)}; "
                            f"use {', '.join(f.name for f in fields(Palette))}.")
        size = str(merged.get("page_size", "Letter"))
        if size not in PAGE_SIZES:
            raise UserError(f"{THEME}: page_size must be A4 or Letter (found {size!r}).")
        return Theme(Palette(**{k: str(v) for k, v in colours.items()}), size)


def make_fetcher(folders: tuple[Path, ...]):
    """A WeasyPrint URL fetcher that serves files under `folders` only (and data: URIs)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = tuple(folder.resolve() for folder in folders)

    class FolderFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused to fetch {url}: only files of the templates folder are used")
            path = _in_folders(Path(unquote(parts.path)).resolve(), roots)
            if path is None:
                raise ValueError(f"refused to fetch {url}: not a file of the templates folder")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})

    return FolderFetcher(allowed_protocols=("file", "data"))


def _in_folders(path: Path, roots: tuple[Path, ...]) -> Path | None:
    """The file a template asked for: under one of the roots, the team's copy first."""
    under = [root for root in roots if path.is_relative_to(root)]
    if not under:
        return None
    relative = path.relative_to(under[0])
    for root in roots:
        candidate = root / relative
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    return None
