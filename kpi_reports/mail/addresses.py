"""Untrusted workbook text made safe for mail headers and file names.

An Agents-sheet Email cell is typed by people: it may hold two addresses, a display name,
a stray line break or a typo. Exactly one plain address or nothing: a scorecard must
never reach a second person because a cell said "dana@x.com, boss@y.com".
"""
from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import getaddresses

from ..filenames import safe_stem, unique_name

# Line breaks of every kind (incl. U+2028/2029, NEL) and other control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}"
)


class MailProblem(ValueError):
    """A problem with one mail (its address, its PDF): that mail fails, the others go on."""


class AddressError(MailProblem):
    """A cell that is not exactly one valid address; the message says what is wrong."""


def one_line(text: object, limit: int = 200) -> str:
    """Text for a header or a greeting: control characters and line breaks become spaces."""
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    return flat[:limit].rstrip()


def header_text(text: object, limit: int = 200) -> str:
    """one_line, with every "=?" broken to "= ?": no workbook text can be read as an
    RFC 2047 encoded word. Python 3.11/3.12 decode encoded words while folding a header,
    so `=?utf-8?q?x=0D=0ABcc=3A...?=` in a name became a real CR LF and a Bcc header."""
    return one_line(text, limit).replace("=?", "= ?")


def parse_address(raw: object, display_name: str | None = None) -> Address:
    """Exactly one address from a cell, else AddressError ("not one valid address: ...").

    `Dana <dana@x.com>` is accepted; lists, groups, line breaks, spaces and anything that
    is not a plain ASCII addr-spec are refused. `display_name` (e.g. the agent's Name)
    replaces the one in the cell; either is made header-safe with header_text.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise AddressError("no email address")
    if _CONTROL.search(text):
        raise AddressError(f"not one valid address: {one_line(text)!r} contains a line break or control character")
    if re.search(r"[,;]", text):
        raise AddressError(f"not one valid address: {text!r} holds a comma or semicolon (more than one address?)")
    parsed = getaddresses([text])
    if len(parsed) != 1 or not parsed[0][1]:
        raise AddressError(f"not one valid address: {text!r}")
    spec = parsed[0][1]
    bare = text if "<" not in text else text[text.rfind("<") + 1:].rstrip(">").strip()
    if spec != bare or not _ADDR_SPEC.fullmatch(spec) or len(spec) > 254:
        raise AddressError(f"not one valid address: {text!r}")
    try:
        name = parsed[0][0] if display_name is None else display_name
        return Address(display_name=header_text(name, 78), addr_spec=spec)
    except (ValueError, IndexError) as exc:  # headerregistry's own parser has the last word
        raise AddressError(f"not one valid address: {text!r} ({exc})") from None


def safe_filename(*parts: object, suffix: str = "", unique: bool = True) -> str:
    """An ASCII file name from untrusted parts (see kpi_reports.filenames).

    With `unique`, a short hash of the original parts keeps two names that clean to the
    same text apart (outbox files); without it the name reads cleanly (attachments).
    """
    return unique_name(*parts, suffix=suffix) if unique else safe_stem(*parts, fallback="file") + suffix
