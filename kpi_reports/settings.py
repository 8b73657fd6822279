"""Settings: the bundled default_settings.toml merged with a team's TOML file, checked once
into frozen, typed sections.

One file holds every knob: the rolling window, the benchmark rules, each metric's shape,
play-out days, lead types, label and tip, the Dashboard chart, and the mail/SMTP settings.
The bundled file is the single source of every default value: the classes below declare
each key's type and bounds but no value, so a key missing there fails the first load.
"""
from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from .errors import UserError

MetricKind = Literal["cohort", "activity", "deal_updates"]
DateOrder = Literal["month-first", "day-first"]
Security = Literal["none", "starttls", "ssl"]
LEAD_TYPES = ("Buyer", "Seller", "Offers")
DEFAULT_SETTINGS_NAME = "kpi-reports.toml"
KEYRING_SERVICE = "kpi-reports"
BUILT_IN = "built-in defaults"

# Bounds: wide enough for any real team, tight enough that a typo cannot ask for
# gigabytes (rolling_days = 10000000) or overflow a date. Documented in the TOML.
MAX_DAYS = 3660            # ten years: windows, play-out days, update ages
MAX_COUNT = 1_000_000      # sample sizes and mail caps
RANK_BY_OTHER = ("name", "closed_volume_ytd")     # [report] rank_by, besides a metric id


class Invalid(ValueError):
    """What a setting must be, in words that follow "must be": "a whole number, 1 to 100"."""


# ------------------------------------------------------------------ what a key accepts

def _whole(low: int, high: int, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"a whole number, {low} to {high}")
    return value


def _number(low: float, high: float, value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(f"a number, {low:g} to {high:g}")
    return float(value)


def _text(required: bool, value: Any) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid("text in quotes" + (", not empty" if required else ""))
    return value.strip()


def _choice(choices: tuple[str, ...], value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise Invalid(" or ".join(choices))
    return value.strip().lower()


def _text_table(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, tuple):           # already parsed (with_changes)
        value = dict(value)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Invalid('a table of name = "text" lines')
    return tuple((str(k), v) for k, v in value.items())


def _sheet_tables(value: Any) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise Invalid('one table per sheet, e.g. [columns.Leads] with lines like Matched = "Date Matched"')
    return tuple((str(sheet), _text_table(table)) for sheet, table in value.items())


def _setting(parse: Callable[[Any], Any], key: str | None = None) -> Any:
    """A dataclass field with no default: its value always comes from the TOML."""
    return field(metadata={"parse": parse, "key": key})


def whole(low: int, high: int) -> Any:
    return _setting(partial(_whole, low, high))


def number(low: float, high: float) -> Any:
    return _setting(partial(_number, low, high))


def text(required: bool = False, key: str | None = None) -> Any:
    return _setting(partial(_text, required), key)


# ------------------------------------------------------------------ the sections

@dataclass(frozen=True)
class Windows:
    """The rolling window W."""

    rolling_days: int = whole(1, MAX_DAYS)


@dataclass(frozen=True)
class Benchmarks:
    """Who counts in the Average and Top benchmarks."""

    top_percent: int = whole(1, 100)
    min_denominator: int = whole(1, MAX_COUNT)


@dataclass(frozen=True)
class Report:
    """The scorecards and team summary."""

    movers_min_sample: int = whole(0, MAX_COUNT)
    small_sample: int = whole(1, MAX_COUNT)
    rank_by: str = text(required=True)          # checked against the enabled metrics


@dataclass(frozen=True)
class Plan:
    """The plan to the annual goal: the window the agent's own ratios and price come from."""

    trailing_days: int = whole(1, MAX_DAYS)


@dataclass(frozen=True)
class Eligibility:
    """The lead-eligibility rule on one metric: at or above eligible_at is eligible, below
    it at risk, below not_eligible_below not eligible."""

    metric: str = text()                        # an enabled metric; "" = no eligibility rule
    eligible_at: float = number(0, 1)
    not_eligible_below: float = number(0, 1)


@dataclass(frozen=True)
class Dashboard:
    """The Dashboard sheet."""

    chart_metric: str = text(required=True)     # checked against the enabled metrics


@dataclass(frozen=True)
class Mail:
    """The sender, subject line and each team's leader; KPI_MAIL_FROM overrides `from`."""

    sender: str = text(key="from")
    subject: str = text(required=True)
    leaders: tuple[tuple[str, str], ...] = _setting(_text_table)   # (team, address) pairs


@dataclass(frozen=True)
class Smtp:
    """The mail server and its limits; KPI_SMTP_* variables override some (mail.config)."""

    host: str = text(required=True)
    port: int = whole(1, 65535)
    security: Security = _setting(partial(_choice, get_args(Security)))
    user: str = text()
    timeout_seconds: float = number(1, 3600)
    max_per_minute: int = whole(1, MAX_COUNT)
    max_per_day: int = whole(1, MAX_COUNT)
    retries: int = whole(0, 10)
    retry_delay_seconds: float = number(0, 300)


@dataclass(frozen=True)
class Dates:
    """How slashed dates read: 10/03/2026 is Oct 3 (month-first) or 10 March (day-first)."""

    order: DateOrder = _setting(partial(_choice, get_args(DateOrder)))


SECTIONS: dict[str, type] = {"windows": Windows, "benchmarks": Benchmarks, "report": Report, "plan": Plan,
                             "eligibility": Eligibility, "dashboard": Dashboard, "mail": Mail, "smtp": Smtp,
                             "dates": Dates}
# The team's own names, ours -> theirs: [sheets] Leads = "Opportunities";
# [columns.Leads] Matched = "Date Matched". Checked against the sheets by the loader.
NAME_TABLES = ("sheets", "columns")
S = TypeVar("S")


def _keys(cls: type) -> dict[str, str]:
    """TOML key -> attribute name of a section class."""
    return {f.metadata["key"] or f.name: f.name for f in fields(cls)}


def _checked(parse: Callable[[Any], Any], value: Any, where: str, section: str, key: str) -> Any:
    """parse(value), or a UserError naming the file, the setting and what it must be."""
    try:
        return parse(value)
    except Invalid as exc:
        raise UserError(f"{where}: [{section}] {key} must be {exc} (found {value!r}).") from None


def section_from_table(cls: type[S], table: Mapping[str, Any], where: str, name: str) -> S:
    """A typed section from its TOML table; a wrong value is a UserError naming the setting."""
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key = f.metadata["key"] or f.name
        values[f.name] = _checked(f.metadata["parse"], table[key], where, name, key)
    return cls(**values)


def with_changes(section: S, changes: Mapping[str, Any], where: str) -> S:
    """`section` with some keys replaced (e.g. from KPI_SMTP_* variables), checked the same way."""
    cls = type(section)
    name = next(n for n, c in SECTIONS.items() if c is cls)
    table = {key: getattr(section, attr) for key, attr in _keys(cls).items()}
    return section_from_table(cls, {**table, **changes}, where, name)


# ------------------------------------------------------------------ metrics

KIND_KEYS: dict[str, tuple[str, ...]] = {
    "cohort": ("event", "play_out_days", "lead_types"),
    "activity": ("numerator", "denominator"),
    "deal_updates": ("max_age_days",),
}
REQUIRED_KEYS = {"cohort": ("event", "play_out_days"), "activity": ("numerator", "denominator"),
                 "deal_updates": ("max_age_days",)}
METRIC_KIND_KEYS = {k for keys in KIND_KEYS.values() for k in keys}
METRIC_KEYS = {"kind", "label", "short", "tip", "enabled", *METRIC_KIND_KEYS}


@dataclass(frozen=True)
class MetricDef:
    """One metric: its id, how it is computed, and the words shown beside it.

    Fields of another kind hold a neutral value (0, None, every lead type) and are never read.
    """

    id: str
    kind: MetricKind
    label: str
    short: str
    tip: str
    event: str | None             # cohort
    play_out_days: int            # cohort
    lead_types: tuple[str, ...]   # cohort
    numerator: str | None         # activity
    denominator: str | None       # activity
    max_age_days: int             # deal_updates

    @property
    def brief_label(self) -> str:
        """The label without its parenthetical, for headers: "Contact rate (calls to contacts)" -> "Contact rate"."""
        return self.label.split(" (")[0]

    @property
    def population(self) -> str:
        """What the denominator counts, for people ("Buyer leads", "calls", "active deals")."""
        if self.kind == "cohort":
            types = "" if set(self.lead_types) == set(LEAD_TYPES) else " / ".join(self.lead_types) + " "
            return f"{types}leads"
        if self.kind == "activity":
            return (self.denominator or "").lower()
        return "active deals"


def _metric_from_table(metric_id: str, table: dict[str, Any], where: str) -> MetricDef:
    kind = table.get("kind")
    if kind not in KIND_KEYS:
        raise UserError(
            f"{where}: metric {metric_id!r} needs kind = \"cohort\", \"activity\" or "
            f"\"deal_updates\" (found {kind!r})."
        )
    missing = [key for key in REQUIRED_KEYS[kind] if key not in table]
    if missing:
        raise UserError(f"{where}: metric {metric_id!r} of kind {kind!r} needs {', '.join(missing)}.")
    section = f"metrics.{metric_id}"

    def get(key: str, parse: Callable[[Any], Any], otherwise: Any) -> Any:
        """table[key] checked; `otherwise` when absent, or when the kind does not use the key."""
        used = key in table and (key in KIND_KEYS[kind] or key not in METRIC_KIND_KEYS)
        return _checked(parse, table[key], where, section, key) if used else otherwise

    types = tuple(str(t).strip().title() for t in get("lead_types", _lead_types, LEAD_TYPES))
    unknown = [t for t in types if t not in LEAD_TYPES]
    if unknown:
        raise UserError(f"{where}: metric {metric_id!r} has unknown lead type(s) {unknown}; "
                        f"use {', '.join(LEAD_TYPES)}.")
    words, name, days = partial(_text, False), partial(_text, True), partial(_whole, 0, MAX_DAYS)
    label = get("label", words, metric_id)          # label falls back to the id, short to the label
    return MetricDef(
        id=metric_id, kind=kind, label=label, short=get("short", words, label), tip=get("tip", words, ""),
        event=get("event", name, None), play_out_days=get("play_out_days", days, 0), lead_types=types,
        numerator=get("numerator", name, None), denominator=get("denominator", name, None),
        max_age_days=get("max_age_days", days, 0),
    )


def _lead_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise Invalid(f"a list of lead types such as {list(LEAD_TYPES)}")
    return value


def _enabled(metric_id: str, table: dict[str, Any], where: str) -> bool:
    value = table.get("enabled", True)
    if not isinstance(value, bool):
        raise UserError(f"{where}: [metrics.{metric_id}] enabled must be true or false (found {value!r}).")
    return value


# ------------------------------------------------------------------ targets

TEAM_GOAL = "team_goal"


@dataclass(frozen=True)
class Targets:
    """What the team expects: its annual volume goal (0 = none) and a target per metric."""

    team_goal: float
    rates: tuple[tuple[str, float], ...]      # (metric id, target rate 0..1), settings order

    def rate(self, metric_id: str) -> float | None:
        return dict(self.rates).get(metric_id)


def _targets(table: dict[str, Any], metrics: tuple[MetricDef, ...], data: dict[str, Any], where: str) -> Targets:
    """[targets]: team_goal in dollars, then `metric_id = rate` for enabled metrics."""
    enabled = [m.id for m in metrics]
    for key in table:
        if key == TEAM_GOAL or key in enabled:
            continue
        if key in data.get("metrics", {}):
            raise UserError(f"{where}: [targets] {key} is a metric switched off "
                            f"([metrics.{key}] enabled = false); remove the target or switch it on.")
        raise UserError(f"{where}: unknown setting {key!r} in [targets]; "
                        f"{_did_you_mean(key, [TEAM_GOAL, *enabled])}")
    goal = _checked(partial(_number, 0, 1e13), table[TEAM_GOAL], where, "targets", TEAM_GOAL)
    rates = tuple((m, _checked(partial(_number, 0, 1), table[m], where, "targets", m)) for m in enabled if m in table)
    return Targets(team_goal=goal, rates=rates)


def _enabled_metric(value: str, what: str, data: dict[str, Any], metrics: tuple[MetricDef, ...], where: str,
                    also: tuple[str, ...] = ()) -> None:
    """A setting naming a metric must name an enabled one (or one of `also`)."""
    enabled = [m.id for m in metrics]
    if value in enabled or value in also:
        return
    if value in data.get("metrics", {}):
        raise UserError(f"{where}: {what} {value!r} is switched off "
                        f"([metrics.{value}] enabled = false); use one of: {', '.join([*also, *enabled])}.")
    raise UserError(f"{where}: {what} {value!r} is not a metric; {_did_you_mean(value, [*also, *enabled])}")


# ------------------------------------------------------------------ the whole file

@dataclass(frozen=True)
class Settings:
    """Every setting, typed and checked; build with load_settings() or settings_for()."""

    windows: Windows
    benchmarks: Benchmarks
    report: Report
    plan: Plan
    eligibility: Eligibility
    dashboard: Dashboard
    mail: Mail
    smtp: Smtp
    dates: Dates
    metrics: tuple[MetricDef, ...]
    targets: Targets
    sheets: tuple[tuple[str, str], ...] = ()          # (our sheet, the team's sheet)
    columns: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()   # (our sheet, ((ours, theirs), ...))
    source: str = BUILT_IN

    @property
    def rolling_days(self) -> int:
        return self.windows.rolling_days

    @property
    def top_percent(self) -> int:
        return self.benchmarks.top_percent

    @property
    def min_denominator(self) -> int:
        return self.benchmarks.min_denominator

    def metric(self, metric_id: str) -> MetricDef:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        known = ", ".join(m.id for m in self.metrics)
        raise UserError(f"Unknown metric {metric_id!r}. Known metrics: {known}.")

    @property
    def metric_ids(self) -> list[str]:
        return [m.id for m in self.metrics]


def _did_you_mean(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}."


def _check_keys(user: dict[str, Any], where: str) -> None:
    """A misspelt key would silently do nothing: name it, and what it could have been."""
    def unknown(section: str, keys: set[str], known: set[str]) -> None:
        for key in sorted(keys - known):
            raise UserError(f"{where}: unknown setting {key!r} in [{section}]; "
                            f"{_did_you_mean(key, sorted(known))} `kpi-reports settings` lists every setting.")

    unknown("top level", set(user), {*SECTIONS, *NAME_TABLES, "metrics", "targets"})
    for name in (*SECTIONS, *NAME_TABLES, "metrics", "targets"):
        if not isinstance(user.get(name, {}), dict):
            raise UserError(f"{where}: {name} must be a section, [{name}], with its keys below it.")
    if "password" in user.get("smtp", {}):
        raise UserError(f"{where}: remove `password` from [smtp]: the password is read only from "
                        "KPI_SMTP_PASSWORD or the system keyring "
                        f"(keyring set {KEYRING_SERVICE} YOUR_SMTP_USER).")
    for name, cls in SECTIONS.items():
        unknown(name, set(user.get(name, {})), set(_keys(cls)))
    for metric_id, table in user.get("metrics", {}).items():
        if not isinstance(table, dict):
            raise UserError(f"{where}: metrics.{metric_id} must be a section, [metrics.{metric_id}].")
        unknown(f"metrics.{metric_id}", set(table), METRIC_KEYS)


def _check_kind_keys(user: dict[str, Any], merged: dict[str, Any], where: str) -> None:
    """A key the user typed that the metric's kind does not use would be ignored: say so."""
    for metric_id, table in user.get("metrics", {}).items():
        kind = merged["metrics"][metric_id].get("kind")
        if kind not in KIND_KEYS:
            continue                       # _metric_from_table names the bad kind
        other = sorted(set(table) & METRIC_KIND_KEYS - set(KIND_KEYS[kind]))
        if other:
            raise UserError(f"{where}: [metrics.{metric_id}] {', '.join(other)} does not apply to "
                            f"{kind} metrics, which use {', '.join(KIND_KEYS[kind])}.")


def _metric_settings(sections: dict[str, Any], data: dict[str, Any], metrics: tuple[MetricDef, ...],
                     where: str) -> None:
    """Settings that name a metric must name an enabled one; the eligibility bands must nest."""
    _enabled_metric(sections["dashboard"].chart_metric, "[dashboard] chart_metric", data, metrics, where)
    _enabled_metric(sections["report"].rank_by, "[report] rank_by", data, metrics, where, RANK_BY_OTHER)
    rule = sections["eligibility"]
    if rule.metric:
        _enabled_metric(rule.metric, "[eligibility] metric", data, metrics, where, ("",))
    if rule.not_eligible_below > rule.eligible_at:
        raise UserError(f"{where}: [eligibility] not_eligible_below ({rule.not_eligible_below:g}) must not be "
                        f"above eligible_at ({rule.eligible_at:g}).")


def _name_table(name: str, value: Any, where: str) -> Any:
    """[sheets] or [columns], typed; the loader checks the names against the sheets."""
    parse = _text_table if name == "sheets" else _sheet_tables
    try:
        return parse(value)
    except Invalid as exc:
        raise UserError(f"{where}: [{name}] must be {exc} (found {value!r}).") from None


def _defaults_text() -> str:
    return resources.files("kpi_reports").joinpath("default_settings.toml").read_text("utf-8")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def settings_from_dict(data: dict[str, Any], source: str = BUILT_IN) -> Settings:
    """Typed Settings from a complete settings table (the bundled defaults merged with a file)."""
    metrics = tuple(
        _metric_from_table(mid, table, source)
        for mid, table in data.get("metrics", {}).items()
        if _enabled(mid, table, source)
    )
    sections: dict[str, Any] = {name: section_from_table(cls, data[name], source, name) for name, cls in SECTIONS.items()}
    _metric_settings(sections, data, metrics, source)
    targets = _targets(data["targets"], metrics, data, source)
    names = {name: _name_table(name, data.get(name, {}), source) for name in NAME_TABLES}
    return Settings(**sections, metrics=metrics, targets=targets, **names, source=source)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise UserError(f"Settings file not found: {path}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise UserError(f"Settings file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on "
                        f"line {line}); save it as UTF-8.") from None
    except OSError as exc:
        raise UserError(f"Could not read settings file {path}: {exc.strerror or exc}.") from None


def load_settings(path: str | Path | None = None) -> Settings:
    """The bundled defaults merged with the TOML file at `path` (if given)."""
    data = tomllib.loads(_defaults_text())
    if path is None:
        return settings_from_dict(data)
    path = Path(path)
    try:
        user = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"Settings file {path} is not valid TOML: {exc}") from None
    _check_keys(user, str(path))
    merged = _merge(data, user)
    _check_kind_keys(user, merged, str(path))
    return settings_from_dict(merged, source=str(path))


def settings_for(workbook: str | Path | None, path: str | Path | None = None) -> Settings:
    """`path` if given, else kpi-reports.toml beside the workbook (or in a folder of CSV
    files) if there, else the defaults."""
    if path is None and workbook is not None:
        inside = Path(workbook) / DEFAULT_SETTINGS_NAME
        beside = Path(workbook).with_name(DEFAULT_SETTINGS_NAME)
        path = next((p for p in (inside, beside) if p.is_file()), None)
    return load_settings(path)


def default_settings_text() -> str:
    """The documented default settings file, for `kpi-reports settings`."""
    return _defaults_text()
