"""A team's own sheet and column names, mapped to ours; never renamed in the workbook.

Three ways a column is found, in this order: the settings' [columns.<Sheet>] line for it,
its own name (case, spaces and underscores aside), a built-in alias (ALIASES: header names
of CRM exports, used only where they cannot mean anything else). When a required sheet
or column is still missing, the closest candidates are ranked by their header text
(difflib, with SYNONYMS) and by the values under them (a column of dates for a date
field, Buyer/Seller/Offers for Type, numbers for counts), and the whole run's gaps are
reported at once with a settings snippet that maps them (MappingError). A column used by
nothing that looks like an optional one we read ("Status" beside "Active") is a Lookalike.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..errors import UserError, WorkbookError
from .cells import DATE_TYPES, FALSE_WORDS, NUMBER_TYPES, TRUE_WORDS, parse_days, parse_numbers, shown

DATE_FIELDS = {"Date", "Matched", "Scheduled", "Met", "Signed", "Opened", "Closed", "Last Updated", "Updated",
               "Left On"}
NUMBER_FIELDS = {"Calls", "Contacts", "Appointments", "Contracts", "Closed Volume", "Annual Volume Goal"}
ID_FIELDS = {"Agent ID", "Lead ID", "Deal ID"}
KIND_OF = {"Type": "type", "Active": "yes/no", "Leader": "yes/no", "Email": "email", "Name": "text", "Team": "text"}
KIND_WORDS = {"date": "dates", "number": "numbers", "type": "Buyer/Seller/Offers", "yes/no": "yes/no words",
              "email": "email addresses", "text": "text", "id": "IDs"}
LEAD_TYPE_WORDS = {"buyer", "seller", "offers"}

# Other names people give our columns: they rank candidates, they are never applied unasked.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "Agent ID": ("agent", "agent number", "agent no", "agent code", "user id", "member id", "assigned agent",
                 "assigned to", "agent id number", "id"),
    "Name": ("full name", "agent name", "agent"),
    "Email": ("e-mail", "email address", "mail", "agent email"),
    "Team": ("team name", "group", "office", "division"),
    "Active": ("status", "is active", "active?", "enabled", "current", "agent status"),
    "Left On": ("left", "left date", "date left", "end date", "termination date", "terminated", "departed",
                "departure date", "inactive date", "inactive since"),
    "Annual Volume Goal": ("annual goal", "volume goal", "yearly goal", "goal", "annual volume",
                           "sales goal", "production goal"),
    "Leader": ("team leader", "is leader", "team lead", "leads team"),
    "Date": ("day", "activity date", "date logged", "logged on"),
    "Calls": ("dials", "calls made", "outbound calls", "phone calls", "dial count", "call count"),
    "Contacts": ("conversations", "contacts made", "connects", "connections", "conversation count",
                 "talked to", "spoke to"),
    "Appointments": ("appts", "appts set", "appointments set", "appts booked", "appointments booked",
                     "appointment count", "meetings set"),
    "Contracts": ("contracts written", "contracts signed", "agreements signed", "pendings", "contract count"),
    "Closed Volume": ("volume closed", "closed sales volume", "sales volume", "closed sales", "volume"),
    "Lead ID": ("lead", "lead number", "lead no", "lead #", "contact id", "person id", "referral id", "id"),
    "Type": ("lead type", "kind", "category", "buyer/seller", "client type", "transaction type"),
    "Matched": ("date matched", "match date", "matched on", "assigned", "date assigned", "assigned on",
                "created", "date created", "created on", "received", "date received", "lead date"),
    "Scheduled": ("appt scheduled", "appointment scheduled", "date scheduled", "scheduled on", "appt set",
                  "appointment set", "appt date set"),
    "Met": ("met date", "date met", "met on", "first meeting", "appointment met", "appt met", "met with"),
    "Signed": ("signed date", "date signed", "signed on", "agreement signed", "listing signed", "agreement date"),
    "Deal ID": ("deal", "deal number", "deal no", "transaction id", "transaction", "file id", "id"),
    "Opened": ("open date", "date opened", "opened on", "created", "start date", "contract date"),
    "Closed": ("close date", "closing date", "date closed", "closed on", "closed date"),
    "Last Updated": ("updated", "last update", "modified", "last modified", "updated on", "date updated"),
    "Updated": ("update date", "date updated", "updated on", "date", "day"),
}
SHEET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Agents": ("agent", "roster", "team roster", "team", "people", "users", "members", "staff"),
    "Activity": ("activities", "daily activity", "activity log", "calls", "dials", "kpis", "daily", "tracker"),
    "Leads": ("lead", "opportunities", "referrals", "prospects", "contacts", "people"),
    "Deals": ("deal", "transactions", "pipeline", "closings", "contracts", "pendings"),
    "Deal Updates": ("updates", "deal notes", "portal updates", "deal activity", "deal history"),
}
# Header names of CRM exports read without asking (see README: "Your own workbook").
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {}

TEXT_SURE = 0.85        # a header this close to a field's name (or a synonym) is a lookalike
VALUES_SURE = 0.6       # ... when at least this share of its values fits the field
SAMPLE = 200            # values looked at per candidate column


def header_key(name: object) -> str:
    """Headers match case-, space- and underscore-insensitively."""
    return re.sub(r"[\s_]+", "", str(name)).casefold()


def _loose(name: object) -> str:
    """For ranking only: letters and digits."""
    return re.sub(r"[^0-9a-z]+", "", str(name).casefold())


def text_score(header: object, ours: str, synonyms: Mapping[str, tuple[str, ...]] = SYNONYMS) -> float:
    """1.0 for our name or a synonym, else difflib's similarity with the closest of them."""
    key = _loose(header)
    if not key:
        return 0.0
    names = {_loose(n) for n in (ours, *synonyms.get(ours, ()))}
    if key in names:
        return 1.0
    return max(difflib.SequenceMatcher(None, key, n).ratio() for n in names)


def kind_of(column: str, sheet: str, extra: Iterable[str] = ()) -> str:
    if column in DATE_FIELDS or (sheet == "Leads" and column in extra):
        return "date"
    if column in NUMBER_FIELDS or (sheet == "Activity" and column in extra):
        return "number"
    if column in ID_FIELDS:
        return "id"
    return KIND_OF.get(column, "text")


def value_fit(values: Sequence[object], kind: str) -> float | None:
    """The share of (non-blank) values that fit a kind of field; None when there are none."""
    if not values:
        return None
    col = pd.Series(list(values), dtype=object)
    kinds = col.map(type)
    is_text = (kinds == str).to_numpy()
    is_number = kinds.isin(NUMBER_TYPES).to_numpy()
    is_date = col.map(lambda v: isinstance(v, DATE_TYPES)).to_numpy()
    words = col.where(is_text, "").astype(str).str.strip().str.casefold()
    if kind == "date":
        days, bad = parse_days(col.where(is_text | is_date, None))
        numbers = pd.to_numeric(col.where(is_number, None), errors="coerce")
        fits = (is_date | (is_text & ~bad.to_numpy() & days.notna().to_numpy())
                | (is_number & numbers.between(18000, 80000).to_numpy()))      # serials of 1949 .. 2119
    elif kind == "number":
        numbers, bad = parse_numbers(col.where(~is_date, None))
        fits = ~is_date & numbers.notna().to_numpy()
    elif kind == "type":
        fits = words.isin(LEAD_TYPE_WORDS).to_numpy()
    elif kind == "yes/no":
        fits = (words.isin((TRUE_WORDS | FALSE_WORDS) - {""}).to_numpy() | kinds.isin([bool]).to_numpy())
    elif kind == "email":
        fits = words.str.contains("@").to_numpy()
    elif kind == "text":
        fits = is_text & pd.to_numeric(col.where(is_text, None), errors="coerce").isna().to_numpy()
    else:                                   # IDs: no dates, TRUE/FALSE or text with spaces
        days, _ = parse_days(col.where(is_text, None))
        fits = (~is_date & ~kinds.isin([bool]).to_numpy() & days.isna().to_numpy()
                & ~(is_text & words.str.contains(r"\s").to_numpy()))
    return float(fits.mean())


def describe(values: Sequence[object], kind: str) -> str:
    """What a candidate column holds, for people: "dates, e.g. '10/3/26'"."""
    fit = value_fit(values, kind)
    example = f", e.g. {shown(values[0])}" if values else ""
    if fit is None:
        return "empty"
    if fit >= VALUES_SURE:
        return KIND_WORDS[kind] + example
    return f"not {KIND_WORDS[kind]}{example}"


@dataclass(frozen=True)
class Candidate:
    name: str           # a header or a sheet name of the team's
    score: float        # 0 .. 1
    why: str


@dataclass
class Gap:
    """A required sheet or column not found; `mapped` when a settings line named it."""

    sheet: str                  # our sheet name
    column: str | None          # None: the whole sheet
    real_sheet: str | None = None
    mapped: str | None = None   # the name the settings gave, not found
    candidates: list[Candidate] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)        # the sheet's headers (or the workbook's sheets)
    how_to_fix: str = ""

    def closest(self) -> str:
        if not self.candidates:
            return "nothing like it"
        return "closest " + ", ".join(f"{c.name!r} ({c.why})" for c in self.candidates[:3])

    def mapped_words(self) -> str:
        if self.column is None:
            return f" ([sheets] {toml_key(self.sheet)} = {json.dumps(self.mapped)} names no sheet)" if self.mapped else ""
        return (f" ([columns.{toml_key(self.sheet)}] {toml_key(self.column)} = {json.dumps(self.mapped)} "
                "names no column)") if self.mapped else ""


@dataclass
class Shortfall:
    """What one run could not find, collected over every sheet before anything is reported."""

    gaps: list[Gap] = field(default_factory=list)
    lookalikes: list[Lookalike] = field(default_factory=list)   # of sheets that had gaps


def gap_lines(gaps: Sequence[Gap]) -> list[str]:
    """A paragraph per sheet: what is missing, and for each the closest candidates."""
    lines = []
    for gap in (g for g in gaps if g.column is None):
        lines.append(f"  - The workbook has no sheet named {gap.sheet!r}{gap.mapped_words()} "
                     f"(sheets found: {', '.join(gap.seen) or 'none'}); {gap.closest()}.")
        if not gap.candidates:
            lines.append(f"      Add it: {gap.how_to_fix}")
    for real in dict.fromkeys(g.real_sheet for g in gaps if g.column is not None):
        missing = [g for g in gaps if g.column is not None and g.real_sheet == real]
        lines.append(f"  - Sheet {real!r} is missing the required column(s) "
                     f"{', '.join(g.column or '' for g in missing)} (columns found: {', '.join(missing[0].seen) or 'none'}).")
        lines += [f"      {g.column}{g.mapped_words()}: {g.closest()}" for g in missing]
    return lines


@dataclass(frozen=True)
class Lookalike:
    """A column used by nothing that looks like an optional one we read."""

    sheet: str          # ours
    column: str         # ours
    header: str         # theirs
    why: str


def toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def _comment(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text)


@dataclass
class Naming:
    """The settings' [sheets] and [columns], checked against the sheets we read.

    sheets: our sheet -> the team's sheet name; columns: our sheet -> {our column: their header}.
    """

    sheets: dict[str, str]
    columns: dict[str, dict[str, str]]
    where: str

    @classmethod
    def of(cls, settings, wanted: Mapping[str, Sequence[str]]) -> Naming:
        """wanted: {our sheet: every column we may read}. A name that is none of ours is an
        error naming the setting and what it could have been (it would do nothing)."""
        where = settings.source
        ours = {header_key(s): s for s in wanted}

        def our_sheet(name: str, section: str) -> str:
            sheet = ours.get(header_key(name))
            if sheet is None:
                raise UserError(f"{where}: [{section}] names the sheet {name!r}, which kpi-reports does not read; "
                                f"{_did_you_mean(name, list(wanted))}")
            return sheet

        sheets = {our_sheet(s, "sheets"): theirs for s, theirs in settings.sheets}
        columns: dict[str, dict[str, str]] = {}
        for sheet_name, lines in settings.columns:
            sheet = our_sheet(sheet_name, f"columns.{sheet_name}")
            known = {header_key(c): c for c in wanted[sheet]}
            for column, theirs in lines:
                if header_key(column) not in known:
                    raise UserError(f"{where}: [columns.{sheet_name}] {column} is not a column of {sheet}; "
                                    f"{_did_you_mean(column, list(wanted[sheet]))}")
                columns.setdefault(sheet, {})[known[header_key(column)]] = theirs
        return cls(sheets, columns, where)

    def snippet(self, sheets: Mapping[str, str], columns: Mapping[str, Mapping[str, tuple[str, str]]],
                order: Sequence[str], comments: bool = True) -> str:
        """Settings lines mapping these names (with the ones already in the settings):
        sheets {ours: theirs}; columns {our sheet: {ours: (theirs, comment)}}."""
        all_sheets = {**self.sheets, **sheets}
        lines = []
        if all_sheets:
            lines.append("[sheets]")
            lines += [f"{toml_key(s)} = {json.dumps(all_sheets[s], ensure_ascii=False)}" for s in order if s in all_sheets]
            lines.append("")
        for sheet in order:
            mapped = {c: (h, "") for c, h in self.columns.get(sheet, {}).items()} | dict(columns.get(sheet, {}))
            if not mapped:
                continue
            lines.append(f"[columns.{toml_key(sheet)}]")
            for column, (header, comment) in mapped.items():
                line = f"{toml_key(column)} = {json.dumps(header, ensure_ascii=False)}"
                lines.append(f"{line:<36} # {_comment(comment)}" if comment and comments else line)
            lines.append("")
        return "\n".join(lines)


def _did_you_mean(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    return f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}."


def match_columns(headers: Sequence[object], sheet: str, wanted: Sequence[str],
                  mapped: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """({our column: header position} for those found, {our column: their name} for mapped
    names that are not there). First header wins; a mapping beats our name beats an alias."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h not in (None, ""):
            found.setdefault(header_key(h), i)
    positions, not_there = {}, {}
    for column in wanted:
        if column in mapped:
            at = found.get(header_key(mapped[column]))
            if at is None:
                not_there[column] = mapped[column]
            else:
                positions[column] = at
        elif header_key(column) in found:
            positions[column] = found[header_key(column)]
        else:
            alias = next((a for a in ALIASES.get((sheet, column), ()) if header_key(a) in found), None)
            if alias is not None:
                positions[column] = found[header_key(alias)]
    return positions, not_there


def wanted_keys(sheet: str, wanted: Sequence[str], mapped: Mapping[str, str]) -> list[str]:
    """Header keys a reader must keep for the sheet: our names, mapped names and aliases."""
    names = [*wanted, *mapped.values(), *(a for c in wanted for a in ALIASES.get((sheet, c), ()))]
    return list(dict.fromkeys(header_key(n) for n in names))


def column_values(body: Sequence[Sequence[object]], at: int, limit: int = SAMPLE) -> list[object]:
    """Up to `limit` non-blank values of a column, from the top."""
    values = []
    for row in body:
        value = row[at] if at < len(row) else None
        if value is not None and not (isinstance(value, str) and not value.strip()) and value == value:
            values.append(value)
            if len(values) >= limit:
                break
    return values


def rank_columns(headers: Sequence[object], body: Sequence[Sequence[object]], column: str, sheet: str,
                 extra: Iterable[str], taken: set[int]) -> list[tuple[Candidate, int]]:
    """Headers not used by another column, best first, with their position."""
    kind = kind_of(column, sheet, extra)
    ranked = []
    for at, header in enumerate(headers):
        if at in taken or header in (None, "") or not str(header).strip():
            continue
        text = text_score(header, column)
        values = column_values(body, at)
        fit = value_fit(values, kind)
        score = 0.6 * text + 0.4 * (0.5 if fit is None else fit)
        telling = kind in ("date", "type", "email", "yes/no")      # values that point to one field alone
        if text >= TEXT_SURE or (text >= 0.5 and (fit or 0) >= VALUES_SURE) or (telling and (fit or 0) >= 0.9):
            ranked.append((Candidate(str(header).strip(), score, describe(values, kind)), at))
    ranked.sort(key=lambda pair: -pair[0].score)
    return ranked


def lookalikes(headers: Sequence[object], body: Sequence[Sequence[object]], sheet: str, absent: Sequence[str],
               extra: Iterable[str], taken: set[int]) -> list[Lookalike]:
    """Unused columns that look like optional columns we read and did not find: one each."""
    pairs = []
    for column in absent:
        kind = kind_of(column, sheet, extra)
        for at, header in enumerate(headers):
            if at in taken or header in (None, "") or text_score(header, column) < TEXT_SURE:
                continue
            values = column_values(body, at)
            fit = value_fit(values, kind)
            if fit is None or fit >= VALUES_SURE:
                pairs.append((text_score(header, column) + (fit or 0), column, at, describe(values, kind)))
    chosen, used_columns, used_at = [], set(), set()
    for _, column, at, why in sorted(pairs, key=lambda p: -p[0]):
        if column not in used_columns and at not in used_at:
            used_columns.add(column)
            used_at.add(at)
            chosen.append(Lookalike(sheet, column, str(headers[at]).strip(), why))
    return chosen


def rank_sheets(names: Sequence[str], sheet: str, required: Sequence[str], headers_of) -> list[Candidate]:
    """Sheets not read as another, best first: by name and by how many required headers fit."""
    ranked = []
    for name in names:
        headers = [h for h in headers_of(name) if h not in (None, "")]
        fitting = sum(any(text_score(h, c) >= TEXT_SURE for h in headers) for c in required)
        text = text_score(name, sheet, SHEET_SYNONYMS)
        score = 0.5 * text + 0.5 * fitting / max(len(required), 1)
        if text >= TEXT_SURE or fitting >= max(1, len(required) - 1):
            ranked.append(Candidate(name, score, f"{fitting} of the {len(required)} required headers fit"))
    ranked.sort(key=lambda c: -c.score)
    return ranked


class MappingError(WorkbookError):
    """Every sheet and column that could not be found in one run, and the settings lines that map them."""

    def __init__(self, gaps: list[Gap], found: list[Lookalike], snippet: str, settings_name: str,
                 source: str, short_snippet: str = "") -> None:
        """snippet: with a comment per line (printed by check --suggest-mapping); short_snippet:
        without, for the message (a terminal wraps long lines, and a wrapped comment is not TOML)."""
        self.gaps, self.lookalikes, self.snippet = gaps, found, snippet
        lines = [f"{source} does not have every sheet and column kpi-reports needs "
                 f"({len(gaps)} missing):", *gap_lines(gaps)]
        lines += [f"  - {lk.sheet}: column {lk.header!r} is not read; it looks like {lk.column} ({lk.why})"
                  for lk in found]
        if snippet:
            lines += ["", f"Map your names to ours: put these lines in {settings_name} beside the workbook "
                      "(check them first)", f"(or: kpi-reports check {source} --suggest-mapping > {settings_name}):",
                      "", (short_snippet or snippet).rstrip()]
        uncovered = next((g for g in gaps if g.column and not g.candidates), None)
        if uncovered:
            lines += ["", "Where nothing fits, add the column to the sheet, or map it to yours, e.g. "
                      f"[columns.{toml_key(uncovered.sheet)}] {toml_key(uncovered.column or '')} = \"your header\"."]
        super().__init__("\n".join(lines))
