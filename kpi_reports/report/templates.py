"""The template folder: Jinja2 templates, stylesheet, logo and theme, read once and sandboxed.

A team's own folder (--templates DIR) overrides any of the built-in files by name; what
it leaves out comes from report_templates/. Both are read once, in the calling process,
into a TemplateBundle (file bytes by name), refusing any file or link that leads out of
its folder. Everything that renders (WeasyPrint pages in worker processes or on a Dask
cluster, the email's subject and body) reads from that bundle only: Jinja2 runs sandboxed
(no attribute tricks reach Python's internals), and WeasyPrint may fetch the bundle's files
and data: URIs and nothing else: no network, no other local file, whatever a template or
a workbook cell asks for.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
from importlib import resources
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import UserError
from .charts import Palette

# report_templates/ at the top of the checkout, shipped in the wheel as this package's data.
DEFAULT_TEMPLATES = Path(str(resources.files("kpi_reports.report_templates")))
STYLESHEET = "scorecard.css"
THEME = "theme.toml"
PAGE_SIZES = ("A4", "Letter")
MAX_FOLDER_BYTES = 20 * 2**20       # templates, stylesheet and a logo: far less than this
BASE_URL = "file:///kpi-reports-templates/"   # where pages find the bundle's files (never on disk)


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
class TemplateBundle:
    """The templates folders' files (the team's over the built-in ones) and the merged theme.

    Read once by the caller; what renders a page or a mail gets this and reads no disk, so a
    worker on another machine needs no copy of the folder. `digest` changes with any byte.
    """

    files: Mapping[str, bytes]          # "scorecard.html", "email/body.txt", ... -> bytes
    theme: Theme
    origin: str                         # the folders, for messages
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        h = hashlib.sha256(repr(self.theme).encode())
        for name in sorted(self.files):
            h.update(f"\0{name}\0{len(self.files[name])}\0".encode())
            h.update(self.files[name])
        object.__setattr__(self, "digest", h.hexdigest())

    def text(self, name: str) -> str:
        try:
            return self.files[name].decode("utf-8")
        except KeyError:
            raise UserError(f"{name} is missing from the templates folder {self.origin}.") from None
        except UnicodeDecodeError as exc:
            raise UserError(f"{name} in the templates folder {self.origin} is not UTF-8 text ({exc}).") from None


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

    def bundle(self) -> TemplateBundle:
        """Every file of the folders, the team's copy first; UserError for a file or link
        that leads out of its folder, or a folder too large to be templates."""
        files: dict[str, bytes] = {}
        for folder in reversed(self.folders):
            files.update(_folder_files(folder))
        origin = " then ".join(map(str, self.folders))
        bundle = TemplateBundle(files, self.theme(), origin)
        bundle.text(STYLESHEET)                      # fails early when the stylesheet is missing
        return bundle

    def theme(self) -> Theme:
        """theme.toml of each folder, the team's keys over the built-in ones."""
        merged: dict = {}
        for folder in reversed(self.folders):
            path = folder / THEME
            if path.is_file():
                try:
                    merged.update(tomllib.loads(path.read_text("utf-8")))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
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


def _folder_files(folder: Path) -> dict[str, bytes]:
    """name -> bytes of every regular file under `folder` (hidden and Python files skipped);
    links are followed only while they stay inside the folder."""
    root = folder.resolve()
    files: dict[str, bytes] = {}
    total, seen = 0, set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        real = here.resolve()
        _check_inside(here, real, root)
        if real in seen:                               # a link back to a folder already read
            dirnames.clear()
            continue
        seen.add(real)
        dirnames[:] = [d for d in dirnames if not _skipped(d)]
        for name in filenames:
            path = here / name
            if _skipped(name) or not path.is_file():
                continue
            _check_inside(path, path.resolve(), root)
            data = path.read_bytes()
            total += len(data)
            if total > MAX_FOLDER_BYTES:
                raise UserError(f"The templates folder {folder} holds more than {MAX_FOLDER_BYTES // 2**20} MB; "
                                "keep only the templates, stylesheet, theme and images in it.")
            files[path.relative_to(root).as_posix()] = data
    return files


def _skipped(name: str) -> bool:
    """Hidden files, and the Python files that make the built-in folder a package in the wheel."""
    return name.startswith(".") or name == "__pycache__" or name.endswith((".py", ".pyc"))


def _check_inside(path: Path, real: Path, root: Path) -> None:
    if not real.is_relative_to(root):
        raise UserError(f"{path} leads outside the templates folder {root} (it is a link to {real}). "
                        "Templates are read only from inside their folder: copy the file in instead.")


class BundleLoader(jinja2.BaseLoader):
    """Templates from a TemplateBundle by name; "..", absolute paths and unknown names are not found."""

    def __init__(self, bundle: TemplateBundle) -> None:
        self.bundle = bundle

    def get_source(self, environment: jinja2.Environment, template: str):
        name = "/".join(split_template_path(template))      # TemplateNotFound for ".." pieces
        if name not in self.bundle.files:
            raise jinja2.TemplateNotFound(template)
        return self.bundle.text(name), None, lambda: True


def template_environment(bundle: TemplateBundle, autoescape: bool = True) -> jinja2.Environment:
    """The one way templates are run: sandboxed, from the bundle, strict about undefined names.

    Immutable sandbox: templates read what they are given and change nothing, call no
    method that mutates, and reach no attribute starting with "_" (no escape to os.popen).
    """
    return ImmutableSandboxedEnvironment(
        loader=BundleLoader(bundle), autoescape=autoescape, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def make_fetcher(bundle: TemplateBundle):
    """A WeasyPrint URL fetcher that serves the bundle's files under BASE_URL (and data: URIs)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class BundleFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if urlsplit(url).scheme == "data":
                return super().fetch(url, headers)
            name = unquote(url[len(BASE_URL):]) if url.startswith(BASE_URL) else None
            if name not in bundle.files:
                raise ValueError(f"refused to fetch {url}: only files of the templates folder are used")
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, bundle.files[name], {"Content-Type": kind})

    return BundleFetcher(allowed_protocols=("file", "data"))
