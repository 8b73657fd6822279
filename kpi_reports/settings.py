"""Settings: built-in defaults (default_settings.toml) merged with a team's TOML file.

One file holds every knob: the rolling window, each metric's shape, play-out days, lead
types, label and best-practice tip, the benchmark rules, and the mail/SMTP settings.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from .errors import UserError

MetricKind = Literal["cohort", "activity", "deal_updates"]
LEAD_TYPES = ("Buyer", "Seller", "Offers")
DEFAULT_SETTINGS_NAME = "kpi-reports.toml"


@dataclass(frozen=True)
class MetricDef:
    """One metric: its id, how it is computed, and the words shown beside it."""

    id: str
    kind: MetricKind
    label: str
    short: str = ""
    tip: str = ""
    # cohort metrics
    event: str | None = None
    play_out_days: int = 0
    lead_types: tuple[str, ...] = LEAD_TYPES
    # activity metrics
    numerator: str | None = None
    denominator: str | None = None
    # deal-update metrics
    max_age_days: int = 10

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


@dataclass(frozen=True)
class Settings:
    rolling_days: int = 30
    top_percent: int = 10
    min_denominator: int = 1
    metrics: tuple[MetricDef, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    source: str = "built-in defaults"

    def metric(self, metric_id: str) -> MetricDef:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        known = ", ".join(m.id for m in self.metrics)
        raise UserError(f"Unknown metric {metric_id!r}. Known metrics: {known}.")

    @property
    def metric_ids(self) -> list[str]:
        return [m.id for m in self.metrics]

    def section(self, name: str) -> dict[str, Any]:
        """A raw settings section (e.g. "smtp", "mail") for the faces that own it."""
        return dict(self.raw.get(name, {}))


KNOWN_KEYS: dict[str, set[str]] = {
    "windows": {"rolling_days"},
    "benchmarks": {"top_percent", "min_denominator"},
    "report": {"movers_min_sample"},
    "mail": {"from", "subject", "leaders"},
    "smtp": {"host", "port", "security", "user", "password", "timeout_seconds", "max_per_minute",
             "max_per_day", "retries", "retry_delay_seconds"},
}
METRIC_KEYS = {"kind", "label", "short", "tip", "event", "play_out_days", "lead_types", "numerator",
               "denominator", "max_age_days", "enabled"}


def _check_keys(user: dict[str, Any], where: str) -> None:
    """A misspelt key would silently do nothing: name it, and what it could have been."""
    def unknown(section: str, keys: set[str], known: set[str]) -> None:
        for key in sorted(keys - known):
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(known))}."
            raise UserError(f"{where}: unknown setting {key!r} in [{section}]; {hint} "
                            "`kpi-reports settings` lists every setting.")

    unknown("top level", set(user), {*KNOWN_KEYS, "metrics"})
    for section, known in KNOWN_KEYS.items():
        table = user.get(section, {})
        if section == "mail":
            table = {k: v for k, v in table.items() if k != "leaders"}
        unknown(section, set(table), known)
    for metric_id, table in user.get("metrics", {}).items():
        unknown(f"metrics.{metric_id}", set(table), METRIC_KEYS)


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


def _metric_from_table(metric_id: str, table: dict[str, Any], where: str) -> MetricDef:
    kind = table.get("kind")
    if kind not in ("cohort", "activity", "deal_updates"):
        raise UserError(
            f"{where}: metric {metric_id!r} needs kind = \"cohort\", \"activity\" or "
            f"\"deal_updates\" (found {kind!r})."
        )
    required = {"cohort": ("event", "play_out_days"), "activity": ("numerator", "denominator"),
                "deal_updates": ()}[kind]
    missing = [key for key in required if key not in table]
    if missing:
        raise UserError(f"{where}: metric {metric_id!r} of kind {kind!r} needs {', '.join(missing)}.")
    types = tuple(str(t).strip().title() for t in table.get("lead_types", LEAD_TYPES))
    unknown = [t for t in types if t not in LEAD_TYPES]
    if unknown:
        raise UserError(f"{where}: metric {metric_id!r} has unknown lead type(s) {unknown}; "
                        f"use {', '.join(LEAD_TYPES)}.")
    section = f"metrics.{metric_id}"
    return MetricDef(
        id=metric_id, kind=kind, label=str(table.get("label", metric_id)),
        short=str(table.get("short", table.get("label", metric_id))),
        tip=str(table.get("tip", "")), event=table.get("event"),
        play_out_days=whole_number(table, "play_out_days", 0, where, section), lead_types=types,
        numerator=table.get("numerator"), denominator=table.get("denominator"),
        max_age_days=whole_number(table, "max_age_days", 10, where, section),
    )


def whole_number(table: dict[str, Any], key: str, default: int, where: str, section: str,
                 minimum: int = 0, maximum: int | None = None) -> int:
    """table[key] as a whole number in range, or a UserError naming the setting."""
    value = table.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        allowed = f"{minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise UserError(f"{where}: [{section}] {key} must be a whole number, {allowed} (found {value!r}).")
    return value


def _enabled(metric_id: str, table: dict[str, Any], where: str) -> bool:
    value = table.get("enabled", True)
    if not isinstance(value, bool):
        raise UserError(f"{where}: [metrics.{metric_id}] enabled must be true or false (found {value!r}).")
    return value


def settings_from_dict(data: dict[str, Any], source: str = "built-in defaults") -> Settings:
    windows = data.get("windows", {})
    bench = data.get("benchmarks", {})
    metrics = tuple(
        _metric_from_table(mid, table, source)
        for mid, table in data.get("metrics", {}).items()
        if _enabled(mid, table, source)
    )
    whole_number(data.get("report", {}), "movers_min_sample", 5, source, "report")
    return Settings(
        rolling_days=whole_number(windows, "rolling_days", 30, source, "windows", minimum=1),
        top_percent=whole_number(bench, "top_percent", 10, source, "benchmarks", minimum=1, maximum=100),
        min_denominator=whole_number(bench, "min_denominator", 1, source, "benchmarks", minimum=1),
        metrics=metrics, raw=data, source=source,
    )


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults merged with the TOML file at `path` (if given)."""
    data = tomllib.loads(_defaults_text())
    if path is None:
        return settings_from_dict(data)
    path = Path(path)
    try:
        user = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise UserError(f"Settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"Settings file {path} is not valid TOML: {exc}") from None
    _check_keys(user, str(path))
    return settings_from_dict(_merge(data, user), source=str(path))


def settings_for(workbook: str | Path | None, path: str | Path | None = None) -> Settings:
    """`path` if given, else kpi-reports.toml beside the workbook if there, else the defaults."""
    if path is None and workbook is not None:
        beside = Path(workbook).with_name(DEFAULT_SETTINGS_NAME)
        path = beside if beside.is_file() else None
    return load_settings(path)


def default_settings_text() -> str:
    """The documented default settings file, for `kpi-reports settings`."""
    return _defaults_text()
